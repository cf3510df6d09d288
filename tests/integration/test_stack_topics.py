"""The embedded stack creates the platform's topics before its services start, each with TOPIC_PARTITIONS
partitions (left to itself, the embedded broker gave each one partition; see `deploy.topics`)."""

import asyncio
import os
import sys

import pytest

from deploy.stack import Stack
from deploy.topics import TOPIC_PARTITIONS, create_topics
from services.contracts import topics
from tests.support.kafka import producer_on

pytestmark = pytest.mark.integration


async def partitions(bootstrap: str) -> dict[str, int]:
    async with producer_on(bootstrap) as producer:
        metadata = await producer.client.fetch_all_metadata()
    return {topic: len(metadata.partitions_for_topic(topic) or ()) for topic in metadata.topics()}


@pytest.mark.asyncio
async def test_every_topic_of_the_platform_has_its_partitions_and_creating_them_again_changes_nothing(
        stack: Stack) -> None:
    assert {t: n for t, n in (await partitions(stack.bootstrap)).items() if t in topics.ALL} == dict.fromkeys(
        topics.ALL, TOPIC_PARTITIONS)

    assert await create_topics(stack.bootstrap, partitions=1) == []
    assert (await partitions(stack.bootstrap))[topics.MATCHES] == TOPIC_PARTITIONS


@pytest.mark.asyncio
async def test_a_prefixed_deployments_topics_are_created_beside_the_others(stack: Stack) -> None:
    created = await create_topics(stack.bootstrap, prefix="test-topics.", partitions=2)
    assert created == [topics.named(t, "test-topics.") for t in topics.ALL]
    found = await partitions(stack.bootstrap)
    assert all(found[name] == 2 for name in created)


@pytest.mark.asyncio
async def test_the_command_makes_a_deployments_topics_from_its_environment(stack: Stack) -> None:
    """`python -m deploy.topics`, as Kubernetes runs it before each pod: the bootstrap, prefix and partitions from
    the environment; run again, it makes nothing and still succeeds."""
    env = {**os.environ, "DUIJIE_KAFKA_BOOTSTRAP": stack.bootstrap, "DUIJIE_TOPIC_PREFIX": "cli-topics.",
           "DUIJIE_TOPIC_PARTITIONS": "3"}
    for made in (len(topics.ALL), 0):
        run = await asyncio.create_subprocess_exec(sys.executable, "-m", "deploy.topics", env=env,
                                                   stdout=asyncio.subprocess.PIPE)
        out, _ = await run.communicate()
        assert run.returncode == 0 and out.decode().startswith(f"created {made} topics"), out
    found = await partitions(stack.bootstrap)
    assert all(found[topics.named(t, "cli-topics.")] == 3 for t in topics.ALL)
