"""Summits over HTTP: organisers create and schedule, organisations register people and ask for meetings."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import HTMLResponse

from services.registry.deps import Box, CurrentCaller
from services.registry.summits import agendas, day, followups, requests, scheduling, service
from services.registry.summits.schemas import (
    Attendance,
    CheckInCreate,
    FollowupAnswer,
    FollowupPage,
    FollowupPublic,
    MeetingPage,
    MeetingPublic,
    MeetingRequestCreate,
    MeetingRequestPage,
    MeetingRequestPublic,
    ParticipantCreate,
    ParticipantPage,
    ParticipantPublic,
    ScheduleRequested,
    SuggestionPage,
    SummitCreate,
    SummitPage,
    SummitPublic,
    SummitUpdate,
)
from services.registry.summits.sweep import utcnow

Now = Annotated[datetime, Depends(utcnow)]
router = APIRouter(prefix="/v1/summits", tags=["summits"])
followup_router = APIRouter(prefix="/v1/followups", tags=["summits"])


@router.post("", status_code=201, response_model=SummitPublic, summary="Create a summit (organisers)")
async def create(body: SummitCreate, box: Box, caller: CurrentCaller, now: Now) -> SummitPublic:
    """Sessions are cut into slots of their slot length; 422 names overlapping sessions, a session that is not
    a whole number of slots, zero tables or a registration window outside the summit."""
    return await service.create_summit(box, caller, body, now)


@router.get("", response_model=SummitPage, summary="List summits, newest first")
async def list_(box: Box, _: CurrentCaller, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> SummitPage:
    return await service.list_summits(box, limit)


@router.get("/{summit_id}", response_model=SummitPublic, summary="Read a summit with its slots and last schedule")
async def read(summit_id: str, box: Box, _: CurrentCaller) -> SummitPublic:
    return await service.get_summit(box, summit_id)


@router.patch("/{summit_id}", response_model=SummitPublic, summary="Change a summit (its organiser)")
async def update(summit_id: str, body: SummitUpdate, box: Box, caller: CurrentCaller, now: Now) -> SummitPublic:
    return await service.update_summit(box, caller, summit_id, body, now)


@router.post("/{summit_id}/participants", status_code=201, response_model=ParticipantPublic,
             summary="Register one of your people, with the slots they cannot attend and their interests")
async def register(summit_id: str, body: ParticipantCreate, box: Box, caller: CurrentCaller,
                   now: Now) -> ParticipantPublic:
    return await service.register_participant(box, caller, summit_id, body, now)


@router.get("/{summit_id}/participants", response_model=ParticipantPage,
            summary="Who takes part (the organiser also sees each one's ignored requests)")
async def participants(summit_id: str, box: Box, caller: CurrentCaller) -> ParticipantPage:
    return await service.list_participants(box, caller, summit_id)


@router.get("/{summit_id}/suggestions", response_model=SuggestionPage,
            summary="Whom to meet: your matches with participating organisations, best score first")
async def suggestions(summit_id: str, box: Box, caller: CurrentCaller) -> SuggestionPage:
    return await requests.suggestions(box, caller, summit_id)


@router.post("/{summit_id}/requests", status_code=201, response_model=MeetingRequestPublic,
             summary="Ask another participant for a one-to-one meeting")
async def request_meeting(summit_id: str, body: MeetingRequestCreate, box: Box, caller: CurrentCaller,
                          now: Now) -> MeetingRequestPublic:
    return await requests.request_meeting(box, caller, summit_id, body, now)


@router.get("/{summit_id}/requests", response_model=MeetingRequestPage,
            summary="Your meeting requests, sent and received (the organiser sees all)")
async def list_requests(summit_id: str, box: Box, caller: CurrentCaller,
                        status: Literal["pending", "accepted", "declined", "expired"] | None = None
                        ) -> MeetingRequestPage:
    return await requests.list_requests(box, caller, summit_id, status)


@router.post("/{summit_id}/requests/{request_id}/accept", response_model=MeetingRequestPublic,
             summary="Accept a meeting request (the receiver)")
async def accept(summit_id: str, request_id: str, box: Box, caller: CurrentCaller, now: Now) -> MeetingRequestPublic:
    return await requests.decide(box, caller, summit_id, request_id, True, now)


@router.post("/{summit_id}/requests/{request_id}/decline", response_model=MeetingRequestPublic,
             summary="Decline a meeting request (the receiver)")
async def decline(summit_id: str, request_id: str, box: Box, caller: CurrentCaller,
                  now: Now) -> MeetingRequestPublic:
    return await requests.decide(box, caller, summit_id, request_id, False, now)


@router.post("/{summit_id}/schedule", status_code=202, response_model=ScheduleRequested,
             summary="Schedule the accepted meetings (organiser); the schedule arrives as schedule.published")
async def schedule(summit_id: str, box: Box, caller: CurrentCaller, now: Now,
                   final: Annotated[bool, Query(description="Publish as the final schedule")] = False,
                   time_limit_s: Annotated[float, Query(gt=0, le=60, description="Solver time limit")] = 8.0
                   ) -> ScheduleRequested:
    """Matching places every accepted meeting on a (slot, table) maximising total match score with a fairness
    term; a reschedule keeps earlier placements where it can. Read the result from `GET .../meetings`."""
    return await scheduling.request_schedule(box, caller, summit_id, final, time_limit_s, now)


@router.get("/{summit_id}/meetings", response_model=MeetingPage,
            summary="Scheduled meetings with the schedule's objective, bound and gap (yours, or all for the organiser)")
async def meetings(summit_id: str, box: Box, caller: CurrentCaller) -> MeetingPage:
    return await scheduling.list_meetings(box, caller, summit_id)


@router.post("/{summit_id}/meetings/{meeting_id}/check-in", response_model=MeetingPublic,
             summary="Check in at a meeting; it is held once both sides did")
async def check_in(summit_id: str, meeting_id: str, box: Box, caller: CurrentCaller, now: Now,
                   body: CheckInCreate | None = None) -> MeetingPublic:
    return await day.check_in(box, caller, summit_id, meeting_id, body.participant_id if body else None, now)


@router.get("/{summit_id}/attendance", response_model=Attendance,
            summary="Meetings held and missed, with no-shows (organiser)")
async def attendance(summit_id: str, box: Box, caller: CurrentCaller) -> Attendance:
    return await day.attendance(box, caller, summit_id)


@router.get("/{summit_id}/agenda.ics", response_class=Response, summary="A participant's agenda as iCalendar",
            responses={200: {"content": {"text/calendar": {}}}})
async def agenda_ics(summit_id: str, box: Box, caller: CurrentCaller, now: Now,
                     participant: Annotated[str, Query(description="Participant id")]) -> Response:
    body = await agendas.participant_ics(box, caller, summit_id, participant, now)
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="agenda-{participant}.ics"'})


@router.get("/{summit_id}/agenda.html", response_class=HTMLResponse,
            summary="A printable agenda of one participant, or of one table (organiser)")
async def agenda_html(summit_id: str, box: Box, caller: CurrentCaller,
                      participant: Annotated[str | None, Query(description="Participant id")] = None,
                      table: Annotated[int | None, Query(ge=0, description="Table id")] = None) -> HTMLResponse:
    return HTMLResponse(await agendas.html_agenda(box, caller, summit_id, participant, table))


@followup_router.get("", response_model=FollowupPage, summary="Your follow-up prompts (default: those due)")
async def list_followups(box: Box, caller: CurrentCaller,
                         status: Literal["scheduled", "due", "answered"] | None = "due") -> FollowupPage:
    return await followups.list_followups(box, caller, status)


@followup_router.post("/{followup_id}/answer", response_model=FollowupPublic,
                      summary="Say what came of a meeting; contract_signed opens a draft deal")
async def answer(followup_id: str, body: FollowupAnswer, box: Box, caller: CurrentCaller,
                 now: Now) -> FollowupPublic:
    return await followups.answer(box, caller, followup_id, body, now)
