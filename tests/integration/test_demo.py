"""`make demo`'s scenario, on the shared stack (`make demo` itself was run by hand only): the demo district
registers, publishes and posts, its postings are matched, and the webhooks that come are correctly signed."""

import pytest

from deploy import seed_data
from deploy.demo import scenario
from deploy.receiver import Receiver
from deploy.stack import Stack, free_port

pytestmark = pytest.mark.integration


async def test_the_demo_scenario_posts_is_matched_and_its_webhooks_are_signed(stack: Stack) -> None:
    receiver = await Receiver(free_port()).start()
    try:
        summary = await scenario(stack, receiver)
    finally:
        await receiver.stop()
    assert summary["postings"] == len(seed_data.RESULTS) + len(seed_data.PRODUCTS) + len(seed_data.NEEDS)
    assert summary["matches"] >= len(seed_data.NEEDS) and summary["notifications_delivered"] >= len(seed_data.NEEDS)
    assert summary["webhook_signatures_valid"] is True
    assert summary["post_to_webhook_ms_p50"] is not None, "a need's match reached its firm's webhook"
