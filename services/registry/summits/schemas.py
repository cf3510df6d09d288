"""Summits over HTTP: SummitCreate/SummitUpdate, ParticipantCreate, MeetingRequestCreate in; *Public out."""

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from services.contracts.deals import DealKind
from services.contracts.summits import FollowupOutcome, SlotData, TableData
from services.registry.deals.schemas import Yuan
from services.registry.fields import Moment

SUMMIT_EXAMPLE = {
    "title": "2026 长沙种业科技成果对接会", "venue": "长沙国际会展中心 B2 厅",
    "sessions": [{"start": "2026-06-18T09:00:00+08:00", "end": "2026-06-18T12:00:00+08:00", "slot_minutes": 20},
                 {"start": "2026-06-18T14:00:00+08:00", "end": "2026-06-18T17:00:00+08:00", "slot_minutes": 30}],
    "tables": {"count": 3, "names": ["A1", "A2", "A3"]},
    "registration_opens": "2026-05-01T00:00:00+08:00", "registration_closes": "2026-06-16T18:00:00+08:00",
    "request_expiry": "PT6H", "max_meetings_per_participant": 6}


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Moment = Field(description="With its UTC offset, e.g. 2026-06-18T09:00:00+08:00")
    end: Moment
    slot_minutes: Literal[15, 20, 30] = Field(description="Length of one meeting slot")


class TablesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int = Field(description="How many meeting tables (at least one)")
    names: list[str] = Field(default=[], description="One name per table; default Table 1, Table 2, ...")


class SummitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [SUMMIT_EXAMPLE]})

    title: str = Field(min_length=1, max_length=200)
    venue: str = Field(min_length=1, max_length=300)
    timezone: str = Field(default="Asia/Shanghai", max_length=64, description="IANA zone the agenda is shown in")
    sessions: list[SessionIn] = Field(max_length=50, description="Non-overlapping; each a whole number of slots")
    tables: TablesIn
    registration_opens: Moment
    registration_closes: Moment
    request_expiry: timedelta = Field(default=timedelta(days=3),
                                      description="A pending meeting request expires after this: `PT6H`, `P3D` or "
                                                  "seconds")
    max_meetings_per_participant: int = Field(default=8, ge=1, le=100)


class SummitUpdate(BaseModel):
    """Only the fields you send change. Sessions are fixed once created (slots are referenced by everyone)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"venue": "长沙国际会展中心 C1 厅", "tables": {"count": 4}}, {"request_expiry": "P1D"}]})

    title: str | None = Field(default=None, min_length=1, max_length=200)
    venue: str | None = Field(default=None, min_length=1, max_length=300)
    tables: TablesIn | None = None
    registration_opens: Moment | None = None
    registration_closes: Moment | None = None
    request_expiry: timedelta | None = None
    max_meetings_per_participant: int | None = Field(default=None, ge=1, le=100)


class ScheduleSummary(BaseModel):
    run: int
    kind: Literal["preliminary", "final"]
    objective: float
    bound: float | None = None
    gap: float | None = None
    solver: str
    status: str
    wall_seconds: float
    moved: int = 0
    scheduled: int
    unplaced: int
    participants_with_meeting: int = 0
    published_at: datetime


class SummitPublic(BaseModel):
    id: str
    version: int
    organiser_org_id: str
    title: str
    venue: str
    timezone: str
    sessions: list[SessionIn]
    slots: list[SlotData]
    tables: list[TableData]
    dates: list[str]
    registration_opens: datetime
    registration_closes: datetime
    request_expiry_seconds: int
    max_meetings_per_participant: int
    status: str
    schedule_run: int = 0
    schedule: ScheduleSummary | None = None
    created_at: datetime


class SummitPage(BaseModel):
    items: list[SummitPublic]


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Moment
    end: Moment


class ParticipantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"name": "李明", "position": "技术总监", "unavailable_slots": [0, 1], "interests": ["杂交水稻", "分子育种"]},
        {"name": "王芳", "unavailable_windows": [{"start": "2026-06-18T14:00:00+08:00",
                                                  "end": "2026-06-18T15:00:00+08:00"}], "max_meetings": 4}]})

    name: str = Field(min_length=1, max_length=100)
    position: str | None = Field(default=None, max_length=100)
    org_id: str | None = Field(default=None, description="Organisers only: register someone of another organisation")
    unavailable_slots: list[int] = Field(default=[], max_length=400, description="Slot ids the person cannot attend")
    unavailable_windows: list[WindowIn] = Field(default=[], max_length=50,
                                                description="Or times the person cannot attend")
    interests: list[str] = Field(default=[], max_length=30)
    max_meetings: int | None = Field(default=None, ge=1, le=100, description="Own cap, below the summit's")


class ParticipantPublic(BaseModel):
    id: str
    summit_id: str
    org_id: str
    name: str
    position: str | None = None
    unavailable_slots: list[int] = []
    interests: list[str] = []
    max_meetings: int | None = None
    late: bool = False
    registered_at: datetime
    ignored_requests: int | None = Field(default=None, description="Organisers only: requests it let expire")


class ParticipantPage(BaseModel):
    items: list[ParticipantPublic]


class MeetingRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"from_participant": "par_6650a1", "to_participant": "par_6650b2", "match_id": "3f2a9c"},
        {"from_participant": "par_6650a1", "to_participant": "par_6650c3", "message": "想了解贵校的育种平台"}]})

    from_participant: str = Field(description="One of your organisation's participants")
    to_participant: str = Field(description="A participant of another organisation at this summit")
    match_id: str | None = Field(default=None, description="The match this request follows up, if any")
    message: str | None = Field(default=None, max_length=500)


class MeetingRequestPublic(BaseModel):
    id: str
    summit_id: str
    from_participant: str
    to_participant: str
    from_org_id: str
    to_org_id: str
    score: float
    source: Literal["match", "explicit"]
    match_id: str | None = None
    message: str | None = None
    status: Literal["pending", "accepted", "declined", "expired"]
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None = None


class MeetingRequestPage(BaseModel):
    items: list[MeetingRequestPublic]


class Suggestion(BaseModel):
    match_id: str
    score: float
    counterpart_org_id: str
    counterpart_participants: list[ParticipantPublic]
    requested: bool = Field(description="A request between the two organisations exists already")


class SuggestionPage(BaseModel):
    items: list[Suggestion]


class ScheduleRequested(BaseModel):
    summit_id: str
    run: int
    kind: Literal["preliminary", "final"]
    meetings: int
    participants: int


class MeetingPublic(BaseModel):
    id: str
    summit_id: str
    participant_ids: list[str]
    org_ids: list[str]
    score: float
    status: Literal["scheduled", "unplaced", "held", "missed"]
    slot: int | None = None
    table: int | None = None
    table_name: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    unplaced_reason: str | None = None
    schedule_kind: str | None = None
    checked_in: list[str] = []
    no_shows: list[str] = []


class MeetingPage(BaseModel):
    items: list[MeetingPublic]
    schedule: ScheduleSummary | None = None
    pending: bool = Field(default=False, description="A newer schedule was requested and is being computed")


class CheckInCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}, {"participant_id": "par_6650a1"}]})

    participant_id: str | None = Field(default=None, description="Needed if your organisation has both sides, "
                                                                 "or when the organiser checks someone in")


class Attendance(BaseModel):
    scheduled: int
    held: int
    missed: int
    awaiting: int
    meetings: list[MeetingPublic]


class DealTerms(BaseModel):
    """What was signed, to open the draft deal (技术合同 or financing agreement) in the ledgers."""

    model_config = ConfigDict(extra="forbid")

    kind: DealKind
    amount: Yuan = Field(gt=0, le=1e12, description="Contract amount in CNY (元), to the fen")
    signed_on: date
    product_id: str | None = Field(default=None, max_length=100, description="Financing deals: the product")


class FollowupPublic(BaseModel):
    id: str
    summit_id: str
    meeting_id: str
    org_id: str
    counterpart_org_id: str
    days_after: Literal[7, 30, 90]
    due_at: datetime
    status: Literal["scheduled", "due", "answered"]
    outcome: FollowupOutcome | None = None
    note: str | None = None
    draft_deal_id: str | None = None
    answered_at: datetime | None = None


class FollowupPage(BaseModel):
    items: list[FollowupPublic]


class FollowupAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"outcome": "in_talks", "note": "双方约定六月底实地考察"}, {"outcome": "contract_signed",
                                                          "deal": {"kind": "licence", "amount": 1200000,
                                                                   "signed_on": "2026-07-20"}}]})

    outcome: FollowupOutcome
    note: str | None = Field(default=None, max_length=1000)
    deal: DealTerms | None = Field(default=None, description="With contract_signed: the terms of the draft deal")

    @model_validator(mode="after")
    def deal_with_contract(self) -> "FollowupAnswer":
        if self.outcome == "contract_signed" and self.deal is None:
            raise ValueError("contract_signed opens a draft deal: give its kind, amount and signed_on in `deal`")
        if self.outcome != "contract_signed" and self.deal is not None:
            raise ValueError("deal terms go only with the outcome contract_signed")
        return self

