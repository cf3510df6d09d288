"""A service whose database has gone away still shuts down promptly: closing its MongoDB client, which ends the
server sessions it holds and so waits for a server, is given up after `CLOSE_SECONDS` (it took the driver's whole
30 s server-selection timeout before)."""

import asyncio
import sys
import time
from pathlib import Path

import pytest

from deploy.readiness import mongo_ready, wait_until
from deploy.stack import free_port
from services.notify import db as notify_db
from services.registry import db as registry_db


@pytest.mark.parametrize("module", [registry_db, notify_db], ids=["registry", "notify"])
async def test_closing_the_client_after_the_database_went_away_takes_at_most_close_seconds(
        module: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "CLOSE_SECONDS", 1.0)
    port = free_port()
    server = await asyncio.create_subprocess_exec(sys.executable, "-m", "deploy.mongo_server", "--port", str(port),
                                                  "--path", str(tmp_path / "gone.sqlite3"),
                                                  stdout=asyncio.subprocess.DEVNULL)
    try:
        url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        await wait_until(lambda: mongo_ready(url), 30, "database", lambda: server.returncode is None)
        database = module.Database(url, "duijie_shutdown")
        await database["things"].insert_one({"_id": "a"})  # the client now holds a server session
        assert await database["things"].find_one({"_id": "a"}) == {"_id": "a"}
    finally:
        server.kill()
        await server.wait()
    await asyncio.sleep(1.5)  # the driver's monitor notices: a server must now be selected before anything is sent
    started = time.monotonic()
    await database.close()
    assert time.monotonic() - started < 4.0
