"""An organisation's kind is read once: it never changes and organisations are never deleted."""

from services.registry.orgs.repository import OrgKinds


class FakeOrgs:
    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds, self.reads = kinds, 0

    async def find_one(self, query: dict, projection: dict) -> dict | None:
        self.reads += 1
        kind = self.kinds.get(query["_id"])
        return None if kind is None else {"_id": query["_id"], "kind": kind}


class FakeDatabase(dict):
    pass


async def test_a_kind_is_read_once_and_a_missing_organisation_is_asked_again() -> None:
    orgs = FakeOrgs({"org_a": "firm"})
    kinds = OrgKinds(FakeDatabase(orgs=orgs))  # type: ignore[arg-type]
    assert [await kinds.of("org_a") for _ in range(3)] == ["firm"] * 3
    assert orgs.reads == 1
    assert await kinds.of("org_new") is None
    orgs.kinds["org_new"] = "university"  # registered meanwhile
    assert await kinds.of("org_new") == "university"
    assert orgs.reads == 3


async def test_the_oldest_kind_read_is_forgotten_first() -> None:
    orgs = FakeOrgs({f"org_{i}": "firm" for i in range(4)})
    kinds = OrgKinds(FakeDatabase(orgs=orgs), size=3)  # type: ignore[arg-type]
    for i in range(4):
        await kinds.of(f"org_{i}")
    await kinds.of("org_3")
    assert orgs.reads == 4
    await kinds.of("org_0")  # forgotten when org_3 came in
    assert orgs.reads == 5
