"""Reading the ledgers: the rows of the asked period from the read models, made into a table."""

from datetime import date
from typing import Literal

from services.registry.ledgers import tables
from services.registry.ledgers.store import CONTRACTS, FIRMS, FUNNEL, PATENTS, LedgerStore
from services.registry.ledgers.tables import Grouping, Table
from services.registry.settings import DISTRICT_TIMEZONE, today_in

LedgerName = Literal["contract-turnover", "firms", "patents", "financing", "funnel"]


async def ledger(store: LedgerStore, name: LedgerName, since: date | None, until: date | None,
                 by: Grouping = "month", as_of: date | None = None) -> Table:
    first = since.isoformat() if since else None
    last = until.isoformat() if until else None
    if name == "contract-turnover":
        return tables.contract_turnover(await store.rows(CONTRACTS, first, last, "signed_on"), first, last, by)
    if name == "financing":
        return tables.financing(await store.rows(CONTRACTS, first, last, "signed_on"), first, last)
    if name == "firms":
        return tables.firms(await store.rows(FIRMS), first, last, as_of or today_in(DISTRICT_TIMEZONE))
    if name == "patents":
        return tables.patents(await store.rows(PATENTS), first, last)
    matches = await store.rows(FUNNEL, first, last, "proposed_on")
    return tables.funnel(matches, await store.rows(CONTRACTS), first, last, by)
