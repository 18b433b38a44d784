"""Name search for the one-click check (一键查询): normalised names, one interface, two engines.

``normalise`` is pure (names and queries to their searchable form); ``index`` finds subjects by
name fragment (SQLite FTS5 trigram or PostgreSQL pg_trgm, one :class:`SearchIndex` interface) and
by identifier.
"""

from xinyong.search.index import (
    MAX_LIMIT,
    MAX_TOTAL,
    Hit,
    SearchIndex,
    SearchPage,
    by_identifier,
    rebuild,
    refresh_name_search,
    search,
    search_index_for,
)
from xinyong.search.normalise import normalise_name, normalise_query

__all__ = [
    "MAX_LIMIT",
    "MAX_TOTAL",
    "Hit",
    "SearchIndex",
    "SearchPage",
    "by_identifier",
    "normalise_name",
    "normalise_query",
    "rebuild",
    "refresh_name_search",
    "search",
    "search_index_for",
]
