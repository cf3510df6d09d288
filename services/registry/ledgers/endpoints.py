from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from services.registry.deps import Box, CurrentCaller
from services.registry.errors import Invalid
from services.registry.ledgers import export, service
from services.registry.ledgers.service import LedgerName
from services.registry.ledgers.store import MongoLedgerStore
from services.registry.ledgers.tables import Grouping

router = APIRouter(prefix="/v1/ledgers", tags=["ledgers"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def check_period(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise Invalid(f"from {since} is after to {until}", field="query parameter from")


@router.get("/{name}", summary="A ledger (台账) as JSON, CSV or XLSX, with Chinese headers and a totals row",
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
async def read_ledger(
    name: LedgerName, box: Box, caller: CurrentCaller,
    since: Annotated[date | None, Query(alias="from", description="First day, inclusive")] = None,
    until: Annotated[date | None, Query(alias="to", description="Last day, inclusive")] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="json, csv (UTF-8 with BOM) or xlsx")] = "json",
    by: Annotated[Grouping, Query(description="Grouping of contract-turnover (month, quarter, year, kind, party_type, "
                                              "summit) and of the funnel's periods")] = "month",
    as_of: Annotated[date | None, Query(description="firms: the day expiry warnings are computed for")] = None,
) -> Response:
    """Organisers and admins. Ledgers are read models kept current from events, not scans of the catalogue."""
    caller.require("organiser")
    check_period(since, until)
    table = await service.ledger(MongoLedgerStore(box.db), name, since, until, by, as_of or box.settings.today())
    stem = "_".join(p for p in (name, since and since.isoformat(), until and until.isoformat()) if p)
    if format == "csv":
        return Response(export.to_csv(table), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'})
    if format == "xlsx":
        return Response(export.to_xlsx(table), media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'})
    return JSONResponse(table.as_json(since and since.isoformat(), until and until.isoformat()))
