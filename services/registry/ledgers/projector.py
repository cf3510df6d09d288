"""Folds events into the ledgers' read models (台账): one row per deal, firm, patent and match.

Every event is applied once (its id is stored with its writes). Deal, organisation and result events carry
the whole aggregate with its `version`, so a row is replaced by the newest state and an older replay never
overwrites a newer one: an amended deal replaces its amount, it is not added again. Rows, not running
counters, make that exact; the tables aggregate the rows of the asked period (see tables.py).
"""

import re
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from services.contracts.catalogue import OrgData, ResultData
from services.contracts.deals import DEAL_EVENTS, DealData
from services.contracts.envelope import Envelope
from services.contracts.events import FeedbackData, MatchData
from services.contracts.summits import MeetingRequestData
from services.registry.ledgers.store import (
    CONTRACTS,
    FIRMS,
    FUNNEL,
    FUNNEL_ROW,
    PATENTS,
    RESULTS,
    LedgerStore,
    Write,
)
from services.registry.settings import DISTRICT_TIMEZONE

CERTIFICATE_YEAR = re.compile(r"^[A-Z]{0,2}((?:19|20)[0-9]{2})")
PATENT_YEAR = re.compile(r"^(?:CN|ZL)?((?:19|20)[0-9]{2})[0-9]{8}\.")
MARKS = ("match.proposed", "match.retracted")  # funnel marks written field by field, in bulk


def certified_year(certificate_no: str | None) -> int | None:
    """The year a certificate was issued, read from its number: GR202543000123 → 2025."""
    match = CERTIFICATE_YEAR.match(certificate_no or "")
    return int(match.group(1)) if match else None


def applied_year(number: str) -> int | None:
    """The application year in a post-2003 patent application number: CN202510123456.6 → 2025."""
    match = PATENT_YEAR.match(number)
    return int(match.group(1)) if match else None


def contract_row(deal: DealData) -> dict:
    return {"version": deal.version, "kind": deal.kind, "category": deal.category, "amount": deal.amount,
            "status": deal.status, "signed_on": deal.signed_on.isoformat(),
            "registered_on": deal.registered_on.isoformat() if deal.registered_on else None,
            "party_kinds": sorted(p.kind for p in deal.parties), "party_org_ids": [p.org_id for p in deal.parties],
            "summit_id": deal.summit_id, "match_id": deal.match_id, "product_type": deal.product_type}


def firm_row(org: OrgData, previous: dict | None, seen_on: str) -> dict:
    held_before = {q["code"]: q for q in (previous or {}).get("qualifications", [])}
    qualifications = []
    for q in org.qualifications:
        before = held_before.get(q.code)
        since = before["since"] if before and before.get("certificate_no") == q.certificate_no else seen_on
        qualifications.append({"code": q.code, "certificate_no": q.certificate_no,
                               "expires_on": q.expires_on.isoformat() if q.expires_on else None,
                               "certified_year": certified_year(q.certificate_no), "since": since})
    return {"version": org.version, "name": org.name, "region": org.region, "status": org.status,
            "qualifications": qualifications}


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The district's calendar day of a moment (a naive one is UTC): 2025-12-31T17:00Z is 1 January in Beijing."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone).date()


ANSWERED = ("decisions", "meetings", "summit_id")  # a funnel row's fields answers and meetings change


def _newer(current: dict | None, version: int) -> bool:
    return current is None or version >= current.get("version", 0)


class Projector:
    def __init__(self, store: LedgerStore, zone: tzinfo = ZoneInfo(DISTRICT_TIMEZONE)) -> None:
        self.store = store
        self.zone = zone

    async def handle(self, event: Envelope) -> bool:
        """Apply one event; False when it was applied before (a replay changes nothing). Match proposals and
        retractions go through `handle_many`: they keep no event id, their writes replay harmlessly."""
        if event.type in MARKS:
            await self.handle_many([event])
            return True
        if await self.store.seen(event.id):
            return False
        await self.store.apply(event.id, await self.plan(event))
        return True

    async def handle_many(self, events: list[Envelope]) -> None:
        """Events in order; match proposals and retractions in one bulk write (they commute and replay
        harmlessly, see `LedgerStore.mark_matches`), any other event one by one."""
        proposed, retracted = [], []
        for event in events:
            if event.type == "match.proposed":
                match = MatchData.model_validate(event.data)
                proposed.append((match.match_id, local_day(match.proposed_at, self.zone).isoformat(),
                                 [match.need_org_id, match.counterpart_org_id]))
            elif event.type == "match.retracted":
                retracted.append(event.data["match_id"])
            else:
                await self.handle(event)
        if proposed or retracted:
            await self.store.mark_matches(proposed, retracted)

    async def plan(self, event: Envelope) -> list[Write]:
        if event.type in DEAL_EVENTS:
            return await self._deal(DealData.model_validate(event.data))
        if event.type in ("org.registered", "org.updated"):
            return await self._org(OrgData.model_validate(event.data), event.time)
        if event.type.startswith("result."):
            return await self._result(ResultData.model_validate(event.data), event.type == "result.deleted")
        if event.type in ("match.accepted", "match.declined"):
            return await self._feedback(FeedbackData.model_validate(event.data))
        if event.type == "meeting.accepted":
            return await self._met(MeetingRequestData.model_validate(event.data))
        return []

    async def _deal(self, deal: DealData) -> list[Write]:
        if not _newer(await self.store.get(CONTRACTS, deal.id), deal.version):
            return []
        return [(CONTRACTS, deal.id, contract_row(deal))]

    async def _org(self, org: OrgData, at: datetime) -> list[Write]:
        if org.kind != "firm":
            return []
        current = await self.store.get(FIRMS, org.id)
        if not _newer(current, org.version):
            return []
        return [(FIRMS, org.id, firm_row(org, current, local_day(at, self.zone).isoformat()))]

    async def _result(self, result: ResultData, deleted: bool) -> list[Write]:
        current = await self.store.get(RESULTS, result.id)
        if not _newer(current, result.version):
            return []
        numbers_before = set((current or {}).get("patents", []))
        patents = {} if deleted else {p.number: p for p in result.patents}
        writes: list[Write] = []
        for number in numbers_before - set(patents):
            row = await self.store.get(PATENTS, number)
            if row is not None:
                others = [r for r in row["result_ids"] if r != result.id]
                writes.append((PATENTS, number, {**row, "result_ids": others} if others else None))
        for number, patent in patents.items():
            row = await self.store.get(PATENTS, number) or {"result_ids": []}
            writes.append((PATENTS, number, {
                "type": patent.type, "org_id": result.org_id, "applied_year": applied_year(number),
                "granted_on": patent.granted_on.isoformat() if patent.granted_on else None,
                "result_ids": sorted({*row["result_ids"], result.id})}))
        # The result's own row last: until it is written, a replay recomputes the patents from the old state.
        writes.append((RESULTS, result.id, {"version": result.version, "org_id": result.org_id,
                                            "patents": sorted(patents)}))
        return writes

    async def _funnel(self, match_id: str, change) -> list[Write]:
        """An existing row gets only the fields answers and meetings decide: its proposal's and retraction's
        (`LedgerStore.mark_matches`, maybe on another replica between this read and this write) stay as they are
        then, where writing the whole row read put them back. A row made here before its proposal has no
        `proposed_on` yet (not null), so the proposal's `$min` sets it."""
        current = await self.store.get(FUNNEL, match_id)
        row = current or {**FUNNEL_ROW, "decisions": {}, "meetings": {}}
        change(row)
        return [(FUNNEL, match_id, {k: row[k] for k in ANSWERED} if current else row)]

    async def _feedback(self, feedback: FeedbackData) -> list[Write]:
        def decide(row: dict) -> None:
            at = feedback.at.isoformat()
            previous = row["decisions"].get(feedback.org_id)
            if previous is None or previous["at"] <= at:
                row["decisions"][feedback.org_id] = {"decision": feedback.decision, "at": at}

        return await self._funnel(feedback.match_id, decide)

    async def _met(self, meeting: MeetingRequestData) -> list[Write]:
        if meeting.match_id is None:
            return []

        def meet(row: dict) -> None:
            row["meetings"][meeting.request_id] = meeting.summit_id
            row["summit_id"] = row["summit_id"] or meeting.summit_id

        return await self._funnel(meeting.match_id, meet)
