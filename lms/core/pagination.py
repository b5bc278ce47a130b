"""Pagination of a select statement (Flask-SQLAlchemy's paginate, with safe page numbers)."""

from flask import request

from ..extensions import db


def paginate(statement, per_page: int):
    page = request.args.get("page", 1, type=int) or 1
    return db.paginate(statement, page=max(page, 1), per_page=per_page, error_out=False, count=True)
