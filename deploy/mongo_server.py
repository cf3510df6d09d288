"""A MongoDB-wire-compatible server for local runs and tests: mongoeco's proxy over its SQLite engine.

Run: python -m deploy.mongo_server --port 27017 --path var/mongo/duijie.sqlite3
"""

import argparse
import asyncio
import signal
from pathlib import Path

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer


def engine_for(path: Path) -> SQLiteEngine:
    """The SQLite engine, without committed-change dispatch.

    mongoeco hands every committed transaction to its change-stream machinery, which takes a lease on a
    second SQLite connection and waits for it synchronously: when another session has just opened a write
    transaction, that wait blocks the whole server (seen here: 5–30 s stalls under concurrent writes).
    Duijie uses no change streams (the outbox relay publishes to Kafka instead), so dispatch is switched
    off; the engine still keeps its own bounded change log.
    """
    engine = SQLiteEngine(str(path))
    engine.dispatch_committed_changes = lambda consumer_id, consumer: None  # type: ignore[method-assign]
    return engine


async def serve(host: str, port: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    server = AsyncMongoEcoProxyServer(engine=engine_for(path), host=host, port=port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    address = await server.start()
    print(f"mongoeco listening on {address.host}:{address.port} (sqlite {path})", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--path", type=Path, default=Path("var/mongo/duijie.sqlite3"))
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.path))


if __name__ == "__main__":
    main()
