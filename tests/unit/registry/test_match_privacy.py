"""Who may learn who posted a matched need: the owner of a confidential need is hidden from the counterpart only,
and only until both sides accepted."""

from services.registry.matches.privacy import hides_owner

PROPOSED = {"need_org_id": "firm", "counterpart_org_id": "uni", "status": "proposed"}


def test_the_counterpart_of_a_confidential_need_does_not_learn_its_owner_before_both_accept() -> None:
    assert hides_owner(PROPOSED, "uni", confidential=True)
    assert not hides_owner(PROPOSED, "firm", confidential=True), "the owner knows itself"
    assert not hides_owner({**PROPOSED, "status": "accepted"}, "uni", confidential=True), "mutual: known"
    assert not hides_owner(PROPOSED, "uni", confidential=False), "a public need's owner is public"
