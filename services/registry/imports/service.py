"""Importing a sheet row by row through the very service functions the single-item POSTs use: each row is
validated by the same Create model, written in its own transaction with its event through the outbox, and a
row that fails leaves nothing behind."""

import logging

from pydantic import BaseModel, ValidationError

from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.errors import DomainError
from services.registry.imports.columns import (
    OWNER,
    POSTING_KINDS,
    Columns,
    ImportKind,
    columns_for,
    create_model_of,
    infer_kind,
    row_body,
)
from services.registry.imports.parsing import Row, Sheet
from services.registry.imports.schemas import ImportReport, RowCreated, RowError
from services.registry.orgs import service as orgs
from services.registry.orgs.repository import OrgRepository
from services.registry.postings.service import create_posting
from services.registry.validation import describe

log = logging.getLogger(__name__)


class RowFailed(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))
        self.problems = problems  # (field path, message)


def validated(model: type[BaseModel], body: dict) -> BaseModel:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise RowFailed([(d["field"], d["msg"]) for d in describe(error.errors(include_url=False))]) from error


async def import_sheet(box: Container, caller: Caller, sheet: Sheet, kind: ImportKind | None) -> ImportReport:
    caller.require("organiser")
    columns = columns_for(sheet.header, kind or infer_kind(sheet.header))
    created: list[RowCreated] = []
    errors: list[RowError] = []
    for row in sheet.rows:
        try:
            created.append(await import_row(box, caller, columns, row))
        except RowFailed as failure:
            errors.extend(RowError(row=row.number, field=f, column=_heading(columns, f), message=m)
                          for f, m in failure.problems)
        except DomainError as error:
            field = error.field or "row"
            errors.append(RowError(row=row.number, field=field, column=_heading(columns, field),
                                   message=error.message))
    failed = len({e.row for e in errors})
    log.info("import of %s by %s: %d imported, %d failed", columns.kind, caller.org_id, len(created), failed)
    return ImportReport(kind=columns.kind, imported=len(created), failed=failed, created=created, errors=errors)


def _heading(columns: Columns, field: str) -> str | None:
    top = field.split(".")[0].split("[")[0]
    return columns.headings[columns.fields.index(top)] if top in columns.fields else None


async def import_row(box: Container, caller: Caller, columns: Columns, row: Row) -> RowCreated:
    body, owner = row_body(columns, row.cells)
    model = create_model_of(columns.kind)
    if columns.kind == "orgs":
        registered = await orgs.register_org(box, validated(model, body))  # type: ignore[arg-type]
        return RowCreated(row=row.number, id=registered.id, name=registered.name, api_key=registered.api_key)
    problems = [] if owner else [(OWNER, "is required: the id of the organisation the posting belongs to")]
    try:
        posting = validated(model, body)
    except RowFailed as failure:
        raise RowFailed(problems + failure.problems) from failure
    if problems:
        raise RowFailed(problems)
    if await OrgRepository(box.db).get(owner) is None:  # type: ignore[arg-type]
        raise RowFailed([(OWNER, f"no organisation {owner} is registered")])
    kind = POSTING_KINDS[columns.kind]
    try:
        public = await create_posting(box, kind, caller, posting, on_behalf_of=owner)
    except DomainError as error:
        raise RowFailed([(error.field or OWNER, error.message)]) from error
    fields = public.model_dump()
    return RowCreated(row=row.number, id=fields["id"], name=fields.get("title") or fields.get("name"),
                      org_id=fields["org_id"])
