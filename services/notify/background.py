"""A loop a notify process keeps running from start-up to shut-down: the sweep, the digest, the stream reader."""

import asyncio


class Background:
    """Runs `run()` as a task of its own from `start()` until `stop()` cancels it and waits for it to end."""

    TASK = "background"  # the task's name, as asyncio shows it
    _task: asyncio.Task | None = None

    async def run(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=self.TASK)

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
