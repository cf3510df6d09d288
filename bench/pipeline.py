"""End-to-end latency: a need POSTed to the registry → matching → notify → a signed webhook at a local receiver.

Starts its own embedded stack (deploy.stack.Stack on free ports in a temporary directory), pre-loads research
results from the CSL corpus through the registry API (keywords from the CSL dev queries), registers firms with a
webhook each, then POSTs needs made from the same papers' titles and keywords at the given rate. A need's latency
is from the start of its POST to the first correctly signed webhook about it (verified with standardwebhooks).
Last line: {"rate", "sent", "delivered", "duplicates", "p50_ms", "p99_ms"}; `duplicates` counts webhook-ids
received more than once. On stderr, the latency split by hop and by 10-second slice of the run, and the CPU each
process used per need while the needs were POSTed (whole run and by slice) with how busy the machine was, after a
calibration of the machine's speed (`bench/cpu.py`).

The bench shares the machine with the stack it measures, so it runs on uvloop, as uvicorn runs the services: in
three alternating 40 s runs at 50/s its own CPU per need was 2.1, 2.2 and 2.4 ms against 2.4, 2.5 and 2.5 ms on
asyncio's loop.
"""

import argparse
import asyncio
import itertools
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import aiohttp
import httpx
import uvloop
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bench import cpu
from bench._common import DATA, read_jsonl
from bench.settle import settle
from deploy.receiver import Receiver
from deploy.stack import Stack, free_port, ports_from_env
from services.contracts import heap
from tests.support.api import bearer, register_org

# Idle connections to the registry are dropped before uvicorn drops them (after 5 s): a POST sent on a connection
# the server is closing fails with ServerDisconnectedError (seen once in 3,000 on a saturated machine).
KEEPALIVE_SECONDS = 4.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def papers(limit: int) -> list[dict]:
    keywords = {str(q["target"]): list(q["keywords"]) for q in read_jsonl(DATA / "dev_queries.jsonl")}
    rows = [r for r in read_jsonl(DATA / "corpus.jsonl") if str(r["id"]) in keywords][:limit]
    return [{**r, "keywords": keywords[str(r["id"])]} for r in rows]


async def preload(client: httpx.AsyncClient, registry: str, rows: list[dict], universities: list[dict]) -> None:
    gate = asyncio.Semaphore(2)

    async def one(row: dict, owner: dict) -> None:
        async with gate:
            for attempt in range(5):
                response = await client.post(f"{registry}/v1/results", headers=bearer(owner["api_key"]), json={
                    "title": row["title"][:200], "abstract": row["abstract"][:2000], "keywords": row["keywords"],
                    "discipline": row["discipline"], "trl": 5, "transfer_modes": ["licence"]})
                if response.status_code < 500 or attempt == 4:
                    response.raise_for_status()
                    return
                await asyncio.sleep(0.2)

    await asyncio.gather(*(one(row, universities[i % len(universities)]) for i, row in enumerate(rows)))


def need_body(row: dict) -> dict:
    return {"title": row["title"][:200], "keywords": row["keywords"], "cooperation_modes": ["licence"]}


WALL = time.time() - time.perf_counter()  # perf_counter → wall clock (the services stamp wall-clock times)


def hops(started: float, arrived: float, proposed: float, stored: float) -> tuple[float, float, float]:
    """(POST → match proposed, match proposed → notification stored, stored → webhook received) in ms; `proposed`
    and `stored` are the services' wall-clock stamps, the others the bench's `perf_counter`."""
    return ((proposed - started - WALL) * 1000, (stored - proposed) * 1000, (arrived + WALL - stored) * 1000)


def stamp(iso: str | None) -> float:
    return datetime.fromisoformat(iso).timestamp() if iso else math.nan


# A verified webhook as the ledger keeps it: (webhook-id, the need's organisation, need id, arrived, proposed at,
# stored at). A plain tuple of strings and floats, which the garbage collector stops walking: the bench kept every
# webhook's request and parsed body instead, and its full passes, walking them, paused it for up to 79 ms in a
# 30-second run while webhooks waited to be timed.
Arrival = tuple[str, str, str | None, float, float, float]


class Ledger:
    """POST start times per need id, and the webhooks that arrived, verified as they arrive (Standard Webhooks
    refuses timestamps more than five minutes from the verifier's clock, so verifying after a long run would
    refuse correct signatures)."""

    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets  # org id → whsec_ secret
        self.started: dict[str, float] = {}
        self.failed_posts = 0
        self.verified: list[Arrival] = []
        self.unsigned = 0
        self.hops: dict[str, tuple[float, float, float]] = {}
        self.answered: list[float] = []  # ms from each POST's start to the registry's answer

    def absorb(self, receiver: Receiver) -> None:
        """Verifies what the receiver has recorded since the last call, keeps an `Arrival` of each, and empties it."""
        messages = list(receiver.received)
        receiver.received.clear()
        for message in messages:
            body = message.json()
            data = body.get("data", {})
            try:
                Webhook(self.secrets[data.get("need_org_id")]).verify(message.body, message.headers)
            except (KeyError, WebhookVerificationError):
                self.unsigned += 1
                continue
            self.verified.append((message.headers["webhook-id"], data["need_org_id"], data.get("need_id"),
                                  message.at, stamp(data.get("proposed_at")), stamp(body.get("timestamp"))))

    def latencies(self, receiver: Receiver) -> tuple[dict[str, float], int, int]:
        self.absorb(receiver)
        first: dict[str, float] = {}
        for _, _, need_id, arrived, proposed, stored in self.verified:
            if need_id in self.started:
                latency = (arrived - self.started[need_id]) * 1000
                if latency < first.get(need_id, float("inf")):
                    first[need_id] = latency
                    self.hops[need_id] = hops(self.started[need_id], arrived, proposed, stored)
        duplicates = sum(n - 1 for n in self._receipts().values())
        return first, duplicates, self.unsigned

    def _receipts(self) -> Counter[str]:
        """How many times each verified webhook-id arrived."""
        return Counter(webhook_id for webhook_id, *_ in self.verified)

    def duplicated(self) -> dict[str, str]:
        """The webhook-ids received more than once, each with the organisation it was sent to."""
        counts = self._receipts()
        return {webhook_id: org_id for webhook_id, org_id, *_ in self.verified if counts[webhook_id] > 1}


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


SLICE = 10.0  # seconds: latencies and CPU are also reported by slice of the run
Slice = tuple[float, int, float, float]  # (seconds from the first POST, needs delivered, p50 ms, p99 ms)


def over_time(started: dict[str, float], first: dict[str, float], width: float) -> list[Slice]:
    """The latencies by when their need was POSTed, in slices of `width` seconds from the first POST. A rate the
    stack cannot sustain shows as latencies that climb from slice to slice."""
    if not first:
        return []
    t0 = min(started[need_id] for need_id in first)
    slices: dict[int, list[float]] = {}
    for need_id, latency in first.items():
        slices.setdefault(int((started[need_id] - t0) // width), []).append(latency)
    rows = []
    for index in sorted(slices):
        ordered = sorted(slices[index])
        rows.append((index * width, len(ordered), statistics.median(ordered), percentile(ordered, 0.99)))
    return rows


def log_cpu(samples: list[tuple[float, int, cpu.Sample]]) -> None:
    """The CPU each process used per need while the needs were POSTed, from samples (seconds since the first POST,
    needs POSTed so far, CPU counters): over the whole run, then between each sample and the next."""
    (_, first, start), (_, last, end) = samples[0], samples[-1]
    log(f"CPU per need POSTed (ms): {cpu.spent(start, end, last - first).line()}")
    for (t0, n0, s0), (t1, n1, s1) in itertools.pairwise(samples):
        log(f"  {t0:.0f}–{t1:.0f} s: {cpu.spent(s0, s1, n1 - n0).line()}")


async def keep_verifying(ledger: Ledger, receiver: Receiver) -> None:
    while True:
        ledger.absorb(receiver)
        await asyncio.sleep(0.5)


async def post_need(session: aiohttp.ClientSession, registry: str, firm: dict, row: dict, ledger: Ledger) -> None:
    """POSTs a need with aiohttp: the bench shares the stack's two cores, and its httpx client used more CPU per
    request than the registry's own handling of it (its pool checks every idle connection on each request)."""
    started = time.perf_counter()
    try:
        async with session.post(f"{registry}/v1/needs", headers=bearer(firm["api_key"]), json=need_body(row),
                                raise_for_status=True) as response:
            need = await response.json()
    except (aiohttp.ClientError, TimeoutError) as error:
        ledger.failed_posts += 1
        if ledger.failed_posts <= 5:
            log(f"POST failed: {type(error).__name__} {error}")
        return
    ledger.started[need["id"]] = started
    ledger.answered.append((time.perf_counter() - started) * 1000)


async def explain_duplicates(client: httpx.AsyncClient, notify: str, duplicated: dict[str, str],
                             firms: list[dict]) -> None:
    """Logs notify's delivery records (one per attempt) of a few messages that arrived more than once."""
    keys = {firm["id"]: firm["api_key"] for firm in firms}
    for notification_id, org_id in list(duplicated.items())[:5]:
        response = await client.get(f"{notify}/v1/deliveries", headers=bearer(keys[org_id]),
                                    params={"notification_id": notification_id, "channel": "webhook"})
        records = response.json()["items"] if response.is_success else []
        attempts = [f"{d.get('at')} {d.get('status')} {d.get('response_code')} {d.get('latency_ms')} ms "
                    f"{(d.get('error') or '')[:80]}" for d in reversed(records)]
        log(f"received more than once: {notification_id}; its attempts: {attempts or response.status_code}")


async def run(rate: float, seconds: float, results: int, firms: int, drain: float, keep: str | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="duijie-pipeline-") as tmp:
        stack = Stack(var=Path(keep or tmp), ports=ports_from_env(use_free_ports=True))
        log("starting the embedded stack …")
        await stack.start()
        receiver = await Receiver(free_port()).start()
        try:
            async with (httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=200)) as client,
                        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30.0),
                                              connector=aiohttp.TCPConnector(
                                                  limit=200, keepalive_timeout=KEEPALIVE_SECONDS)) as session):
                registry, notify = stack.url("registry"), stack.url("notify")
                rows = papers(results)
                universities = [await register_org(client, registry, f"基准大学{i}", "university")
                                for i in range(10)]
                firm_orgs = [await register_org(client, registry, f"基准企业{i}", "firm") for i in range(firms)]
                secrets = {}
                for firm in firm_orgs:
                    hook = await client.post(f"{notify}/v1/webhooks", headers=bearer(firm["api_key"]),
                                             json={"url": f"{receiver.url}/hooks", "event_types": ["match.proposed"]})
                    hook.raise_for_status()
                    secrets[firm["id"]] = hook.json()["secret"]
                log(f"pre-loading {len(rows)} results …")
                await preload(client, registry, rows, universities)

                warm = Ledger(secrets)
                await post_need(session, registry, firm_orgs[0], rows[0], warm)
                for _ in range(450):  # up to 90 s while matching indexes the results
                    if warm.latencies(receiver)[0]:
                        break
                    await asyncio.sleep(0.2)
                log(f"warm-up need delivered: {bool(warm.latencies(receiver)[0])}")
                # Timing starts once every consumer has caught up with the pre-load (the registry's ledgers
                # trail it by seconds), so the run measures the stack at the rate, not a backlog.
                lag = await settle(stack.bootstrap, within=180.0)
                log(f"consumer lag before the timed run: {lag}")
                log(f"calibration: {cpu.calibration():.0f} ms for a fixed pure-Python workload on one core "
                    f"on {cpu.interpreter()} (lower: a faster machine; compare runs only at similar values)")
                receiver.received.clear()
                heap.settle()  # the bench's own long pauses would delay the webhooks it times

                ledger = Ledger(secrets)
                total = int(rate * seconds)
                log(f"posting {total} needs at {rate}/s …")
                tasks = []
                verifier = asyncio.create_task(keep_verifying(ledger, receiver))
                watched = {**{child.name: child.proc.pid for child in stack.children if child.proc is not None},
                           "bench": os.getpid()}
                t0 = time.perf_counter()
                samples = [(0.0, 0, cpu.sample(watched))]  # taken about every SLICE seconds (see `log_cpu`)
                cycle = itertools.cycle(rows)
                for i in range(total):
                    delay = t0 + i / rate - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                    if (elapsed := time.perf_counter() - t0) >= SLICE * len(samples):
                        samples.append((elapsed, i, cpu.sample(watched)))
                    tasks.append(asyncio.create_task(
                        post_need(session, registry, firm_orgs[i % len(firm_orgs)], next(cycle), ledger)))
                await asyncio.gather(*tasks)
                samples.append((time.perf_counter() - t0, total, cpu.sample(watched)))
                log_cpu(samples)
                log(f"posted in {time.perf_counter() - t0:.1f} s; draining for up to {drain} s …")
                end = time.monotonic() + drain
                while time.monotonic() < end:
                    if len(ledger.latencies(receiver)[0]) >= len(ledger.started):
                        break
                    await asyncio.sleep(0.5)
                await asyncio.sleep(2.0)  # late duplicates
                heap.release()
                verifier.cancel()
                first, duplicates, unsigned = ledger.latencies(receiver)
                if duplicates:
                    try:
                        await explain_duplicates(client, notify, ledger.duplicated(), firm_orgs)
                    except (httpx.HTTPError, KeyError, ValueError) as error:
                        log(f"could not read the duplicates' delivery records: {error!r}")
        finally:
            await receiver.stop()
            stack.stop()
    values = sorted(first.values())
    if ledger.answered:
        answered = sorted(ledger.answered)
        log(f"POST answered (registry: the need and its event stored): p50 {statistics.median(answered):.1f} ms, "
            f"p99 {percentile(answered, 0.99):.1f} ms")
    if ledger.hops:
        for i, name in enumerate(("POST → match proposed (registry + matching)",
                                  "match proposed → notification stored (broker + notify consume)",
                                  "notification stored → webhook received (notify send)")):
            part = sorted(h[i] for h in ledger.hops.values())
            log(f"{name}: p50 {statistics.median(part):.1f} ms, p99 {percentile(part, 0.99):.1f} ms")
    for start, count, p50, p99 in over_time(ledger.started, first, SLICE):
        log(f"POSTed {start:.0f}–{start + SLICE:.0f} s: {count} needs, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    if unsigned:
        log(f"{unsigned} webhooks failed signature verification")
    if ledger.failed_posts:
        log(f"{ledger.failed_posts} POSTs failed (not counted as sent)")
    return {"rate": rate, "sent": len(ledger.started), "delivered": len(first), "duplicates": duplicates,
            "p50_ms": round(statistics.median(values), 1) if values else None,
            "p99_ms": round(percentile(values, 0.99), 1) if values else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="needs POSTed per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--results", type=int, default=500, help="results pre-loaded from the CSL corpus")
    parser.add_argument("--firms", type=int, default=20)
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for webhooks after the last POST")
    parser.add_argument("--keep", help="a directory for the stack's data and logs, kept afterwards")
    args = parser.parse_args()
    outcome = asyncio.run(run(args.rate, args.seconds, args.results, args.firms, args.drain, args.keep),
                          loop_factory=uvloop.new_event_loop)
    print(json.dumps(outcome))


if __name__ == "__main__":
    main()
