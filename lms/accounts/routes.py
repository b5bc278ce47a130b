"""Sign-in, sign-out, password reset, invitations, profile, and the admin user pages."""

from __future__ import annotations

import functools
import json
import time

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import bindparam, select

from ..audit.models import AuditEvent
from ..core.access import public, roles_required, signed_in
from ..core.forms import ConfirmForm, safe_next_url
from ..core.legacy_urls import PREFIX as LEGACY_PREFIX
from ..core.pagination import paginate
from ..core.work import unit_of_work
from ..extensions import db, limiter, login_manager
from ..i18n import _
from . import bp, device, extras, lockout, service, totp
from .forms import (
    AdminEditUserForm,
    AdminUserForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InviteLearnerForm,
    LoginForm,
    ProfileForm,
    RolesForm,
    SetPasswordForm,
    TotpForm,
)
from .models import User
from .service import AccountError


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        raw_id, raw_version = user_id.split(":", 1)
        uid, version = int(raw_id), int(raw_version)
    except (ValueError, AttributeError):
        return None
    row = db.session.execute(_user_by_id(), {"uid": uid}).one_or_none()
    user = row[0] if row is not None else None
    if user is None or user.session_version != version or not user.is_active or user.erased_at is not None:
        return None
    extras.remember(user.id, dict(zip(extras.EXTRAS, row[1:], strict=True)))
    return user


@functools.cache
def _user_by_id():
    """Built once (again when a value is registered in ``extras``): every signed-in request loads its user, with
    the values other domains show on every page (``extras``: the bell's count) in the same statement; ``session.get``
    would build its statement on each call (a fifth of the load)."""
    columns = [build().label(f"extra_{name}") for name, build in extras.EXTRAS.items()]
    return select(User, *columns).where(User.id == bindparam("uid"))


def start_session(user: User, remember: bool = False) -> None:
    """A new session for ``user``: nothing set before sign-in survives (fixation), the language follows them."""
    session.clear()
    login_user(user, remember=remember)
    session["locale"] = user.locale
    device.signed_in(user.id)  # a shared computer: the previous person's offline copies go (device.py)


def _failed_login(response) -> bool:
    return response.status_code == 401


def _rate_limited_message() -> str:
    return _("Too many attempts. Wait a few minutes, then try again.")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    status = 200
    address = request.remote_addr or ""
    if request.method == "POST" and lockout.is_locked(request.form.get("email", ""), address):
        # Failed sign-ins per account and per address (lockout.py): even the right password waits.
        abort(429, description=_rate_limited_message())
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            next_url = safe_next_url(request.args.get("next"), url_for("core.home"))
            # A new session on sign-in: nothing set before it (fixation) survives.
            session.clear()
            if user.totp_enabled_at:
                # The password was right; the one-time code decides.
                session["totp_user"] = user.get_id()
                session["totp_started"] = int(time.time())
                session["totp_remember"] = bool(form.remember.data)
                session["totp_next"] = next_url
                return redirect(url_for("accounts.login_code"))
            start_session(user, remember=form.remember.data)
            return redirect(next_url)
        db.session.rollback()
        lockout.record_failure(form.email.data, address)
        db.session.commit()
        form.password.errors.append(_("E-mail address or password incorrect."))
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("accounts/login.html", form=form), status


TOTP_PENDING_SECONDS = 300


def _pending_totp_user() -> User | None:
    started = session.get("totp_started", 0)
    if not session.get("totp_user") or time.time() - started > TOTP_PENDING_SECONDS:
        return None
    return load_user(session["totp_user"])


def _totp_key() -> str:
    return "totp:" + str(session.get("totp_user", request.remote_addr))


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
    methods=["POST"],
    key_func=_totp_key,
    deduct_when=_failed_login,
    error_message=_rate_limited_message,
)
def login_code():
    user = _pending_totp_user()
    if user is None:
        flash(_("Sign in again: the sign-in took too long."), "warning")
        return redirect(url_for("accounts.login"))
    form = TotpForm()
    status = 200
    if form.validate_on_submit():
        if totp.verify(user, form.code.data):
            remember, next_url = session.get("totp_remember", False), session.get("totp_next", "/")
            db.session.commit()
            start_session(user, remember=remember)
            return redirect(safe_next_url(next_url, url_for("core.home")))
        db.session.commit()
        form.code.errors.append(_("This code is not valid. Type the current code from your app, or a recovery code."))
        status = 401
    return render_template("accounts/login_code.html", form=form), status


@bp.route("/profile/two-factor", methods=["GET", "POST"])
@signed_in
def two_factor():
    """Set up (or see) two-factor sign-in. Trainers and admins must set it up before anything else."""
    import segno

    form = TotpForm()
    if current_user.totp_enabled_at:
        return render_template(
            "accounts/two_factor.html",
            enabled=True,
            form=ConfirmForm(),
            required=totp.needs_totp(current_user, current_app.config["REQUIRE_TOTP_ROLES"]),
        )
    secret = session.get("totp_pending_secret") or totp.new_secret()
    session["totp_pending_secret"] = secret
    if form.validate_on_submit():
        with unit_of_work() as work:
            codes = totp.enable(current_user, secret, form.code.data)
        if work.ok and codes:
            session.pop("totp_pending_secret", None)
            return render_template("accounts/recovery_codes.html", codes=codes)
        if work.ok:  # a wrong code: nothing was written
            form.code.errors.append(
                _("This code is not valid. Check the time on your phone and type the current code.")
            )
    uri = totp.provisioning_uri(secret, current_user.email)
    qr = segno.make(uri, error="m").svg_inline(scale=5, omitsize=True)
    return render_template(
        "accounts/two_factor.html",
        enabled=False,
        form=form,
        qr=qr,
        secret=secret,
        required=totp.needs_totp(current_user, current_app.config["REQUIRE_TOTP_ROLES"]),
    )


@bp.post("/profile/two-factor/disable")
@signed_in
def two_factor_disable():
    if ConfirmForm().validate_on_submit():
        if totp.needs_totp(current_user, current_app.config["REQUIRE_TOTP_ROLES"]):
            flash(_("Two-factor sign-in is required for your role."), "error")
        else:
            with unit_of_work() as work:
                totp.disable(current_user, current_user)
                work.flash(_("Two-factor sign-in is off."), "info")
    return redirect(url_for("accounts.two_factor"))


@bp.post("/users/<int:user_id>/two-factor-reset")
@roles_required("admin")
def admin_totp_reset(user_id: int):
    """A lost phone: the admin switches two-factor off; the person sets it up again at next sign-in."""
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            totp.disable(user, current_user)
            service.end_all_sessions(user)
            work.flash(_("Two-factor sign-in reset for %(email)s.", email=user.email))
    return redirect(url_for("accounts.admin_user", user_id=user.id))


TOTP_EXEMPT = {
    "accounts.two_factor",
    "accounts.logout",
    "accounts.login_code",
    "core.set_language",
    "core.healthz",
    "static",
    "core.privacy",
}


def require_two_factor():
    """Trainers and admins without two-factor sign-in are sent to set it up before anything else."""
    roles = current_app.config.get("REQUIRE_TOTP_ROLES") or ()
    if not roles or request.endpoint in TOTP_EXEMPT or request.endpoint is None:
        return None
    if request.endpoint.startswith(LEGACY_PREFIX):  # a redirect: the page it leads to decides
        return None
    if current_user.is_authenticated and not current_user.totp_enabled_at and totp.needs_totp(current_user, roles):
        if request.method == "GET":
            flash(_("Your role requires two-factor sign-in: set it up to continue."), "warning")
            return redirect(url_for("accounts.two_factor"))
        abort(403)
    return None


@bp.post("/logout")
@signed_in
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        with unit_of_work() as work:
            service.end_all_sessions(current_user)
        if work.ok:
            locale = session.get("locale")
            logout_user()
            session.clear()  # the message is flashed after: clearing the session would drop it
            if locale:
                session["locale"] = locale
            flash(_("You are signed out."), "info")
            # A shared computer: the browser drops this person's offline copies and unsent answers (device.py).
            return device.clear_site_data(redirect(url_for("core.home")))
    return redirect(url_for("core.home"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RESET_LIMIT"], methods=["POST"], error_message=_rate_limited_message)
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        # Only a job is recorded, the same for any address; the mail leaves after the response.
        with unit_of_work() as work:
            service.request_password_reset(form.email.data)
            work.flash(
                _("If an account exists for this address, we have sent it a link to choose a new password."), "info"
            )
        if work.ok:
            return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


def _token_page(purpose: str, token: str, template: str):
    if service.find_valid_token(token, purpose) is None:
        return render_template("accounts/token_invalid.html", purpose=purpose), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        with unit_of_work(AccountError, field=form.password) as work:
            user = service.use_token(token, purpose, form.password.data)
        if work.ok:
            start_session(user)  # a new session: the message is flashed after
            flash(_("Your password is saved. Welcome!"), "success")
            return redirect(url_for("core.home"))
    return render_template(template, form=form, token=token)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RESET_LIMIT"], methods=["POST"], error_message=_rate_limited_message)
def reset_password(token: str):
    return _token_page(service.RESET, token, "accounts/reset.html")


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["RESET_LIMIT"], methods=["POST"], error_message=_rate_limited_message)
def accept_invitation(token: str):
    return _token_page(service.INVITE, token, "accounts/invitation.html")


# --- profile ----------------------------------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile():
    form = ProfileForm(obj=current_user, locale=current_user.locale)
    password_form = ChangePasswordForm(prefix="pw")
    if form.validate_on_submit():
        with unit_of_work() as work:
            service.update_profile(current_user, name_latin=form.name_latin.data, **form.profile_values())
            work.flash(_("Your profile is saved."))
        if work.ok:
            session["locale"] = current_user.locale
            return redirect(url_for("accounts.profile"))
    if request.method == "GET":
        form.gender.data = current_user.gender or ""
    return render_template("accounts/profile.html", form=form, password_form=password_form)


@bp.post("/profile/password")
@signed_in
def change_password():
    form = ProfileForm(obj=current_user, locale=current_user.locale, formdata=None)
    password_form = ChangePasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        with unit_of_work(AccountError, field=password_form.password) as work:
            service.change_password(current_user, password_form.current.data, password_form.password.data)
            work.flash(_("Your password is changed. Other devices are signed out."))
        if work.ok:
            # The change ended every session; keep this one alive with the new version.
            login_user(current_user)
            return redirect(url_for("accounts.profile"))
    form.gender.data = current_user.gender or ""
    return render_template("accounts/profile.html", form=form, password_form=password_form), 400


@bp.get("/profile/export.json")
@signed_in
def export_my_data():
    """The learner's own personal data (Law 09-08, right of access)."""
    data = service.export_user_data(current_user)
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False, indent=2, default=str), mimetype="application/json"
    )
    response.headers["Content-Disposition"] = "attachment; filename=tadrib-my-data.json"
    return response


# --- inviting learners (trainers and admins) -----------------------------------------------------


@bp.route("/invite", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def invite_learner():
    form = InviteLearnerForm(locale=current_user.locale)
    if form.validate_on_submit():
        with unit_of_work(AccountError, field=form.email) as work:
            user = _create_and_invite(form, ("learner",))
            work.flash(_("Invitation sent to %(email)s.", email=user.email))
        if work.ok:
            return redirect(url_for("accounts.invite_learner"))
    return render_template("accounts/invite.html", form=form)


# --- administration ---------------------------------------------------------------------------


@bp.get("/users")
@roles_required("admin")
def admin_users():
    query = request.args.get("q", "")[:100]
    role = request.args.get("role", "")
    active = request.args.get("active", "")
    page = paginate(service.search_users(query, role, active), current_app.config["USERS_PER_PAGE"])
    return render_template("accounts/admin_users.html", page=page, q=query, role=role, active=active)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def admin_new_user():
    form = AdminUserForm(locale=current_user.locale)
    if form.validate_on_submit():
        roles = form.roles()
        if not roles:
            form.role_learner.errors = [_("Choose at least one role.")]
        else:
            with unit_of_work(AccountError, field=form.email) as work:
                user = _create_and_invite(form, tuple(roles))
                work.flash(_("Account created; invitation sent to %(email)s.", email=user.email))
            if work.ok:
                return redirect(url_for("accounts.admin_user", user_id=user.id))
    return render_template("accounts/admin_new_user.html", form=form)


def _create_and_invite(form, roles: tuple[str, ...]) -> User:
    """The account typed in ``form`` (an invitation form: e-mail, names, profile), with ``roles``, invited."""
    user = service.create_user(
        form.email.data, form.name_latin.data, **form.profile_values(), roles=roles, actor=current_user
    )
    service.invite_user(user, current_user)
    return user


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users/<int:user_id>")
@roles_required("admin")
def admin_user(user_id: int, edit_form=None):
    user = _user_or_404(user_id)
    roles_form = RolesForm(
        formdata=None, role_learner=user.is_learner, role_trainer=user.is_trainer, role_admin=user.is_admin
    )
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == "user_account", AuditEvent.object_id == str(user.id))
        .order_by(AuditEvent.id.desc())
        .limit(20)
    ).all()
    return render_template(
        "accounts/admin_user.html",
        user=user,
        roles_form=roles_form,
        confirm=ConfirmForm(),
        events=events,
        **_admin_edit_context(user, edit_form, events),
    ), (400 if edit_form is not None and edit_form.errors else 200)


def _admin_edit_context(user: User, form, events) -> dict:
    """The edit form (the one submitted, with its errors, or a fresh one) and the history as sentences."""
    from ..audit.views import describe

    if form is None:
        form = AdminEditUserForm(obj=user, formdata=None, locale=current_user.locale)
        form.gender.data = user.gender or ""
        form.profession.data = user.profession or ""
        form.jurisdiction.data = user.jurisdiction or ""
    return {"edit_form": form, "history": describe(events)}


@bp.post("/users/<int:user_id>/edit")
@roles_required("admin")
def admin_user_edit(user_id: int):
    """Name (both scripts), e-mail address, profession, jurisdiction, gender: corrected by an administrator."""
    user = _user_or_404(user_id)
    form = AdminEditUserForm(locale=current_user.locale)
    if form.validate_on_submit():
        with unit_of_work(AccountError, field=form.email) as work:
            changed = service.admin_update_user(user, current_user, **form.values())
            work.flash(_("The account is saved.") if changed else _("Nothing was changed."))
        if work.ok:
            if user.id == current_user.id and changed:
                login_user(current_user)  # a new e-mail ended this session too: keep the admin's own one
            return redirect(url_for("accounts.admin_user", user_id=user.id))
    return admin_user(user_id, edit_form=form)


@bp.post("/users/<int:user_id>/roles")
@roles_required("admin")
def admin_user_roles(user_id: int):
    user = _user_or_404(user_id)
    form = RolesForm()
    if form.validate_on_submit():
        with unit_of_work(AccountError) as work:
            service.set_roles(user, form.roles(), current_user)
            work.flash(_("Roles saved."))
    return redirect(url_for("accounts.admin_user", user_id=user.id))


@bp.post("/users/<int:user_id>/active")
@roles_required("admin")
def admin_user_active(user_id: int):
    user = _user_or_404(user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        active = request.form.get("active") == "1"
        with unit_of_work(AccountError) as work:
            service.set_active(user, active, current_user)
            work.flash(_("Account reactivated.") if active else _("Account deactivated."))
    return redirect(url_for("accounts.admin_user", user_id=user.id))


@bp.post("/users/<int:user_id>/invite")
@roles_required("admin")
def admin_user_invite(user_id: int):
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            service.invite_user(user, current_user)
            work.flash(_("Invitation sent to %(email)s.", email=user.email))
    return redirect(url_for("accounts.admin_user", user_id=user.id))


# --- sign-in lock-outs ------------------------------------------------------------------------------


@bp.get("/sign-in-locks")
@roles_required("admin")
def sign_in_locks():
    """Accounts locked out by failed sign-ins, and addresses at half their limit or more; each can be lifted."""
    account_max, window = lockout.limit(lockout.ACCOUNT_LIMIT)
    address_max, _window = lockout.limit(lockout.ADDRESS_LIMIT)
    return render_template(
        "accounts/sign_in_locks.html",
        accounts=lockout.locked_accounts(),
        addresses=lockout.busy_addresses(),
        account_max=account_max,
        address_max=address_max,
        minutes=int(window.total_seconds() // 60),
        confirm=ConfirmForm(),
    )


@bp.post("/sign-in-locks/accounts/<int:user_id>")
@roles_required("admin")
def lift_account_lock(user_id: int):
    user = _user_or_404(user_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            lockout.lift_account(user, current_user)
            work.flash(_("%(email)s can sign in again.", email=user.email))
    return redirect(url_for("accounts.sign_in_locks"))


@bp.post("/sign-in-locks/addresses")
@roles_required("admin")
def lift_address_lock():
    address = request.form.get("address", "").strip()[:45]
    if ConfirmForm().validate_on_submit() and address:
        with unit_of_work() as work:
            lockout.lift_address(address, current_user)
            work.flash(_("Sign-ins from %(address)s are allowed again.", address=address))
    return redirect(url_for("accounts.sign_in_locks"))
