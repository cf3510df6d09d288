"""The pipeline bench starts timing only once every consumer group has caught up: its lag reading."""

import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from bench.settle import consumer_lag, settle
from deploy.stack import Stack
from tests.support.kafka import publish_raw


@pytest.mark.asyncio
async def test_lag_counts_what_a_group_fetched_but_has_not_committed(stack: Stack) -> None:
    topic, group = f"test.lag.{uuid.uuid4().hex[:8]}", f"test-lag-{uuid.uuid4().hex[:8]}"
    for i in range(6):
        await publish_raw(stack.bootstrap, topic, b"x", key=str(i).encode())
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=stack.bootstrap, group_id=group,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        fetched = []
        while len(fetched) < 6:
            fetched += [r for records in (await consumer.getmany(timeout_ms=2000)).values() for r in records]
        await consumer.commit({tp: 0 for tp in consumer.assignment()})
        assert (await consumer_lag(stack.bootstrap))[group] == 6

        await consumer.commit()
        assert (await consumer_lag(stack.bootstrap))[group] == 0
        assert (await settle(stack.bootstrap, within=10.0, quiet_checks=1)).get(group) == 0
    finally:
        await consumer.stop()
