"""One interface over two full-text engines, chosen by the database's dialect: SQLite's FTS5 and PostgreSQL's
full-text search. Both index ``search_document.normalized`` (see ``normalize.py``) and answer a query in ONE
statement whatever the number of results.

- ``rebuild(documents)``: replace the whole index by ``documents`` (dicts with SearchDocument's columns), in the
  caller's transaction.
- ``query(text, locale, allowed_course_ids, limit)``: the best ``limit`` documents of each kind and how many
  matched per kind. A document matches when it holds any of the query's words (the last one as a prefix);
  those that hold all of them come first, then those in ``locale``, then by the engine's rank (bm25 / ts_rank).
  Modules of courses not in ``allowed_course_ids`` never come back (the library has no course: it always may).

The engines never see the text typed: the MATCH expression / tsquery is built here from normalised words
(letters and digits only), each quoted, so no query syntax (``"``, ``*``, ``NEAR``, ``OR``, ``:``, ``&``...) can
reach them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, insert, text

from ..extensions import db
from .models import SearchDocument
from .normalize import query_terms

#: at most this many words of a query are looked for
MAX_TERMS = 12


@dataclass(frozen=True)
class Hit:
    id: int
    kind: str
    ref: str
    locale: str
    title: str
    body: str
    course_id: int | None
    #: 0: holds every word of the query; 1: some
    tier: int


@dataclass
class Found:
    #: the normalised words looked for (the last one also as a prefix)
    terms: list[str]
    #: kind → the best hits, in order
    hits: dict[str, list[Hit]] = field(default_factory=dict)
    #: kind → how many documents matched
    counts: dict[str, int] = field(default_factory=dict)


def prefixed(terms: list[str]) -> bool:
    """Whether the last word is also looked for as a prefix (the word being typed): a word of letters of two
    characters or more. Never a number: "448-1" must not find 448-10 to 448-14 first."""
    last = terms[-1] if terms else ""
    return len(last) >= 2 and not any(ch.isdigit() for ch in last)


def _terms(raw: str) -> list[str]:
    return query_terms(raw)[:MAX_TERMS]


def _ranked_sql(matched: str) -> str:
    # ranked on ids only; the texts (a module's body is tens of KB) are read for the rows kept, never sorted
    return f"""
WITH matched AS ({matched}),
ranked AS (
  SELECT matched.id, matched.tier,
         ROW_NUMBER() OVER (PARTITION BY kind ORDER BY tier, CASE WHEN locale = :locale THEN 0 ELSE 1 END,
                            score, position, id) AS n,
         COUNT(*) OVER (PARTITION BY kind) AS total
  FROM matched
)
SELECT d.id, d.kind, d.ref, d.locale, d.title, d.body, d.course_id, ranked.tier, ranked.total
FROM ranked JOIN search_document AS d ON d.id = ranked.id
WHERE ranked.n <= :limit ORDER BY d.kind, ranked.n
"""  # noqa: S608 # nosec B608


_ALLOWED = "(d.course_id IS NULL OR d.course_id IN :courses)"


class SqliteEngine:
    """FTS5, external content: ``search_fts(normalized)`` over ``search_document`` (migration 0020)."""

    SQL = _ranked_sql(
        f"""
  SELECT d.id, d.kind, d.locale, d.position,
         bm25(search_fts) AS score,
         CASE WHEN search_fts.rowid IN (SELECT rowid FROM search_fts WHERE search_fts MATCH :every)
              THEN 0 ELSE 1 END AS tier
  FROM search_fts JOIN search_document AS d ON d.id = search_fts.rowid
  WHERE search_fts MATCH :some AND {_ALLOWED}"""  # noqa: S608 # nosec B608
    )

    @staticmethod
    def expressions(terms: list[str]) -> tuple[str, str]:
        quoted = ['"' + t.replace('"', '""') + '"' for t in terms]
        if prefixed(terms):
            quoted[-1] += "*"
        return " AND ".join(quoted), " OR ".join(quoted)

    def rebuild(self) -> None:
        db.session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))


class PostgresEngine:
    """The column ``vector`` (``to_tsvector('simple', normalized)``, written here) with its GIN index (migration
    0020), ranked by ts_rank."""

    SQL = _ranked_sql(
        f"""
  SELECT d.id, d.kind, d.locale, d.position,
         -ts_rank(d.vector, to_tsquery('simple', :some)) AS score,
         CASE WHEN d.vector @@ to_tsquery('simple', :every) THEN 0 ELSE 1 END AS tier
  FROM search_document AS d
  WHERE d.vector @@ to_tsquery('simple', :some) AND {_ALLOWED}"""  # noqa: S608 # nosec B608
    )

    @staticmethod
    def expressions(terms: list[str]) -> tuple[str, str]:
        quoted = ["'" + t.replace("\\", "").replace("'", "") + "'" for t in terms]
        if prefixed(terms):
            quoted[-1] += ":*"
        return " & ".join(quoted), " | ".join(quoted)

    def rebuild(self) -> None:
        db.session.execute(text("UPDATE search_document SET vector = to_tsvector('simple', normalized)"))


def current_engine():
    return PostgresEngine() if db.session.get_bind().dialect.name == "postgresql" else SqliteEngine()


def rebuild(documents: list[dict]) -> int:
    """Replace the index by ``documents`` in the caller's transaction (the caller commits). Returns their
    number."""
    engine = current_engine()
    db.session.execute(delete(SearchDocument))
    if documents:
        db.session.execute(insert(SearchDocument), documents)
    engine.rebuild()
    return len(documents)


def query(raw: str, locale: str, allowed_course_ids, limit: int = 10) -> Found:
    """Search the index for ``raw`` (see the module's docstring): one statement, none when the text holds no
    word."""
    terms = _terms(raw)
    found = Found(terms=terms)
    if not terms:
        return found
    engine = current_engine()
    every, some = engine.expressions(terms)
    statement = text(engine.SQL).bindparams(bindparam("courses", expanding=True))
    rows = db.session.execute(
        statement,
        {
            "every": every,
            "some": some,
            "locale": locale,
            "limit": limit,
            "courses": sorted(set(allowed_course_ids)) or [-1],
        },
    )
    for row in rows:
        hit = Hit(row.id, row.kind, row.ref, row.locale, row.title, row.body, row.course_id, row.tier)
        found.hits.setdefault(row.kind, []).append(hit)
        found.counts[row.kind] = row.total
    return found
