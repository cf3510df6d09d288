"""Rendering a ledger table as CSV (UTF-8 with BOM, so Excel shows the Chinese) or XLSX (openpyxl)."""

import csv
import io

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from services.registry.ledgers.tables import Table

# A text cell starting with one of these is run as a formula by Excel (CSV) or written as one by openpyxl (XLSX);
# names and regions come from organisations themselves.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _storable(value: object) -> object:
    """A worksheet cannot hold control characters (openpyxl refuses the whole workbook): they are left out."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _lines(table: Table) -> list[list]:
    keys = [k for k, _ in table.columns]
    return [[h for _, h in table.columns], *([row.get(k) for k in keys] for row in table.rows),
            [table.totals.get(k) for k in keys]]


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for line in _lines(table):
        writer.writerow(["" if v is None else "'" + v if _looks_like_formula(v) else v for v in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.title[:31]
    lines = _lines(table)
    for line in lines:
        sheet.append([_storable(v) for v in line])
        for cell in sheet[sheet.max_row]:
            if _looks_like_formula(cell.value):
                cell.data_type = "s"  # text, shown as written
    bold = Font(bold=True)
    for cell in (*sheet[1], *sheet[len(lines)]):
        cell.font = bold
    for i, (_, header) in enumerate(table.columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(12, 2 * len(header) + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
