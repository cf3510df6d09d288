"""Reading an uploaded spreadsheet into a header and numbered rows of text cells; no knowledge of the catalogue.

XLSX (the first worksheet, formulas read as their cached values) or CSV (UTF-8, with or without BOM, comma
separated). The header is the first non-empty row; every row keeps the number the organiser sees in the
spreadsheet (header = row 1 when the sheet starts at the top), and blank rows are skipped.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time

from services.registry.errors import DomainError, Invalid

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .et) format


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


@dataclass(frozen=True)
class Row:
    number: int                 # as the organiser sees it in the spreadsheet
    cells: list[str | None]     # one per header column; None for an empty cell


@dataclass(frozen=True)
class Sheet:
    header: list[str]
    header_row: int
    rows: list[Row]


def cell_text(value: object) -> str | None:
    """A cell as text: whole numbers without `.0`, dates as ISO dates, booleans as true/false; blank → None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def read_sheet(content: bytes, filename: str | None = None) -> Sheet:
    if len(content) > MAX_BYTES:
        raise TooLarge(f"the file is {len(content) / 1024 / 1024:.1f} MB; at most {MAX_BYTES // 1024 // 1024} MB "
                       "can be imported at once: split it", field="file")
    if not content.strip():
        raise Invalid("the file is empty", field="file")
    if content.startswith(OLE_MAGIC) or (filename or "").lower().endswith(".xls"):
        raise Invalid("old Excel .xls files cannot be read: save the sheet as .xlsx or as CSV UTF-8", field="file")
    raw_rows = _xlsx_rows(content) if content.startswith(XLSX_MAGIC) else _csv_rows(content)
    return _sheet(raw_rows)


def _sheet(raw_rows) -> Sheet:
    header: list[str] | None = None
    header_row = 0
    rows: list[Row] = []
    for number, values in raw_rows:
        cells = [cell_text(v) for v in values]
        if not any(cells):
            continue
        if header is None:
            header, header_row = _header(cells, number), number
            continue
        if len(rows) == MAX_ROWS:
            raise TooLarge(f"the file has more than {MAX_ROWS} rows; at most {MAX_ROWS} can be imported at once: "
                           "split it", field="file")
        extra = [c for c in cells[len(header):] if c]
        if extra:
            raise Invalid(f"row {number} has a value in a column without a header ({extra[0]!r}): "
                          "give the column a header or clear it", field="file")
        rows.append(Row(number, (cells + [None] * len(header))[:len(header)]))
    if header is None:
        raise Invalid("the file has no header row", field="file")
    return Sheet(header, header_row, rows)


def _header(cells: list[str | None], number: int) -> list[str]:
    while cells and cells[-1] is None:
        cells = cells[:-1]
    if len(cells) > MAX_COLUMNS:
        raise Invalid(f"the header has {len(cells)} columns; at most {MAX_COLUMNS}", field="file")
    for index, cell in enumerate(cells):
        if cell is None:
            raise Invalid(f"column {column_letter(index)} of the header (row {number}) is empty: "
                          "name every column", field="file")
    return [c for c in cells if c is not None]


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: as the spreadsheet labels its columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _csv_rows(content: bytes):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Invalid("the CSV file is not UTF-8 (byte "
                      f"{error.start + 1}): in Excel choose 'CSV UTF-8 (Comma delimited)', or upload the .xlsx",
                      field="file") from error
    try:
        return list(enumerate(csv.reader(io.StringIO(text, newline="")), start=1))
    except csv.Error as error:
        raise Invalid(f"the CSV file cannot be read: {error}", field="file") from error


def _unreadable_xlsx() -> Invalid:
    return Invalid("the file looks like an XLSX workbook but cannot be opened: save it again as .xlsx", field="file")


def _xlsx_rows(content: bytes):
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    # A damaged part fails with whatever openpyxl's parsers raise (ParseError, KeyError, IndexError, ...), on opening
    # or, in read-only mode, while the rows are read: every such failure is the file's.
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:
        raise _unreadable_xlsx() from error
    try:
        return _worksheet_rows(book)
    except Exception as error:
        raise _unreadable_xlsx() from error
    finally:
        book.close()


def _worksheet_rows(book) -> list[tuple[int, list[object]]]:
    sheet = book.worksheets[0]
    out = []
    for row in sheet.iter_rows(max_col=MAX_COLUMNS + 1):
        cells = [c for c in row if getattr(c, "row", None) is not None and c.value is not None]
        if not cells:
            continue
        values: list[object] = [None] * max(c.column for c in cells)
        for c in cells:
            values[c.column - 1] = c.value
        out.append((cells[0].row, values))
        if len(out) > MAX_ROWS + 1:  # the header and one row too many: enough to refuse the file
            break
    return out
