"""`python -m deploy.listen`: watch an organisation's webhooks arrive on this machine, each signature checked.

    python -m deploy.listen --key dj_...        # registers this listener at notify; removes it again on Ctrl-C
    python -m deploy.listen --secret whsec_...  # only listens, for an endpoint registered by hand

Prints one line per message: the local time, the event type, whether its Standard Webhooks signature verifies
against the endpoint's secret, its `webhook-id` and the ids in its data. Answers every request 200. Notify sends to
a loopback address only where loopback is allow-listed (`DUIJIE_WEBHOOK_ALLOW_HOSTS`), as in `make run`.
"""

import argparse
import asyncio
import json
import os
import secrets
import signal
import sys
from collections.abc import Callable
from datetime import datetime

import httpx
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from deploy.receiver import Received, Receiver

DESCRIPTION = "Watch an organisation's webhooks arrive on this machine, each signature checked."
SHOWN_FIELDS = 4  # ids of the data shown per line


def describe(message: Received, secret: str | None, path: str | None = None) -> str:
    """One line for a message that arrived: when, what, whether it is genuine, and what it is about. With `path`,
    a message sent to another path is for another endpoint that points here, whose secret is not known."""
    when = datetime.now().strftime("%H:%M:%S")
    try:
        payload = json.loads(message.body)
    except ValueError:
        return f"{when}  {message.path}: not JSON ({len(message.body)} bytes)"
    if path is not None and message.path != path:
        check = f"unchecked (sent to {message.path}, another endpoint)"
    elif secret is None:
        check = "unchecked"
    else:
        try:
            Webhook(secret).verify(message.body, message.headers)
            check = "verified"
        except WebhookVerificationError as error:
            check = f"NOT VERIFIED ({error})"
    data = payload.get("data") if isinstance(payload, dict) else None
    ids = [f"{k}={v}" for k, v in (data or {}).items() if k.endswith("_id") or k == "score"][:SHOWN_FIELDS]
    kind = payload.get("type", "?") if isinstance(payload, dict) else "?"
    return f"{when}  {kind}  {check}  {message.headers.get('webhook-id', '-')}  {' '.join(ids)}".rstrip()


async def listen(port: int, notify: str, key: str | None, secret: str | None, stop: asyncio.Event,
                 say: Callable[[str], None] = print, event_types: list[str] | None = None) -> None:
    """Listens on `port` until `stop` is set. With an API key, registers an endpoint pointing here first (its secret
    checks the signatures) and deletes it at the end."""
    path = f"/hooks/{secrets.token_hex(4)}" if key else None  # its own, apart from endpoints registered by hand
    # `secret` is read as each message arrives: with a key, the registered endpoint's, before anything is sent there
    receiver = Receiver(port, keep=False, on_arrival=lambda message: say(describe(message, secret, path)))
    await receiver.start()
    endpoint_id = None
    try:
        async with httpx.AsyncClient(base_url=notify, timeout=10.0,
                                     headers={"Authorization": f"Bearer {key}"} if key else {}) as http:
            if key:
                answer = await http.post("/v1/webhooks", json={
                    "url": f"{receiver.url}{path}", "description": "python -m deploy.listen",
                    "event_types": event_types or []})
                if answer.status_code != 201:
                    raise SystemExit(f"notify refused the endpoint ({answer.status_code}): {answer.text}")
                endpoint = answer.json()
                endpoint_id, secret = endpoint["id"], endpoint["secret"]
                say(f"registered {endpoint_id} -> {endpoint['url']} (secret {secret}); Ctrl-C removes it")
            else:
                say(f"listening on {receiver.url}/hooks")
            try:
                await stop.wait()
            finally:
                if endpoint_id is not None:
                    removed = await http.delete(f"/v1/webhooks/{endpoint_id}")
                    say(f"removed {endpoint_id}" if removed.status_code == 204
                        else f"could not remove {endpoint_id} ({removed.status_code}): {removed.text}")
    finally:
        await receiver.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.listen", description=DESCRIPTION)
    parser.add_argument("--port", type=int, default=8765, help="where to listen on 127.0.0.1 (default 8765)")
    parser.add_argument("--notify", default=os.environ.get("DUIJIE_NOTIFY_URL", "http://127.0.0.1:8002"),
                        help="notify's URL (default $DUIJIE_NOTIFY_URL or http://127.0.0.1:8002)")
    parser.add_argument("--key", default=os.environ.get("DUIJIE_API_KEY"),
                        help="an organisation's API key: register an endpoint here for its messages")
    parser.add_argument("--secret", help="the whsec_ secret of an endpoint registered by hand")
    parser.add_argument("--event-type", action="append", dest="event_types",
                        help="only this event type (repeat for more; GET /v1/event-types lists them)")
    args = parser.parse_args(argv)
    if args.key and args.secret:
        parser.error("--key registers an endpoint with its own secret: give --key or --secret, not both")

    async def run() -> None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await listen(args.port, args.notify, args.key, args.secret, stop,
                     say=lambda line: print(line, flush=True), event_types=args.event_types)

    try:
        asyncio.run(run())
    except httpx.HTTPError as error:
        sys.exit(f"cannot reach notify at {args.notify}: {error}")
    except OSError as error:
        sys.exit(f"cannot listen on 127.0.0.1:{args.port}: {error}")


if __name__ == "__main__":
    main()
