"""The embedded server's SQLite connections checkpoint less often, sort in memory and cache more pages, and keep
mongoeco's own write-ahead log and sync settings."""

from pathlib import Path

from deploy.mongo_server import engine_for


def test_every_connection_of_the_engine_is_tuned(tmp_path: Path) -> None:
    engine = engine_for(tmp_path / "tuned.sqlite3")
    connection = engine._create_sqlite_connection()
    try:
        read = {name: connection.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("wal_autocheckpoint", "temp_store", "cache_size", "journal_mode", "synchronous")}
    finally:
        connection.close()
    assert read == {"wal_autocheckpoint": 10000, "temp_store": 2, "cache_size": -65536, "journal_mode": "wal",
                    "synchronous": 1}
