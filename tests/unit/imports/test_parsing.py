"""Reading organisers' spreadsheets: XLSX and CSV (with or without BOM) give the same numbered rows of text."""

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from services.registry.errors import Invalid
from services.registry.imports import parsing
from services.registry.imports.parsing import TooLarge, cell_text, column_letter, read_sheet


def xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_sheet_gives_its_header_and_rows_numbered_as_the_spreadsheet_shows_them() -> None:
    content = xlsx([["名称", "类型", "成立年份", "资质到期"],
                    ["隆平种业", "企业", 2015, datetime(2027, 6, 30)],
                    [None, None, None, None],
                    ["湖南农业大学", "高校", 1951.0, None]])
    sheet = read_sheet(content, "orgs.xlsx")
    assert sheet.header == ["名称", "类型", "成立年份", "资质到期"]
    assert sheet.header_row == 1
    assert [r.number for r in sheet.rows] == [2, 4], "the blank row 3 is skipped but keeps its number"
    assert sheet.rows[0].cells == ["隆平种业", "企业", "2015", "2027-06-30"]
    assert sheet.rows[1].cells == ["湖南农业大学", "高校", "1951", None]


def test_a_title_row_above_the_header_shifts_the_numbers_with_it() -> None:
    content = xlsx([[None], ["title", "org_id"], ["玉米深加工", "org_1"]])
    sheet = read_sheet(content)
    assert sheet.header_row == 2 and sheet.rows[0].number == 3


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_csv_in_utf8_with_or_without_bom_reads_the_same(bom: bytes) -> None:
    text = '标题,关键词,org_id\n"锂电池, 检测","机器视觉，锂电池",org_1\n\n玉米,,org_2\n'
    sheet = read_sheet(bom + text.encode())
    assert sheet.header == ["标题", "关键词", "org_id"], "the BOM is not part of the first heading"
    assert [(r.number, r.cells) for r in sheet.rows] == [
        (2, ["锂电池, 检测", "机器视觉，锂电池", "org_1"]), (4, ["玉米", None, "org_2"])]


def test_short_rows_are_padded_and_trailing_empty_headings_dropped() -> None:
    sheet = read_sheet(b"name,kind,,\nA,firm\n")
    assert sheet.header == ["name", "kind"] and sheet.rows[0].cells == ["A", "firm"]


def test_a_value_under_no_heading_is_refused() -> None:
    with pytest.raises(Invalid, match="row 2 has a value in a column without a header"):
        read_sheet(b"name,kind\nA,firm,oops\n")


def test_an_empty_heading_between_others_is_refused_with_its_column_letter() -> None:
    with pytest.raises(Invalid, match="column B of the header"):
        read_sheet(b"name,,kind\nA,,firm\n")


def test_a_csv_that_is_not_utf8_says_how_to_save_it() -> None:
    with pytest.raises(Invalid, match="CSV UTF-8"):
        read_sheet("名称,类型\n隆平,企业\n".encode("gbk"))


def test_an_old_xls_file_is_refused() -> None:
    with pytest.raises(Invalid, match=r"\.xlsx"):
        read_sheet(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "orgs.xls")


def test_a_broken_workbook_is_a_422_not_a_crash() -> None:
    with pytest.raises(Invalid, match="cannot be opened"):
        read_sheet(b"PK\x03\x04 not really a zip")


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(Invalid, match="empty"):
        read_sheet(b"  \n")


def test_too_many_bytes_or_rows_is_413(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parsing, "MAX_BYTES", 100)
    with pytest.raises(TooLarge) as too_big:
        read_sheet(b"name,kind\n" + b"A,firm\n" * 20)
    assert too_big.value.status_code == 413
    monkeypatch.setattr(parsing, "MAX_BYTES", 10_000)
    monkeypatch.setattr(parsing, "MAX_ROWS", 3)
    assert len(read_sheet(b"name,kind\n" + b"A,firm\n" * 3).rows) == 3
    with pytest.raises(TooLarge, match="more than 3 rows"):
        read_sheet(b"name,kind\n" + b"A,firm\n" * 4)
    with pytest.raises(TooLarge, match="more than 3 rows"):
        read_sheet(xlsx([["name", "kind"], *[["A", "firm"]] * 4]))


def test_cells_become_text_the_way_the_organiser_typed_them() -> None:
    assert cell_text(4.0) == "4" and cell_text(3.5) == "3.5" and cell_text(True) == "true"
    assert cell_text(date(2026, 1, 2)) == "2026-01-02" and cell_text("  ") is None and cell_text(None) is None


def test_column_letters_are_those_of_the_spreadsheet() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 27, 701)] == ["A", "Z", "AA", "AB", "ZZ"]


def rewritten(content: bytes, part: str, replacement: bytes | None) -> bytes:
    """The workbook with one of its parts replaced (or left out when `replacement` is None)."""
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name) if name != part else replacement
            if data is not None:
                target.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(("part", "replacement"), [
    ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row r='1'><c r='A1' t='inlineStr'>"),
    ("xl/workbook.xml", b"<workbook"),
    ("xl/styles.xml", b"<styleSheet"),
    ("[Content_Types].xml", b"<Types"),
    ("xl/worksheets/sheet1.xml", None),
])
def test_a_damaged_xlsx_is_a_422_not_a_crash(part: str, replacement: bytes | None) -> None:
    content = rewritten(xlsx([["名称", "类型"], ["隆平种业", "企业"]]), part, replacement)
    with pytest.raises(Invalid, match="cannot be opened"):
        read_sheet(content, "orgs.xlsx")
