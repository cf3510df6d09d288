"""Who may learn who posted a matched need: the owner of a confidential need is known to the counterpart only once
both sides accepted the match. The matches API hides it (`need_org_id` null); summits and deals do not lead the
counterpart to it through the match either.

A need is confidential for a match if it was when matching proposed the match (`need_confidential`, stored with
it) or is now; so deleting the need, or making it public, reveals nothing. A match stored before matching said so,
whose need is gone, is taken as confidential: nothing left tells otherwise."""

from services.contracts.events import owner_hidden
from services.registry.matches.repository import MatchRepository


def hides_owner(match: dict, org_id: str, confidential: bool) -> bool:
    """Whether `org_id` must not learn who posted `match`'s need (`confidential`: whether that need is)."""
    return owner_hidden(org_id, match.get("need_org_id"), confidential, mutual=match.get("status") == "accepted")


def need_confidential(match: dict, visibility: str | None) -> bool:
    """Whether `match`'s need is confidential, given the need's visibility now (None: the need is gone)."""
    if match.get("need_confidential") or visibility == "confidential":
        return True
    return visibility is None and "need_confidential" not in match


async def confidential_matches(repo: MatchRepository, matches: list[dict]) -> set[str]:
    """The ids of those of `matches` whose need is confidential (`need_confidential`)."""
    visibility = await repo.need_visibility(list({m["need_id"] for m in matches})) if matches else {}
    return {m["_id"] for m in matches if need_confidential(m, visibility.get(m["need_id"]))}


async def known_to(repo: MatchRepository, org_id: str, matches: list[dict]) -> list[dict]:
    """`matches` less those that would tell `org_id` who posted a confidential need."""
    secret = await confidential_matches(repo, [m for m in matches if hides_owner(m, org_id, True)])
    return [m for m in matches if m["_id"] not in secret]
