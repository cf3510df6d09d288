"""Asking matching for a schedule (the whole instance goes out in `schedule.requested`) and storing the
schedule it publishes: placements into `summit_meetings`, the summary (objective, bound, gap) on the summit.
"""

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession

from services.contracts import topics
from services.contracts.envelope import Envelope
from services.contracts.summits import SchedulePublishedData
from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.db import Database, retrying
from services.registry.errors import Conflict
from services.registry.events import commit
from services.registry.summits.repository import SummitRepository
from services.registry.summits.schemas import MeetingPage, MeetingPublic, ScheduleRequested, ScheduleSummary
from services.registry.summits.service import ensure_organiser, is_organiser, load_summit

log = logging.getLogger("duijie.registry.summits")
DONE = ("held", "missed")
MAX_INSTANCE_BYTES = 900_000
"""Below the broker's 1 MiB message limit: a bigger schedule.requested could never be published, and every event
committed after it would wait behind it in the outbox."""


def meeting_public(doc: dict) -> MeetingPublic:
    return MeetingPublic.model_validate({**doc, "id": doc["_id"], "checked_in": sorted(doc.get("check_ins") or {})})


def _kept(meeting: dict | None, now: datetime) -> bool:
    """A meeting a new schedule leaves where it is: held, missed, or in a slot that has begun."""
    if meeting is None:
        return False
    return meeting["status"] in DONE or (meeting["status"] == "scheduled" and meeting["start"] <= now)


def _participant_data(summit: dict, p: dict, kept: int, meets: bool) -> dict:
    """A participant as the scheduler sees it; meetings kept from earlier count against the cap. One without a
    meeting to schedule is only told of the schedule: its availability is left out."""
    cap = p.get("max_meetings")
    if kept:
        cap = max(0, min(cap or summit["max_meetings_per_participant"], summit["max_meetings_per_participant"]) - kept)
    return {"participant_id": p["_id"], "org_id": p["org_id"],
            "unavailable_slots": p["unavailable_slots"] if meets else [], "max_meetings": cap}


def instance_data(summit: dict, participants: list[dict], accepted: list[dict], stored: dict[str, dict],
                  run: int, final: bool, time_limit_s: float, now: datetime) -> dict:
    """The scheduling instance: the slots still to come and the accepted requests not kept where they are (held,
    missed or begun), with their last placement."""
    meetings = []
    kept: dict[str, int] = {}
    for r in accepted:
        m = stored.get(r["_id"])
        if _kept(m, now):
            for pid in (r["from_participant"], r["to_participant"]):
                kept[pid] = kept.get(pid, 0) + 1
            continue
        placed = m is not None and m["status"] == "scheduled"
        meetings.append({"meeting_id": r["_id"], "a": r["from_participant"], "b": r["to_participant"],
                         "score": r["score"], "previous_slot": m["slot"] if placed else None,
                         "previous_table": m["table"] if placed else None})
    meeting = {pid for m in meetings for pid in (m["a"], m["b"])}
    return {
        "summit_id": summit["_id"], "run": run, "kind": "final" if final else "preliminary",
        "slots": [s for s in summit["slots"] if s["start"] > now], "tables": summit["tables"],
        "participants": [_participant_data(summit, p, kept.get(p["_id"], 0), p["_id"] in meeting)
                         for p in participants],
        "meetings": meetings, "max_meetings_per_participant": summit["max_meetings_per_participant"],
        "time_limit_s": time_limit_s, "requested_at": now}


async def request_schedule(box: Container, caller: Caller, summit_id: str, final: bool, time_limit_s: float,
                           now: datetime) -> ScheduleRequested:
    repo = SummitRepository(box.db)
    summit = await load_summit(repo, summit_id)
    ensure_organiser(caller, summit)
    accepted = await repo.accepted_requests(summit_id)
    if not accepted:
        raise Conflict("no meeting request has been accepted yet: nothing to schedule")
    if summit["slots"][-1]["start"] <= now:
        raise Conflict("the summit's last slot has begun: there is no slot left to schedule into")
    participants = await repo.participants_of(summit_id)
    stored = {m["_id"]: m for m in await repo.meetings_of(summit_id)}
    data = instance_data(summit, participants, accepted, stored, 1, final, time_limit_s, now)
    size = len(json.dumps(data, default=str, ensure_ascii=False).encode())
    if size > MAX_INSTANCE_BYTES:
        raise Conflict(f"the summit is too large to schedule in one run ({size // 1000} kB of meetings, participants "
                       f"and slots; at most {MAX_INSTANCE_BYTES // 1000} kB)")
    data["run"] = await retrying(lambda: _next_run(box.db, repo, summit_id))
    await commit(box, _nothing, [(topics.SUMMITS, "schedule.requested", summit_id, data)])
    return ScheduleRequested(summit_id=summit_id, run=data["run"], kind=data["kind"], meetings=len(data["meetings"]),
                             participants=len(participants))


async def _next_run(db: Database, repo: SummitRepository, summit_id: str) -> int:
    """Its own short transaction: on the embedded store, plain writes racing with transactions stall."""
    async with db.transaction() as session:
        return await repo.next_schedule_run(summit_id, session)


async def _nothing(_: object) -> None:
    return None


def summary_of(data: SchedulePublishedData) -> dict:
    return {"run": data.run, "kind": data.kind, "objective": data.objective, "bound": data.bound, "gap": data.gap,
            "solver": data.solver, "status": data.status, "wall_seconds": data.wall_seconds, "moved": data.moved,
            "scheduled": len(data.assignments), "unplaced": len(data.unplaced),
            "participants_with_meeting": data.participants_with_meeting, "published_at": data.published_at}


async def _store_placements(repo: SummitRepository, data: SchedulePublishedData, requests: dict[str, dict],
                            session: AsyncClientSession) -> None:
    for a in data.assignments:
        fields = {"status": "scheduled", "slot": a.slot, "table": a.table, "table_name": a.table_name,
                  "start": a.start, "end": a.end, "unplaced_reason": None, "schedule_run": data.run,
                  "schedule_kind": data.kind}
        create = {"summit_id": data.summit_id, "participant_ids": a.participants, "org_ids": a.org_ids,
                  "score": requests.get(a.meeting_id, {}).get("score", 0.0),
                  "match_id": requests.get(a.meeting_id, {}).get("match_id"), "check_ins": {}, "no_shows": []}
        await repo.store_placement(a.meeting_id, fields, create, session)
    for u in data.unplaced:
        r = requests.get(u.meeting_id)
        if r is None:
            continue  # the request was withdrawn meanwhile
        fields = {"status": "unplaced", "slot": None, "table": None, "table_name": None, "start": None,
                  "end": None, "unplaced_reason": u.reason, "schedule_run": data.run, "schedule_kind": data.kind}
        create = {"summit_id": data.summit_id, "participant_ids": [r["from_participant"], r["to_participant"]],
                  "org_ids": [r["from_org_id"], r["to_org_id"]], "score": r["score"],
                  "match_id": r.get("match_id"), "check_ins": {}, "no_shows": []}
        await repo.store_placement(u.meeting_id, fields, create, session)


async def on_schedule_event(db: Database, event: Envelope) -> None:
    """Stores a published schedule once; an older or replayed run changes nothing."""
    if event.type != "schedule.published":
        return
    data = SchedulePublishedData.model_validate(event.data)
    repo = SummitRepository(db)
    requests = {r["_id"]: r for r in await repo.accepted_requests(data.summit_id)}
    status = "final" if data.kind == "final" else "scheduled"

    async def store() -> bool:
        async with db.transaction() as session:
            if not await repo.apply_schedule(data.summit_id, summary_of(data), status, session):
                return False
            await _store_placements(repo, data, requests, session)
        return True

    if not await retrying(store):
        return
    log.info("summit %s: stored %s schedule run %d (%d placed, %d unplaced)", data.summit_id, data.kind, data.run,
             len(data.assignments), len(data.unplaced))


async def list_meetings(box: Container, caller: Caller, summit_id: str) -> MeetingPage:
    """The organiser sees every meeting; a participating organisation sees its own."""
    repo = SummitRepository(box.db)
    summit = await load_summit(repo, summit_id)
    docs = await repo.meetings_of(summit_id)
    if not is_organiser(caller, summit):
        docs = [d for d in docs if caller.org_id in d["org_ids"]]
    schedule = summit.get("schedule")
    return MeetingPage(items=[meeting_public(d) for d in docs],
                       schedule=ScheduleSummary.model_validate(schedule) if schedule else None,
                       pending=summit.get("schedule_run", 0) > (schedule or {}).get("run", 0))


def schedule_consumer(db: Database) -> Callable[[Envelope], Awaitable[None]]:
    """The registry's handler for matching.schedules.v1."""
    return lambda event: on_schedule_event(db, event)
