"""Keeping mongoeco's per-collection "feature" answers across writes, in the embedded MongoDB server.

Before it plans a query, mongoeco's SQLite engine asks questions about the whole collection: does this field
ever hold an array, a tagged bytes or decimal value, non-ASCII text, a value of another type than the one
compared with? Each answer is a full scan (`SELECT 1 FROM documents WHERE ... LIMIT 1` reads everything when
the answer is no, the common case) and is cached, but every write to the collection drops all its answers.
Interleaved writes and queries, which is all a service does, therefore scan the whole collection on almost
every command: milliseconds at a few thousand documents, growing with the collection.

Here the answers survive writes. A trigger numbers every inserted or updated document in a journal table;
each answer remembers the journal number it has seen. Before an answer is used, the documents written since
are asked the same question, with the engine's own SQL (its `FROM documents` narrowed to them), and merged:
- "does any document have X?" that was no becomes yes when a written document has X; a yes stays yes (a yes
  only sends the engine down its slower, always-correct path, so a stale yes is safe);
- "do all documents share sort type T?" stays T only when the written documents are all T, else no (no is
  the safe answer).
A rollback drops every unsafe answer (the journal's numbers are reused after one); so does a journal that was
trimmed past an answer's number. Deletes need nothing: they can only make a safe answer stale.
"""

import sqlite3
import threading
from typing import Any

JOURNAL = "duijie_written_documents"
KEEP = 200_000  # journal rows kept; an answer older than that is asked of the whole collection again
UNIFORM = "uniform_scalar_sort_type"
# feature → (engine method, how many ":"-separated arguments follow the field)
FEATURES = {
    UNIFORM: ("_field_has_uniform_scalar_sort_type_in_collection", 0),
    "comparison_mismatch": ("_field_has_comparison_type_mismatch_in_collection", 1),
    "scalar_or_array_comparison_mismatch": ("_field_has_scalar_or_array_element_type_mismatch_in_collection", 1),
    "traverses_array": ("_field_traverses_array_in_collection", 0),
    "traverses_dbref": ("_field_traverses_dbref_in_collection", 0),
    "tagged_type": ("_field_contains_tagged_value_type_in_collection", 1),
    "top_level_array": ("_field_is_top_level_array_in_collection", 0),
    "contains_real_numeric": ("_field_contains_real_numeric_in_collection", 0),
    "contains_non_ascii_text": ("_field_contains_non_ascii_text_in_collection", 0),
}


def install_journal(connection: sqlite3.Connection) -> None:
    """The journal table, its index and the triggers filling it (in the database file, seen by every reader)."""
    connection.execute(f"CREATE TABLE IF NOT EXISTS {JOURNAL} (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                       "db_name TEXT NOT NULL, coll_name TEXT NOT NULL, storage_key TEXT NOT NULL)")
    connection.execute(f"CREATE INDEX IF NOT EXISTS {JOURNAL}_by_collection ON {JOURNAL} (db_name, coll_name, seq)")
    for event in ("INSERT", "UPDATE"):
        connection.execute(
            f"CREATE TRIGGER IF NOT EXISTS {JOURNAL}_on_{event.lower()} AFTER {event} ON documents BEGIN "
            f"INSERT INTO {JOURNAL} (db_name, coll_name, storage_key) "
            f"VALUES (NEW.db_name, NEW.coll_name, NEW.storage_key); "
            f"DELETE FROM {JOURNAL} WHERE seq <= (SELECT max(seq) FROM {JOURNAL}) - {KEEP}; END")
    connection.commit()


def _feature(key: tuple[str, str, str]) -> str:
    return key[2].split(":", 1)[0]


def _safe(feature: str, answer: Any) -> bool:
    """An answer that can only send the engine down its slower, always-correct path."""
    if feature not in FEATURES:
        return False
    return answer is False if feature == UNIFORM else answer is True


def _merge(feature: str, before: Any, written: Any) -> Any:
    if feature == UNIFORM:
        return before if written == before else False
    return bool(before) or bool(written)


class _Narrowed:
    """A connection whose `FROM documents` means only the journal's documents numbered in (after, upto]."""

    def __init__(self, connection: sqlite3.Connection, after: int, upto: int) -> None:
        self._connection = connection
        # CROSS JOIN: SQLite walks the few journal rows and looks each document up by its primary key.
        self._source = (f"FROM (SELECT DISTINCT d.db_name, d.coll_name, d.storage_key, d.document "
                        f"FROM {JOURNAL} AS j CROSS JOIN documents AS d ON d.db_name = j.db_name "
                        f"AND d.coll_name = j.coll_name AND d.storage_key = j.storage_key "
                        f"WHERE j.seq > {int(after)} AND j.seq <= {int(upto)}) AS documents")

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        return self._connection.execute(sql.replace("FROM documents", self._source), *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class FeatureCache(dict):
    """The engine's feature cache, kept across writes (see the module docstring)."""

    def __init__(self, engine: Any) -> None:
        super().__init__()
        self._engine = engine
        self.seen: dict[tuple[str, str, str], int] = {}  # answer → the journal number it has seen
        self._local = threading.local()  # the narrowed connection, while this thread catches an answer up

    @property
    def narrowed(self) -> "_Narrowed | None":
        return getattr(self._local, "narrowed", None)

    def _connection(self) -> sqlite3.Connection:
        return self._engine._session_runtime.require_connection(None)

    def _journal_end(self, connection: sqlite3.Connection, db_name: str, coll_name: str) -> int:
        row = connection.execute(f"SELECT max(seq) FROM {JOURNAL} WHERE db_name = ? AND coll_name = ?",
                                 (db_name, coll_name)).fetchone()
        return int(row[0] or 0)

    # -- the engine's own uses ----------------------------------------------------------------------
    def __contains__(self, key: object) -> bool:
        if self.narrowed is None and super().__contains__(key):
            self._catch_up(key)  # type: ignore[arg-type]
        return super().__contains__(key)

    def __setitem__(self, key: tuple[str, str, str], value: Any) -> None:
        super().__setitem__(key, value)
        if self.narrowed is None:  # a whole-collection answer, as of this connection's view
            self.seen[key] = self._journal_end(self._connection(), key[0], key[1])

    def pop(self, key: Any, *default: Any) -> Any:
        """The engine drops a collection's answers after each write: they are kept and caught up on use."""
        if super().__contains__(key):
            return super().__getitem__(key)
        return super().pop(key, *default)

    def clear(self) -> None:
        """A rollback (or a reconnect): unsafe answers are dropped, safe ones kept."""
        for key, answer in list(self.items()):
            if not _safe(_feature(key), answer):
                self._forget(key)

    def _forget(self, key: tuple[str, str, str]) -> None:
        super().pop(key, None)
        self.seen.pop(key, None)

    # -- asking the documents written since -----------------------------------------------------------
    def _catch_up(self, key: tuple[str, str, str]) -> None:
        answer = super().__getitem__(key)
        feature = _feature(key)
        if _safe(feature, answer):
            return
        connection = self._connection()
        end = self._journal_end(connection, key[0], key[1])
        after = self.seen.get(key, 0)
        if end <= after:
            return
        oldest = connection.execute(f"SELECT min(seq) FROM {JOURNAL}").fetchone()[0] or 0
        method, extra = FEATURES.get(feature, (None, 0))
        if method is None or oldest > after + 1:
            self._forget(key)  # unknown, or written past what the journal keeps: ask the whole collection
            return
        rest = key[2].split(":", 1)[1]
        arguments = rest.rsplit(":", extra) if extra else [rest]
        super().pop(key, None)
        self._local.narrowed = _Narrowed(connection, after, end)
        try:
            getattr(self._engine, method)(key[0], key[1], *arguments)
            written = super().pop(key, None)
        except BaseException:
            self.seen.pop(key, None)
            raise
        finally:
            self._local.narrowed = None
        super().__setitem__(key, _merge(feature, answer, written))
        self.seen[key] = end


def rolled_back(engine: Any) -> None:
    """After a rollback: the engine's answers that may describe documents that are gone are dropped."""
    engine._cache_state.collection_features_cache.clear()


def keep_features_across_writes(engine: Any) -> FeatureCache:
    """Installs the lasting feature cache on a (not yet connected) mongoeco SQLiteEngine."""
    cache = FeatureCache(engine)
    engine._cache_state.collection_features_cache = cache
    require, connect = engine._require_connection, engine._connect_sync

    def connect_and_journal() -> None:
        connect()
        install_journal(engine._connection)

    def require_connection(context: Any = None) -> Any:
        connection = require(context)
        return cache.narrowed if cache.narrowed is not None else connection

    engine._require_connection = require_connection
    engine._connect_sync = connect_and_journal
    return cache
