"""Matching's composition root: a FastStream app with /healthz, /readyz and /metrics."""

from faststream.asgi import AsgiFastStream, AsgiResponse, get
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.contracts import heap
from services.contracts.broker import kafka_broker
from services.matching.domain import Weights
from services.matching.engine import MatchingEngine
from services.matching.handlers import register_handlers
from services.matching.publisher import MatchEventProducer
from services.matching.rebuild import rebuild_from_registry
from services.matching.service import MatchingService
from services.matching.settings import Settings
from services.matching.text import ensure_jieba


def weights_from(settings: Settings) -> Weights:
    """The engine's default weights, with any DUIJIE_WEIGHT_<NAME> set in the environment applied."""
    overrides = {name: value for name in Weights.__dataclass_fields__
                 if (value := getattr(settings, f"weight_{name}", None)) is not None}
    return Weights(**overrides)


def create_app(settings: Settings | None = None) -> AsgiFastStream:
    settings = settings or Settings()
    broker = kafka_broker(settings.kafka_bootstrap, "duijie-matching")
    service = MatchingService(MatchingEngine(weights=weights_from(settings), min_score=settings.min_score),
                              limit=settings.matches_per_posting)
    producer = MatchEventProducer(settings.kafka_bootstrap, client_id="duijie-matching")
    register_handlers(broker, producer, settings, service)
    state = {"ready": False, "rebuilt": 0}

    async def rebuild() -> None:
        ensure_jieba()
        if settings.rebuild_from_registry:
            state["rebuilt"] = await rebuild_from_registry(settings, service)

    async def mark_ready() -> None:
        heap.settle()  # what start-up made (the rebuilt index too) leaves the collector's passes (`contracts.heap`)
        state["ready"] = True

    async def release_heap() -> None:
        heap.release()

    @get
    async def healthz(scope: dict) -> AsgiResponse:
        return AsgiResponse(b'{"status":"ok"}', 200, headers={"content-type": "application/json"})

    @get
    async def readyz(scope: dict) -> AsgiResponse:
        ok = state["ready"] and await broker.ping(timeout=2.0)
        body = f'{{"ready":{str(ok).lower()},"indexed":{len(service.engine)},"rebuilt":{state["rebuilt"]}}}'
        return AsgiResponse(body.encode(), 200 if ok else 503, headers={"content-type": "application/json"})

    @get
    async def metrics(scope: dict) -> AsgiResponse:
        return AsgiResponse(generate_latest(), 200, headers={"content-type": CONTENT_TYPE_LATEST})

    app = AsgiFastStream(broker, asgi_routes=[("/healthz", healthz), ("/readyz", readyz), ("/metrics", metrics)],
                         on_startup=[producer.start, rebuild], after_startup=[mark_ready],
                         after_shutdown=[producer.stop, release_heap])
    app.state_holder = state  # type: ignore[attr-defined]
    app.service = service  # type: ignore[attr-defined]
    return app
