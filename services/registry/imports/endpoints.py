"""`POST /v1/imports`: an organiser uploads a spreadsheet of organisations or postings."""

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile

from services.registry.deps import Box, CurrentCaller
from services.registry.imports import service
from services.registry.imports.columns import ImportKind
from services.registry.imports.parsing import MAX_BYTES, MAX_ROWS, TooLarge, read_sheet
from services.registry.imports.schemas import ImportReport

router = APIRouter(prefix="/v1/imports", tags=["imports"])

DESCRIPTION = f"""Organisers and admins only. Upload an **XLSX** workbook (its first sheet) or a **CSV** file (UTF-8,
with or without BOM, comma separated) as the multipart field `file`: at most {MAX_BYTES // 1024 // 1024} MB
(413 beyond) and {MAX_ROWS} rows (413 beyond).

**What the file holds** — the form field `kind`: `orgs`, `needs`, `results`, `products` or `experts`. Without it
the kind is read from the header row: the one kind whose fields name every column (422 when the header fits none
or several: then send `kind`).

**Columns** — the first non-empty row is the header: one column per field of the single-item POST
(`POST /v1/orgs`, `/v1/needs`, ...), by its English name (`credit_code`, `Credit code`) or a Chinese heading
(名称 → name, 类型 → kind / product_type, 统一社会信用代码 → credit_code, 地区 → region, 行业代码 → industry_codes,
资质 → qualifications, 成立年份 → founded_year, 标题 → title, 关键词 → keywords, 技术成熟度下限/上限 → trl_min/trl_max,
技术成熟度 → trl, 预算下限/上限 → budget_min/budget_max, 合作方式 → cooperation_modes, 专利 → patents, 发明人 →
inventors, 产品类型 → product_type, 姓名 → name, 科技特派员 → is_tech_commissioner, 机构ID → org_id, ...). An unknown
or repeated column is a 422 for the whole file. Empty cells are left out (the field's default applies). Cells of
list fields are split on `,` `，` `;` `；` `、`; an item of a list of objects gives its fields in order separated by
`:` (`high_tech_enterprise:GR202343000123:2026-12-31`, `CN202310123456.6:invention`). 是/否 are accepted for
yes/no, 企业/高校/科研院所/金融机构 for an organisation's kind. Type long codes (统一社会信用代码) as text in Excel:
a number cell loses digits.

**Postings** are imported for the organisation named in the required `org_id` column (an organisation that
exists; an unknown one is a row error); products only for financiers.

**Rows** — each row is validated exactly like the single-item POST and written in its own transaction with its
event (`org.registered`, `need.posted`, ...), so valid rows are imported and a failed row leaves nothing
behind. Rows are written one after another: a file of thousands of rows takes minutes (about 30 ms a row on
the embedded stack), so give the request a generous timeout. Row numbers are those the spreadsheet shows
(header = row 1); each problem names the field path, the column heading and says what is wrong. Imported
organisations get their first API key (role `member`), returned in `created[].api_key` — shown once, in this
response only.

**Status** — 200 whenever the file could be read, also when some or all rows failed: the report is the answer
(`failed` > 0 says so). 207 Multi-Status is not used: it is WebDAV's, with an XML body clients do not expect.
"""


@router.post("", response_model=ImportReport, summary="Import organisations or postings from an XLSX or CSV file",
             description=DESCRIPTION, responses={
                 403: {"description": "The caller is neither organiser nor admin"},
                 413: {"description": f"More than {MAX_BYTES // 1024 // 1024} MB or more than {MAX_ROWS} rows"},
                 422: {"description": "The file cannot be read, its header is wrong, or `kind` cannot be told"}})
async def import_file(request: Request, box: Box, caller: CurrentCaller,
                      file: Annotated[UploadFile, File(description="The .xlsx or .csv file")],
                      kind: Annotated[ImportKind | None, Form(description="What the rows are; read from the "
                                                                          "header when left out")] = None,
                      ) -> ImportReport:
    caller.require("organiser")
    declared = int(request.headers.get("content-length") or 0)
    if (file.size is not None and file.size > MAX_BYTES) or declared > MAX_BYTES + 64 * 1024:
        raise TooLarge(f"the upload is larger than {MAX_BYTES // 1024 // 1024} MB: split the file", field="file")
    content = await file.read(MAX_BYTES + 1)
    sheet = read_sheet(content, file.filename)
    return await service.import_sheet(box, caller, sheet, kind)
