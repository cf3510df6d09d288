"""Who may read which agenda, and gathering what it shows; the rendering is in agenda.py."""

from datetime import datetime

from services.registry.auth import Caller
from services.registry.container import Container
from services.registry.errors import Forbidden, Invalid, NotFound
from services.registry.summits import agenda
from services.registry.summits.repository import SummitRepository
from services.registry.summits.service import ensure_organiser, is_organiser, load_summit


async def _context(repo: SummitRepository, summit_id: str) -> tuple[dict, dict[str, dict], dict[str, str]]:
    summit = await load_summit(repo, summit_id)
    people = {p["_id"]: p for p in await repo.participants_of(summit_id)}
    names = await repo.org_names(sorted({p["org_id"] for p in people.values()}))
    return summit, people, names


async def _participant(repo: SummitRepository, caller: Caller, summit: dict, people: dict[str, dict],
                       participant_id: str) -> dict:
    person = people.get(participant_id)
    if person is None:
        raise NotFound(f"{participant_id} is not a participant of summit {summit['_id']}")
    if person["org_id"] != caller.org_id and not is_organiser(caller, summit):
        raise Forbidden("an agenda is for the participant's own organisation and the organiser")
    return person


async def participant_ics(box: Container, caller: Caller, summit_id: str, participant_id: str,
                          now: datetime) -> bytes:
    repo = SummitRepository(box.db)
    summit, people, names = await _context(repo, summit_id)
    person = await _participant(repo, caller, summit, people, participant_id)
    meetings = await repo.meetings_of(summit_id, participant_id=participant_id)
    return agenda.participant_calendar(summit, person, meetings, people, names, now)


async def html_agenda(box: Container, caller: Caller, summit_id: str, participant_id: str | None,
                      table_id: int | None) -> str:
    if (participant_id is None) == (table_id is None):
        raise Invalid("ask for the agenda of one participant or of one table", field="query parameter participant")
    repo = SummitRepository(box.db)
    summit, people, names = await _context(repo, summit_id)
    if participant_id is not None:
        person = await _participant(repo, caller, summit, people, participant_id)
        meetings = await repo.meetings_of(summit_id, participant_id=participant_id)
        return agenda.participant_html(summit, person, meetings, people, names)
    ensure_organiser(caller, summit)
    table = next((t for t in summit["tables"] if t["id"] == table_id), None)
    if table is None:
        raise Invalid(f"table {table_id} is not a table of this summit (0–{len(summit['tables']) - 1})",
                      field="query parameter table")
    return agenda.table_html(summit, table, await repo.meetings_of(summit_id, table=table_id), people, names)
