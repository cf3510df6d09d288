"""Notify's composition root: FastStream consumers plus a small HTTP API, in one process."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from services.contracts import heap
from services.contracts.broker import kafka_broker
from services.notify.api import router as api_router
from services.notify.auth import KeyIntrospection
from services.notify.changes import Changes
from services.notify.channels.email import EmailChannel
from services.notify.channels.poster import Poster
from services.notify.channels.robots import DingTalkChannel, WeComChannel
from services.notify.channels.webhook import WebhookChannel
from services.notify.container import Container
from services.notify.db import Database
from services.notify.deliveries import Dispatcher
from services.notify.digest import DigestSender
from services.notify.endpoints import router
from services.notify.fanout import Notifier
from services.notify.handlers import register_handlers
from services.notify.numbering import Numbers
from services.notify.preferences import PreferenceStore
from services.notify.pulse import Pulse, Watcher
from services.notify.records import Records
from services.notify.redeliveries import Redeliveries
from services.notify.settings import Settings
from services.notify.sweep import Sweep
from services.notify.tickets import Tickets
from services.notify.webhooks import Endpoints


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    db = Database(settings.mongo_url, settings.notify_db)
    broker = kafka_broker(settings.kafka_bootstrap, "duijie-notify")
    # Redirects are never followed (3xx is a failed attempt); the SSRF guard pins every request's address.
    poster = Poster(settings.allow_hosts, settings.webhook_timeout_seconds,
                    per_receiver=settings.webhook_connections_per_receiver)
    changes = Changes(db, settings.changes_check_seconds)
    endpoints = Endpoints(db, settings.cache_seconds, changes)
    preferences = PreferenceStore(db, settings.cache_seconds, changes)
    pulse = Pulse()
    notifier = Notifier(db, endpoints, preferences, pulse, Numbers(db, "notifications"))
    channels = {"webhook": WebhookChannel(poster), "email": EmailChannel(settings),
                "wecom": WeComChannel(poster), "dingtalk": DingTalkChannel(poster)}
    dispatcher = Dispatcher(db, settings, channels, notifier.load_target, notifier.dead_lettered, notifier.gone)
    notifier.dispatcher = dispatcher
    sweep = Sweep(dispatcher)
    watcher = Watcher(db, pulse)
    box = Container(settings, db, broker, endpoints, preferences, notifier, dispatcher, pulse,
                    KeyIntrospection(settings.registry_url, settings.auth_cache_seconds), poster, Records(db),
                    Redeliveries(db, dispatcher), Tickets(db))
    digest = DigestSender(db, preferences, notifier)
    register_handlers(broker, box)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await db.ensure_indexes()
        await changes.start()
        await broker.start()
        dispatcher.start()
        sweep.start()
        watcher.start()
        digest.start()
        heap.settle()  # what start-up made stays out of the collector's passes (`contracts.heap`)
        yield
        heap.release()
        await digest.stop()
        await watcher.stop()
        await sweep.stop()
        await changes.stop()
        # No new events, then the batches' rest stored and sent, then the attempts under way given time to finish.
        await broker.stop()
        await notifier.tails.drain()
        await dispatcher.stop(settings.shutdown_grace_seconds)
        await box.keys.close()
        await poster.close()
        await db.close()

    app = FastAPI(title="Duijie notify", version="1", lifespan=lifespan,
                  description="Webhooks (Standard Webhooks), a live SSE stream, e-mail and WeCom/DingTalk robots, "
                              "preferences, delivery records and dead letters. Authenticate with the registry API key.")
    app.state.container = box
    if settings.origins:  # web pages on these origins may call notify from a browser
        app.add_middleware(CORSMiddleware, allow_origins=settings.origins, allow_methods=["*"],
                           allow_headers=["Authorization", "Content-Type", "Last-Event-ID"])
    app.include_router(router)
    app.include_router(api_router)
    return app
