"""`Idempotency-Key` on every POST, implemented once as ASGI middleware.

A POST carrying the header is claimed in the `idempotency` collection under (caller, key) — the caller being
the presented API key, hashed — before it runs. The first response (status, body) is stored when it is not a
server error; a retry with the same key and the same request gets that response again (with
`Idempotent-Replayed: true`) and creates nothing. The stored body is sealed with a key derived from the API key and
the Idempotency-Key, which only the client holds, so that the database does not keep what a response shows once in
the clear (a new API key, an organisation's first key). The same key with a different request (method, path, query
or body) is refused with 422, as the IETF idempotency-key draft recommends; a retry that arrives while the
first is still running gets 409. A 5xx or a crash before the change releases the claim, so the client may retry.
"""

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import FastAPI
from pymongo.errors import DuplicateKeyError
from starlette.datastructures import Headers

from services.registry.db import retrying

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

HEADER = "idempotency-key"
MAX_KEY_LENGTH = 255
RETENTION_SECONDS = 24 * 3600


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\x1f")
    return h.hexdigest()


def _seal_key(authorization: str, key: str) -> AESGCM:
    """What a stored response is sealed with (AES-256-GCM): a key derived from the API key and the Idempotency-Key
    apart from the record's id, so the id does not give it."""
    return AESGCM(hashlib.sha256(b"idempotency seal\x1f" + authorization.encode() + b"\x1f" + key.encode()).digest())


async def _respond(send: Send, status: int, body: dict | bytes, content_type: str = "application/json",
                   replayed: bool = False) -> None:
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(raw)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": raw})


def _problem(message: str) -> dict:
    field = "header Idempotency-Key"
    return {"error": "invalid", "message": f"{field}: {message}", "field": field,
            "detail": [{"loc": ["header", "Idempotency-Key"], "field": field, "msg": message, "type": "invalid"}]}


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            return await self.app(scope, receive, send)
        if not key.strip() or len(key) > MAX_KEY_LENGTH:
            return await _respond(send, 422, _problem(f"must be 1 to {MAX_KEY_LENGTH} characters, e.g. a UUID"))

        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        authorization = headers.get("authorization", "anonymous")
        record_id, seal = _digest(authorization, key), _seal_key(authorization, key)
        fingerprint = _digest(scope["method"], scope["path"], scope.get("query_string", b""), body)
        store = scope["app"].state.container.db["idempotency"]

        try:
            await retrying(lambda: store.insert_one({"_id": record_id, "state": "running",
                                                     "fingerprint": fingerprint, "created_at": datetime.now(UTC)}))
        except DuplicateKeyError:
            first = await retrying(lambda: store.find_one({"_id": record_id}))
            if first is None:
                return await _respond(send, 409, {"error": "conflict", "detail": "retry this request"})
            if first["fingerprint"] != fingerprint:
                return await _respond(send, 422, _problem("was already used for a different request; "
                                                          "use a new key for a new request"))
            if first["state"] != "done":
                return await _respond(send, 409, {"error": "conflict", "detail": "a request with this "
                                                  "Idempotency-Key is still being processed; retry shortly"})
            stored = bytes(first["body"])
            if "nonce" in first:  # sealed (records from before sealing were stored in the clear)
                stored = seal.decrypt(bytes(first["nonce"]), stored, record_id.encode())
            return await _respond(send, first["status"], stored, first["content_type"], replayed=True)

        replay_sent = False

        async def replay_receive() -> Message:
            nonlocal replay_sent
            if not replay_sent:
                replay_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        response: dict[str, Any] = {"status": 500, "content_type": "application/json", "body": []}
        held: list[Message] = []

        async def capture(message: Message) -> None:
            """Holds the response back until its record is final, so a retry sent the moment the client has
            the answer is replayed (never told "still running")."""
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["content_type"] = Headers(raw=message.get("headers", [])).get("content-type", "")
            elif message["type"] == "http.response.body":
                response["body"].append(message.get("body", b""))
            held.append(message)

        try:
            await self.app(scope, replay_receive, capture)
        except BaseException:
            await retrying(lambda: store.delete_one({"_id": record_id}))
            raise
        if response["status"] >= 500 or response["status"] in (401, 429):
            await retrying(lambda: store.delete_one({"_id": record_id}))
        else:
            nonce = secrets.token_bytes(12)
            done = {"state": "done", "status": response["status"], "content_type": response["content_type"],
                    "body": seal.encrypt(nonce, b"".join(response["body"]), record_id.encode()), "nonce": nonce,
                    "done_at": datetime.now(UTC)}
            await retrying(lambda: store.update_one({"_id": record_id}, {"$set": done}))
        for message in held:
            await send(message)


def _document(app: FastAPI) -> None:
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        parameter = {"name": "Idempotency-Key", "in": "header", "required": False,
                     "description": "Any unique string (a UUID). A retry with the same key returns the first "
                                    "response and creates nothing new; the same key with a different request is "
                                    "422; while the first is still running, 409.",
                     "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH}}
        for operations in schema.get("paths", {}).values():
            if "post" in operations:
                operations["post"].setdefault("parameters", []).append(parameter)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install(app: FastAPI) -> None:
    app.add_middleware(IdempotencyMiddleware)  # type: ignore[arg-type]
    _document(app)
