"""Columns of an import: Chinese headings, the kind told from the header, cells as a POST body would carry them."""

import pytest

from services.registry.errors import Invalid
from services.registry.imports.columns import cell_value, columns_for, field_of, infer_kind, row_body
from services.registry.needs.schemas import NeedCreate
from services.registry.orgs.schemas import OrgCreate
from services.registry.results.schemas import ResultCreate


def test_chinese_and_spelled_out_headings_name_the_fields_of_orgs() -> None:
    headings = ["名称", "类型", "统一社会信用代码", "地区", "Credit code", "行业代码", "成立年份", "资质"]
    assert [field_of("orgs", h) for h in headings] == [
        "name", "kind", "credit_code", "region", "credit_code", "industry_codes", "founded_year", "qualifications"]
    assert all(field_of("orgs", f) == f for f in OrgCreate.model_fields), "the English field names are headings too"


def test_the_same_heading_means_what_the_kind_says() -> None:
    assert field_of("orgs", "类型") == "kind" and field_of("products", "类型") == "product_type"


@pytest.mark.parametrize(("header", "kind"), [
    (["名称", "类型", "统一社会信用代码"], "orgs"),
    (["标题", "技术成熟度下限", "机构ID"], "needs"),
    (["title", "trl", "patents", "org_id"], "results"),
    (["产品名称", "产品类型", "org_id"], "products"),
    (["姓名", "科技特派员", "org_id"], "experts"),
])
def test_the_kind_is_read_from_the_header(header: list[str], kind: str) -> None:
    assert infer_kind(header) == kind


def test_a_header_that_fits_two_kinds_or_none_asks_for_the_kind() -> None:
    with pytest.raises(Invalid, match="fits needs and results"):
        infer_kind(["title", "org_id"])
    with pytest.raises(Invalid, match="fits none"):
        infer_kind(["价格", "颜色"])


def test_unknown_repeated_or_missing_columns_refuse_the_file() -> None:
    with pytest.raises(Invalid, match=r"column C \('颜色'\) is not a field of needs"):
        columns_for(["title", "org_id", "颜色"], "needs")
    with pytest.raises(Invalid, match="repeats the column name"):
        columns_for(["name", "名称", "kind"], "orgs")
    with pytest.raises(Invalid, match="no column org_id"):
        columns_for(["title"], "needs")


@pytest.mark.parametrize("cell", ["机器视觉,锂电池", "机器视觉，锂电池", "机器视觉;锂电池", "机器视觉、锂电池",
                                  " 机器视觉 ；锂电池,"])
def test_list_cells_split_on_western_and_chinese_separators(cell: str) -> None:
    assert cell_value(NeedCreate, "keywords", cell) == ["机器视觉", "锂电池"]


def test_items_of_object_lists_give_their_fields_in_order() -> None:
    assert cell_value(OrgCreate, "qualifications", "high_tech_enterprise：GR202343000123:2027-12-31、tech_sme") == [
        {"code": "high_tech_enterprise", "certificate_no": "GR202343000123", "expires_on": "2027-12-31"},
        {"code": "tech_sme"}]
    assert cell_value(ResultCreate, "patents", "CN202310123456.6:invention") == [
        {"number": "CN202310123456.6", "type": "invention"}]


def test_plain_cells_stay_text_for_the_create_model_to_parse() -> None:
    assert cell_value(NeedCreate, "description", "需要a,b;c") == "需要a,b;c", "only list fields are split"
    assert cell_value(OrgCreate, "kind", "企业") == "firm"
    columns = columns_for(["标题", "技术成熟度上限", "机构ID", "描述"], "needs")
    body, owner = row_body(columns, ["检测", "7", "org_1", None])
    assert body == {"title": "检测", "trl_max": "7"} and owner == "org_1", "empty cells are left out"
    assert NeedCreate.model_validate(body).trl_max == 7
