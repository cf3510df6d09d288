"""The embedded broker's topics, created before the services start, each with TOPIC_PARTITIONS partitions.

Left to itself, Tansu creates a topic when a client first names it: with one partition when a consumer names it
first, four when a producer does, and in this stack the consumers came first. Its memory store lists every record
batch a partition holds on each fetch that returns data from that partition, and it cannot trim its log
(`DeleteRecords` is unimplemented in 0.6.0), so with one partition each fetch costs the broker more than the one
before. With several partitions, and a need's match events on the need's partition
(`services.matching.handlers.match_records`), a fetch usually returns one posting's events from one partition, which
holds its share of the batches. In three alternating pairs of 60 s pipeline runs at 50/s on 2026-12-04, with four
partitions against one, the broker used 3.9 ms of CPU per need in each run against 4.4, 4.5 and 4.3: 3.4-3.5 ms in
the first 10 s and 4.2-4.3 in the last, against 2.4-2.6 and 6.0-6.2. The needs POSTed in the last 10 s had p50 25.5,
27.2 and 27.8 ms against 43.9, 43.7 and 32.5; over the whole run p50 was 28.0, 26.4 and 31.9 ms against 33.6, 42.8
and 28.5.

The growth is still there, about a quarter as steep as with one partition, and shows over a longer run. In 300 s at
50/s on 2026-12-05 the broker's CPU a need went from 3.4 ms in the first 10 s to 8.6 and 9.1 in the last with four
partitions, and from 3.8 and 3.7 to 7.0 and 7.3 with eight (5.3 and 5.5 ms over the run against 6.1 and 6.1), with
everything else flat. Over 60 s eight cost about as much as four: 4.0 ms a need against 3.9-4.0 in three pairs on
2026-12-04, and 4.0 against 3.8-4.0 in three on 2026-12-05. Sixteen start higher, since every fetch names all of a
consumer's partitions: 4.8 ms a need in the first 10 s, 5.6 over 300 s.

Compose's Kafka creates the topics it is asked for with six partitions (`KAFKA_NUM_PARTITIONS`). A broker with
automatic creation off (common in production) needs them made first: `python -m deploy.topics` does that against
`DUIJIE_KAFKA_BOOTSTRAP`, with `DUIJIE_TOPIC_PREFIX`, and leaves topics that exist as they are; the Kubernetes
manifest runs it as each pod's init container.
"""

import argparse
import asyncio
import os

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from services.contracts import topics

TOPIC_PARTITIONS = 8
TOPIC_ALREADY_EXISTS = 36  # Kafka's error code: another client named the topic first


async def create_topics(bootstrap: str, prefix: str = "", partitions: int = TOPIC_PARTITIONS,
                        replication_factor: int = 1) -> list[str]:
    """Creates each of the platform's topics (`topics.ALL`, with the deployment's prefix) the broker does not have
    yet; returns the names it created. Topics that exist keep their partitions and records (the broker answers
    TOPIC_ALREADY_EXISTS for them)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        response = await admin.create_topics([NewTopic(topics.named(t, prefix), num_partitions=partitions,
                                                       replication_factor=replication_factor) for t in topics.ALL])
    finally:
        await admin.close()
    failed = [(name, code) for name, code, *_ in response.topic_errors if code not in (0, TOPIC_ALREADY_EXISTS)]
    if failed:
        raise RuntimeError(f"the broker refused to create topics: {failed}")
    return [name for name, code, *_ in response.topic_errors if code == 0]


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(description="Create the platform's Kafka topics the broker does not have yet.")
    parser.add_argument("--bootstrap", default=env.get("DUIJIE_KAFKA_BOOTSTRAP", "127.0.0.1:9092"))
    parser.add_argument("--prefix", default=env.get("DUIJIE_TOPIC_PREFIX", ""))
    parser.add_argument("--partitions", type=int, default=int(env.get("DUIJIE_TOPIC_PARTITIONS", "6")))
    parser.add_argument("--replication-factor", type=int,
                        default=int(env.get("DUIJIE_TOPIC_REPLICATION_FACTOR", "1")))
    args = parser.parse_args(argv)
    created = asyncio.run(create_topics(args.bootstrap, args.prefix, args.partitions, args.replication_factor))
    print(f"created {len(created)} topics{': ' + ', '.join(created) if created else ''}; "
          f"the others of {len(topics.ALL)} existed already")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
