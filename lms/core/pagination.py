"""Pagination of a select statement (Flask-SQLAlchemy's paginate, with safe page numbers)."""

from ..extensions import db
from .numbers import arg_number


def paginate(statement, per_page: int):
    page = arg_number("page", 1, low=1, strict=False)  # out of range: the first page
    return db.paginate(statement, page=page, per_page=per_page, error_out=False, count=True)
