"""Bulk import on the shared stack: an organiser's spreadsheet goes in row by row through the single-item
services; valid rows are imported (each with its event in the outbox), failed rows are reported by the row
number the organiser sees and leave nothing behind."""

import io
import random
from collections.abc import AsyncIterator

import httpx
import pytest
from openpyxl import Workbook

from deploy.stack import Stack
from services.registry.db import Database
from services.registry.identifiers import CREDIT_CODE_ALPHABET, credit_code_check_character
from services.registry.settings import Settings
from tests.support.api import bearer, register_org

pytestmark = pytest.mark.integration
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def new_credit_code(region: str = "430121") -> str:
    body = "91" + region + "".join(random.choices(CREDIT_CODE_ALPHABET, k=9))
    return body + credit_code_check_character(body)


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
async def organiser(stack: Stack, http: httpx.AsyncClient, registry: str) -> dict[str, str]:
    """The headers of an organiser-role key, the role granted by the admin."""
    org = await register_org(http, registry, "岳麓区科技局对接服务中心", "organiser")
    granted = await http.post(f"{registry}/v1/orgs/{org['id']}/roles", json={"role": "organiser"},
                              headers=bearer(stack.env()["DUIJIE_ADMIN_KEY"]))
    assert granted.status_code == 200, granted.text
    key = await http.post(f"{registry}/v1/orgs/{org['id']}/keys", headers=bearer(stack.env()["DUIJIE_ADMIN_KEY"]),
                          json={"label": "批量导入", "role": "organiser"})
    assert key.status_code == 201, key.text
    return bearer(key.json()["key"])


@pytest.fixture
async def registry_db(stack: Stack) -> AsyncIterator[Database]:
    db = Database(stack.mongo_url, Settings().registry_db)
    yield db
    await db.close()


async def upload(http: httpx.AsyncClient, registry: str, headers: dict[str, str], content: bytes,
                 name: str = "导入.xlsx", kind: str | None = None) -> httpx.Response:
    return await http.post(f"{registry}/v1/imports", headers=headers, data={"kind": kind} if kind else {},
                           files={"file": (name, content, XLSX if name.endswith(".xlsx") else "text/csv")})


async def event_types(db: Database, subjects: list[str]) -> dict[str, list[str]]:
    wanted = {"key": {"$in": subjects}}
    rows = {row["_id"]: row for collection in ("outbox", "outbox_sent")  # still to send, and sent (a row
            for row in await db[collection].find(wanted, projection={"key": 1, "type": 1}).to_list()}.values()
    # moving between the two reads is seen twice, once)
    out: dict[str, list[str]] = {s: [] for s in subjects}
    for row in rows:
        out[row["key"]].append(row["type"])
    return out


async def test_an_organiser_imports_organisations_and_gets_row_errors_for_the_bad_ones(
        http: httpx.AsyncClient, registry: str, organiser: dict, registry_db: Database) -> None:
    firm_code, other_code = new_credit_code(), new_credit_code()
    bad_code = other_code[:-1] + ("1" if other_code[-1] == "0" else "0")  # a mistyped check character
    sheet = xlsx([
        ["名称", "类型", "统一社会信用代码", "地区", "行业代码", "资质", "成立年份"],
        ["长沙智能检测有限公司", "企业", firm_code, "430104", "C4014，C3911", "tech_sme、tech_little_giant", 2016],
        ["中南工业技术研究院", "科研院所", None, "430100", None, None, 2001],
        ["错号科技有限公司", "firm", bad_code, "430104", None, None, None],
        ["湘江科创银行", "金融机构", None, "430100", None, None, None],
        ["未知类型单位", "合作社", None, None, None, None, None],
    ])
    response = await upload(http, registry, organiser, sheet)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["kind"] == "orgs", "the kind is read from the Chinese header"
    assert (report["imported"], report["failed"]) == (3, 2)
    assert [c["row"] for c in report["created"]] == [2, 3, 5]
    assert [(e["row"], e["field"], e["column"]) for e in report["errors"]] == [
        (4, "credit_code", "统一社会信用代码"), (6, "kind", "类型")]
    assert "check character is wrong" in report["errors"][0]["message"]

    firm = report["created"][0]
    shown = await http.get(f"{registry}/v1/orgs/{firm['id']}", headers=bearer(firm["api_key"]))
    assert shown.status_code == 200, "the imported organisation's first key works"
    assert {"name": "长沙智能检测有限公司", "kind": "firm", "credit_code": firm_code,
            "industry_codes": ["C4014", "C3911"], "founded_year": 2016}.items() <= shown.json().items()
    assert [q["code"] for q in shown.json()["qualifications"]] == ["tech_sme", "tech_little_giant"]
    assert (await event_types(registry_db, [c["id"] for c in report["created"]])) == {
        c["id"]: ["org.registered"] for c in report["created"]}, "each imported row went out through the outbox"
    failed = await http.get(f"{registry}/v1/orgs", params={"q": "错号科技"}, headers=organiser)
    assert failed.json()["items"] == [], "a failed row leaves nothing behind"


async def test_postings_are_imported_for_the_organisations_named_in_org_id(
        http: httpx.AsyncClient, registry: str, organiser: dict, registry_db: Database) -> None:
    firm = await register_org(http, registry, "宁乡锂电材料有限公司", "firm", credit_code=new_credit_code())
    university = await register_org(http, registry, "湖南工程大学", "university")
    sheet = xlsx([
        ["标题", "描述", "关键词", "技术成熟度下限", "技术成熟度上限", "预算上限", "合作方式", "机构ID"],
        ["极片涂布缺陷在线检测", "机器视觉检测", "机器视觉，锂电池", 5, 8, 1500000, "joint_development", firm["id"]],
        ["正极材料烧结工艺优化", None, "正极材料;烧结", 4, 12, None, None, firm["id"]],
        ["电解液回收", None, "回收、电解液", 3, 6, 800000, "licence、transfer", university["id"]],
        ["幽灵需求", None, None, None, None, None, None, "org_000000000000000000000000"],
        ["隔膜涂层", None, "隔膜", None, None, None, None, firm["id"]],
    ])
    response = await upload(http, registry, organiser, sheet, kind="needs")
    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["imported"], report["failed"]) == (3, 2)
    assert [(c["row"], c["org_id"]) for c in report["created"]] == [
        (2, firm["id"]), (4, university["id"]), (6, firm["id"])]
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "trl_max"), (5, "org_id")]
    assert report["errors"][0]["message"] == "must be at most 9"

    owner = bearer(firm["api_key"])
    need = await http.get(f"{registry}/v1/needs/{report['created'][0]['id']}", headers=owner)
    assert need.status_code == 200
    assert {"org_id": firm["id"], "keywords": ["机器视觉", "锂电池"], "trl_min": 5, "trl_max": 8,
            "budget_max": 1500000, "status": "open"}.items() <= need.json().items()
    mine = await http.get(f"{registry}/v1/needs", params={"mine": "true"}, headers=owner)
    assert sorted(n["title"] for n in mine.json()["items"]) == ["极片涂布缺陷在线检测", "隔膜涂层"], \
        "the row with TRL 12 left nothing behind"
    ids = [c["id"] for c in report["created"]]
    assert await event_types(registry_db, ids) == {i: ["need.posted"] for i in ids}


async def test_a_csv_with_bom_and_only_the_header_to_go_by(http: httpx.AsyncClient, registry: str,
                                                          organiser: dict) -> None:
    bank = await register_org(http, registry, "长沙农商银行科技支行", "financier", financier_type="bank")
    firm = await register_org(http, registry, "不放贷的企业", "firm", credit_code=new_credit_code())
    csv = ("产品名称,产品类型,额度上限,资质要求,适用地区,机构ID\n"
           f"科技贷,credit_loan,5000000,\"tech_sme,high_tech_enterprise\",430104；430121,{bank['id']}\n"
           f"假冒产品,credit_loan,,,,{firm['id']}\n")
    response = await upload(http, registry, organiser, b"\xef\xbb\xbf" + csv.encode(), name="products.csv")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["kind"] == "products" and report["imported"] == 1
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "org_id")], "products are for financiers"
    product = (await http.get(f"{registry}/v1/products/{report['created'][0]['id']}",
                              headers=bearer(bank["api_key"]))).json()
    assert product["required_qualifications"] == ["tech_sme", "high_tech_enterprise"]
    assert product["regions"] == ["430104", "430121"]


async def test_only_organisers_and_admins_import_and_bad_files_are_refused_whole(
        stack: Stack, http: httpx.AsyncClient, registry: str, organiser: dict) -> None:
    member = await register_org(http, registry, "普通会员企业", "firm", credit_code=new_credit_code())
    sheet = xlsx([["名称", "类型"], ["不该出现的单位", "企业"]])
    refused = await upload(http, registry, bearer(member["api_key"]), sheet)
    assert refused.status_code == 403
    assert (await http.get(f"{registry}/v1/orgs", params={"q": "不该出现"}, headers=organiser)).json()["items"] == []

    admin = bearer(stack.env()["DUIJIE_ADMIN_KEY"])
    header = xlsx([["标题", "颜色", "机构ID"], ["x", "红", "org_1"]])
    unknown = await upload(http, registry, admin, header, kind="needs")
    assert unknown.status_code == 422 and "颜色" in unknown.json()["message"]
    ambiguous = await upload(http, registry, admin, b"title,org_id\nx,org_1\n", name="x.csv")
    assert ambiguous.status_code == 422 and ambiguous.json()["field"] == "kind"
    too_big = await upload(http, registry, admin, b"name,kind\n" + b"A,firm\n" * 800_000, name="big.csv")
    assert too_big.status_code == 413
