"""Who may learn who posted a matched need: the owner of a confidential need is hidden from the counterpart only,
and only until both sides accepted, whatever becomes of the need meanwhile."""

from datetime import UTC, datetime

from services.registry.matches.privacy import hides_owner, known_to, need_confidential
from services.registry.matches.service import to_public

PROPOSED = {"need_org_id": "firm", "counterpart_org_id": "uni", "status": "proposed"}


def test_the_counterpart_of_a_confidential_need_does_not_learn_its_owner_before_both_accept() -> None:
    assert hides_owner(PROPOSED, "uni", confidential=True)
    assert not hides_owner(PROPOSED, "firm", confidential=True), "the owner knows itself"
    assert not hides_owner({**PROPOSED, "status": "accepted"}, "uni", confidential=True), "mutual: known"
    assert not hides_owner(PROPOSED, "uni", confidential=False), "a public need's owner is public"


SECRET = {**PROPOSED, "_id": "m", "need_id": "need_1", "need_confidential": True}  # as matching stores it now
OPEN = {**SECRET, "need_confidential": False}
OLDER = {k: v for k, v in SECRET.items() if k != "need_confidential"}  # stored before matching said so


def test_a_need_confidential_when_matched_stays_so_whatever_becomes_of_it() -> None:
    assert need_confidential(SECRET, "confidential")
    assert need_confidential(SECRET, None), "deleted: its owner is still not named"
    assert need_confidential(SECRET, "public"), "made public later: the match still does not name it"


def test_a_need_made_confidential_after_the_match_is_confidential_from_then_on() -> None:
    assert need_confidential(OPEN, "confidential")
    assert not need_confidential(OPEN, "public")
    assert not need_confidential(OPEN, None), "known public when matched: deleting it hides nothing"


def test_a_match_stored_before_matching_said_so_is_confidential_once_its_need_is_gone() -> None:
    assert need_confidential(OLDER, "confidential") and not need_confidential(OLDER, "public")
    assert need_confidential(OLDER, None), "nothing left tells whether its need was confidential: fail closed"


class Needs:
    """A repository of needs by visibility; a need not listed is deleted."""

    def __init__(self, **visibility: str) -> None:
        self.visibility = visibility

    async def need_visibility(self, need_ids: list[str]) -> dict[str, str]:
        return {i: v for i, v in self.visibility.items() if i in need_ids}


async def test_a_deleted_confidential_need_leads_no_counterpart_to_its_owner_before_both_accept() -> None:
    gone = Needs()
    for match in (SECRET, OLDER):
        assert await known_to(gone, "uni", [match]) == [], "no summit suggestion, meeting or deal through it"  # type: ignore[arg-type]
        assert await known_to(gone, "firm", [match]) == [match], "the owner may use it"  # type: ignore[arg-type]
        mutual = {**match, "status": "accepted"}
        assert await known_to(gone, "uni", [mutual]) == [mutual], "both accepted: known"  # type: ignore[arg-type]
    assert await known_to(gone, "uni", [OPEN]) == [OPEN], "a need public when matched was never secret"  # type: ignore[arg-type]
    assert await known_to(Needs(need_1="public"), "uni", [OLDER]) == [OLDER]  # type: ignore[arg-type]


def test_the_counterpart_of_a_confidential_need_is_not_shown_the_owners_financing_options() -> None:
    option = {"product_id": "p", "org_id": "bank", "explanation": "知识产权质押贷款准入条件满足: 专利 137 件 ≥ 1"}
    match = {**SECRET, "need_id": "need_1", "counterpart_id": "result_1", "counterpart_kind": "result", "score": 0.8,
             "proposed_at": datetime(2026, 12, 1, tzinfo=UTC), "financing": [option]}
    assert to_public(match, "uni", confidential=True).financing == [], "the owner's profile would name it"
    assert [f.product_id for f in to_public(match, "firm", confidential=True).financing] == ["p"]
    assert [f.product_id for f in to_public({**match, "status": "accepted"}, "uni", True).financing] == ["p"]
    assert [f.product_id for f in to_public(match, "uni", confidential=False).financing] == ["p"]
