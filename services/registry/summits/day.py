"""On the day: each side checks in at its meeting; a meeting is held once both did, missed when its slot
passes without that (the no-shows are recorded). A held meeting schedules its follow-up prompts.
"""

from datetime import datetime, timedelta

from pymongo.asynchronous.client_session import AsyncClientSession

from services.contracts import topics
from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.errors import Conflict, Forbidden, Invalid, NotFound
from services.registry.events import commit
from services.registry.summits.followups import prompts_for
from services.registry.summits.repository import SummitRepository
from services.registry.summits.scheduling import meeting_public
from services.registry.summits.schemas import Attendance, MeetingPublic
from services.registry.summits.service import commit_when, ensure_organiser, is_organiser, load_summit

CHECK_IN_OPENS = timedelta(hours=12)
"""Check-in opens this long before the meeting's slot (the morning of the summit day)."""


async def _checking_in(repo: SummitRepository, caller: Caller, summit: dict, meeting: dict,
                       participant_id: str | None) -> str:
    """Which participant checks in: the caller's side of the meeting, or the one the organiser names."""
    organiser = is_organiser(caller, summit)
    if participant_id is not None:
        if participant_id not in meeting["participant_ids"]:
            raise Invalid(f"{participant_id} is not a participant of meeting {meeting['_id']}", field="participant_id")
        person = await repo.participant(summit["_id"], participant_id)
        if not organiser and (person is None or person["org_id"] != caller.org_id):
            raise Forbidden(f"{participant_id} is not one of your organisation's participants")
        return participant_id
    mine = [p for p, org in zip(meeting["participant_ids"], meeting["org_ids"], strict=True) if org == caller.org_id]
    if not mine:
        if organiser:
            raise Invalid("name the participant_id the organiser checks in", field="participant_id")
        raise Forbidden(f"your organisation has no participant in meeting {meeting['_id']}")
    if len(mine) > 1:
        raise Invalid("both sides are of your organisation: name the participant_id", field="participant_id")
    return mine[0]


async def check_in(box: Container, caller: Caller, summit_id: str, meeting_id: str, participant_id: str | None,
                   now: datetime) -> MeetingPublic:
    repo = SummitRepository(box.db)
    summit = await load_summit(repo, summit_id)
    meeting = await repo.meeting(summit_id, meeting_id)
    if meeting is None:
        raise NotFound(f"meeting {meeting_id} not found in summit {summit_id}")
    who = await _checking_in(repo, caller, summit, meeting, participant_id)
    if meeting["status"] not in ("scheduled", "held"):
        raise Conflict(f"meeting {meeting_id} is {meeting['status']}: there is nothing to check in to")
    if now < meeting["start"] - CHECK_IN_OPENS:
        raise Conflict(f"check-in opens {int(CHECK_IN_OPENS.total_seconds() // 3600)} h before the meeting "
                       f"({meeting['start'].isoformat()})")
    if who in (meeting.get("check_ins") or {}):
        return meeting_public(meeting)  # checking in twice changes nothing
    org_of = dict(zip(meeting["participant_ids"], meeting["org_ids"], strict=True))
    event = {"summit_id": summit_id, "meeting_id": meeting_id, "participant_id": who, "org_id": org_of[who],
             "participant_org_ids": meeting["org_ids"], "at": now}

    async def change(session: AsyncClientSession) -> bool:
        """Whether the meeting is held, judged on the document as this check-in left it: the other side may have
        checked in since the meeting was read (judged on that read, two check-ins at once each saw the other
        missing, and the meeting was recorded as missed with nobody absent)."""
        after = await repo.check_in(meeting_id, who, now, session)
        held = set((after or {}).get("check_ins") or {}) >= set(meeting["participant_ids"])
        if held and await repo.mark(meeting_id, "scheduled", {"status": "held", "held_at": now}, session):
            await repo.add_followups(prompts_for(meeting, meeting["end"]), session)
        return held

    await commit(box, change, lambda held: [(topics.SUMMITS, "meeting.checked_in", summit_id,
                                             {**event, "held": held})])
    return meeting_public(await repo.meeting(summit_id, meeting_id) or meeting)


async def record_no_shows(box: Container, now: datetime, limit: int = 200) -> int:
    """The sweep: scheduled meetings whose slot has passed without both check-ins become missed."""
    repo = SummitRepository(box.db)
    count = 0
    for meeting in await repo.passed_meetings(now, limit):
        no_shows = [p for p in meeting["participant_ids"] if p not in (meeting.get("check_ins") or {})]
        event = {"summit_id": meeting["summit_id"], "meeting_id": meeting["_id"], "no_shows": no_shows,
                 "participant_org_ids": meeting["org_ids"], "at": now}
        count += await commit_when(
            box, lambda s, m=meeting, n=no_shows: repo.mark(m["_id"], "scheduled",
                                                            {"status": "missed", "no_shows": n, "missed_at": now}, s),
            [(topics.SUMMITS, "meeting.missed", meeting["summit_id"], event)])
    return count


async def attendance(box: Container, caller: Caller, summit_id: str) -> Attendance:
    """The organiser's view: meetings held, missed (with no-shows) and still to come."""
    repo = SummitRepository(box.db)
    summit = await load_summit(repo, summit_id)
    ensure_organiser(caller, summit)
    docs = [d for d in await repo.meetings_of(summit_id) if d["status"] in ("scheduled", "held", "missed")]
    by_status = {s: sum(d["status"] == s for d in docs) for s in ("scheduled", "held", "missed")}
    return Attendance(scheduled=len(docs), held=by_status["held"], missed=by_status["missed"],
                      awaiting=by_status["scheduled"], meetings=[meeting_public(d) for d in docs])
