"""The audit log page (admins): every event, filtered by person, cohort, kind and date, in sentences."""

from __future__ import annotations

from flask import current_app, render_template, request
from sqlalchemy import select

from ..core.access import roles_required
from ..core.pagination import paginate
from ..extensions import db
from . import bp, views


@bp.get("")
@roles_required("admin")
def log():
    # The cohorts to filter on: a higher domain's table, read here as views.py reads them (ARCHITECTURE.md).
    from ..cohorts.models import Cohort

    filters = views.AuditFilters.from_args(request.args)
    page = paginate(views.statement(filters), current_app.config["AUDIT_PER_PAGE"])
    return render_template(
        "audit/log.html",
        page=page,
        entries=views.describe(page.items),
        filters=filters,
        kinds=views.kind_choices(),
        cohorts=db.session.execute(select(Cohort.id, Cohort.title).order_by(Cohort.title)).all(),
    )
