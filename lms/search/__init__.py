"""Search across the modules a person may open, the library's articles, case notes and glossary: the index
(rebuilt after each content sync, never by a request), the query, ``/search`` and the header's query box."""

from flask import Blueprint

bp = Blueprint("search", __name__, url_prefix="/search")

from . import cli, handlers, routes  # noqa: E402,F401
