"""Shutdown steps that wait for something outside the process, bounded so that its loss cannot hold up the exit."""

import asyncio
import logging
from collections.abc import Awaitable

log = logging.getLogger("duijie.shutdown")


async def within(seconds: float, step: Awaitable[object], what: str) -> bool:
    """Awaits `step` for at most `seconds`; False (and a warning) when it was given up.

    E.g. closing a MongoDB client ends the server sessions it holds, which needs a server: with the database
    gone, that waited the whole server-selection timeout (30 s) before the process could exit.
    """
    try:
        async with asyncio.timeout(seconds):
            await step
        return True
    except TimeoutError:
        log.warning("%s: no answer within %s s, given up", what, seconds)
        return False
