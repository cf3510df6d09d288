"""A year (2025) of matches and deals through the API: the ledgers and the yearly report give exactly the totals
the test computes itself, an amendment replaces its amount, and the CSV and XLSX exports agree with the JSON."""

import csv
import io
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from openpyxl import load_workbook

from tests.integration.ledgers.conftest import patent_number
from tests.support.api import bearer, eventually

pytestmark = pytest.mark.integration

YEAR = 2025
PERIOD = {"from": f"{YEAR}-01-01", "to": f"{YEAR}-12-31"}
SIGNED, REGISTERED = ("signed", "registered", "performed"), ("registered", "performed")


def registration_number() -> str:
    return f"{YEAR}430102{uuid.uuid4().int % 10**6:06}"


def expected_turnover(deals: list[dict]) -> dict[str, list]:
    out: dict[str, list] = defaultdict(lambda: [0, 0.0, 0, 0.0])
    for d in deals:
        if d["category"] == "technology" and d["status"] in SIGNED:
            row = out[d["kind"]]
            row[0] += 1
            row[1] += d["amount"]
            if d["status"] in REGISTERED:
                row[2] += 1
                row[3] += d["amount"]
    return dict(out)


async def kpis(http: httpx.AsyncClient, registry: str, admin: dict) -> dict[str, list[float]]:
    report = (await http.get(f"{registry}/v1/reports/yearly", params={"year": YEAR}, headers=admin)).json()
    return {k["key"]: [f["value"] for f in k["figures"]] for k in report["kpis"]}


async def ledger(http: httpx.AsyncClient, registry: str, admin: dict, name: str, **params) -> dict:
    query = {k: v for k, v in {**PERIOD, **params}.items() if v is not None}
    response = await http.get(f"{registry}/v1/ledgers/{name}", params=query, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_scripted_year_gives_exactly_the_ledger_totals(
        http: httpx.AsyncClient, registry: str, admin: dict, org, matched, feedback) -> None:
    before = await kpis(http, registry, admin)
    expiring_on = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    firm = await org("年度企业", "firm", qualifications=[
        {"code": "high_tech_enterprise", "certificate_no": f"GR{YEAR}43{uuid.uuid4().int % 10**6:06}",
         "expires_on": f"{YEAR + 3}-06-30"},
        {"code": "tech_sme", "certificate_no": f"{YEAR}430102{uuid.uuid4().int % 10**6:06}"}])
    firm2 = await org("年度企业二", "firm", qualifications=[
        {"code": "high_tech_enterprise", "certificate_no": f"GR{YEAR - 2}43{uuid.uuid4().int % 10**6:06}",
         "expires_on": expiring_on}])
    university, institute = await org("年度大学", "university"), await org("年度研究院", "institute")
    bank = await org("年度银行", "financier", financier_type="bank")
    product = (await http.post(f"{registry}/v1/products", headers=bank["headers"], json={
        "name": "知识产权质押贷", "product_type": "ip_pledge_loan", "amount_max": 10_000_000})).json()

    invention, utility, design = patent_number(YEAR, "1"), patent_number(YEAR, "2"), patent_number(YEAR, "3")
    for patents in ([{"number": invention, "type": "invention", "granted_on": f"{YEAR}-06-01"},
                     {"number": utility, "type": "utility_model"}],
                    [{"number": invention, "type": "invention", "granted_on": f"{YEAR}-06-01"},
                     {"number": design, "type": "design", "granted_on": f"{YEAR}-09-09"}]):
        posted = await http.post(f"{registry}/v1/results", headers=university["headers"],
                                 json={"title": "年度成果", "patents": patents})
        assert posted.status_code == 201, posted.text

    def on(month: int, dom: int = 10) -> datetime:
        return datetime(YEAR, month, dom, 9, tzinfo=UTC)

    m1, m2 = await matched(firm, university, on(2)), await matched(firm, institute, on(5))
    m3, m4 = await matched(firm2, university, on(8)), await matched(firm, bank, on(3), "product")
    m5, _proposed_only = await matched(firm2, institute, on(11)), await matched(firm, university, on(12))
    for match_id, org_id in ((m1, firm["id"]), (m1, university["id"]), (m2, firm["id"]), (m5, firm2["id"])):
        await feedback(match_id, org_id)

    deals: list[dict] = []

    async def deal(match_id: str, drafter: dict, other: dict, kind: str, amount: float, signed_on: str,
                   steps: tuple[str, ...], **extra) -> dict:
        created = await http.post(f"{registry}/v1/deals", headers=drafter["headers"], json={
            "match_id": match_id, "kind": kind, "amount": amount, "signed_on": signed_on, **extra})
        assert created.status_code == 201, created.text
        url, d = f"{registry}/v1/deals/{created.json()['id']}", created.json()
        for step in steps:
            if step == "confirm":
                response = await http.post(f"{url}/confirm", headers=other["headers"])
            elif step == "register":
                response = await http.post(f"{url}/register", headers=drafter["headers"],
                                           json={"registration_number": registration_number()})
            else:
                response = await http.post(f"{url}/{step}", headers=drafter["headers"])
            assert response.status_code == 200, response.text
            d = response.json()
        deals.append(d)
        return d

    d1 = await deal(m1, firm, university, "licence", 1_200_000, f"{YEAR}-03-18", ("confirm", "register"))
    d2 = await deal(m2, institute, firm, "development", 800_000, f"{YEAR}-06-05", ("confirm", "register"))
    await deal(m3, university, firm2, "consulting", 150_000, f"{YEAR}-09-20", ("confirm",))
    await deal(m1, firm, university, "service", 90_000, f"{YEAR}-11-02", ("confirm", "register", "terminate"))
    await deal(m2, firm, institute, "transfer", 300_000, f"{YEAR}-07-07", ())
    await deal(m4, bank, firm, "loan", 2_000_000, f"{YEAR}-04-01", ("confirm",), product_id=product["id"])
    await deal(m4, bank, firm, "equity", 5_000_000, f"{YEAR}-10-10", ("confirm",))
    amended = await http.patch(f"{registry}/v1/deals/{d1['id']}", headers=university["headers"],
                               json={"amount": 1_500_000})
    assert amended.status_code == 200
    amended2 = await http.patch(f"{registry}/v1/deals/{d2['id']}", headers=firm["headers"], json={"kind": "transfer"})
    assert amended2.status_code == 200
    finals = {d["id"]: d for d in deals} | {d1["id"]: amended.json(), d2["id"]: amended2.json()}
    performed = await http.post(f"{registry}/v1/deals/{d1['id']}/perform", headers=firm["headers"])
    finals[d1["id"]] = performed.json()

    expected = expected_turnover(list(finals.values()))

    async def turnover_settled() -> dict | None:
        table = await ledger(http, registry, admin, "contract-turnover", by="kind")
        got = {r["group"]: [r["signed_count"], r["signed_amount"], r["registered_count"], r["registered_amount"]]
               for r in table["rows"]}
        return table if got == expected else None

    table = await eventually(turnover_settled, within=30)
    registered_total = sum(v[3] for v in expected.values())
    assert table["totals"]["registered_amount"] == registered_total == 1_500_000 + 800_000

    # Deal events are keyed by deal, so the financing deals may be projected after the technology ones.
    async def financing_settled() -> bool:
        financing = await ledger(http, registry, admin, "financing")
        return {r["line"]: (r["count"], r["amount"]) for r in financing["rows"]} == {
            "ip_pledge_loan": (1, 2_000_000), "equity": (1, 5_000_000)}

    await eventually(financing_settled, within=30)

    stages = ("proposed", "viewed", "accepted", "meeting", "deal", "registered")

    async def funnel_settled() -> bool:
        funnel = await ledger(http, registry, admin, "funnel", by="year")
        return [funnel["totals"][s] for s in stages] == [6, 5, 4, 4, 4, 2]

    await eventually(funnel_settled, within=30)

    async def kpis_settled() -> dict | None:
        now = await kpis(http, registry, admin)
        want = {"technology_contract_turnover": [registered_total, 2],
                "new_high_tech_enterprises": [before["new_high_tech_enterprises"][0] + 1],
                "patents": [before["patents"][0] + 3, before["patents"][1] + 2],
                "tech_smes": [before["tech_smes"][0] + 1],
                "technology_finance": [7_000_000, 2_000_000]}
        return now if all(now[k] == v for k, v in want.items()) else None

    await eventually(kpis_settled, within=30)

    async def firm2_listed() -> dict | None:
        firms = await ledger(http, registry, admin, "firms", **{"from": None, "to": None})
        return next((r for r in firms["rows"] if r["org_id"] == firm2["id"]), None)

    warning = await eventually(firm2_listed, within=30)
    assert warning["state"] == "expiring" and 0 < warning["days_left"] <= 90 and warning["state_label"] == "90天内到期"

    before_amount = table["totals"]["registered_amount"]
    raised = await http.patch(f"{registry}/v1/deals/{d2['id']}", headers=institute["headers"],
                              json={"amount": 900_000})
    assert raised.status_code == 200

    async def replaced() -> bool:
        totals = (await ledger(http, registry, admin, "contract-turnover", by="year"))["totals"]
        return totals["registered_amount"] == before_amount + 100_000 and totals["registered_count"] == 2

    await eventually(replaced, within=30)


def cells(value: object) -> object:
    if value in (None, ""):
        return ""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


async def test_csv_and_xlsx_exports_open_and_agree_with_the_json(
        http: httpx.AsyncClient, registry: str, admin: dict) -> None:
    for name in ("contract-turnover", "firms", "patents", "financing", "funnel"):
        body = await ledger(http, registry, admin, name)
        keys = [c["key"] for c in body["columns"]]
        want = [[c["header"] for c in body["columns"]],
                *([cells(r.get(k)) for k in keys] for r in [*body["rows"], body["totals"]])]
        raw = (await http.get(f"{registry}/v1/ledgers/{name}", params={**PERIOD, "format": "csv"}, headers=admin))
        assert raw.headers["content-type"].startswith("text/csv") and raw.content.startswith(b"\xef\xbb\xbf")
        assert [[cells(v) for v in line] for line in csv.reader(io.StringIO(raw.content.decode("utf-8-sig")))] == want
        xlsx = await http.get(f"{registry}/v1/ledgers/{name}", params={**PERIOD, "format": "xlsx"}, headers=admin)
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        assert [[cells(v) for v in row] for row in sheet.iter_rows(values_only=True)] == want


async def test_the_yearly_report_as_a_page_with_a_chart_per_kpi(
        http: httpx.AsyncClient, registry: str, admin: dict) -> None:
    page = await http.get(f"{registry}/v1/reports/yearly", params={"year": YEAR}, headers={**admin,
                                                                                           "Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    for kpi in ("技术合同交易额", "新增高新技术企业", "专利申请量/授权量", "科技型中小企业"):
        assert kpi in page.text
    assert page.text.count("<svg") == 5
    as_json = await http.get(f"{registry}/v1/reports/yearly", params={"year": YEAR, "format": "json"},
                             headers={**admin, "Accept": "text/html"})
    assert as_json.json()["year"] == YEAR


async def test_ledgers_and_reports_are_for_organisers_and_admins(
        http: httpx.AsyncClient, registry: str, admin: dict, org) -> None:
    member = await org("普通会员", "firm")
    assert (await http.get(f"{registry}/v1/ledgers/firms", headers=member["headers"])).status_code == 403
    assert (await http.get(f"{registry}/v1/reports/yearly", headers=member["headers"])).status_code == 403
    organiser = await org("科技局对接办", "organiser")
    granted = await http.post(f"{registry}/v1/orgs/{organiser['id']}/roles", json={"role": "organiser"},
                              headers=admin)
    assert granted.status_code == 200, granted.text
    key = await http.post(f"{registry}/v1/orgs/{organiser['id']}/keys", json={"role": "organiser"},
                          headers=admin)
    assert key.status_code == 201, key.text
    as_organiser = bearer(key.json()["key"])
    assert (await http.get(f"{registry}/v1/ledgers/patents", headers=as_organiser)).status_code == 200
    assert (await http.get(f"{registry}/v1/reports/yearly", headers=as_organiser)).status_code == 200
    backwards = await http.get(f"{registry}/v1/ledgers/funnel", params={"from": "2025-12-31", "to": "2025-01-01"},
                               headers=admin)
    assert backwards.status_code == 422 and "from" in backwards.json()["message"]
