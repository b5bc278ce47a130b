"""The offline pages: ``/offline`` (what this device stores), ``/offline/missing`` (a page not stored),
``/offline/courses/<slug>.json`` (the pack manifest of one course for the signed-in person) and
``/offline/sw.js`` (the service worker, served here so that its scope may be the whole site)."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, jsonify, render_template, request, url_for
from flask_login import current_user

from ..content import service as content
from ..core.access import public, signed_in
from ..core.menu import asset_url
from ..i18n import _
from . import bp, service


def _strings() -> dict:
    """The sentences offline.js shows (it has none of its own)."""
    return {
        "make": _("Make available offline"),
        "storing": _("Storing for offline use… %(done)s of %(total)s", done="{n}", total="{total}"),
        "available": _("Available offline · %(size)s · stored on %(date)s", size="{size}", date="{date}"),
        "remove": _("Remove from this device"),
        "update": _("Update"),
        "failed": _("Could not store this course: check the connection and try again."),
        "removed": _("Removed from this device."),
        "stored_on": _("Stored on"),
        "size": _("Size"),
        "pages": _("Pages"),
        "none": _("No course is stored on this device yet. Open a course and choose “Make available offline”."),
    }


@bp.get("")
@signed_in
def index():
    return render_template("offline/index.html", offline_strings=_strings())


@bp.get("/missing")
@public
def missing():
    return render_template("offline/missing.html", action=request.args.get("kind") == "action")


@bp.get("/courses/<course_slug>.json")
@signed_in
def pack(course_slug: str):
    course = content.course_by_slug(course_slug)
    # Any course the person may not open is no course at all (404, not 403): the device then removes its copy.
    if course is None or course.is_archived or not content.can_open(current_user, course):
        abort(404)
    return jsonify(service.pack(current_user, course))


SW_PATH = Path(__file__).resolve().parent.parent / "static" / "sw.js"


@bp.get("/sw.js")
@public
def service_worker():
    response = current_app.response_class(SW_PATH.read_bytes(), mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = (request.script_root or "") + "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


def sw_url() -> str:
    """The service worker's address, versioned by its content (``data-sw`` on signed-in pages)."""
    cache = current_app.extensions.setdefault("tadrib_sw_url", {})
    url = cache.get(request.script_root)
    if url is None:  # once per mount point per process, like asset_url
        url = cache[request.script_root] = url_for("offline.service_worker", v=asset_url("sw.js").rpartition("v=")[2])
    return url


def course_button_context(course) -> dict:
    """What the course page's "Make available offline" block needs."""
    return {
        "manifest": url_for("offline.pack", course_slug=course.slug),
        "slug": course.slug,
        "strings": _strings(),
    }


def _intl_locale(lang: str) -> str:
    """The locale JavaScript formats dates and sizes with, as the server does (Arabic: Morocco's, Latin digits)."""
    from ..i18n import format_locale

    return format_locale(lang).replace("_", "-")


@bp.app_template_global()
def offline_sw_url() -> str:
    return sw_url()


@bp.app_template_global()
def offline_pack_block(course) -> dict:
    return course_button_context(course)


@bp.app_template_global()
def offline_intl_locale(lang: str) -> str:
    return _intl_locale(lang)
