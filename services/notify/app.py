"""Notify's composition root: FastStream consumers plus a small HTTP API, in one process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.notify.auth import KeyIntrospection
from services.notify.container import Container
from services.notify.db import Database
from services.notify.deliveries import Dispatcher
from services.notify.endpoints import router
from services.notify.handlers import register_handlers
from services.notify.settings import Settings
from services.notify.stream import Pulse


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    db = Database(settings.mongo_url, settings.notify_db)
    broker = KafkaBroker(settings.kafka_bootstrap, enable_idempotence=False, client_id="duijie-notify")
    box = Container(settings, db, broker, Dispatcher(db, settings), Pulse(),
                    KeyIntrospection(settings.registry_url, settings.auth_cache_seconds))
    register_handlers(broker, box)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await db.ensure_indexes()
        await broker.start()
        box.dispatcher.start()
        yield
        await box.dispatcher.stop()
        await broker.stop()
        await box.keys.close()
        await db.close()

    app = FastAPI(title="Duijie notify", version="1", lifespan=lifespan,
                  description="Webhooks (Standard Webhooks), a live SSE stream and delivery records. "
                              "Authenticate with the registry API key.")
    app.state.container = box
    app.include_router(router)
    return app
