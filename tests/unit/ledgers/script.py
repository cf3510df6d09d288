"""A scripted year (2025) of platform events, with the ledger figures computed independently of the projector."""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from services.contracts.envelope import Envelope, new_event

YEAR = 2025
TECH = ("development", "transfer", "licence", "consulting", "service")
FIN = ("loan", "equity", "guarantee")
KINDS = {"firm_a": "firm", "firm_b": "firm", "uni": "university", "inst": "institute", "bank": "financier"}


def event(type_: str, subject: str, data: dict, at: datetime) -> Envelope:
    return new_event(type_, subject, data, source="/test").model_copy(update={"time": at})


def day(month: int, dom: int) -> date:
    return date(YEAR, month, dom)


def at(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, 10, tzinfo=UTC)


@dataclass
class Year:
    events: list[Envelope] = field(default_factory=list)
    deals: dict[str, dict] = field(default_factory=dict)     # final state of each deal, as the script knows it
    matches: dict[str, dict] = field(default_factory=dict)   # what each match reached
    patents: dict[str, dict] = field(default_factory=dict)   # distinct patents still listed by a result

    def deal(self, rng: random.Random, n: int) -> None:
        kind = rng.choice(TECH + FIN)
        pair = ["firm_a", "bank"] if kind in FIN else rng.choice([["firm_a", "uni"], ["firm_b", "inst"],
                                                                  ["firm_a", "firm_b"]])
        signed = day(rng.randint(1, 12), rng.randint(1, 28))
        match_id = f"m{n % 12}"
        state = {"id": f"deal{n}", "version": 1, "status": "draft", "kind": kind,
                 "category": "financing" if kind in FIN else "technology",
                 "amount": float(rng.randint(1, 500) * 10_000),
                 "signed_on": signed.isoformat(), "drafted_by": pair[0], "match_id": match_id,
                 "summit_id": "summit1" if n % 3 == 0 else None,
                 "product_type": rng.choice(["ip_pledge_loan", "credit_loan", None]) if kind == "loan" else None,
                 "parties": [{"org_id": o, "kind": KINDS[o]} for o in pair],
                 "created_at": at(signed).isoformat(), "updated_at": at(signed).isoformat()}
        steps = ["deal.drafted"]
        roll = rng.random()
        if roll > 0.15:
            steps.append("deal.signed")
        if roll > 0.35 and kind in TECH:
            steps.append("deal.registered")
        if rng.random() < 0.3:
            steps.append("deal.amended")
        if rng.random() < 0.1:
            steps.append("deal.terminated")
        when = at(signed)
        for step in steps:
            state["version"] += step != "deal.drafted"
            if step == "deal.signed":
                state["status"] = "signed"
            elif step == "deal.registered":
                state["status"] = "registered"
                state["registration_number"] = f"{YEAR}430102{n:06}"
                state["registered_on"] = signed.isoformat()
            elif step == "deal.amended":
                state["amount"] = float(rng.randint(1, 500) * 10_000)
            elif step == "deal.terminated":
                state["status"] = "terminated"
            when += timedelta(hours=1)
            self.events.append(event(step, state["id"], dict(state), when))
        self.deals[state["id"]] = dict(state)


def scripted_year(seed: int = 7) -> Year:
    rng = random.Random(seed)
    y = Year()
    start = at(day(1, 2))
    y.events.append(event("org.registered", "firm_a", {
        "id": "firm_a", "version": 1, "name": "甲企业", "kind": "firm",
        "qualifications": [{"code": "high_tech_enterprise", "certificate_no": f"GR{YEAR}43000001",
                            "expires_on": f"{YEAR + 3}-10-01"}]}, start))
    y.events.append(event("org.registered", "firm_b", {
        "id": "firm_b", "version": 1, "name": "乙企业", "kind": "firm",
        "qualifications": [{"code": "tech_sme"}]}, start))
    y.events.append(event("org.updated", "firm_b", {   # gains high-tech status issued the year before
        "id": "firm_b", "version": 2, "name": "乙企业", "kind": "firm",
        "qualifications": [{"code": "tech_sme"}, {"code": "high_tech_enterprise",
                                                  "certificate_no": f"GR{YEAR - 1}43000002",
                                                  "expires_on": f"{YEAR + 2}-01-15"}]}, at(day(6, 1))))
    y.events.append(event("org.registered", "uni", {"id": "uni", "version": 1, "name": "大学",
                                                    "kind": "university"}, start))
    for n in range(12):
        proposed = at(day(n + 1, 5))
        y.events.append(event("match.proposed", f"m{n}", {
            "match_id": f"m{n}", "need_id": f"need{n}", "counterpart_id": f"res{n}", "counterpart_kind": "result",
            "need_org_id": "firm_a", "counterpart_org_id": "uni", "score": 0.5, "proposed_at": proposed.isoformat()},
            proposed))
        y.matches[f"m{n}"] = {"month": f"{YEAR}-{n + 1:02}", "viewed": False, "accepted": False,
                              "meeting": False, "summit_id": None}
        for org in ("firm_a", "uni")[: n % 3]:  # m0: no answer, m1: one accepted, m2: both accepted
            y.events.append(event("match.accepted", f"m{n}", {
                "match_id": f"m{n}", "org_id": org, "need_id": f"need{n}", "counterpart_id": f"res{n}",
                "counterpart_kind": "result", "decision": "accepted", "at": (proposed + timedelta(days=1)).isoformat()},
                proposed + timedelta(days=1)))
            y.matches[f"m{n}"]["viewed"] = True
        y.matches[f"m{n}"]["accepted"] = n % 3 == 2
        if n % 4 == 0:
            y.events.append(event("meeting.accepted", f"req{n}", {
                "request_id": f"req{n}", "summit_id": "summit1", "from_participant": "p1", "to_participant": "p2",
                "from_org_id": "firm_a", "to_org_id": "uni", "participant_org_ids": ["firm_a", "uni"], "score": 0.5,
                "source": "match", "match_id": f"m{n}", "status": "accepted",
                "expires_at": (proposed + timedelta(days=9)).isoformat(),
                "at": (proposed + timedelta(days=2)).isoformat()},
                proposed + timedelta(days=2)))
            y.matches[f"m{n}"].update(meeting=True, summit_id="summit1")
    for n in range(40):
        y.deal(rng, n)
    patent_types = {"1": "invention", "2": "utility_model", "3": "design"}
    published: dict[int, dict] = {}
    for n in range(6):
        numbers = [f"CN{YEAR - (n % 2)}{d}{n:07}.{n}" for d in "123"[: 1 + n % 3]]
        patents = [{"number": num, "type": patent_types[num[6]],
                    "granted_on": f"{YEAR}-0{1 + n}-15" if n % 2 == 0 else None} for num in numbers]
        data = {"id": f"res{n}", "org_id": "uni", "version": 1, "status": "open", "title": f"成果{n}",
                "patents": patents}
        published[n] = data
        y.events.append(event("result.published", f"res{n}", data, at(day(1 + n, 3))))
        for p in patents:
            y.patents[p["number"]] = p
    # res1 drops its last patent; res2 is deleted; res4 lists res0's patent again (still one patent)
    last = published[1]
    y.events.append(event("result.updated", "res1", {**last, "version": 2, "patents": last["patents"][:1]},
                          at(day(9, 1))))
    for p in last["patents"][1:]:
        y.patents.pop(p["number"])
    res2 = published[2]
    y.events.append(event("result.deleted", "res2", {**res2, "version": 2, "status": "deleted"}, at(day(9, 2))))
    for p in res2["patents"]:
        y.patents.pop(p["number"])
    res4 = published[4]
    res0_patent = published[0]["patents"][0]
    y.events.append(event("result.updated", "res4", {**res4, "version": 2, "patents": [*res4["patents"], res0_patent]},
                          at(day(9, 3))))
    return y
