"""Whatever a client sends is refused with a 4xx naming the problem, never stored in a shape that breaks later
reads: amounts are finite and at most 1e12 CNY, moments lie in 2000–2199 (UTC), a time zone is one, keys and
cursors are what the registry hands out, and digits are ASCII digits."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from services.registry.auth import KeyCache, authenticate
from services.registry.concurrency import expected_version
from services.registry.deals.schemas import DealCreate, DealUpdate
from services.registry.errors import Invalid, Unauthorized
from services.registry.identifiers import industry_code_problem, patent_number_problem
from services.registry.matches.service import after_cursor, cursor_of
from services.registry.needs.kind import NEED
from services.registry.orgs.schemas import OrgCreate, OrgUpdate
from services.registry.products.kind import PRODUCT
from services.registry.results.kind import RESULT
from services.registry.summits.schemas import DealTerms, ParticipantCreate, SessionIn, SummitCreate, SummitUpdate
from services.registry.summits.service import zone

EXTREMES = ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1999-12-31T23:59:59+00:00",
            "2200-01-01T00:00:00+00:00"]
NOT_FINITE = [float("inf"), float("-inf"), float("nan"), 1e400]
TERMS = {"kind": "licence", "signed_on": "2026-03-18"}
MONEY: list[tuple[type[BaseModel], dict[str, Any], str]] = [
    *[(m, {"title": "x"}, f) for m in (NEED.create, NEED.update) for f in ("budget_min", "budget_max")],
    *[(m, {"title": "x"}, f) for m in (RESULT.create, RESULT.update) for f in ("price_min", "price_max")],
    *[(PRODUCT.create, {"name": "x", "product_type": "ip_pledge_loan"}, f) for f in ("amount_min", "amount_max")],
    (DealCreate, {**TERMS, "match_id": "m"}, "amount"), (DealUpdate, {}, "amount"), (DealTerms, TERMS, "amount")]


def field_refused(model: type[BaseModel], body: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(body)
    return [".".join(str(p) for p in e["loc"]) for e in refused.value.errors()]


@pytest.mark.parametrize(("model", "body", "field"), MONEY, ids=[f"{m.__name__}.{f}" for m, _, f in MONEY])
def test_an_amount_must_be_finite_and_at_most_a_trillion_yuan(model: type[BaseModel], body: dict, field: str) -> None:
    for value in [*NOT_FINITE, 1.000001e12]:
        assert field_refused(model, {**body, field: value}) == [field], value
    assert getattr(model.model_validate({**body, field: 1e12}), field) == 1e12


def test_a_summits_moments_lie_between_2000_and_2200() -> None:
    start = datetime(2030, 6, 18, 9, tzinfo=UTC)
    session = {"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat(), "slot_minutes": 20}
    summit = {"title": "对接会", "venue": "会展中心", "sessions": [session], "tables": {"count": 2},
              "registration_opens": "2030-05-01T00:00:00+08:00", "registration_closes": "2030-06-16T18:00:00+08:00"}
    SummitCreate.model_validate(summit)
    for moment in EXTREMES:
        for field in ("registration_opens", "registration_closes"):
            assert field_refused(SummitCreate, {**summit, field: moment}) == [field]
            assert field_refused(SummitUpdate, {field: moment}) == [field]
        for field in ("start", "end"):
            assert field_refused(SessionIn, {**session, field: moment}) == [field]
            window = {"start": session["start"], "end": session["end"], field: moment}
            assert field_refused(ParticipantCreate, {"name": "甲", "unavailable_windows": [window]}) == \
                [f"unavailable_windows.0.{field}"]


@pytest.mark.parametrize("name", ["Asia", "Asia/", "../etc", "x" * 300, "Asia/Shang\0hai", "Mars/Olympus"])
def test_a_time_zone_that_is_not_one_is_a_422(name: str) -> None:
    with pytest.raises(Invalid) as refused:
        zone(name)
    assert refused.value.field == "timezone"


class NoKeys:
    def __getitem__(self, collection: str) -> "NoKeys":
        return self

    async def find_one(self, query: dict) -> None:
        return None


@pytest.mark.parametrize("presented", ["dj_\xe9", "\xff", "dj_abc_s\xe9cret", "dj_\xe9t\xe9_x"])
async def test_a_key_with_a_non_ascii_character_is_refused_as_any_wrong_key(presented: str) -> None:
    with pytest.raises(Unauthorized):
        await authenticate(NoKeys(), KeyCache(0), f"Bearer {presented}", "dj_admin_x", "dj_internal_x")  # type: ignore[arg-type]
    with pytest.raises(Unauthorized):
        await authenticate(NoKeys(), KeyCache(0), "Bearer dj_admin_x", "dj_\xe9", None)  # type: ignore[arg-type]


@pytest.mark.parametrize("cursor", ["9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59",
                                    "2026-13-01T00:00:00+00:00_m", "2026-01-01T00:00:00+00:00_m".replace("1", "١")])
def test_a_cursor_the_api_never_returned_is_a_422(cursor: str) -> None:
    with pytest.raises(Invalid) as refused:
        after_cursor(cursor)
    assert refused.value.field == "query parameter cursor"


def test_a_cursor_names_the_last_matchs_time_and_id_and_older_cursors_still_work() -> None:
    at = datetime(2026, 3, 18, 9, 30, 15, 123000, tzinfo=UTC)
    assert after_cursor(cursor_of({"_id": "0a1b_2c", "proposed_at": at})) == (at, "0a1b_2c")
    assert after_cursor(at.isoformat()) == (at, None), "a time alone: the page after every match of that time"
    assert after_cursor("2026-03-18T17:30:15.123+08:00") == (at, None)


@pytest.mark.parametrize("if_match", ['"３"', '"٣"', '"' + "9" * 5000 + '"', '"99999999999999999999"'])
def test_a_version_is_a_few_ascii_digits(if_match: str) -> None:
    with pytest.raises(Invalid) as refused:
        expected_version(if_match, None)
    assert refused.value.field == "header If-Match"
    assert expected_version('"3"', None) == 3


def test_codes_are_written_in_ascii_digits() -> None:
    assert industry_code_problem("C3911") is None and industry_code_problem("C３９１１")
    assert patent_number_problem("CN202310123456.6", None) is None
    assert patent_number_problem("CN２０２３10123456.6", None)


@pytest.mark.parametrize("field,value", [("name", "坏\u0001名"), ("name", "两行\n名称"), ("region", "4301\x7f")])
def test_an_organisations_name_and_region_are_one_line_without_control_characters(field: str, value: str) -> None:
    """Such a name broke the ledgers' XLSX export for every organiser (openpyxl refuses the whole workbook)."""
    with pytest.raises(ValidationError, match=field):
        OrgCreate.model_validate({"name": "正常名称", "kind": "firm", field: value})
    with pytest.raises(ValidationError, match=field):
        OrgUpdate.model_validate({field: value})
    assert OrgCreate.model_validate({"name": "湖南农业大学 (HUNAU)", "kind": "university", "region": "长沙市"})
