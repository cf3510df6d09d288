"""Matching's use cases: fold a catalogue event into the engine and say which match events follow.

Pure apart from the engine's memory: no broker, no HTTP. Handlers publish what these functions return.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from services.contracts.catalogue import OrgData
from services.contracts.events import FeedbackData, MatchData, MatchRetractedData
from services.matching.adapters import firm_from, posting_from
from services.matching.domain import ScoredMatch
from services.matching.engine import MatchingEngine

Outgoing = tuple[str, str, MatchData | MatchRetractedData]  # (event type, subject, data)


class Proposed(NamedTuple):
    """What matching remembers of a match it proposed: enough to retract it."""
    need_id: str
    counterpart_id: str
    need_org_id: str
    counterpart_org_id: str
    need_confidential: bool
    need_version: int
    counterpart_version: int

    def version_of(self, posting_id: str) -> int:
        """The version of `posting_id` (one of the two sides) the match was proposed for."""
        return self.need_version if posting_id == self.need_id else self.counterpart_version


Parties = tuple[str, str, str, str, bool, int, int]  # `Proposed`'s fields as a plain tuple (what the book stores)


def parties(match: MatchData) -> Parties:
    """A proposed match's `Proposed` fields as a plain tuple."""
    return (match.need_id, match.counterpart_id, match.need_org_id, match.counterpart_org_id, match.need_confidential,
            match.need_version, match.counterpart_version)


@dataclass
class MatchBook:
    """The matches matching has proposed and not retracted, indexed by each side's posting id.

    A match is kept as a plain tuple of its parties (`parties`), not the event it was proposed in: its score and
    explanations are not needed to retract it. A book of 14,000 matches held some 130,000 objects the garbage
    collector walked (each event's model, components, lists and field sets), and matching's full passes paused it
    for 156 ms; a plain tuple of strings is left out of the collector's passes once a pass has seen it."""

    matches: dict[str, Parties] = field(default_factory=dict)
    by_posting: dict[str, set[str]] = field(default_factory=dict)

    def add(self, match: MatchData) -> None:
        self.matches[match.match_id] = parties(match)
        for posting_id in (match.need_id, match.counterpart_id):
            self.by_posting.setdefault(posting_id, set()).add(match.match_id)

    def pop(self, match_id: str) -> Proposed | None:
        kept = self.matches.pop(match_id, None)
        if kept is None:
            return None
        match = Proposed(*kept)
        for posting_id in (match.need_id, match.counterpart_id):
            self.by_posting.get(posting_id, set()).discard(match_id)
        return match

    def of(self, posting_id: str) -> set[str]:
        return set(self.by_posting.get(posting_id, ()))

    def superseded(self, posting_id: str, version: int) -> set[str]:
        """The matches of `posting_id` proposed for another version of it than `version`."""
        return {match_id for match_id in self.by_posting.get(posting_id, ())
                if Proposed(*self.matches[match_id]).version_of(posting_id) != version}


@dataclass
class MatchingService:
    engine: MatchingEngine
    limit: int = 10
    versions: dict[str, int] = field(default_factory=dict)
    book: MatchBook = field(default_factory=MatchBook)
    confidential: set[str] = field(default_factory=set)  # needs whose owner is not named to a counterpart
    declines: set[tuple[str, str]] = field(default_factory=set)  # (match id, organisation) of the declines learnt

    def _match_data(self, m: ScoredMatch) -> MatchData:
        return MatchData(
            match_id=m.match_id, need_id=m.need_id, counterpart_id=m.counterpart_id,
            counterpart_kind=m.counterpart_kind, need_org_id=m.need_org_id, counterpart_org_id=m.counterpart_org_id,
            need_version=self.versions.get(m.need_id, 1), counterpart_version=self.versions.get(m.counterpart_id, 1),
            score=round(min(max(m.score, 0.0), 1.0), 6),
            components=[{"name": c.name, "score": min(max(c.score, 0.0), 1.0), "weight": c.weight,
                         "explanation": c.explanation} for c in m.components],
            financing=[{"product_id": f.product_id, "org_id": f.product_org_id, "explanation": f.explanation}
                       for f in m.financing],
            proposed_at=datetime.now(UTC), need_confidential=m.need_id in self.confidential,
        )

    def _retract(self, match_ids: set[str], reason: str) -> list[Outgoing]:
        out = []
        for match_id in sorted(match_ids):
            m = self.book.pop(match_id)
            if m is not None:
                data = MatchRetractedData(match_id=match_id, need_id=m.need_id, counterpart_id=m.counterpart_id,
                                          need_org_id=m.need_org_id, counterpart_org_id=m.counterpart_org_id,
                                          reason=reason,
                                          need_confidential=m.need_confidential or m.need_id in self.confidential)
                out.append(("match.retracted", match_id, data))
        return out

    def on_posting(self, aggregate: str, event_type: str, data: dict, index_only: bool = False) -> list[Outgoing]:
        posting = posting_from(aggregate, data)
        if self.versions.get(posting.id, 0) > posting.version:
            return []  # a stale replay: a newer version is already indexed
        self.versions[posting.id] = posting.version
        if aggregate == "need":
            self._note_visibility(posting.id, data.get("visibility"))
        if event_type.endswith(".deleted") or posting.status != "open":
            self.engine.remove(posting.id)
            return self._retract(self.book.of(posting.id), f"{aggregate} {posting.status}")
        self.engine.upsert(posting)
        if index_only:
            return []
        # Only the matches of another version are retracted: those of this version stay, whether this event is a
        # replay or they came from the other side (a counterpart's own top matches, beyond this posting's `limit`).
        out = self._retract(self.book.superseded(posting.id, posting.version), f"{aggregate} changed")
        found = self.engine.matches_for(posting.id, limit=self.limit)
        for m in found:
            if m.match_id in self.book.matches:
                continue  # already proposed: a replay changes nothing
            data_out = self._match_data(m)
            self.book.add(data_out)
            out.append(("match.proposed", m.match_id, data_out))
        return out

    def _note_visibility(self, need_id: str, visibility: str | None) -> None:
        if visibility == "confidential":
            self.confidential.add(need_id)
        else:
            self.confidential.discard(need_id)

    def on_org(self, data: dict) -> None:
        self.engine.upsert_firm(firm_from(OrgData.model_validate(data)))

    def on_feedback(self, data: dict) -> list[Outgoing]:
        feedback = FeedbackData.model_validate(data)
        if feedback.decision == "declined" and (feedback.match_id, feedback.org_id) not in self.declines:
            self.declines.add((feedback.match_id, feedback.org_id))  # a replayed decline must not weigh twice
            self.engine.record_decline(feedback.need_id, feedback.counterpart_id, feedback.org_id,
                                       feedback.reason or "other")
        return []

    def restore_match(self, data: dict) -> None:
        """Re-learn a match proposed before a restart (from the registry's snapshot)."""
        self.book.add(MatchData.model_validate(data))
