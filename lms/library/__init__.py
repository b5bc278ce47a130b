"""The library's pages (issue #21): instruments article by article, fictional case notes, the glossary. Reads the
content domain's models (loaded and synced from ``courses/_library/`` by ``lms/content``)."""

from flask import Blueprint

bp = Blueprint("library", __name__, url_prefix="/library")

from . import routes  # noqa: E402,F401
