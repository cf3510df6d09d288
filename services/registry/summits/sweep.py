"""The summit sweep: expire ignored meeting requests, record no-shows, make follow-up prompts due.

`sweep(box, now)` takes the time as an argument, so tests jump the clock; the registry's lifespan runs it
every `DUIJIE_SUMMIT_SWEEP_SECONDS`. Each step changes a document only from its previous status inside the
transaction that records the event, so two replicas sweeping at once still emit every event once.
"""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.registry.container import Container
from services.registry.summits.day import record_no_shows
from services.registry.summits.followups import fall_due
from services.registry.summits.requests import expire_overdue

log = logging.getLogger("duijie.registry.summits.sweep")


class SweepSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUIJIE_SUMMIT_", extra="ignore")

    sweep_seconds: float = 30.0


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Swept:
    expired: int
    missed: int
    due: int


async def sweep(box: Container, now: datetime) -> Swept:
    return Swept(await expire_overdue(box, now), await record_no_shows(box, now), await fall_due(box, now))


class Sweeper:
    def __init__(self, box: Container, every: float | None = None, clock: Callable[[], datetime] = utcnow) -> None:
        self.box, self.clock = box, clock
        self.every = every if every is not None else SweepSettings().sweep_seconds
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            try:
                swept = await sweep(self.box, self.clock())
                if swept.expired or swept.missed or swept.due:
                    log.info("summit sweep: %s", swept)
            except Exception:  # noqa: BLE001 - the next round retries; a sweep must never kill the registry
                log.exception("summit sweep failed")
            await asyncio.sleep(self.every)

    def start(self) -> "Sweeper":
        self._task = asyncio.create_task(self._run(), name="summit-sweep")
        return self

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
