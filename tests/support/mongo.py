"""An embedded MongoDB server inside the test's own event loop, on a free loopback port."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

from deploy.mongo_gate import install


@asynccontextmanager
async def embedded_mongo(engine: SQLiteEngine, gated: bool = False) -> AsyncIterator[str]:
    """Serves `engine` (through the transaction gate when `gated`); yields the connection URL."""
    proxy = AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=0)
    if gated:
        install(proxy)
    address = await proxy.start()
    try:
        yield f"mongodb://{address.host}:{address.port}/?directConnection=true"
    finally:
        await proxy.close()
