"""Course content: courses/ loaded into the database, Markdown rendered safely, learner progress."""

from flask import Blueprint

bp = Blueprint("content", __name__, url_prefix="/courses")

from . import routes  # noqa: E402,F401
