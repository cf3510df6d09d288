"""Who may learn who posted a matched need: the owner of a confidential need is known to the counterpart only once
both sides accepted the match. The matches API hides it (`need_org_id` null); summits and deals do not lead the
counterpart to it through the match either."""

from services.contracts.events import owner_hidden
from services.registry.matches.repository import MatchRepository


def hides_owner(match: dict, org_id: str, confidential: bool) -> bool:
    """Whether `org_id` must not learn who posted `match`'s need (`confidential`: whether that need is)."""
    return owner_hidden(org_id, match.get("need_org_id"), confidential, mutual=match.get("status") == "accepted")


async def known_to(repo: MatchRepository, org_id: str, matches: list[dict]) -> list[dict]:
    """`matches` less those that would tell `org_id` who posted a confidential need."""
    asked = [m["need_id"] for m in matches if hides_owner(m, org_id, True)]
    secret = await repo.confidential_needs(asked) if asked else set()
    return [m for m in matches if not hides_owner(m, org_id, m["need_id"] in secret)]
