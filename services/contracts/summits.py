"""Summit (对接会) events: the registry's summits, participants, meeting requests, check-ins and follow-ups on
`registry.summits.v1`, and matching's published schedules on `matching.schedules.v1`.

Every event a participant should hear about names the organisations to tell: `org_id` (one) or
`participant_org_ids` (all of them), so notify never needs to look anything up.
"""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contracts.events import register

ScheduleKind = Literal["preliminary", "final"]
FollowupOutcome = Literal["no_further_contact", "in_talks", "agreement", "contract_signed"]


class SlotData(BaseModel):
    id: int = Field(ge=0)
    start: datetime
    end: datetime


class TableData(BaseModel):
    id: int = Field(ge=0)
    name: str


class SessionData(BaseModel):
    start: datetime
    end: datetime
    slot_minutes: Literal[15, 20, 30]


class SummitData(BaseModel):
    """The whole summit aggregate (summit.created / summit.updated)."""

    model_config = ConfigDict(extra="ignore")

    summit_id: str
    version: int = 1
    organiser_org_id: str
    title: str
    venue: str
    sessions: list[SessionData]
    slots: list[SlotData]
    tables: list[TableData]
    registration_opens: datetime
    registration_closes: datetime
    request_expiry_seconds: int = Field(gt=0)
    max_meetings_per_participant: int = Field(ge=1)
    status: str = "open"


class ParticipantData(BaseModel):
    """A person an organisation registered for a summit (participant.registered / participant.updated)."""

    model_config = ConfigDict(extra="ignore")

    participant_id: str
    summit_id: str
    org_id: str
    name: str
    position: str | None = None
    unavailable_slots: list[int] = []
    interests: list[str] = []
    max_meetings: int | None = None
    registered_at: datetime


class MeetingRequestData(BaseModel):
    """A request for a one-to-one meeting; `status` says which event it is (requested/accepted/declined/expired)."""

    model_config = ConfigDict(extra="ignore")

    request_id: str
    summit_id: str
    from_participant: str
    to_participant: str
    from_org_id: str
    to_org_id: str
    participant_org_ids: list[str] = Field(description="Both organisations: notify tells each of them.")
    score: float = Field(ge=0, le=1)
    source: Literal["match", "explicit"]
    match_id: str | None = None
    status: Literal["pending", "accepted", "declined", "expired"]
    expires_at: datetime
    at: datetime


class MeetingToSchedule(BaseModel):
    """An accepted request as the scheduler sees it; `previous` is its placement in the last schedule."""

    meeting_id: str
    a: str
    b: str
    score: float = Field(ge=0, le=1)
    previous_slot: int | None = None
    previous_table: int | None = None
    fixed: bool = False


class ParticipantToSchedule(BaseModel):
    participant_id: str
    org_id: str
    unavailable_slots: list[int] = []
    max_meetings: int | None = None


class ScheduleRequestedData(BaseModel):
    """The organiser asked for a schedule: the full scheduling instance, so matching needs no lookups."""

    summit_id: str
    run: int = Field(ge=1, description="Increases with every request; a published schedule names its run.")
    kind: ScheduleKind
    slots: list[SlotData]
    tables: list[TableData]
    participants: list[ParticipantToSchedule]
    meetings: list[MeetingToSchedule]
    max_meetings_per_participant: int = Field(ge=1)
    time_limit_s: float = Field(default=8.0, gt=0, le=120)
    requested_at: datetime


class AssignmentData(BaseModel):
    meeting_id: str
    slot: int
    table: int
    table_name: str = ""
    start: datetime | None = None
    end: datetime | None = None
    participants: list[str]
    org_ids: list[str]


class UnplacedData(BaseModel):
    meeting_id: str
    reason: str


class SchedulePublishedData(BaseModel):
    """Matching's answer to schedule.requested: placements, the meetings it could not place and why."""

    summit_id: str
    run: int = Field(ge=1)
    kind: ScheduleKind
    assignments: list[AssignmentData]
    unplaced: list[UnplacedData]
    objective: float
    bound: float | None = None
    gap: float | None = None
    solver: Literal["cpsat", "greedy"]
    status: str
    wall_seconds: float
    moved: int = 0
    participants_with_meeting: int = 0
    participant_org_ids: list[str] = Field(description="Every participating organisation: notify tells each.")
    published_at: datetime


class CheckInData(BaseModel):
    """One side checked in at its meeting (meeting.checked_in); `held` once both sides did."""

    summit_id: str
    meeting_id: str
    participant_id: str
    org_id: str
    participant_org_ids: list[str]
    held: bool
    at: datetime


class MeetingMissedData(BaseModel):
    """The slot passed without both sides checking in (meeting.missed); `no_shows` did not check in."""

    summit_id: str
    meeting_id: str
    no_shows: list[str]
    participant_org_ids: list[str]
    at: datetime


class FollowupDueData(BaseModel):
    """Ask `org_id` what came of a meeting, 7, 30 or 90 days after it (followup.due)."""

    followup_id: str
    summit_id: str
    meeting_id: str
    org_id: str
    counterpart_org_id: str
    days_after: Literal[7, 30, 90]
    due_at: datetime


class FollowupAnsweredData(BaseModel):
    followup_id: str
    summit_id: str
    meeting_id: str
    org_id: str
    counterpart_org_id: str
    days_after: Literal[7, 30, 90]
    outcome: FollowupOutcome
    note: str | None = None
    draft_deal_id: str | None = None
    at: datetime


SUMMIT_EVENTS: dict[str, type[BaseModel]] = {
    "summit.created": SummitData,
    "summit.updated": SummitData,
    "participant.registered": ParticipantData,
    "meeting.requested": MeetingRequestData,
    "meeting.accepted": MeetingRequestData,
    "meeting.declined": MeetingRequestData,
    "meeting.expired": MeetingRequestData,
    "schedule.requested": ScheduleRequestedData,
    "schedule.published": SchedulePublishedData,
    "meeting.checked_in": CheckInData,
    "meeting.missed": MeetingMissedData,
    "followup.due": FollowupDueData,
    "followup.answered": FollowupAnsweredData,
}

for _type, _model in SUMMIT_EVENTS.items():
    register(_type, _model)
