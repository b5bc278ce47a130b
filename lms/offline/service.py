"""What one person stores to read one course without a connection: the pack manifest (``pack``).

Every entry is a page the person may open, once per language they read in: their profile's language, and the
other of French and Arabic where the page exists in it (English only when it is their own language). Each entry
has a ``version`` that changes when its content does, so that a device fetches again only what changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app, url_for
from flask_babel import force_locale, gettext
from sqlalchemy import select

from ..certificates.models import Certificate
from ..content.models import ArticleCitation, Course, GlossaryTerm, LibraryArticle, LibraryInstrument, Module
from ..core.menu import asset_url
from ..extensions import db
from ..i18n import format_locale

#: the static files every stored page needs (the pages of a pack load these and nothing else)
ASSETS = ("tadrib.css", "tadrib.js", "favicon.svg", "offline.js")
#: the reading languages a pack may hold besides the person's own
PACK_LANGUAGES = ("fr", "ar")


def _hash(*parts) -> str:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:16]


def _templates_version() -> str:
    """Changes with the offline pages' templates (and the layout they extend): their stored copies follow."""
    cache = current_app.extensions.setdefault("tadrib_offline", {})
    if "templates" not in cache:
        root = Path(current_app.root_path).parent / "templates"
        files = [root / "base.html", *sorted((root / "offline").glob("*.html"))]
        cache["templates"] = _hash(*(hashlib.sha256(f.read_bytes()).hexdigest() for f in files))
    return cache["templates"]


def languages_of(user) -> list[str]:
    """The person's language first, then French and Arabic."""
    own = user.locale if user.locale in current_app.config["LANGUAGES"] else "fr"
    return [own, *[lang for lang in PACK_LANGUAGES if lang != own]]


def strings(languages: list[str]) -> dict:
    """The sentences the service worker writes into a stored page, in each language of the pack."""
    found = {}
    for lang in languages:
        with force_locale(lang):
            found[lang] = {
                "copy": gettext("Offline copy from %(date)s", date="{date}"),
                "missing": gettext("not stored on this device"),
                "intl": format_locale(lang).replace("_", "-"),
            }
    return found


def pack(user, course: Course) -> dict:
    """The pack manifest of ``course`` for ``user`` (the caller checked ``content.can_open``)."""
    languages = languages_of(user)
    own = languages[0]
    entries: list[dict] = []

    def add(key: str, version: str, langs, with_locale: bool = True) -> None:
        for lang in langs:
            entries.append(
                {
                    "url": f"{key}?locale={lang}" if with_locale else key,
                    "key": key,
                    "lang": lang if with_locale else None,
                    "version": version,
                }
            )

    add(url_for("content.course", course_slug=course.slug), _hash("course", course.version), languages)
    modules = list(
        db.session.scalars(
            select(Module).where(Module.course_id == course.id, Module.is_archived.is_(False)).order_by(Module.position)
        )
    )
    for module in modules:
        langs = [lang for lang in languages if lang == own or lang in (module.locales or ())]
        add(
            url_for("content.module", course_slug=course.slug, module_slug=module.slug),
            _hash("module", module.source_hash, course.version),
            langs,
        )
    cited = db.session.execute(
        # each article once: cited articles as a subquery (PostgreSQL has no DISTINCT over the JSON columns)
        select(LibraryArticle, LibraryInstrument)
        .join(LibraryInstrument, LibraryInstrument.id == LibraryArticle.instrument_id)
        .where(
            LibraryArticle.id.in_(
                select(ArticleCitation.article_id).where(
                    ArticleCitation.module_id.in_([m.id for m in modules] or [0]),
                    ArticleCitation.question_id.is_(None),
                )
            ),
            LibraryArticle.is_archived.is_(False),
        )
        .order_by(LibraryInstrument.position, LibraryInstrument.slug, LibraryArticle.position)
    ).all()
    for article, instrument in cited:
        # the article page shows every language's text: one copy per reading language of the person
        add(
            url_for("library.article", instrument_slug=instrument.slug, article_slug=article.slug),
            _hash("article", article.source_hash, instrument.source_hash),
            languages,
        )
    glossary = db.session.scalars(select(GlossaryTerm.source_hash).where(GlossaryTerm.is_archived.is_(False)))
    add(url_for("library.glossary"), _hash("glossary", *sorted(glossary)), languages)
    pages = _templates_version()
    add(url_for("offline.index"), pages, languages)
    add(url_for("offline.missing"), pages, languages)
    for lang in languages:
        entries.append(
            {
                "url": url_for("offline.missing", kind="action", locale=lang),
                "key": url_for("offline.missing", kind="action"),
                "lang": lang,
                "version": pages,
            }
        )
    # The person's own certificates for this course, not revoked (a revoked one leaves the device at the next
    # refresh). One that waits for a survey answers with a redirect: the device skips it.
    for serial, revoked in db.session.execute(
        select(Certificate.serial, Certificate.revoked_at)
        .where(Certificate.user_id == user.id, Certificate.course_id == course.id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.serial)
    ):
        add(url_for("certificates.download", serial=serial), _hash("certificate", serial, revoked), [None], False)
    return {
        "course": course.slug,
        "title": course.text("title", own),
        "version": _hash(*(e["url"] + e["version"] for e in entries)),
        "languages": languages,
        "entries": entries,
        "assets": [asset_url(name) for name in ASSETS],
        "strings": strings(languages),
    }
