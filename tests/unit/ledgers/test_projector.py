"""The ledgers' projector, fed a scripted year of events, gives exactly the totals computed from the script."""

import random
from collections import defaultdict
from datetime import UTC, date, datetime

import pytest

from services.registry.ledgers import service
from services.registry.ledgers.projector import Projector
from services.registry.ledgers.store import CONTRACTS, FUNNEL, MemoryLedgerStore
from tests.unit.ledgers.script import YEAR, Year, event, scripted_year

FROM, TO = date(YEAR, 1, 1), date(YEAR, 12, 31)
SIGNED, REGISTERED = ("signed", "registered", "performed"), ("registered", "performed")


async def project(events) -> MemoryLedgerStore:
    store = MemoryLedgerStore()
    projector = Projector(store)
    for e in events:
        await projector.handle(e)
    return store


@pytest.fixture(scope="module")
def year() -> Year:
    return scripted_year()


def expected_turnover_by(year: Year, key) -> dict[str, tuple[int, float, int, float]]:
    out: dict[str, list] = defaultdict(lambda: [0, 0.0, 0, 0.0])
    for d in year.deals.values():
        if d["category"] == "technology" and d["status"] in SIGNED:
            g = out[key(d)]
            g[0] += 1
            g[1] += d["amount"]
            if d["status"] in REGISTERED:
                g[2] += 1
                g[3] += d["amount"]
    return {k: tuple(v) for k, v in out.items()}


def as_tuples(table) -> dict[str, tuple[int, float, int, float]]:
    return {r["group"]: (r["signed_count"], r["signed_amount"], r["registered_count"], r["registered_amount"])
            for r in table.rows}


@pytest.mark.parametrize(("by", "key"), [
    ("month", lambda d: d["signed_on"][:7]),
    ("quarter", lambda d: f"{YEAR}-Q{(int(d['signed_on'][5:7]) + 2) // 3}"),
    ("kind", lambda d: d["kind"]),
    ("party_type", lambda d: "+".join(sorted(p["kind"] for p in d["parties"]))),
    ("summit", lambda d: d["summit_id"] or ""),
])
async def test_contract_turnover_equals_the_scripted_deals_final_states(year: Year, by, key) -> None:
    table = await service.ledger(await project(year.events), "contract-turnover", FROM, TO, by)
    expected = expected_turnover_by(year, key)
    assert as_tuples(table) == expected
    assert table.totals["registered_amount"] == sum(v[3] for v in expected.values())
    assert table.totals["signed_count"] == sum(v[0] for v in expected.values())


async def test_a_replayed_or_stale_event_changes_nothing(year: Year) -> None:
    rng = random.Random(3)
    replays = rng.sample(year.events, 40)
    stale = [event(e.type, e.subject, e.data, e.time) for e in year.events if e.type == "deal.drafted"]  # new ids
    store = await project([*year.events, *replays, *stale])
    once = await project(year.events)
    assert store.collections == once.collections
    assert not await Projector(store).handle(replays[0]), "an event id seen before is skipped"
    assert as_tuples(await service.ledger(store, "contract-turnover", FROM, TO, "kind")) == \
        expected_turnover_by(year, lambda d: d["kind"])


async def test_an_amended_deal_replaces_its_amount_in_the_totals() -> None:
    year = scripted_year()
    store = await project(year.events)
    registered = next(d for d in year.deals.values() if d["status"] == "registered")
    before = (await service.ledger(store, "contract-turnover", FROM, TO, "year")).totals["registered_amount"]
    amended = {**registered, "version": registered["version"] + 1, "amount": registered["amount"] + 123_456}
    await Projector(store).handle(event("deal.amended", amended["id"], amended, year.events[-1].time))
    after = (await service.ledger(store, "contract-turnover", FROM, TO, "year")).totals["registered_amount"]
    assert after == pytest.approx(before + 123_456)
    moved = {**amended, "version": amended["version"] + 1, "signed_on": f"{YEAR + 1}-01-10"}
    await Projector(store).handle(event("deal.amended", moved["id"], moved, year.events[-1].time))
    table = await service.ledger(store, "contract-turnover", FROM, TO, "year")
    assert table.totals["registered_amount"] == pytest.approx(before - registered["amount"])
    assert store.collections[CONTRACTS][amended["id"]]["version"] == moved["version"]


async def test_financing_by_product_type_with_ip_pledge_loans_on_their_own_line(year: Year) -> None:
    table = await service.ledger(await project(year.events), "financing", FROM, TO)
    expected: dict[str, list] = defaultdict(lambda: [0, 0.0])
    for d in year.deals.values():
        if d["category"] == "financing" and d["status"] in SIGNED:
            line = d["product_type"] or d["kind"]
            expected[line][0] += 1
            expected[line][1] += d["amount"]
    rows = {r["line"]: [r["count"], r["amount"]] for r in table.rows}
    assert rows.pop("ip_pledge_loan") == expected.pop("ip_pledge_loan", [0, 0.0])
    assert table.rows[0]["label"] == "知识产权质押贷款"
    assert rows == dict(expected)
    assert table.totals["amount"] == sum(r["amount"] for r in table.rows)


async def test_patents_by_type_count_each_listed_patent_once(year: Year) -> None:
    table = await service.ledger(await project(year.events), "patents", FROM, TO)
    for row in table.rows:
        of_type = [p for p in year.patents.values() if p["type"] == row["type"]]
        assert row["applied"] == sum(1 for p in of_type if p["number"][2:6] == str(YEAR))
        assert row["granted"] == sum(1 for p in of_type if (p["granted_on"] or "").startswith(str(YEAR)))
    assert table.totals["applied"] == sum(1 for p in year.patents.values() if p["number"][2:6] == str(YEAR))


async def test_the_funnel_counts_each_match_at_every_stage_it_reached(year: Year) -> None:
    table = await service.ledger(await project(year.events), "funnel", FROM, TO, "quarter")
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 6)
    for match_id, m in year.matches.items():
        deals = [d for d in year.deals.values() if d["match_id"] == match_id]
        reached = [True, m["viewed"], m["accepted"], m["meeting"], any(d["status"] in SIGNED for d in deals),
                   any(d["status"] in REGISTERED for d in deals)]
        for i in range(4, -1, -1):
            reached[i] = reached[i] or reached[i + 1]
        quarter = f"{YEAR}-Q{(int(m['month'][5:]) + 2) // 3}"
        counts = expected[(m["summit_id"] or "（非对接会）", quarter)]
        for i, hit in enumerate(reached):
            counts[i] += hit
    stages = ["proposed", "viewed", "accepted", "meeting", "deal", "registered"]
    assert {(r["summit"], r["period"]): [r[s] for s in stages] for r in table.rows} == dict(expected)
    assert table.totals["proposed"] == len(year.matches)


async def test_firms_by_qualification_warn_before_certificates_expire(year: Year) -> None:
    store = await project(year.events)
    soon = await service.ledger(store, "firms", None, None, as_of=date(YEAR + 2, 1, 1))
    states = {(r["org_id"], r["qualification"]): (r["state"], r["days_left"]) for r in soon.rows}
    assert states[("firm_b", "high_tech_enterprise")] == ("expiring", 14)
    assert states[("firm_a", "high_tech_enterprise")][0] == "valid"
    assert states[("firm_b", "tech_sme")] == ("valid", None)
    later = await service.ledger(store, "firms", None, None, as_of=date(YEAR + 2, 2, 1))
    assert [w["org_id"] for w in later.extra["warnings"]] == ["firm_b"]
    assert later.extra["expired"] == 1
    new_in_year = await service.ledger(store, "firms", FROM, TO, as_of=FROM)
    assert {(r["org_id"], r["qualification"]) for r in new_in_year.rows} == {
        ("firm_a", "high_tech_enterprise"), ("firm_b", "tech_sme")}, "firm_b's certificate dates from the year before"


async def test_match_events_projected_in_batches_give_the_same_funnel_as_one_by_one(year: Year) -> None:
    """The registry projects match proposals and retractions in bulk (with replays): same table."""
    rng = random.Random(11)
    events = [*year.events, *rng.sample([e for e in year.events if e.type.startswith("match.")], 20)]
    store = MemoryLedgerStore()
    projector = Projector(store)
    pending: list = []
    for e in events:
        if e.type in ("match.proposed", "match.retracted"):
            pending.append(e)
            if len(pending) >= rng.randint(1, 12):
                await projector.handle_many(pending)
                pending = []
            continue
        await projector.handle_many(pending)
        pending = []
        await projector.handle(e)
    await projector.handle_many(pending)
    batched = await service.ledger(store, "funnel", FROM, TO, "quarter")
    one_by_one = await service.ledger(await project(year.events), "funnel", FROM, TO, "quarter")
    assert batched.rows == one_by_one.rows and batched.totals == one_by_one.totals


async def test_a_match_proposed_on_new_years_morning_in_the_district_counts_in_the_new_year() -> None:
    """2025-12-31T17:00Z is 1 January 2026, 01:00 in the district (Asia/Shanghai): the funnel's period and the
    year a firm was first seen holding a qualification are the district's calendar days, not UTC's."""
    night = datetime(YEAR, 12, 31, 17, tzinfo=UTC)
    events = [event("match.proposed", "mny", {
        "match_id": "mny", "need_id": "n", "counterpart_id": "r", "counterpart_kind": "result",
        "need_org_id": "firm_a", "counterpart_org_id": "uni", "score": 0.5, "proposed_at": night.isoformat()}, night),
        event("org.registered", "firm_ny", {"id": "firm_ny", "version": 1, "name": "元旦企业", "kind": "firm",
                                            "qualifications": [{"code": "tech_sme"}]}, night)]
    store = await project(events)
    new_year = date(YEAR + 1, 1, 1), date(YEAR + 1, 12, 31)
    funnel = await service.ledger(store, "funnel", *new_year)
    assert [(r["period"], r["proposed"]) for r in funnel.rows] == [(f"{YEAR + 1}-01", 1)]
    assert (await service.ledger(store, "funnel", FROM, TO)).totals["proposed"] == 0
    firms = await service.ledger(store, "firms", *new_year, as_of=new_year[0])
    assert [r["qualified_year"] for r in firms.rows] == [YEAR + 1]


async def test_an_answer_projected_while_its_match_is_retracted_keeps_the_retraction() -> None:
    """Two registry replicas: one projects a match's answer (reads the funnel row, then writes), the other its
    retraction in between. The answer's write used to put the row back as it had read it, unretracted."""
    store = MemoryLedgerStore()
    projector = Projector(store)
    proposed_at = datetime(YEAR, 3, 5, 10, tzinfo=UTC)
    await projector.handle(event("match.proposed", "m1", {
        "match_id": "m1", "need_id": "need1", "counterpart_id": "res1", "counterpart_kind": "result",
        "need_org_id": "firm_a", "counterpart_org_id": "uni", "score": 0.5, "proposed_at": proposed_at.isoformat()},
        proposed_at))
    answer = event("match.accepted", "m1", {
        "match_id": "m1", "org_id": "uni", "need_id": "need1", "counterpart_id": "res1", "counterpart_kind": "result",
        "decision": "accepted", "at": proposed_at.isoformat()}, proposed_at)
    writes = await projector.plan(answer)  # the row as read before the retraction
    await store.mark_matches([], ["m1"])  # the other replica
    await store.apply(answer.id, writes)
    row = await store.get(FUNNEL, "m1")
    assert row["retracted"] is True and row["decisions"]["uni"]["decision"] == "accepted"
    assert row["proposed_on"] == f"{YEAR}-03-05" and row["org_ids"] == ["firm_a", "uni"]
