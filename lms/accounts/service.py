"""Account rules: creating, inviting, authenticating users; tokens; roles. No ``request`` here."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml
from flask import current_app, url_for
from sqlalchemy import func, or_, select, update

from ..audit.service import record
from ..core.mail import JOB_HANDLERS, build_message, forget_address, queue_mail, queue_message
from ..core.timeutil import utcnow
from ..extensions import db
from ..i18n import _
from .models import GENDERS, PROFESSIONS, User, UserToken
from .passwords import hash_password, password_problems, verify_password
from .signals import user_data_export, user_erasing

RESET = "reset"
INVITE = "invite"


class AccountError(Exception):
    """A rule was broken; ``str(error)`` is a translated message for the user."""


def normalize_email(email: str) -> str:
    """The form in which an e-mail address is stored and compared: trimmed, lower case."""
    return (email or "").strip().lower()


# --- reference data ---------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _load_jurisdictions(extra_path: str | None) -> tuple[dict, ...]:
    text = resources.files("lms").joinpath("data/jurisdictions.yaml").read_text(encoding="utf-8")
    entries = list(yaml.safe_load(text))
    if extra_path and Path(extra_path).is_file():
        try:
            extra = yaml.safe_load(Path(extra_path).read_text(encoding="utf-8")) or []
        except yaml.YAMLError:
            current_app.logger.error("%s is not valid YAML; extra jurisdictions ignored", extra_path)
            extra = []
        known = {e["code"] for e in entries}
        for entry in extra:
            if isinstance(entry, dict) and {"code", "fr", "ar"} <= entry.keys() and entry["code"] not in known:
                entries.append({k: str(entry[k]) for k in ("code", "fr", "ar")})
    return tuple(entries)


def jurisdictions() -> tuple[dict, ...]:
    """The courts and offices a person may belong to, from the instance's jurisdictions.yaml."""
    return _load_jurisdictions(str(Path(current_app.config["INSTANCE_PATH"]) / "jurisdictions.yaml"))


def jurisdiction_name(code: str | None, locale: str) -> str:
    """A jurisdiction's name in the page language (Arabic or French); the code itself if unknown."""
    for entry in jurisdictions():
        if entry["code"] == code:
            return entry["ar"] if locale == "ar" else entry["fr"]
    return code or ""


def profession_labels() -> dict[str, str]:
    """Profession codes and their translated labels, in the order forms list them."""
    return {
        "magistrate-judge": _("Magistrate (judge)"),
        "magistrate-prosecutor": _("Magistrate (prosecutor)"),
        "social-worker": _("Social worker"),
        "clerk": _("Court clerk"),
        "police": _("Police or gendarmerie officer"),
        "other": _("Other"),
    }


def gender_labels() -> dict[str, str]:
    """Gender codes and their translated labels."""
    return {"female": _("Woman"), "male": _("Man")}


def role_labels() -> dict[str, str]:
    """Role codes and their translated labels."""
    return {"learner": _("Learner"), "trainer": _("Trainer"), "admin": _("Administrator")}


# --- users ------------------------------------------------------------------------------------


def get_user_by_email(email: str) -> User | None:
    """The account with this e-mail address (compared in normalised form), or None."""
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "roles": user.roles,
        "is_active": user.is_active,
        "profession": user.profession,
        "jurisdiction": user.jurisdiction,
    }


def create_user(
    email: str,
    name_latin: str,
    *,
    password: str | None = None,
    roles: tuple[str, ...] = ("learner",),
    name_arabic: str | None = None,
    profession: str | None = None,
    jurisdiction: str | None = None,
    gender: str | None = None,
    locale: str = "fr",
    actor: User | None = None,
    channel: str | None = None,
) -> User:
    """Create a user (audited). Raises AccountError for a taken e-mail or a refused password."""
    email = normalize_email(email)
    if not email or "@" not in email:
        raise AccountError(_("Enter a valid e-mail address."))
    if get_user_by_email(email):
        raise AccountError(_("An account with this e-mail address already exists."))
    if password is not None:
        problems = password_problems(password, email)
        if problems:
            raise AccountError(" ".join(problems))
    if profession and profession not in PROFESSIONS:
        raise AccountError(_("Unknown profession."))
    if gender and gender not in GENDERS:
        raise AccountError(_("Unknown value."))
    user = User(
        email=email,
        name_latin=name_latin.strip(),
        name_arabic=(name_arabic or "").strip() or None,
        profession=profession or None,
        jurisdiction=jurisdiction or None,
        gender=gender or None,
        locale=locale if locale in current_app.config["LANGUAGES"] else "fr",
        password_hash=hash_password(password) if password else None,
        is_learner="learner" in roles,
        is_trainer="trainer" in roles,
        is_admin="admin" in roles,
    )
    db.session.add(user)
    db.session.flush()
    record("user.create", user, after=_snapshot(user), actor=actor, channel=channel)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None. Rehashes when parameters changed."""
    user = get_user_by_email(email)
    ok, needs_rehash = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active or user.erased_at is not None:
        return None
    if needs_rehash:
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def end_all_sessions(user: User) -> None:
    """Every session cookie and remember cookie issued so far stops working."""
    user.session_version = (user.session_version or 0) + 1


def set_password(user: User, password: str) -> None:
    """Set a new password that passes the password policy; ends every session of the account."""
    problems = password_problems(password, user.email)
    if problems:
        raise AccountError(" ".join(problems))
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    record("user.password", user, actor=user)


def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password after checking the current one."""
    ok, _rehash = verify_password(user.password_hash, current)
    if not ok:
        raise AccountError(_("Your current password is not correct."))
    set_password(user, new)


def set_roles(user: User, roles: set[str], actor: User) -> None:
    """Change roles (audited). An admin cannot remove their own admin role (no lock-out)."""
    before = _snapshot(user)
    if user.id == actor.id and user.is_admin and "admin" not in roles:
        raise AccountError(_("You cannot remove your own administrator role."))
    user.is_learner = "learner" in roles
    user.is_trainer = "trainer" in roles
    user.is_admin = "admin" in roles
    if before["roles"] != user.roles:
        end_all_sessions(user)
        record("user.roles", user, before={"roles": before["roles"]}, after={"roles": user.roles}, actor=actor)


def set_active(user: User, active: bool, actor: User) -> None:
    """Activate or deactivate an account (not one's own); deactivation ends its sessions; audited."""
    if user.id == actor.id and not active:
        raise AccountError(_("You cannot deactivate your own account."))
    if user.is_active != active:
        user.is_active = active
        end_all_sessions(user)
        record(
            "user.activate" if active else "user.deactivate",
            user,
            before={"is_active": not active},
            after={"is_active": active},
            actor=actor,
        )


def update_profile(user: User, **fields) -> None:
    """Update the profile fields a person may change; audited with the fields that changed."""
    allowed = ("name_latin", "name_arabic", "profession", "jurisdiction", "gender", "locale")
    before = {k: getattr(user, k) for k in allowed}
    for key in allowed:
        if key in fields:
            value = fields[key]
            value = value.strip() if isinstance(value, str) else value
            setattr(user, key, value or (None if key not in ("name_latin", "locale") else getattr(user, key)))
    after = {k: getattr(user, k) for k in allowed}
    if before != after:
        record("user.profile", user, before=before, after=after, actor=user)


#: what an administrator may change on someone's account page (besides roles and activation)
ADMIN_EDITABLE = ("name_latin", "name_arabic", "email", "profession", "jurisdiction", "gender")


def admin_update_user(user: User, actor: User, **fields) -> bool:
    """An administrator corrects someone's name, e-mail address or profile (audited with before and after).

    The e-mail address stays unique whatever its case; changing it ends the person's sessions, as a role
    change does (the address is how they sign in). Returns False when nothing changed."""
    values = {key: (fields.get(key) or "").strip() for key in ADMIN_EDITABLE if key in fields}
    if "email" in values:
        values["email"] = normalize_email(values["email"])
        if not values["email"] or "@" not in values["email"]:
            raise AccountError(_("Enter a valid e-mail address."))
        taken = db.session.scalar(
            select(User.id).where(func.lower(User.email) == values["email"], User.id != user.id).limit(1)
        )
        if taken is not None:
            raise AccountError(_("Another account already uses this e-mail address: %(email)s.", email=values["email"]))
    if "name_latin" in values and not values["name_latin"]:
        raise AccountError(_("The name in Latin script is required."))
    if values.get("profession") and values["profession"] not in PROFESSIONS:
        raise AccountError(_("Unknown profession."))
    if values.get("gender") and values["gender"] not in GENDERS:
        raise AccountError(_("Unknown value."))
    before = {key: getattr(user, key) for key in values}
    for key, value in values.items():
        setattr(user, key, value if key in ("name_latin", "email") else (value or None))
    after = {key: getattr(user, key) for key in values}
    changed = {key for key in values if before[key] != after[key]}
    if not changed:
        return False
    if "email" in changed:
        end_all_sessions(user)
    record(
        "user.profile",
        user,
        before={key: before[key] for key in sorted(changed)},
        after={key: after[key] for key in sorted(changed)},
        actor=actor,
    )
    return True


def search_users(query: str = "", role: str = "", active: str = ""):
    """A select statement for the admin list; the query is matched against e-mail and both names."""
    statement = select(User).order_by(User.name_latin, User.id)
    query = (query or "").strip()
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            or_(
                User.email.like(pattern),
                func.lower(User.name_latin).like(pattern),
                User.name_arabic.like(f"%{query}%"),
            )
        )
    if role in ("learner", "trainer", "admin"):
        statement = statement.where(getattr(User, f"is_{role}").is_(True))
    if active == "yes":
        statement = statement.where(User.is_active.is_(True))
    elif active == "no":
        statement = statement.where(User.is_active.is_(False))
    return statement


# --- tokens -----------------------------------------------------------------------------------


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token(user: User, purpose: str) -> str:
    """A new random token (returned once, stored hashed). Earlier unused tokens of the purpose die."""
    config = current_app.config
    lifetime = (
        timedelta(hours=config["RESET_TOKEN_HOURS"])
        if purpose == RESET
        else timedelta(days=config["INVITE_TOKEN_DAYS"])
    )
    now = utcnow()
    db.session.execute(
        update(UserToken)
        .where(UserToken.user_id == user.id, UserToken.purpose == purpose, UserToken.used_at.is_(None))
        .values(used_at=now)
    )
    raw = secrets.token_urlsafe(32)
    db.session.add(UserToken(user_id=user.id, purpose=purpose, token_hash=_hash_token(raw), expires_at=now + lifetime))
    return raw


def find_valid_token(raw: str, purpose: str) -> UserToken | None:
    """The unused, unexpired token of this purpose matching the raw value from a link, or None."""
    if not raw or len(raw) > 100:
        return None
    token = db.session.scalar(
        select(UserToken).where(UserToken.token_hash == _hash_token(raw), UserToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or token.expires_at < utcnow():
        return None
    if not token.user.is_active or token.user.erased_at is not None:
        return None
    return token


def delete_expired_tokens(now=None) -> int:
    """Delete the tokens past their expiry, used or not (a link to one says "invalid or expired" either way)."""
    return db.session.execute(UserToken.__table__.delete().where(UserToken.expires_at < (now or utcnow()))).rowcount


def use_token(raw: str, purpose: str, password: str) -> User:
    """Set the password with a token, once. Two concurrent uses: exactly one wins (conditional UPDATE)."""
    token = find_valid_token(raw, purpose)
    if token is None:
        raise AccountError(_("This link is invalid or has expired. Ask for a new one."))
    user = token.user
    problems = password_problems(password, user.email)
    if problems:
        raise AccountError(" ".join(problems))
    claimed = db.session.execute(
        update(UserToken).where(UserToken.id == token.id, UserToken.used_at.is_(None)).values(used_at=utcnow())
    ).rowcount
    if claimed != 1:
        raise AccountError(_("This link is invalid or has expired. Ask for a new one."))
    user.password_hash = hash_password(password)
    end_all_sessions(user)
    record("user.invite_accepted" if purpose == INVITE else "user.password_reset", user, actor=user)
    return user


def _absolute(endpoint: str, **values) -> str:
    """An absolute URL: from the request's host in a request, else from LMS_BASE_URL (a queued job, a command)."""
    from urllib.parse import urlsplit

    from flask import has_request_context

    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    from ..core.urls import public_base_url

    base = urlsplit(public_base_url())
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def request_password_reset(email: str) -> None:
    """Record that a reset link was asked for ``email``; say nothing either way (no enumeration).

    The request does the same work whatever the address: one INSERT of it. Whether an account exists is
    found out after the response (``send_password_reset``), so neither the time nor the statements of the
    request tell."""
    queue_mail(RESET_JOB, normalize_email(email))


def send_password_reset(email: str):
    """The queued job: a token and the reset mail if an active account has this address, else nothing."""
    user = get_user_by_email(email)
    if user is None or not user.is_active or user.erased_at is not None:
        # The same rendering as for an account, thrown away: a consumer on the web server's machine takes about
        # the same processor time either way (bench/queue_bench.py saw the difference in throughput).
        stand_in = User(email=email, name_latin="", locale="fr")
        build_message(
            email,
            _subject("reset", "fr"),
            "accounts/email/reset",
            locale="fr",
            user=stand_in,
            link=_absolute("accounts.reset_password", token=secrets.token_urlsafe(32)),
            hours=current_app.config["RESET_TOKEN_HOURS"],
        )
        return None
    raw = issue_token(user, RESET)
    return build_message(
        user.email,
        _subject("reset", user.locale),
        "accounts/email/reset",
        locale=user.locale,
        user=user,
        link=_absolute("accounts.reset_password", token=raw),
        hours=current_app.config["RESET_TOKEN_HOURS"],
    )


RESET_JOB = "password_reset"
JOB_HANDLERS[RESET_JOB] = send_password_reset


def invite_user(user: User, inviter: User | None) -> None:
    """E-mail ``user`` a link to set their password and join."""
    raw = issue_token(user, INVITE)
    record("user.invite", user, actor=inviter)
    queue_message(
        user.email,
        _subject("invite", user.locale),
        "accounts/email/invite",
        locale=user.locale,
        user=user,
        inviter=inviter,
        link=_absolute("accounts.accept_invitation", token=raw),
        days=current_app.config["INVITE_TOKEN_DAYS"],
    )


def _subject(kind: str, locale: str) -> str:
    from flask_babel import force_locale

    with force_locale(locale):
        if kind == "reset":
            return _("Reset your Tadrib password")
        return _("You are invited to Tadrib")


def export_user_data(user: User) -> dict:
    """Everything Tadrib holds about the person (Law 09-08, right of access). Domains add their parts."""
    from ..audit.models import AuditEvent

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "user_account", AuditEvent.object_id == str(user.id))
    ).all()
    data = {
        "account": {
            "email": user.email,
            "name_latin": user.name_latin,
            "name_arabic": user.name_arabic,
            "profession": user.profession,
            "jurisdiction": user.jurisdiction,
            "gender": user.gender,
            "locale": user.locale,
            "roles": user.roles,
            "created_at": user.created_at,
            "last_login_at": user.last_login_at,
        },
        "account_history": [{"at": e.created_at, "action": e.action} for e in events],
    }
    for _receiver, sections in user_data_export.send(user):
        data.update(sections)
    return data


def erase_user(user: User, actor) -> None:
    """Remove a person's identity; keep what anonymised statistics need (profession, jurisdiction, gender,
    progress, attempts, attendance) and what a certificate verification must still show."""
    before = {"email": user.email}
    user_erasing.send(user)
    forget_address(user.email)  # the mails queued, failed or sent to them: their address is not kept
    user.email = f"erased-{user.id}@erased.invalid"
    user.name_latin = f"Erased person {user.id}"
    user.name_arabic = None
    user.password_hash = None
    user.is_active = False
    user.erased_at = utcnow()
    end_all_sessions(user)
    db.session.execute(UserToken.__table__.delete().where(UserToken.user_id == user.id))
    record("user.erase", user, before={"had_email": bool(before["email"])}, after={"erased": True}, actor=actor)
