"""The search index: one row per thing found (a module, a library article, a case note, a glossary term) in one
language. Rebuilt whole by ``search.service.rebuild_index`` after each content sync, never by a request.

The engine's own structures are not models (migration 0020 makes them, ``lms.extensions.include_name`` keeps
them out of the model/migration comparison): on SQLite the FTS5 table ``search_fts`` (external content: this
table, column ``normalized``, tokenizer ``unicode61 remove_diacritics 2``); on PostgreSQL the GIN index
``ix_search_document_fts`` on the column ``vector`` (``to_tsvector('simple', normalized)``).
"""

from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

KINDS = ("module", "article", "case", "term")


class SearchDocument(db.Model):
    __tablename__ = "search_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: module | article | case | term
    kind: Mapped[str] = mapped_column(String(8))
    #: what builds its address: "<course slug>/<module slug>", "<instrument>/<article>", "<case slug>",
    #: "<term slug>"
    ref: Mapped[str] = mapped_column(String(200))
    locale: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300))
    #: the original plain text (snippets are cut from it)
    body: Mapped[str] = mapped_column(Text)
    #: ``normalize(title + body)``: what the engine indexes
    normalized: Mapped[str] = mapped_column(Text)
    #: PostgreSQL only: ``to_tsvector('simple', normalized)``, written by the rebuild (ranking reads it instead of
    #: parsing the text again for every match); NULL on SQLite, whose FTS5 table holds the index
    vector: Mapped[str | None] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"))
    #: the module's course (who may see it); NULL for the library, which everyone signed in may read
    course_id: Mapped[int | None] = mapped_column()
    #: order within a kind when ranks tie (course then module position, instrument then article position)
    position: Mapped[int] = mapped_column(default=0)
