"""Inserts from many concurrent deliveries, written together: one `insert_many` per short window.

Each caller still waits until its document is stored (or learns it was a duplicate), so nothing changes for
it except that the documents of deliveries finishing at the same time share one round trip.
"""

import asyncio
from typing import Any

from pymongo.errors import BulkWriteError

DUPLICATE_KEY = 11000


def write_errors(error: BulkWriteError) -> tuple[set[int], dict[int, str]]:
    """An unordered insert's failures: the indexes already stored (duplicate `_id`), and every other failed
    index with its message."""
    errors = error.details.get("writeErrors", [])
    return ({e["index"] for e in errors if e.get("code") == DUPLICATE_KEY},
            {e["index"]: e.get("errmsg", "insert failed") for e in errors if e.get("code") != DUPLICATE_KEY})


class GroupInsert:
    def __init__(self, collection: Any, max_documents: int = 200, linger_seconds: float = 0.002) -> None:
        self.collection, self.max_documents, self.linger_seconds = collection, max_documents, linger_seconds
        self._pending: list[tuple[dict, asyncio.Future[bool]]] = []
        self._flushing: asyncio.Task | None = None

    async def insert(self, document: dict) -> bool:
        """Stores `document`; False when a document with its `_id` already exists."""
        stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append((document, stored))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        return await stored

    async def _flush(self) -> None:
        await asyncio.sleep(self.linger_seconds)  # let the deliveries finishing now join this write
        while self._pending:
            batch = self._pending[: self.max_documents]
            del self._pending[: self.max_documents]
            await self._write(batch)

    async def _write(self, batch: list[tuple[dict, asyncio.Future[bool]]]) -> None:
        duplicates: set[int] = set()
        try:
            await self.collection.insert_many([document for document, _ in batch], ordered=False)
        except BulkWriteError as error:
            duplicates, failed = write_errors(error)
            for index, (_, stored) in enumerate(batch):
                if index in failed and not stored.done():
                    stored.set_exception(RuntimeError(failed[index]))
        except Exception as error:  # noqa: BLE001 - every caller of this batch learns of the failure
            for _, stored in batch:
                if not stored.done():
                    stored.set_exception(error)
            return
        for index, (_, stored) in enumerate(batch):
            if not stored.done():
                stored.set_result(index not in duplicates)
