"""When a claim on a message may be taken over: only when its owner is gone, never from a slow live owner."""

import asyncio

from services.notify.channels import Outcome
from services.notify.deliveries import Dispatcher
from services.notify.settings import Settings
from services.notify.sweep import Sweep


def dispatcher() -> Dispatcher:
    async def nothing(*_: object) -> None:
        return None

    return Dispatcher(None, Settings(), {}, nothing, nothing, nothing)  # type: ignore[arg-type] - no I/O here


def test_a_live_owners_overdue_claim_is_left_alone_a_dead_owners_is_taken_over() -> None:
    d = dispatcher()
    live = {d.replica, "rp_other"}
    assert not Sweep(d).abandoned("rp_other", ["ntf_1:webhook:ep_1"], live)
    assert Sweep(d).abandoned("rp_gone", ["ntf_1:webhook:ep_1"], live)
    assert Sweep(d).abandoned(None, ["ntf_1:webhook:ep_1"], live), "claims from before owners were named"


def test_this_replicas_own_claim_is_taken_back_only_when_it_is_no_longer_at_it() -> None:
    d = dispatcher()
    with d.claiming(["ntf_1:webhook:ep_1"]):
        assert not Sweep(d).abandoned(d.replica, ["ntf_1:webhook:ep_1", "ntf_1:email:a@b"], {d.replica})
    assert Sweep(d).abandoned(d.replica, ["ntf_1:webhook:ep_1"], {d.replica})


async def test_a_claim_inserted_after_its_lease_ran_out_is_held_until_its_first_attempt_has_ended() -> None:
    """The owner's insert can land after the lease ran out; its own sweep must not adopt what it is about to send."""
    d = dispatcher()
    sending = asyncio.Event()

    class Slow:
        async def send(self, notification: dict, target: dict) -> Outcome:
            await sending.wait()
            return Outcome(False, error="stopped")

    class Written:
        async def insert(self, doc: dict) -> bool:
            return True

    d.channels = {"webhook": Slow()}  # type: ignore[dict-item]
    d._settle = _nothing  # type: ignore[method-assign] - the outcome's writes are not what this is about
    d._group = lambda collection: Written()  # type: ignore[method-assign,assignment,return-value]
    notification = {"_id": "ntf_1", "org_id": "org_1", "type": "match.proposed"}
    with d.claiming(["ntf_1:webhook:ep_1"]):
        assert not Sweep(d).abandoned(d.replica, ["ntf_1:webhook:ep_1"], {d.replica})  # being inserted
        d.send_first(notification, "webhook", "ep_1", {"_id": "ep_1"})
    assert not Sweep(d).abandoned(d.replica, ["ntf_1:webhook:ep_1"], {d.replica})  # handed to its first attempt
    await asyncio.sleep(0)
    assert not Sweep(d).abandoned(d.replica, ["ntf_1:webhook:ep_1"], {d.replica})  # being sent
    sending.set()
    await asyncio.gather(*d._tasks)
    assert Sweep(d).abandoned(d.replica, ["ntf_1:webhook:ep_1"], {d.replica}) and not d.inflight


async def _nothing(*_: object, **__: object) -> None:
    return None
