"""Finds that read only what their `_id` or one of their single-field indexes selects, in the embedded MongoDB
server.

A find by `_id` (one id, or `$in`) over string and ObjectId ids reads those rows by storage key. mongoeco does so
only when the find asks for a single document that exists; a missing id (every first look for an event id, an
idempotency key, a ledger row), a find without `limit(1)` or an `_id: {$in: ...}` read the whole collection:
26–34 ms at 4,000 notifications, growing with it. The storage-key rows are the whole answer; they come in
storage-key order, the order of a scan.

mongoeco's SQLite engine keeps an entry per document for every single-field index (`scalar_index_entries`), and
its planner knows how to answer `{field: value}` or `{field: {$gt: value}}` from them, but only `explain` uses
that planner: a real find compiles a general plan that reads and parses every document of the collection
(`{"seq": 2995}` took 31–39 ms at 3,000–4,000 documents). And a filter with two conditions, or any sort, never
had a way to use an index at all; notify's sweep (`seq` above a watermark, a lease in the past, sorted by
`seq`) read the whole history every five seconds.

Here a find whose filter is one condition or an `$and` of conditions picks, among those conditions on a
single-field index, the one whose index range holds the fewest documents, reads just those documents, and
hands them to mongoeco's own filter, sort, skip, limit and projection code, the code its full scan feeds. A
find sorted ascending on that same field with a limit walks the range in order and stops at the limit, as an
index walk does: notify's sweep asks for the first 500 overdue notifications above its watermark. The
result is the same because those documents are a superset of the answer: every match satisfies each
condition of an `$and`, and the index holds every document that satisfies its condition whenever
- the value is a string or a number (not a bool, not null: a missing field has no entry);
- no document holds an array in the field, and none holds a value of another type than the one compared with
  (mongoeco's own checks, kept across writes by `deploy/mongo_features.py`);
- the index is neither sparse nor partial (mongoeco's own choice of a usable index).
Anything else, and a find with a hint, a collation or `$text`, takes the engine's usual path.

A find that names the fields it returns (an inclusion projection of plain paths) decodes only the top-level
fields its filter, sort and projection read: mongoeco decoded every stored document whole before projecting,
and notify's sweep, which asks for seven small fields, spent most of its time decoding each notification's
match data.
"""

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from bson import ObjectId
from mongoeco.core.codec import DocumentCodec
from mongoeco.core.json_compat import json_loads
from mongoeco.core.projections import apply_projection
from mongoeco.core.query_plan import (
    AndCondition,
    EqualsCondition,
    GreaterThanCondition,
    GreaterThanOrEqualCondition,
    InCondition,
    LessThanCondition,
    LessThanOrEqualCondition,
)
from mongoeco.engines._sqlite_connection import sqlite_read_scope
from mongoeco.engines.semantic_core import FiniteDocumentScan
from mongoeco.engines.sqlite import SQLiteEngine

RANGES = {GreaterThanCondition: ">", GreaterThanOrEqualCondition: ">=", LessThanCondition: "<",
          LessThanOrEqualCondition: "<="}
SELECTED = "SELECT documents.document "  # how the engine's indexed SQL begins
_KEY_COMPARED = " AND scalar_index_entries.element_key "  # and how its range SQL ends, before the comparison
_LOWER, _UPPER = (GreaterThanCondition, GreaterThanOrEqualCondition), (LessThanCondition, LessThanOrEqualCondition)
FIRST_COUNT_CAP = 64  # see `_narrowest`


def conditions_of(plan: object) -> list[object]:
    """The conditions every match must satisfy: the clauses of a (nested) `$and`, or the plan itself."""
    if isinstance(plan, AndCondition):
        return [condition for clause in plan.clauses for condition in conditions_of(clause)]
    return [plan]


def _comparable(value: object) -> str | None:
    if isinstance(value, str):
        return "string"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "number"
    return None


def _indexed_sql(engine: SQLiteEngine, db: str, coll: str, condition: object) -> tuple[str, tuple] | None:
    """(SQL, parameters) selecting the documents of `condition`'s index range, or None when it has none."""
    field = getattr(condition, "field", "")
    kind = _comparable(getattr(condition, "value", None))
    if (not field or "." in field or field == "_id" or kind is None
            or not isinstance(condition, (EqualsCondition, *RANGES))):
        return None
    index = engine._find_scalar_fast_path_index(db, coll, field)
    if (index is None or engine._field_is_top_level_array_in_collection(db, coll, field)
            or engine._field_has_comparison_type_mismatch_in_collection(db, coll, field, kind)):
        return None
    names = {"index_name": str(index["name"]), "physical_name": str(index["scalar_physical_name"])}
    if isinstance(condition, EqualsCondition):
        built = engine._build_scalar_indexed_top_level_equals_sql(db, coll, field=field, value=condition.value,
                                                                   **names)
    else:
        built = engine._build_scalar_indexed_top_level_range_sql(db, coll, field=field, value=condition.value,
                                                                  operator=RANGES[type(condition)], **names)
    return built if built is not None and built[0].startswith(SELECTED) else None


def _between(low: tuple, high: tuple) -> tuple | None:
    """A field's lower and upper bound as one index range: the lower bound's SQL with the upper bound's comparison
    added, when the engine built both alike (the same index, the same type of value); None otherwise."""
    (condition, low_sql, low_params), (_, high_sql, high_params) = low, high
    low_head, _, low_op = low_sql.rpartition(_KEY_COMPARED)
    high_head, _, high_op = high_sql.rpartition(_KEY_COMPARED)
    if (not low_head or low_head != high_head or low_params[:-1] != high_params[:-1]
            or low_op not in (">= ?", "> ?") or high_op not in ("<= ?", "< ?")):
        return None
    return condition, f"{low_sql}{_KEY_COMPARED}{high_op}", (*low_params, high_params[-1])


def usable_ranges(engine: SQLiteEngine, db: str, coll: str, plan: object) -> list[tuple]:
    """(condition, SQL, parameters) of each index range among `plan`'s conditions that can narrow it; a field
    bounded on both sides (`seq` between a and b: notify's gap lookups) is one range, read between its bounds.
    Read by one bound, such a range held every document above a (or below b): a lookup of 31 notifications
    numbered in the middle of 40,000 read 20,000 of them (620 ms of the server's CPU, against 3 ms)."""
    ranges = [(c, *built) for c in conditions_of(plan) if (built := _indexed_sql(engine, db, coll, c)) is not None]
    for low in [r for r in ranges if isinstance(r[0], _LOWER)]:
        high = next((r for r in ranges if isinstance(r[0], _UPPER) and r[0].field == low[0].field), None)
        if high is not None and (both := _between(low, high)) is not None:
            ranges = [r for r in ranges if r is not low and r is not high] + [both]
    return ranges


def _narrowest(engine: SQLiteEngine, conn: Any, db: str, coll: str, plan: object) -> tuple | None:
    """(condition, SQL, parameters) of the usable index range holding the fewest documents, or None.

    The ranges are counted up to a cap that grows fourfold until one of them holds fewer than it: that one is
    the narrowest, and no range is counted much past its size. Counted in full, the open side of a bounded
    range (`seq` ≤ b, with `kind` = x) read every entry of the index: 3.4 ms of the server's CPU per lookup at
    2,000 notifications, 22.6 ms at 30,000."""
    ranges = usable_ranges(engine, db, coll, plan)
    if len(ranges) <= 1:
        return ranges[0] if ranges else None
    cap = FIRST_COUNT_CAP
    while True:
        counts = [conn.execute(f"SELECT COUNT(*) FROM (SELECT 1 FROM ({sql}) LIMIT ?)", (*params, cap)).fetchone()[0]
                  for _, sql, params in ranges]
        if min(counts) < cap:
            return ranges[counts.index(min(counts))]
        cap *= 4


def _filter_fields(spec: object) -> set[str] | None:
    """The top-level fields a filter reads (through `$and`); None when it has another operator at its top."""
    if spec is None:
        return set()
    if not isinstance(spec, Mapping):
        return None
    fields: set[str] = set()
    for key, value in spec.items():
        if key == "$and" and isinstance(value, list):
            for clause in value:
                if (inner := _filter_fields(clause)) is None:
                    return None
                fields |= inner
        elif key.startswith("$"):
            return None
        else:
            fields.add(key.split(".", 1)[0])
    return fields


def needed_fields(semantics: Any) -> frozenset[str] | None:
    """The top-level fields a find reads when its projection only names fields to return (`_id` may be left
    out); None when it needs whole documents (no projection, an exclusion, an operator or an expression)."""
    projection = semantics.projection
    if not isinstance(projection, Mapping) or not projection:
        return None
    fields = {"_id"}
    for key, value in projection.items():
        if "$" in key or not isinstance(value, int):  # bool is an int; `$slice`, `$elemMatch`, expressions
            return None
        if value:
            fields.add(key.split(".", 1)[0])
        elif key != "_id":
            return None
    for spec in (semantics.filter_spec, semantics.selector_filter):
        if (read := _filter_fields(spec)) is None:
            return None
        fields |= read
    fields |= {str(key).split(".", 1)[0] for key, _ in semantics.sort or ()}
    return frozenset(fields)


def reader_of(engine: SQLiteEngine, fields: frozenset[str] | None) -> Callable[[str], dict]:
    """Stored payload → document as the engine decodes it, with only `fields` decoded (all of them for None)."""
    if fields is None:
        return engine._deserialize_document

    def read(payload: str) -> dict:
        parsed = json_loads(payload)
        kept = {key: value for key, value in parsed.items() if key in fields}
        if DocumentCodec._MARKER not in payload:
            return kept
        return engine._decode_codec_payload(kept, preserve_bson_wrappers=True)

    return read


def _range_rows(engine: SQLiteEngine, conn: Any, sql: str, params: tuple,
                read: Callable[[str], dict] | None = None) -> list:
    """(storage key, document) rows of an index range, in storage-key order (the order of a full scan)."""
    keyed = "SELECT DISTINCT documents.storage_key, documents.document " + sql.removeprefix(SELECTED)
    rows = conn.execute(f"SELECT * FROM ({keyed}) ORDER BY 1", params).fetchall()
    read = read or engine._deserialize_document
    return [(key, read(payload)) for key, payload in rows]


def indexed_rows(engine: SQLiteEngine, db: str, coll: str, plan: object, context: object) -> list | None:
    """The rows a find with `plan` reads: those of the narrowest usable index range among its conditions; None
    when no condition can use an index."""
    conn = engine._require_connection(context)
    with engine._bind_connection(conn), sqlite_read_scope(conn):
        narrowest = _narrowest(engine, conn, db, coll, plan)
        return None if narrowest is None else _range_rows(engine, conn, *narrowest[1:])


def _walks(semantics: Any, field: str) -> bool:
    """A find sorted ascending on `field` alone, with a limit."""
    sort = [tuple(key) for key in semantics.sort or ()]
    return sort == [(field, 1)] and bool(semantics.limit) and semantics.limit > 0


def _walk(conn: Any, sql: str, params: tuple, semantics: Any, read: Callable[[str], dict]) -> list:
    """The answer read along the index range in order, stopping at the limit (as an index walk does) instead of
    reading all of it. Equal values come in storage-key order (MongoDB leaves their order unspecified, and so
    does mongoeco)."""
    keyed = ("SELECT DISTINCT scalar_index_entries.element_key, documents.storage_key, documents.document "
             + sql.removeprefix(SELECTED))
    cursor = conn.execute(f"SELECT * FROM ({keyed}) ORDER BY 1, 2", params)
    try:
        def documents() -> Any:
            while rows := cursor.fetchmany(64):
                yield from (read(payload) for _, _, payload in rows)

        unsorted = replace(semantics, sort=None, compiled_query=None)  # the walk is already in order
        return list(FiniteDocumentScan(documents(), unsorted))
    finally:
        cursor.close()


def _narrowed(engine: SQLiteEngine, reader: Any) -> Any:
    """The answer of a find that an index range can narrow, read from that range only; None otherwise."""
    semantics = reader.semantics
    conn = engine._require_connection(reader.context)
    with engine._bind_connection(conn), sqlite_read_scope(conn):
        narrowest = _narrowest(engine, conn, reader.db_name, reader.coll_name, semantics.query_plan)
        if narrowest is None:
            return None
        condition, sql, params = narrowest
        read = reader_of(engine, needed_fields(semantics))
        if _walks(semantics, condition.field):
            return iter(_walk(conn, sql, params, semantics, read))
        rows = _range_rows(engine, conn, sql, params, read)
    python_semantics = replace(semantics, compiled_query=None)  # as the engine's own full scan filters
    documents = (document for _, document in rows)
    if semantics.sort is None:
        return FiniteDocumentScan(documents, python_semantics)
    return engine._finalize_scan_source(documents, python_semantics)


def _plain_ids(plan: object) -> tuple[object, ...] | None:
    """The ids a query plan asks for when it is only `{_id: x}` or `{_id: {$in: [...]}}` over string and ObjectId
    ids; None for any other plan."""
    if isinstance(plan, EqualsCondition) and plan.field == "_id":
        ids: tuple[object, ...] = (plan.value,)
    elif isinstance(plan, InCondition) and plan.field == "_id":
        ids = tuple(dict.fromkeys(plan.values))
    else:
        return None
    return ids if all(isinstance(i, str | ObjectId) for i in ids) else None


def _by_ids(engine: SQLiteEngine, reader: Any, ids: tuple[object, ...]) -> Any:
    semantics = reader.semantics
    found = []
    for value in ids:
        selected = engine._select_first_document_for_plan(
            reader.db_name, reader.coll_name, EqualsCondition("_id", value), context=reader.context)
        if selected is not None:
            found.append(selected)
    found.sort(key=lambda row: row[0])  # storage-key order, the order a scan of the collection gives
    documents = [apply_projection(document, semantics.projection, selector_filter=semantics.filter_spec,
                                  dialect=semantics.dialect) for _, document in found]
    return iter(documents[:abs(semantics.limit)] if semantics.limit else documents)  # a negative limit too


def narrowed_finds(engine: SQLiteEngine, scan: Any) -> Any:
    """Wraps the engine's scan opener (`_open_scan_documents_sync`): finds by `_id` read their rows by storage
    key, finds an index range can narrow read only that range; the rest are opened by `scan` as before."""

    def open_scan(reader: Any) -> Any:
        semantics = reader.semantics
        if (semantics.text_query is not None or semantics.collation is not None or semantics.hint is not None
                or engine._is_profile_namespace(reader.coll_name)):
            return scan(reader)
        ids = _plain_ids(semantics.query_plan)
        if ids is not None and semantics.sort is None and not semantics.skip:
            return _by_ids(engine, reader, ids)
        narrowed = _narrowed(engine, reader)
        return narrowed if narrowed is not None else scan(reader)

    return open_scan
