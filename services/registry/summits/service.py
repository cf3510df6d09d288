"""Creating and changing summits and registering participants; each write commits with its event."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bson import ObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from services.contracts import topics
from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.errors import Conflict, Forbidden, Invalid, NotFound
from services.registry.events import commit
from services.registry.summits import plan
from services.registry.summits.repository import SummitRepository
from services.registry.summits.schemas import (
    ParticipantCreate,
    ParticipantPage,
    ParticipantPublic,
    SummitCreate,
    SummitPage,
    SummitPublic,
    SummitUpdate,
)


class _Skipped(Exception):
    pass


async def commit_when(box: Container, change: Callable[[AsyncClientSession], Awaitable[bool]],
                      events: list[tuple[str, str, str, dict]]) -> bool:
    """Like `commit`, but a change that returns False writes nothing and records no event."""
    async def guarded(session: AsyncClientSession) -> bool:
        if not await change(session):
            raise _Skipped
        return True
    try:
        return await commit(box, guarded, events)
    except _Skipped:
        return False


def sessions_of(doc: dict) -> list[plan.Session]:
    return [plan.Session(s["start"], s["end"], s["slot_minutes"]) for s in doc["sessions"]]


def slots_of(doc: dict) -> list[plan.SlotTime]:
    return [plan.SlotTime(s["id"], s["start"], s["end"]) for s in doc["slots"]]


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # OSError: a directory, a name too long, ...
        raise Invalid(f"{name!r} is not an IANA time zone such as Asia/Shanghai", field="timezone") from error


def to_public(doc: dict) -> SummitPublic:
    tz = zone(doc["timezone"])
    dates = sorted({s["start"].astimezone(tz).date().isoformat() for s in doc["slots"]})
    return SummitPublic.model_validate({**doc, "id": doc["_id"], "dates": dates})


def event_data(doc: dict) -> dict:
    return {**doc, "summit_id": doc["_id"]}


async def load_summit(repo: SummitRepository, summit_id: str) -> dict:
    doc = await repo.summit(summit_id)
    if doc is None:
        raise NotFound(f"summit {summit_id} not found")
    return doc


def ensure_organiser(caller: Caller, summit: dict) -> None:
    caller.require("organiser")
    if not caller.is_admin and caller.org_id != summit["organiser_org_id"]:
        raise Forbidden(f"only the organiser of summit {summit['_id']} can do this")


def is_organiser(caller: Caller, summit: dict) -> bool:
    return caller.is_admin or (caller.role == "organiser" and caller.org_id == summit["organiser_org_id"])


def _shape(body: SummitCreate | SummitUpdate, current: dict | None) -> dict:
    """The validated fields of a summit from a create body or an update merged onto the current summit."""
    fields: dict = {}
    if isinstance(body, SummitCreate):
        sessions = [plan.Session(s.start, s.end, s.slot_minutes) for s in body.sessions]
        slots = plan.slots_of(sessions)
        zone(body.timezone)
        fields["sessions"] = [s.model_dump() for s in body.sessions]
        fields["slots"] = [{"id": s.id, "start": s.start, "end": s.end} for s in slots]
    else:
        assert current is not None
        slots = slots_of(current)
    if body.tables is not None:
        names = plan.table_names(body.tables.count, body.tables.names)
        fields["tables"] = [{"id": i, "name": n} for i, n in enumerate(names)]
    if body.request_expiry is not None:
        fields["request_expiry_seconds"] = plan.check_expiry(body.request_expiry)
    opens = body.registration_opens or (current or {}).get("registration_opens")
    closes = body.registration_closes or (current or {}).get("registration_closes")
    assert opens is not None and closes is not None
    plan.check_window(opens, closes, slots)
    for name in ("title", "venue", "registration_opens", "registration_closes", "max_meetings_per_participant",
                 "timezone"):
        value = getattr(body, name, None)
        if value is not None:
            fields[name] = value
    return fields


async def create_summit(box: Container, caller: Caller, body: SummitCreate, now: datetime) -> SummitPublic:
    caller.require("organiser")
    summit_id = f"sum_{ObjectId()}"
    doc = {"_id": summit_id, "version": 1, "organiser_org_id": caller.org_id, "status": "open",
           "schedule_run": 0, "schedule": None, "created_at": now, **_shape(body, None)}
    repo = SummitRepository(box.db)
    await commit(box, lambda s: repo.add_summit(doc, s),
                 [(topics.SUMMITS, "summit.created", summit_id, event_data(doc))])
    return to_public(doc)


async def update_summit(box: Container, caller: Caller, summit_id: str, body: SummitUpdate,
                        now: datetime) -> SummitPublic:
    repo = SummitRepository(box.db)
    current = await load_summit(repo, summit_id)
    ensure_organiser(caller, current)
    changes = _shape(body, current)
    if "tables" in changes and len(changes["tables"]) < len(current["tables"]):
        if current.get("schedule_run", 0) > (current.get("schedule") or {}).get("run", 0):
            raise Conflict("a schedule is being computed for the current tables; remove tables once it is published",
                           field="tables.count")
        used = {m.get("table") for m in await repo.meetings_of(summit_id) if m["status"] == "scheduled"}
        dropped = {t["id"] for t in current["tables"][len(changes["tables"]):]}
        if used & dropped:
            raise Conflict("a scheduled meeting uses a table you would remove; reschedule first", field="tables.count")
    fields = {**changes, "version": current["version"] + 1, "updated_at": now}
    doc = {**current, **fields}
    names = {t["id"]: t["name"] for t in current["tables"]}
    renamed = {t["id"]: t["name"] for t in changes.get("tables", []) if names.get(t["id"], t["name"]) != t["name"]}

    async def change(session: AsyncClientSession) -> bool:
        """The summit's fields, and the new names of renamed tables on the meetings placed there (their agendas
        and attendance showed the old name until the next schedule)."""
        if not await repo.update_summit(summit_id, fields, current["version"], session):
            return False
        for table, name in renamed.items():
            await repo.rename_table(summit_id, table, name, session)
        return True

    stored = await commit_when(box, change, [(topics.SUMMITS, "summit.updated", summit_id, event_data(doc))])
    if not stored:
        raise Conflict(f"summit {summit_id} changed meanwhile; read it again and retry")
    return to_public(doc)


async def get_summit(box: Container, summit_id: str) -> SummitPublic:
    return to_public(await load_summit(SummitRepository(box.db), summit_id))


async def list_summits(box: Container, limit: int) -> SummitPage:
    return SummitPage(items=[to_public(d) for d in await SummitRepository(box.db).list_summits(limit)])


def participant_public(doc: dict, ignored: int | None = None) -> ParticipantPublic:
    return ParticipantPublic.model_validate({**doc, "id": doc["_id"], "ignored_requests": ignored})


async def register_participant(box: Container, caller: Caller, summit_id: str, body: ParticipantCreate,
                               now: datetime) -> ParticipantPublic:
    """An organisation registers one of its people; the organiser may register anyone, also after closing."""
    repo = SummitRepository(box.db)
    summit = await load_summit(repo, summit_id)
    organiser = is_organiser(caller, summit)
    org_id = caller.org_id
    if body.org_id and body.org_id != caller.org_id:
        if not organiser:
            raise Forbidden("only the summit's organiser can register people of another organisation", field="org_id")
        org_id = body.org_id
    if org_id == "platform" or await box.db["orgs"].find_one({"_id": org_id}, {"_id": 1}) is None:
        raise Invalid(f"organisation {org_id} is not registered", field="org_id")
    if not organiser and not summit["registration_opens"] <= now <= summit["registration_closes"]:
        raise Conflict(f"registration is open from {summit['registration_opens'].isoformat()} to "
                       f"{summit['registration_closes'].isoformat()}; ask the organiser to register you late")
    unavailable = plan.unavailable_slots(slots_of(summit), body.unavailable_slots,
                                         [(w.start, w.end) for w in body.unavailable_windows])
    participant_id = f"par_{ObjectId()}"
    doc = {"_id": participant_id, "summit_id": summit_id, "org_id": org_id, "name": body.name,
           "position": body.position, "unavailable_slots": unavailable, "interests": body.interests,
           "max_meetings": body.max_meetings, "registered_at": now,
           "late": summit.get("schedule_run", 0) > 0 or now > summit["registration_closes"]}
    await commit(box, lambda s: repo.add_participant(doc, s),
                 [(topics.SUMMITS, "participant.registered", summit_id, {**doc, "participant_id": participant_id})])
    return participant_public(doc)


async def list_participants(box: Container, caller: Caller, summit_id: str) -> ParticipantPage:
    """Everyone sees who takes part (to ask for meetings); the organiser also sees ignored-request counts."""
    repo = SummitRepository(box.db)
    summit = await load_summit(repo, summit_id)
    docs = await repo.participants_of(summit_id)
    if not is_organiser(caller, summit):
        return ParticipantPage(items=[participant_public(d) for d in docs])
    ignored = await repo.ignored_counts(summit_id)
    return ParticipantPage(items=[participant_public(d, ignored.get(d["_id"], 0)) for d in docs])
