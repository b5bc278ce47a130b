"""The notifications pages: a person's own notifications and e-mail choices; for admins, the mails that did not
leave."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from flask_login import current_user

from ..core.access import roles_required, signed_in
from ..core.database import write_transaction
from ..core.forms import ConfirmForm, safe_next_url
from ..core.pagination import paginate
from ..core.work import unit_of_work
from ..extensions import db
from ..i18n import _, ngettext
from . import bp, rules, service
from .forms import PreferencesForm


@bp.get("")
@signed_in
def index():
    page = paginate(service.own_statement(current_user.id), current_app.config.get("NOTIFICATIONS_PER_PAGE", 20))
    return render_template("notifications/index.html", page=page, confirm=ConfirmForm())


@bp.post("/read")
@signed_in
def mark_all_read():
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            service.mark_read(current_user.id)
            work.flash(_("All your notifications are marked as read."))
    return redirect(url_for("notifications.index"))


@bp.get("/<int:notification_id>/open")
@signed_in
def open_one(notification_id: int):
    """Mark one of the person's notifications read and go where it points (a path of this site only)."""
    user_id = current_user.id
    notification = service.own_notification(user_id, notification_id)
    if notification is None:
        abort(404)  # someone else's: as if it did not exist
    link = notification.link
    if notification.read_at is None:
        # a GET that writes: the write lock only now, for this one UPDATE (see core.database.write_transaction)
        db.session.rollback()
        with write_transaction():
            service.mark_read(user_id, [notification_id])
            db.session.commit()
    return redirect(safe_next_url(link, url_for("notifications.index")))


@bp.route("/preferences", methods=["GET", "POST"])
@signed_in
def preferences():
    form = PreferencesForm.build(service.preferences(current_user.id))
    if form.validate_on_submit():
        with unit_of_work() as work:
            service.save_preferences(current_user.id, form.choices())
            work.flash(_("Your choices are saved."))
        if work.ok:
            return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", form=form, kinds=rules.KINDS)


# --- admins: mails that did not leave ----------------------------------------------------------------------------


@bp.get("/admin/deliveries")
@roles_required("admin")
def admin_deliveries():
    page = paginate(service.troubled_deliveries_statement(), current_app.config.get("DELIVERIES_PER_PAGE", 50))
    return render_template("notifications/admin_deliveries.html", page=page, confirm=ConfirmForm())


@bp.post("/admin/deliveries/<int:delivery_id>/retry")
@roles_required("admin")
def retry_delivery(delivery_id: int):
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            if service.retry(delivery_id, current_user):
                work.flash(_("The mail is queued to be sent again."))
            else:
                work.flash(
                    _("This mail no longer waits to be sent again: it left, or someone sent it again."),
                    "warning",
                )
    return redirect(url_for("notifications.admin_deliveries"))


@bp.post("/admin/deliveries/retry-all")
@roles_required("admin")
def retry_all_deliveries():
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            count = service.retry_all(current_user)
            if count:
                work.flash(
                    ngettext(
                        "%(num)d mail is queued to be sent again.", "%(num)d mails are queued to be sent again.", count
                    )
                )
            else:
                work.flash(_("No failed mail to send again."), "warning")
    return redirect(url_for("notifications.admin_deliveries"))
