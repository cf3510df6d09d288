"""Health, readiness and Prometheus metrics."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from services.registry.deps import Box

router = APIRouter(tags=["operations"])

DEAD_LETTERS = Counter("registry_dead_letters_total", "Records the registry's consumers dead-lettered", ["topic"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness: database reachable and broker connected")
async def readyz(box: Box, response: Response) -> dict:
    db_ok = await box.db.ping()
    broker_ok = await box.broker.ping(timeout=2.0)
    if not (db_ok and broker_ok):
        response.status_code = 503
    return {"database": db_ok, "broker": broker_ok, "outbox_backlog": await box.relay.backlog() if db_ok else None}


@router.get("/metrics", summary="Prometheus metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
