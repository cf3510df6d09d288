"""`make demo`: the embedded stack on free ports, a scripted week in the demo district, a JSON summary.

The last line printed is one JSON object: postings, matches, notifications_delivered,
webhook_signatures_valid and post_to_webhook_ms_p50 (from each need's POST to its signed webhook).
"""

import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from deploy import seed, seed_data
from deploy.receiver import Receiver
from deploy.stack import Stack, free_port, ports_from_env


def say(message: str) -> None:
    print(message, flush=True)


async def scenario(stack: Stack, receiver: Receiver) -> dict:
    registry, notify = stack.url("registry"), stack.url("notify")
    async with httpx.AsyncClient(timeout=30.0) as client:
        orgs = await seed.register_orgs(client, registry)
        say(f"registered {len(orgs)} organisations: " + "、".join(o["name"] for o in orgs.values()))
        secrets: dict[str, str] = {}
        for key, org in orgs.items():
            response = await client.post(f"{notify}/v1/webhooks", json={"url": f"{receiver.url}/{key}"},
                                         headers=seed._bearer(org["api_key"]))
            response.raise_for_status()
            secrets[key] = response.json()["secret"]
        postings = 0
        for spec in seed_data.RESULTS:
            await seed.post(client, registry, "results", orgs[spec["org"]]["api_key"], spec)
            postings += 1
        for spec in seed_data.PRODUCTS:
            await seed.post(client, registry, "products", orgs[spec["org"]]["api_key"], spec)
            postings += 1
        say(f"published {len(seed_data.RESULTS)} research results and {len(seed_data.PRODUCTS)} financing products")
        await asyncio.sleep(2.0)  # let matching index them before the needs arrive
        first_seen: dict[str, float] = {}
        posted_at: dict[str, float] = {}
        for spec in seed_data.NEEDS:
            started = time.perf_counter()
            response = await seed.post(client, registry, "needs", orgs[spec["org"]]["api_key"], spec)
            posted_at[response.json()["id"]] = started
            postings += 1
            say(f"{orgs[spec['org']]['name']} posted the need 「{spec['title']}」")
        deadline = time.monotonic() + 60
        matches: dict[str, dict] = {}
        while time.monotonic() < deadline:
            for org in orgs.values():
                page = (await client.get(f"{registry}/v1/matches", headers=seed._bearer(org["api_key"]))).json()
                matches.update({m["id"]: m for m in page["items"]})
            if all(any(m["need_id"] == nid for m in matches.values()) for nid in posted_at):
                break
            await asyncio.sleep(0.5)
        await asyncio.sleep(2.0)  # webhooks in flight
        valid = bool(receiver.received)
        delivered = 0
        for r in receiver.received:
            key = r.path.strip("/")
            try:
                payload = Webhook(secrets[key]).verify(r.body, r.headers)
            except (WebhookVerificationError, KeyError):
                valid = False
                continue
            delivered += 1
            need_id = payload["data"].get("need_id")
            if need_id in posted_at and payload["type"] == "match.proposed":
                first_seen.setdefault(need_id, r.at)
        for m in sorted(matches.values(), key=lambda m: -m["score"])[:6]:
            why = "；".join(c["explanation"] for c in m["components"][:3])
            say(f"match {m['score']:.2f}: {m['need_id']} ↔ {m['counterpart_id']} — {why}")
        latencies = [(first_seen[n] - posted_at[n]) * 1000 for n in posted_at if n in first_seen]
        return {"postings": postings, "matches": len(matches), "notifications_delivered": delivered,
                "webhook_signatures_valid": valid,
                "post_to_webhook_ms_p50": round(statistics.median(latencies), 1) if latencies else None}


async def main() -> int:
    with tempfile.TemporaryDirectory(prefix="duijie-demo-") as var:
        stack = Stack(var=Path(var), ports=ports_from_env(use_free_ports=True))
        say("starting the embedded stack on free ports ...")
        receiver = await Receiver(free_port()).start()
        try:
            await stack.start()
            summary = await scenario(stack, receiver)
        finally:
            stack.stop()
            await receiver.stop()
    print(json.dumps(summary, ensure_ascii=False), flush=True)
    ok = summary["matches"] >= 1 and summary["notifications_delivered"] >= 1 and summary["webhook_signatures_valid"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
