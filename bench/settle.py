"""Waiting until every consumer group has caught up with its topics, so a timed run starts from a quiet stack."""

import asyncio
import time

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import TopicPartition


async def consumer_lag(bootstrap: str) -> dict[str, int]:
    """Records each consumer group has yet to commit, summed over the partitions it has committed on."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        groups = [group_id for group_id, _ in await admin.list_consumer_groups()]
    finally:
        await admin.close()
    lag: dict[str, int] = {}
    for group_id in groups:
        # Not subscribed, so it never joins the group: it only reads the group's committed offsets.
        reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False)
        await reader.start()
        try:
            partitions = [TopicPartition(topic, p) for topic in await reader.topics()
                          for p in reader.partitions_for_topic(topic) or ()]
            latest = await reader.end_offsets(partitions)
            committed = {tp: await reader.committed(tp) for tp in partitions}
            lag[group_id] = sum(max(0, latest[tp] - offset) for tp, offset in committed.items() if offset is not None)
        finally:
            await reader.stop()
    return lag


async def settle(bootstrap: str, within: float, quiet_checks: int = 3) -> dict[str, int]:
    """Polls consumer lag until every group shows none `quiet_checks` times in a row, or `within` seconds pass;
    returns the last lag seen."""
    deadline, quiet = time.monotonic() + within, 0
    lag: dict[str, int] = {}
    while time.monotonic() < deadline:
        lag = await consumer_lag(bootstrap)
        quiet = quiet + 1 if not any(lag.values()) else 0
        if quiet >= quiet_checks:
            break
        await asyncio.sleep(0.5)
    return lag
