"""An embedded MongoDB server inside the test's own event loop, on a free loopback port."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

from deploy.mongo_server import proxy_for


@asynccontextmanager
async def embedded_mongo(engine: SQLiteEngine, as_served: bool = False) -> AsyncIterator[str]:
    """Serves `engine`, plainly or as `deploy.mongo_server` serves it (`as_served`: write commands committed
    once each, transactions gated); yields the connection URL."""
    proxy = (proxy_for(engine, "127.0.0.1", 0) if as_served
             else AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=0))
    address = await proxy.start()
    try:
        yield f"mongodb://{address.host}:{address.port}/?directConnection=true"
    finally:
        await proxy.close()
