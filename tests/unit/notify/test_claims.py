"""When a claim on a message may be taken over: only when its owner is gone, never from a slow live owner."""

from services.notify.deliveries import Dispatcher
from services.notify.settings import Settings


def dispatcher() -> Dispatcher:
    async def nothing(*_: object) -> None:
        return None

    return Dispatcher(None, Settings(), {}, nothing, nothing, nothing)  # type: ignore[arg-type] - no I/O here


def test_a_live_owners_overdue_claim_is_left_alone_a_dead_owners_is_taken_over() -> None:
    d = dispatcher()
    live = {d.replica, "rp_other"}
    assert not d.abandoned("rp_other", ["ntf_1:webhook:ep_1"], live)
    assert d.abandoned("rp_gone", ["ntf_1:webhook:ep_1"], live)
    assert d.abandoned(None, ["ntf_1:webhook:ep_1"], live), "claims from before owners were named"


def test_this_replicas_own_claim_is_taken_back_only_when_it_is_no_longer_at_it() -> None:
    d = dispatcher()
    d.inflight.add("ntf_1:webhook:ep_1")
    assert not d.abandoned(d.replica, ["ntf_1:webhook:ep_1", "ntf_1:email:a@b"], {d.replica})
    d.inflight.clear()
    assert d.abandoned(d.replica, ["ntf_1:webhook:ep_1"], {d.replica})
