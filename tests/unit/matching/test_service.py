"""Matching's service layer: events in, match events out — replays, retractions, stale versions, declines."""

import gc

from services.matching.engine import MatchingEngine
from services.matching.service import MatchingService


def need(version: int = 1, status: str = "open", **extra: object) -> dict:
    return {"id": "need_rice", "org_id": "org_seedco", "version": version, "status": status,
            "title": "耐高温杂交水稻品种选育", "keywords": ["杂交水稻", "耐高温", "育种"], **extra}


def result(rid: str = "result_rice", version: int = 1, status: str = "open", **extra: object) -> dict:
    return {"id": rid, "org_id": "org_hunau", "version": version, "status": status,
            "title": "耐高温杂交水稻新品种选育技术", "abstract": "分子标记辅助选择选育耐高温高产杂交水稻",
            "keywords": ["杂交水稻", "耐高温", "分子标记"], **extra}


def service() -> MatchingService:
    return MatchingService(MatchingEngine(min_score=0.2), limit=10)


def proposals(out: list) -> list[dict]:
    return [data.model_dump(mode="json") for type_, _, data in out if type_ == "match.proposed"]


def test_a_new_need_is_matched_against_open_results_and_a_new_result_against_open_needs() -> None:
    s = service()
    assert s.on_posting("result", "result.published", result()) == []
    proposed = proposals(s.on_posting("need", "need.posted", need()))
    assert [(p["need_id"], p["counterpart_id"]) for p in proposed] == [("need_rice", "result_rice")]
    assert proposed[0]["need_org_id"] == "org_seedco" and proposed[0]["counterpart_org_id"] == "org_hunau"
    assert all(0 <= c["score"] <= 1 and c["explanation"] for c in proposed[0]["components"])

    later = proposals(s.on_posting("result", "result.published", result("result_rice_2")))
    assert [(p["need_id"], p["counterpart_id"]) for p in later] == [("need_rice", "result_rice_2")]


def test_replaying_an_event_changes_nothing() -> None:
    s = service()
    s.on_posting("result", "result.published", result())
    first = s.on_posting("need", "need.posted", need())
    assert proposals(first)
    assert s.on_posting("need", "need.posted", need()) == []
    assert s.on_posting("result", "result.published", result()) == []


def test_a_replayed_event_keeps_the_matches_its_counterparts_proposed_beyond_its_own_top() -> None:
    s = MatchingService(MatchingEngine(min_score=0.2), limit=1)
    s.on_posting("result", "result.published", result("result_best"))
    assert proposals(s.on_posting("need", "need.posted", need()))[0]["counterpart_id"] == "result_best"
    weaker = proposals(s.on_posting("result", "result.published", result("result_weak", title="水稻", abstract="",
                                                                           keywords=["水稻"])))
    assert [p["need_id"] for p in weaker] == ["need_rice"], "the need is the weaker result's best"

    assert s.on_posting("need", "need.posted", need()) == [], "a replay retracts nothing"
    assert s.on_posting("result", "result.published", result("result_best")) == []
    assert weaker[0]["match_id"] in s.book.matches


def test_a_fresh_service_replaying_the_topic_proposes_the_same_match_ids() -> None:
    one, two = service(), service()
    for s in (one, two):
        s.on_posting("result", "result.published", result())
    assert [p["match_id"] for p in proposals(one.on_posting("need", "need.posted", need()))] == \
        [p["match_id"] for p in proposals(two.on_posting("need", "need.posted", need()))]


def test_closing_a_need_retracts_its_open_matches() -> None:
    s = service()
    s.on_posting("result", "result.published", result())
    match_id = proposals(s.on_posting("need", "need.posted", need()))[0]["match_id"]
    out = s.on_posting("need", "need.closed", need(version=2, status="closed"))
    assert [(t, subject) for t, subject, _ in out] == [("match.retracted", match_id)]
    assert out[0][2].reason == "need closed"
    assert s.on_posting("result", "result.published", result("result_rice_3")) == [], "a closed need is not matched"


def test_a_proposed_match_is_remembered_by_its_parties_alone_out_of_the_collectors_passes() -> None:
    s = service()
    s.on_posting("result", "result.published", result())
    match_id = proposals(s.on_posting("need", "need.posted", need()))[0]["match_id"]
    gc.collect()  # a pass untracks tuples of strings and booleans

    assert s.book.matches[match_id] == ("need_rice", "result_rice", "org_seedco", "org_hunau", False, 1, 1)
    assert not gc.is_tracked(s.book.matches[match_id])


def test_withdrawing_a_result_retracts_and_a_stale_replay_does_not_resurrect_it() -> None:
    s = service()
    s.on_posting("result", "result.published", result())
    s.on_posting("need", "need.posted", need())
    out = s.on_posting("result", "result.withdrawn", result(version=2, status="withdrawn"))
    assert [t for t, _, _ in out] == ["match.retracted"]
    assert s.on_posting("result", "result.published", result(version=1)) == [], "version 1 is older than 2"


def test_an_edited_need_supersedes_its_old_match() -> None:
    s = service()
    s.on_posting("result", "result.published", result())
    old = proposals(s.on_posting("need", "need.posted", need()))[0]["match_id"]
    out = s.on_posting("need", "need.updated", need(version=2, description="也考虑抗倒伏"))
    types = {(t, subject) for t, subject, _ in out}
    assert ("match.retracted", old) in types
    new = proposals(out)
    assert len(new) == 1 and new[0]["match_id"] != old and new[0]["need_version"] == 2


def test_a_declined_pair_is_never_proposed_again() -> None:
    s = service()
    s.on_posting("result", "result.published", result())
    match = proposals(s.on_posting("need", "need.posted", need()))[0]
    s.on_feedback({"match_id": match["match_id"], "org_id": "org_seedco", "need_id": "need_rice",
                   "counterpart_id": "result_rice", "counterpart_kind": "result", "decision": "declined",
                   "reason": "not_relevant", "at": "2026-11-29T08:00:00Z"})
    out = s.on_posting("need", "need.updated", need(version=2, description="补充说明"))
    assert not [d for d in proposals(out) if d["counterpart_id"] == "result_rice"]


def test_a_replayed_decline_shapes_the_organisations_preferences_once() -> None:
    s = service()
    s.on_posting("result", "result.published", result())
    match = proposals(s.on_posting("need", "need.posted", need()))[0]
    decline = {"match_id": match["match_id"], "org_id": "org_seedco", "need_id": "need_rice",
               "counterpart_id": "result_rice", "counterpart_kind": "result", "decision": "declined",
               "reason": "not_relevant", "at": "2026-11-29T08:00:00Z"}
    s.on_feedback(decline)
    once = dict(s.engine._preferences["org_seedco"].term_weights)
    s.on_feedback(decline)  # redelivered, or read from the snapshot and then again from the topic
    assert once and s.engine._preferences["org_seedco"].term_weights == once


def test_garbage_text_is_indexed_by_structure_and_never_crashes() -> None:
    s = service()
    s.on_posting("result", "result.published", result(title="!!!", abstract="🙂🙂", keywords=[]))
    assert isinstance(s.on_posting("need", "need.posted", need(title="？？？", keywords=[])), list)


def test_the_first_result_ever_indexed_explains_its_shared_words_too() -> None:
    s = service()
    s.on_posting("result", "result.published", result())  # the index's very first document
    text = proposals(s.on_posting("need", "need.posted", need()))[0]["components"][0]
    assert text["name"] == "text"
    assert "共同词语" in text["explanation"] and "耐高温" in text["explanation"]


def test_a_confidential_needs_proposals_and_retractions_say_so_so_notify_can_hide_its_owner() -> None:
    s = service()
    s.on_posting("result", "result.published", result())
    s.on_posting("result", "result.published", result("result_public_need", title="耐高温小麦品种", keywords=["小麦"]))
    secret = proposals(s.on_posting("need", "need.posted", need(visibility="confidential")))
    assert secret and all(p["need_confidential"] for p in secret)
    retracted = s.on_posting("need", "need.closed", need(version=2, status="closed", visibility="confidential"))
    assert retracted and all(data.need_confidential for t, _, data in retracted if t == "match.retracted")

    public = proposals(s.on_posting("need", "need.posted", need() | {"id": "need_public", "org_id": "org_open"}))
    assert public and not any(p["need_confidential"] for p in public)


def test_a_need_made_public_is_no_longer_confidential_in_its_new_proposals() -> None:
    s = service()
    s.on_posting("need", "need.posted", need(visibility="confidential"))
    s.on_posting("need", "need.updated", need(version=2, visibility="public"))
    proposed = proposals(s.on_posting("result", "result.published", result()))
    assert proposed and not proposed[0]["need_confidential"]


def test_after_a_rebuild_a_confidential_needs_retractions_still_say_so() -> None:
    before = service()
    before.on_posting("result", "result.published", result())
    proposed = proposals(before.on_posting("need", "need.posted", need(visibility="confidential")))[0]
    rebuilt = service()
    rebuilt.on_posting("need", "need.snapshot", need(visibility="confidential"), index_only=True)
    rebuilt.restore_match({k: v for k, v in proposed.items() if k != "need_confidential"})  # stored before the flag
    out = rebuilt.on_posting("need", "need.closed", need(version=2, status="closed", visibility="confidential"))
    assert [(t, data.need_confidential) for t, _, data in out] == [("match.retracted", True)]
