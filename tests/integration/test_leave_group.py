"""A consumer that stops leaves its group at once, also in the group's first generation, which the embedded broker
numbers 0 (see `services.contracts.leave_group`): the next member to join does not wait for a session to run out."""

import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from deploy.stack import Stack
from services.contracts.leave_group import install
from tests.support.api import eventually
from tests.support.kafka import admin_on, publish_raw

pytestmark = pytest.mark.integration


async def members(bootstrap: str, group: str) -> list:
    async with admin_on(bootstrap) as admin:
        [description] = await admin.describe_consumer_groups([group])
    [(_, _, _, _, _, listed, *_)] = description.groups
    return list(listed)


@pytest.mark.asyncio
async def test_a_consumer_stopped_in_its_groups_first_generation_is_no_longer_a_member(stack: Stack) -> None:
    install()  # as every service's broker does (`services.contracts.broker.kafka_broker`)
    group, topic = f"leave-{uuid.uuid4().hex[:8]}", f"test-leave-{uuid.uuid4().hex[:8]}"
    await publish_raw(stack.bootstrap, topic, b"{}")
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=stack.bootstrap, group_id=group)
    await consumer.start()
    try:
        async def assigned() -> bool:
            return bool(consumer.assignment())
        await eventually(assigned, within=60)
        assert consumer._coordinator.generation == 0, "the embedded broker's first generation"
        assert len(await members(stack.bootstrap, group)) == 1
    finally:
        await consumer.stop()
    assert await members(stack.bootstrap, group) == [], "left on stop, not kept until its session runs out"
