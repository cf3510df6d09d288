"""The registry's composition root: create_app(settings) wires settings, database, broker and routes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.contracts import heap, topics
from services.contracts.broker import kafka_broker
from services.contracts.consumer import subscribe_batches
from services.registry import idempotency, validation
from services.registry.catalogue import endpoints as catalogue_endpoints
from services.registry.container import Container
from services.registry.db import Database
from services.registry.deals import endpoints as deal_endpoints
from services.registry.errors import DomainError, handle_domain_error
from services.registry.experts.kind import EXPERT
from services.registry.imports import endpoints as import_endpoints
from services.registry.ledgers import endpoints as ledger_endpoints
from services.registry.ledgers.consumer import with_ledgers
from services.registry.matches import endpoints as match_endpoints
from services.registry.matches.consumer import on_match_events
from services.registry.needs.kind import NEED
from services.registry.ops import DEAD_LETTERS
from services.registry.ops import router as ops_router
from services.registry.orgs import endpoints as org_endpoints
from services.registry.orgs import keys as org_keys
from services.registry.outbox import Relay
from services.registry.postings.endpoints import router_for
from services.registry.products.kind import PRODUCT
from services.registry.reports import endpoints as report_endpoints
from services.registry.repository_indexes import ensure_indexes
from services.registry.results.kind import RESULT
from services.registry.settings import Settings
from services.registry.summits import endpoints as summit_endpoints
from services.registry.summits.scheduling import schedule_consumer
from services.registry.summits.sweep import Sweeper
from services.registry.whoami import router as whoami_router


def build_container(settings: Settings) -> Container:
    db = Database(settings.mongo_url, settings.registry_db)
    broker = kafka_broker(settings.kafka_bootstrap, "duijie-registry")
    relay = Relay(db, broker, settings.topic_prefix, settings.relay_batch, settings.relay_poll_seconds,
                  settings.relay_log_seconds)
    container = Container(settings, db, broker, relay)
    handlers = {topics.named(topics.SCHEDULES, settings.topic_prefix): schedule_consumer(db)}
    batches = {topics.named(topics.MATCHES, settings.topic_prefix): lambda events: on_match_events(db, events)}
    subscribe_batches(broker, with_ledgers(db, settings.topic_prefix, handlers, batches, settings.district_timezone),
                      settings.consumer_group, on_dead_letter=lambda t: DEAD_LETTERS.labels(t).inc(),
                      fetch_max_wait_ms=settings.consume_wait_ms, max_records=settings.consume_max_records,
                      linger_seconds=settings.consume_linger_seconds)
    return container


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    container = build_container(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await ensure_indexes(container.db)
        await container.broker.start()
        container.relay.start()
        summit_sweeper = Sweeper(container).start()
        heap.settle()  # what start-up made stays out of the collector's passes (`contracts.heap`)
        yield
        heap.release()
        await summit_sweeper.stop()
        await container.relay.stop()
        await container.broker.stop()
        await container.db.close()

    app = FastAPI(title="Duijie registry", version="1", lifespan=lifespan,
                  description="Organisations, needs, results, financing products, experts, matches, summits, deals.")
    app.state.container = container
    app.add_exception_handler(DomainError, handle_domain_error)
    validation.install(app)
    idempotency.install(app)
    app.include_router(ops_router)
    app.include_router(org_endpoints.router)
    app.include_router(org_keys.router)
    app.include_router(router_for(NEED, "needs"))
    app.include_router(router_for(RESULT, "results"))
    app.include_router(router_for(PRODUCT, "products"))
    app.include_router(router_for(EXPERT, "experts"))
    app.include_router(match_endpoints.router)
    app.include_router(deal_endpoints.router)
    app.include_router(ledger_endpoints.router)
    app.include_router(report_endpoints.router)
    app.include_router(catalogue_endpoints.router)
    app.include_router(import_endpoints.router)
    app.include_router(whoami_router)
    app.include_router(summit_endpoints.router)
    app.include_router(summit_endpoints.followup_router)
    return app
