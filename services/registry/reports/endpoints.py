from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.registry.deps import Box, CurrentCaller
from services.registry.ledgers.store import CONTRACTS, FIRMS, PATENTS, MongoLedgerStore
from services.registry.reports import html
from services.registry.reports.yearly import yearly

router = APIRouter(prefix="/v1/reports", tags=["ledgers"])


@router.get("/yearly", summary="The yearly report: 技术合同交易额, 新增高新技术企业, 专利申请量/授权量, 科技型中小企业",
            responses={200: {"content": {"text/html": {}}}})
async def yearly_report(
    box: Box, caller: CurrentCaller,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Calendar year; this year if omitted")] = None,
    format: Annotated[Literal["json", "html"] | None, Query(description="json or html; else by Accept")] = None,
    accept: Annotated[str | None, Header()] = None,
) -> Response:
    """Organisers and admins. JSON, or an HTML page with an inline SVG chart per KPI (`format=html` or
    `Accept: text/html`)."""
    caller.require("organiser")
    year = year or box.settings.today().year
    store = MongoLedgerStore(box.db)
    contracts = await store.rows(CONTRACTS, f"{year - 5}-01-01", f"{year}-12-31", "signed_on")
    report = yearly(year, contracts, await store.rows(FIRMS), await store.rows(PATENTS))
    wants_html = format == "html" or (format is None and "text/html" in (accept or ""))
    return HTMLResponse(html.render(report)) if wants_html else JSONResponse(report)
