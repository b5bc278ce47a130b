"""The programme report's content, as the page, the files and ``flask reports programme`` show it (no request
needed). The CSV and XLSX files themselves are written by ``core/exports.py``."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale

from ..accounts import service as accounts
from ..i18n import _, format_date, format_number, format_percent
from . import evaluation, service


def indicator_rows(indicators: dict, masked: bool, locale: str) -> list[tuple[str, object]]:
    """The headline indicators as ``(label, value)`` rows, small counts masked when asked."""
    return [
        (_("Cohorts"), indicators["cohorts"]),
        (_("People enrolled"), service.mask(indicators["enrolled"], masked)),
        (_("People trained (all modules completed)"), service.mask(indicators["trained"], masked)),
        (_("People certified"), service.mask(indicators["certified"], masked)),
        (_("Workshop sessions held"), indicators["sessions_held"]),
        (_("Attendance rate"), format_percent(indicators["attendance_rate"])),
        (_("Quiz pass rate"), format_percent(indicators["quiz_pass_rate"])),
        (_("Average quiz score"), format_percent(indicators["average_score"])),
        (
            _("Average pre/post-test gain (points)"),
            format_number(indicators["average_gain"], 1, signed=True),
        ),
        *transfer_rows(indicators, masked),
    ]


def transfer_rows(indicators: dict, masked: bool) -> list[tuple[str, object]]:
    """Level 3: the follow-up survey's response rate, and from the action plans' counts who applied what they
    planned. The shares need at least SMALL_GROUP respondents with a plan (whatever ``masked`` says)."""
    plans = indicators["plans"]

    def share(value) -> str:
        if plans.with_plan == 0:
            return "—"
        if plans.masked:
            return str(_("fewer than %(num)d: not shown", num=evaluation.SMALL_GROUP))
        return format_percent(value)

    return [
        (_("Follow-up survey: people asked"), service.mask(indicators["follow_up_asked"], masked)),
        (_("Follow-up survey: respondents"), service.mask(indicators["follow_up_responded"], masked)),
        (_("Follow-up survey: response rate"), format_percent(indicators["follow_up_rate"])),
        (_("Follow-up: respondents who applied at least one planned action"), share(plans.applied_share)),
        (_("Follow-up: planned actions done"), share(plans.share("done"))),
        (_("Follow-up: planned actions partly done"), share(plans.share("partly"))),
        (_("Follow-up: planned actions not done yet"), share(plans.share("not_yet"))),
    ]


def breakdown_label(kind: str, key: str, locale: str) -> str:
    """The label of one breakdown key (a profession, a gender or a jurisdiction) in ``locale``."""
    if key == "not-stated":
        return str(_("not stated"))
    if kind == "profession":
        return str(accounts.profession_labels().get(key, key))
    if kind == "gender":
        return str(accounts.gender_labels().get(key, key))
    return accounts.jurisdiction_name(key, locale)


def report_context(filters, masked: bool, locale: str) -> dict:
    """The programme report for ``filters``: indicators, their rows, breakdowns by profession, jurisdiction, gender."""
    indicators = service.programme_indicators(filters)
    sections = []
    for kind, title in (
        ("profession", _("By profession")),
        ("jurisdiction", _("By jurisdiction")),
        ("gender", _("By gender")),
    ):
        table = indicators[f"by_{kind}"]
        sections.append(
            (
                kind,
                title,
                [
                    (breakdown_label(kind, key, locale), {k: service.mask(v, masked) for k, v in cell.items()})
                    for key, cell in table.items()
                ],
            )
        )
    return {
        "indicators": indicators,
        "rows": indicator_rows(indicators, masked, locale),
        "sections": sections,
        "filters": filters,
        "masked": masked,
    }


def programme_table(filters, masked: bool, locale: str) -> tuple[list, list[list]]:
    """The programme report as one table ``(header, rows)`` for CSV and XLSX."""
    context = report_context(filters, masked, locale)
    header = [_("Indicator"), _("Value")]
    rows = [[label, value] for label, value in context["rows"]]
    for _kind, title, table in context["sections"]:
        rows.append(["", ""])
        rows.append([str(title), f"{_('enrolled')} / {_('trained')} / {_('certified')}"])
        for label, cell in table:
            rows.append([label, f"{cell['enrolled']} / {cell['trained']} / {cell['certified']}"])
    return header, rows


def pdf_headers() -> dict:
    """The column headers of the report's tables, in the current language (a PDF repeats them on each page)."""

    def heading(text) -> str:  # "inscrits" → "Inscrits" (a header starts with a capital; Arabic unchanged)
        text = str(text)
        return text[:1].upper() + text[1:]

    return {
        "profession": str(_("Profession")),
        "jurisdiction": str(_("Jurisdiction")),
        "gender": str(_("Gender")),
        "columns": tuple(heading(label) for label in (_("enrolled"), _("trained"), _("certified"))),
        "indicator": (str(_("Indicator")), str(_("Value"))),
    }


def programme_pdf(filters, masked: bool) -> bytes:
    """The report in French and Arabic, side by side page after page."""
    from ..core.pdf import html_to_pdf

    parts = {}
    for locale in ("fr", "ar"):
        with force_locale(locale):
            parts[locale] = report_context(filters, masked, locale)
            parts[locale]["period"] = (format_date(filters.start, "long"), format_date(filters.end, "long"))
            parts[locale]["headers"] = pdf_headers()
    html = render_template("reports/programme_pdf.html", parts=parts)
    return html_to_pdf(html)
