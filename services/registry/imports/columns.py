"""What the columns of an import mean: which catalogue kind a sheet holds, Chinese headers as aliases of the
field names, and cells turned into the values the single-item POST would receive."""

import re
import types
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from services.registry.errors import Invalid
from services.registry.experts.kind import EXPERT
from services.registry.imports.parsing import column_letter
from services.registry.needs.kind import NEED
from services.registry.orgs.schemas import OrgCreate
from services.registry.postings.kinds import PostingKind
from services.registry.products.kind import PRODUCT
from services.registry.results.kind import RESULT

ImportKind = Literal["orgs", "needs", "results", "products", "experts"]
POSTING_KINDS: dict[str, PostingKind] = {"needs": NEED, "results": RESULT, "products": PRODUCT, "experts": EXPERT}
OWNER = "org_id"  # the column naming the organisation a posting belongs to
LIST_SEPARATORS = re.compile(r"[,，;；、]")
PART_SEPARATORS = re.compile(r"[:：]")
BOOLEANS = {"是": "true", "否": "false", "√": "true", "×": "false"}
ORG_KINDS = {"企业": "firm", "高校": "university", "大学": "university", "科研院所": "institute", "研究院": "institute",
             "金融机构": "financier", "组织方": "organiser", "服务机构": "organiser"}

SHARED = {"关键词": "keywords", "行业代码": "industry_codes", "地区": "region", "区域": "region", "状态": "status",
          "机构id": OWNER, "机构编号": OWNER, "发布机构": OWNER}
ALIASES: dict[str, dict[str, str]] = {
    "orgs": {"名称": "name", "机构名称": "name", "单位名称": "name", "类型": "kind", "机构类型": "kind",
             "统一社会信用代码": "credit_code", "信用代码": "credit_code", "所在地区": "region",
             "行政区划": "region", "行业代码": "industry_codes", "资质": "qualifications", "成立年份": "founded_year",
             "营收档位": "revenue_band", "专利数": "patents_held", "有效专利数": "patents_held",
             "金融机构类型": "financier_type", "联系邮箱": "contact_email", "邮箱": "contact_email",
             "地区": "region", "区域": "region"},
    "needs": {**SHARED, "标题": "title", "需求名称": "title", "描述": "description", "需求描述": "description",
              "技术成熟度下限": "trl_min", "技术成熟度上限": "trl_max", "预算下限": "budget_min",
              "预算上限": "budget_max", "合作方式": "cooperation_modes", "截止日期": "deadline",
              "公开范围": "visibility", "可见性": "visibility"},
    "results": {**SHARED, "标题": "title", "成果名称": "title", "摘要": "abstract", "成果简介": "abstract",
                "学科": "discipline", "技术成熟度": "trl", "专利": "patents", "转化方式": "transfer_modes",
                "价格下限": "price_min", "价格上限": "price_max", "发明人": "inventors", "完成人": "inventors"},
    "products": {**SHARED, "名称": "name", "产品名称": "name", "类型": "product_type", "产品类型": "product_type",
                 "额度下限": "amount_min", "额度上限": "amount_max", "利率下限": "rate_min", "利率上限": "rate_max",
                 "期限": "term_months", "期限（月）": "term_months", "资质要求": "required_qualifications",
                 "最少专利数": "min_patents", "最低营收档位": "min_revenue_band",
                 "最低成立年限": "min_years_since_founding", "适用地区": "regions", "担保方式": "collateral"},
    "experts": {**SHARED, "姓名": "name", "名称": "name", "所属机构": "affiliation_org_id", "领域": "fields",
                "专业领域": "fields", "科技特派员": "is_tech_commissioner", "是否科技特派员": "is_tech_commissioner"},
}


def create_model_of(kind: ImportKind) -> type[BaseModel]:
    return OrgCreate if kind == "orgs" else POSTING_KINDS[kind].create


def known_fields(kind: ImportKind) -> set[str]:
    fields = set(create_model_of(kind).model_fields)
    return fields if kind == "orgs" else fields | {OWNER}


def required_fields(kind: ImportKind) -> set[str]:
    required = {n for n, f in create_model_of(kind).model_fields.items() if f.is_required()}
    return required if kind == "orgs" else required | {OWNER}


def field_of(kind: ImportKind, heading: str) -> str | None:
    """`统一社会信用代码` → credit_code, `Credit code` → credit_code; None when the heading names no field."""
    plain = heading.strip()
    if plain in ALIASES[kind]:
        return ALIASES[kind][plain]
    if plain.lower() in ALIASES[kind]:
        return ALIASES[kind][plain.lower()]
    name = re.sub(r"[\s\-]+", "_", plain.lower())
    return name if name in known_fields(kind) else None


@dataclass(frozen=True)
class Columns:
    kind: ImportKind
    fields: list[str]       # one per header column
    headings: list[str]     # as written in the sheet


def columns_for(header: list[str], kind: ImportKind) -> Columns:
    fields: list[str] = []
    for index, heading in enumerate(header):
        field = field_of(kind, heading)
        where = f"column {column_letter(index)} ({heading!r})"
        if field is None:
            raise Invalid(f"{where} is not a field of {kind}; known columns: {', '.join(sorted(known_fields(kind)))}",
                          field="file")
        if field in fields:
            raise Invalid(f"{where} repeats the column {field}", field="file")
        fields.append(field)
    missing = required_fields(kind) - set(fields)
    if missing:
        raise Invalid(f"the header has no column {', '.join(sorted(missing))}, which {kind} need", field="file")
    return Columns(kind, fields, header)


def infer_kind(header: list[str]) -> ImportKind:
    """The one kind whose fields name every column and whose required columns are all there."""
    fits = []
    for kind in ALIASES:
        fields = [field_of(kind, h) for h in header]  # type: ignore[arg-type]
        if None not in fields and required_fields(kind) <= set(fields):  # type: ignore[arg-type]
            fits.append(kind)
    if len(fits) == 1:
        return fits[0]  # type: ignore[return-value]
    reason = f"it fits {' and '.join(fits)}" if fits else "it fits none of orgs, needs, results, products, experts"
    raise Invalid(f"cannot tell from the header what the file holds ({reason}): send the form field kind",
                  field="kind")


def _shape(annotation: Any) -> tuple[bool, type[BaseModel] | None, bool]:
    """(is a list, the model of its items if they are objects, is a bool) of a field's annotation."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
        return _shape(annotation)
    if get_origin(annotation) is list:
        item = get_args(annotation)[0]
        while get_origin(item) is Annotated:
            item = get_args(item)[0]
        is_model = isinstance(item, type) and issubclass(item, BaseModel)
        return True, item if is_model else None, False
    return False, None, annotation is bool


def _item(model: type[BaseModel], text: str) -> dict[str, str]:
    """`high_tech_enterprise:GR202343000123:2026-12-31` → the item model's fields in their declared order."""
    parts = [p.strip() for p in PART_SEPARATORS.split(text)]
    return {name: part for name, part in zip(model.model_fields, parts, strict=False) if part}


def cell_value(model: type[BaseModel], field: str, text: str) -> Any:
    info = model.model_fields.get(field)
    if info is None:
        return text
    is_list, item_model, is_bool = _shape(info.annotation)
    if is_list:
        items = [t.strip() for t in LIST_SEPARATORS.split(text) if t.strip()]
        return [_item(item_model, t) for t in items] if item_model else items
    if is_bool:
        return BOOLEANS.get(text, text)
    if model is OrgCreate and field == "kind":
        return ORG_KINDS.get(text, text)
    return text


def row_body(columns: Columns, cells: list[str | None]) -> tuple[dict[str, Any], str | None]:
    """The body a POST would carry (empty cells left out, so defaults apply) and the owning org_id, if any."""
    model = create_model_of(columns.kind)
    body: dict[str, Any] = {}
    owner = None
    for field, text in zip(columns.fields, cells, strict=True):
        if text is None:
            continue
        if field == OWNER and columns.kind != "orgs":
            owner = text
        else:
            body[field] = cell_value(model, field, text)
    return body, owner
