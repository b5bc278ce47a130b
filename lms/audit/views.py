"""The audit log as people read it: one sentence per event, in the page's language, filterable by person,
cohort, kind and date.

Names are resolved for a whole page at once: one query for the certificates, sessions and attempts the
events point to, then one for every person and one for every cohort they name, whatever the number of
events (``tests/audit/test_views.py`` counts them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask import url_for
from markupsafe import Markup, escape
from sqlalchemy import String, and_, cast, false, or_, select

from ..core.timeutil import display_zone
from ..extensions import db
from ..i18n import _, format_percent
from .labels import LABELS, audit_label
from .models import AuditEvent

# --- one sentence per kind of event -------------------------------------------------------------------
# %(actor)s is who did it, %(subject)s the person it was done to; %(cohort)s, %(session)s, %(serial)s,
# %(detail)s as each kind needs. Every value is escaped; names are links to the person's page.


def _sentences() -> dict:
    return {
        "user.create": _("%(actor)s created the account of %(subject)s."),
        "user.invite": _("%(actor)s sent an invitation to %(subject)s."),
        "user.invite_accepted": _("%(subject)s accepted the invitation and chose a password."),
        "user.password": _("%(subject)s changed their password."),
        "user.password_reset": _("%(subject)s reset their password from an e-mailed link."),
        "user.roles": _("%(actor)s changed the roles of %(subject)s: %(detail)s."),
        "user.activate": _("%(actor)s reactivated the account of %(subject)s."),
        "user.deactivate": _("%(actor)s deactivated the account of %(subject)s."),
        "user.profile": _("%(actor)s updated the profile of %(subject)s: %(detail)s."),
        "user.erase": _("%(actor)s erased the personal data of %(subject)s."),
        "user.totp_enable": _("%(subject)s turned on two-factor sign-in."),
        "user.totp_disable": _("%(actor)s turned off two-factor sign-in for %(subject)s."),
        "user.recovery_code_used": _("%(subject)s signed in with a recovery code."),
        "user.merge": _("%(actor)s merged the walk-in record of %(subject)s into the account of %(detail)s."),
        "cohort.create": _("%(actor)s created the cohort %(cohort)s."),
        "cohort.update": _("%(actor)s changed the cohort %(cohort)s."),
        "cohort.enrol": _("%(actor)s enrolled %(subject)s in %(cohort)s."),
        "cohort.unenrol": _("%(actor)s removed %(subject)s from %(cohort)s."),
        "cohort.quiz_settings": _("%(actor)s changed the quiz settings of %(cohort)s."),
        "cohort.attendance_warning": _(
            "%(actor)s wrote to %(subject)s about their attendance in %(cohort)s (%(detail)s)."
        ),
        "session.save": _("%(actor)s saved the session %(session)s of %(cohort)s."),
        "session.checkin_open": _("%(actor)s opened the check-in of %(session)s (%(cohort)s)."),
        "session.checkin_close": _("%(actor)s closed the check-in of %(session)s (%(cohort)s)."),
        "attendance.mark": _("%(actor)s marked %(subject)s %(detail)s at %(session)s (%(cohort)s)."),
        "quiz.override": _("%(actor)s changed a grade of %(subject)s in %(cohort)s: now %(detail)s."),
        "quiz.regrade": _("%(actor)s regraded an attempt of %(subject)s in %(cohort)s: now %(detail)s."),
        "certificate.issue": _("%(actor)s issued the certificate %(serial)s to %(subject)s (%(cohort)s)."),
        "certificate.revoke": _("%(actor)s revoked the certificate %(serial)s of %(subject)s (%(cohort)s)."),
    }


def _attendance_words() -> dict:
    return {"present": _("present"), "late": _("late"), "excused": _("excused"), "absent": _("absent")}


def _field_names() -> dict:
    return {
        "name_latin": _("Name (Latin script)"),
        "name_arabic": _("Name (Arabic script)"),
        "email": _("E-mail address"),
        "profession": _("Profession"),
        "jurisdiction": _("Jurisdiction (court of appeal)"),
        "gender": _("Gender"),
        "locale": _("Preferred language"),
    }


#: the kinds of event offered in the filter, by group (an action's prefix)
GROUPS = ("user.", "cohort.", "session.", "attendance.", "quiz.", "certificate.")


def kind_choices() -> list[tuple[str, str]]:
    groups = {
        "user.": _("Accounts"),
        "cohort.": _("Cohorts"),
        "session.": _("Workshop sessions"),
        "attendance.": _("Attendance"),
        "quiz.": _("Grades"),
        "certificate.": _("Certificates"),
    }
    choices = []
    for prefix in GROUPS:
        choices.append((prefix, str(groups[prefix])))
        choices += [(action, "— " + str(label)) for action, label in LABELS.items() if action.startswith(prefix)]
    return choices


# --- resolving what the events point to ----------------------------------------------------------------


@dataclass
class Entry:
    event: AuditEvent
    sentence: Markup
    cohort_id: int | None = None
    raw: str = ""


@dataclass
class _Refs:
    user_of: dict = field(default_factory=dict)  # event id -> subject user id
    cohort_of: dict = field(default_factory=dict)  # event id -> cohort id
    session_of: dict = field(default_factory=dict)  # event id -> session id
    extra_user: dict = field(default_factory=dict)  # event id -> a second person (merge target)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _rows_by_id(ids: set, id_column, *columns) -> dict:
    """The rows (``id_column`` and ``columns``) whose id is among ``ids``, by id: one query, none for no id."""
    ids = ids - {None}
    if not ids:
        return {}
    return {row[0]: row for row in db.session.execute(select(id_column, *columns).where(id_column.in_(ids)))}


def _references(events: list[AuditEvent]) -> tuple[_Refs, dict, dict, dict]:
    """(refs, certificates by id, sessions by id, attempts by id): three queries at most, each for a page."""
    from ..attendance.models import WorkshopSession
    from ..certificates.models import Certificate
    from ..quizzes.models import Attempt

    refs = _Refs()
    wanted = {"certificate": set(), "workshop_session": set(), "quiz_attempt": set()}
    for e in events:
        after, before = e.after or {}, e.before or {}
        if e.object_type == "user_account":
            refs.user_of[e.id] = _int(e.object_id)
            refs.cohort_of[e.id] = _int(after.get("cohort_id"))
            refs.extra_user[e.id] = _int(after.get("merged_into"))
        elif e.object_type == "cohort":
            refs.cohort_of[e.id] = _int(e.object_id)
            refs.user_of[e.id] = _int(after.get("user", before.get("user")))
        elif e.object_type == "attendance":
            session_id, _sep, user_id = e.object_id.partition(":")
            refs.session_of[e.id], refs.user_of[e.id] = _int(session_id), _int(user_id)
            wanted["workshop_session"].add(_int(session_id))
        elif e.object_type == "workshop_session":
            refs.session_of[e.id] = _int(e.object_id)
            wanted["workshop_session"].add(_int(e.object_id))
        elif e.object_type in wanted:
            wanted[e.object_type].add(_int(e.object_id))
    certificates = _rows_by_id(
        wanted["certificate"], Certificate.id, Certificate.user_id, Certificate.cohort_id, Certificate.serial
    )
    sessions = _rows_by_id(
        wanted["workshop_session"], WorkshopSession.id, WorkshopSession.title, WorkshopSession.cohort_id
    )
    attempts = _rows_by_id(wanted["quiz_attempt"], Attempt.id, Attempt.user_id, Attempt.cohort_id)
    for e in events:
        if e.object_type == "certificate" and (c := certificates.get(_int(e.object_id))):
            refs.user_of[e.id], refs.cohort_of[e.id] = c.user_id, c.cohort_id
        elif e.object_type == "quiz_attempt" and (a := attempts.get(_int(e.object_id))):
            refs.user_of[e.id], refs.cohort_of[e.id] = a.user_id, a.cohort_id
        elif e.id in refs.session_of and (s := sessions.get(refs.session_of[e.id])):
            refs.cohort_of[e.id] = s.cohort_id
    return refs, certificates, sessions, attempts


def describe(events: list[AuditEvent]) -> list[Entry]:
    """One sentence per event; a constant number of queries for any number of events."""
    from ..accounts.models import User
    from ..accounts.service import role_labels
    from ..cohorts.models import Cohort

    refs, certificates, sessions, _attempts = _references(events)
    user_ids = {e.actor_id for e in events} | set(refs.user_of.values()) | set(refs.extra_user.values())
    user_ids.discard(None)
    users = {}
    if user_ids:
        users = {
            u.id: u
            for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))  # one query for every name
        }
    cohort_ids = set(refs.cohort_of.values()) - {None}
    cohorts = {}
    if cohort_ids:
        cohorts = dict(db.session.execute(select(Cohort.id, Cohort.title).where(Cohort.id.in_(cohort_ids))).all())

    def person(user_id) -> Markup:
        user = users.get(user_id)
        if user is None:
            return escape(_("someone no longer in the records")) if user_id else escape(_("the system"))
        name = user.display_name if user.erased_at is None else _("an erased account")
        return Markup('<a href="%s"><bdi>%s</bdi></a>') % (url_for("accounts.admin_user", user_id=user.id), name)

    def cohort(cohort_id) -> Markup:
        title = cohorts.get(cohort_id)
        if title is None:
            return escape(_("a cohort"))
        return Markup('<a href="%s"><bdi>%s</bdi></a>') % (url_for("cohorts.detail", cohort_id=cohort_id), title)

    sentences = _sentences()
    attendance_words = _attendance_words()
    roles = role_labels()
    fields = _field_names()
    entries = []
    for e in events:
        after, before = e.after or {}, e.before or {}
        detail = ""
        if e.action == "user.roles":
            detail = _(
                "from %(before)s to %(after)s",
                before=_list(before.get("roles"), roles),
                after=_list(after.get("roles"), roles),
            )
        elif e.action == "user.profile":
            changed = [k for k in fields if (before.get(k) != after.get(k)) and (k in before or k in after)]
            detail = ", ".join(str(fields[k]) for k in changed) or "—"
        elif e.action == "user.merge":
            detail = person(refs.extra_user.get(e.id))
        elif e.action == "cohort.attendance_warning":
            detail = format_percent(after.get("percent"))
        elif e.action == "attendance.mark":
            detail = attendance_words.get(after.get("status"), after.get("status") or "—")
        elif e.action in ("quiz.override", "quiz.regrade"):
            detail = format_percent(after.get("percent"))
        session = sessions.get(refs.session_of.get(e.id))
        certificate = certificates.get(_int(e.object_id)) if e.object_type == "certificate" else None
        values = {
            "actor": person(e.actor_id) if e.actor_id else escape(_("the system")),
            "subject": person(refs.user_of.get(e.id)),
            "cohort": cohort(refs.cohort_of.get(e.id)),
            "session": Markup("«\u00a0<bdi>%s</bdi>\u00a0»") % (session.title if session else "—"),
            "serial": Markup('<bdi dir="ltr">%s</bdi>')
            % (certificate.serial if certificate else after.get("serial") or "—"),
            "detail": detail,
        }
        template = sentences.get(e.action)
        if template is None:
            sentence = Markup("%s — %s") % (values["actor"], audit_label(e.action))
        else:
            sentence = escape(template) % values
        entries.append(Entry(event=e, sentence=_capitalised(sentence), cohort_id=refs.cohort_of.get(e.id), raw=_raw(e)))
    return entries


def _list(values, labels) -> str:
    return ", ".join(str(labels.get(v, v)) for v in values or []) or "—"


def _capitalised(sentence: Markup) -> Markup:
    """ "the system created..." → "The system created..." (a sentence starting with a plain word)."""
    text = str(sentence)
    if text[:1].islower():
        return Markup(text[:1].upper() + text[1:])  # noqa: S704  # nosec B704 (already escaped above)
    return sentence


def _raw(e: AuditEvent) -> str:
    """The record as stored, readable: real characters, not "\\u2014"."""
    record = {
        "id": e.id,
        "action": e.action,
        "object": f"{e.object_type} #{e.object_id}",
        "actor_id": e.actor_id,
        "channel": e.channel,
        "before": e.before,
        "after": e.after,
    }
    return json.dumps(record, ensure_ascii=False, indent=1, default=str)


# --- filters ---------------------------------------------------------------------------------------------


@dataclass
class AuditFilters:
    person: str = ""
    cohort_id: int | None = None
    kind: str = ""
    start: date | None = None
    end: date | None = None

    @classmethod
    def from_args(cls, args) -> AuditFilters:
        from ..core.forms import clamp_date
        from ..core.numbers import whole_number

        def day(name):
            try:
                return clamp_date(date.fromisoformat(args.get(name, ""))) if args.get(name) else None
            except ValueError:
                return None

        kind = args.get("kind", args.get("action", ""))[:64]
        return cls(
            person=args.get("person", "")[:100].strip(),
            cohort_id=whole_number(args.get("cohort"), "cohort", strict=False),
            kind=kind if kind in LABELS or kind in GROUPS else "",
            start=day("from"),
            end=day("to"),
        )

    def query_args(self) -> dict:
        values = {
            "person": self.person,
            "cohort": self.cohort_id,
            "kind": self.kind,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }
        return {k: v for k, v in values.items() if v}


def _utc(day: date) -> datetime:
    """Local midnight of ``day`` as the naive UTC datetime the log stores."""
    from datetime import UTC

    return datetime.combine(day, time(0), tzinfo=display_zone()).astimezone(UTC).replace(tzinfo=None)


def _about_people(user_ids: list[int]):
    """Events done by or to one of ``user_ids``, whatever kind of object they were recorded on."""
    from ..certificates.models import Certificate
    from ..quizzes.models import Attempt

    as_text = [str(i) for i in user_ids]
    return or_(
        AuditEvent.actor_id.in_(user_ids),
        and_(AuditEvent.object_type == "user_account", AuditEvent.object_id.in_(as_text)),
        and_(AuditEvent.object_type == "cohort", AuditEvent.after["user"].as_integer().in_(user_ids)),
        and_(AuditEvent.object_type == "cohort", AuditEvent.before["user"].as_integer().in_(user_ids)),
        and_(AuditEvent.action == "user.merge", AuditEvent.after["merged_into"].as_integer().in_(user_ids)),
        and_(
            AuditEvent.object_type == "attendance",
            or_(*[AuditEvent.object_id.like(f"%:{i}") for i in user_ids]),
        ),
        and_(
            AuditEvent.object_type == "certificate",
            AuditEvent.object_id.in_(select(cast(Certificate.id, String)).where(Certificate.user_id.in_(user_ids))),
        ),
        and_(
            AuditEvent.object_type == "quiz_attempt",
            AuditEvent.object_id.in_(select(cast(Attempt.id, String)).where(Attempt.user_id.in_(user_ids))),
        ),
    )


def _about_cohort(cohort_id: int):
    from ..attendance.models import WorkshopSession
    from ..certificates.models import Certificate
    from ..quizzes.models import Attempt

    session_ids = db.session.scalars(select(WorkshopSession.id).where(WorkshopSession.cohort_id == cohort_id)).all()
    return or_(
        and_(AuditEvent.object_type == "cohort", AuditEvent.object_id == str(cohort_id)),
        and_(AuditEvent.object_type == "workshop_session", AuditEvent.object_id.in_([str(i) for i in session_ids])),
        and_(
            AuditEvent.object_type == "attendance",
            or_(false(), *[AuditEvent.object_id.like(f"{i}:%") for i in session_ids]),
        ),
        and_(
            AuditEvent.object_type == "certificate",
            AuditEvent.object_id.in_(select(cast(Certificate.id, String)).where(Certificate.cohort_id == cohort_id)),
        ),
        and_(
            AuditEvent.object_type == "quiz_attempt",
            AuditEvent.object_id.in_(select(cast(Attempt.id, String)).where(Attempt.cohort_id == cohort_id)),
        ),
        and_(AuditEvent.object_type == "user_account", AuditEvent.after["cohort_id"].as_integer() == cohort_id),
    )


#: at most this many people match a "person" search (a name typed in part)
PERSON_MATCHES = 50


def statement(filters: AuditFilters):
    """The select for the log, newest first, with the filters applied."""
    from ..accounts.models import User
    from ..accounts.service import search_users

    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if filters.person:
        people = db.session.scalars(search_users(filters.person).with_only_columns(User.id).limit(PERSON_MATCHES)).all()
        query = query.where(_about_people(list(people)) if people else false())
    if filters.cohort_id:
        query = query.where(_about_cohort(filters.cohort_id))
    if filters.kind in GROUPS:
        query = query.where(AuditEvent.action.like(f"{filters.kind}%"))
    elif filters.kind:
        query = query.where(AuditEvent.action == filters.kind)
    if filters.start:
        query = query.where(AuditEvent.created_at >= _utc(filters.start))
    if filters.end:
        from datetime import timedelta

        query = query.where(AuditEvent.created_at < _utc(filters.end + timedelta(days=1)))
    return query
