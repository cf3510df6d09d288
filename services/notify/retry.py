"""When to try again: the retry schedule with jitter, `Retry-After`, and a circuit breaker per endpoint.

Pure functions and state, no I/O: the dispatcher asks, these answer.
"""

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


@dataclass(frozen=True)
class Schedule:
    intervals: list[float]  # seconds before attempt 1, 2, ... (the first is normally 0)
    multiplier: float = 1.0
    jitter: float = 0.1
    retry_after_max: float = 86400.0

    @property
    def attempts(self) -> int:
        return len(self.intervals)

    def delay_after(self, attempts_made: int, retry_after: float | None = None,
                    rand: random.Random | None = None) -> float:
        """Seconds to wait after `attempts_made` failed attempts; a `Retry-After` is a lower bound."""
        base = self.intervals[min(attempts_made, self.attempts - 1)] * self.multiplier
        spread = (rand or random).uniform(-self.jitter, self.jitter)
        delay = base * (1 + spread)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.retry_after_max) * self.multiplier)
        return max(0.0, delay)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # "²" and "٣" are digits to str.isdigit, and no number to float()
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class Breaker:
    """Closed → open after `threshold` consecutive failures → half-open after `cooldown` (one probe at a time)
    → closed on the probe's success, open again on its failure. Messages wait while it is open; none is lost."""

    threshold: int
    cooldown: float
    failures: int = 0
    open_until: float = 0.0
    probing: bool = False

    def state(self, now: float) -> str:
        if self.failures < self.threshold:
            return "closed"
        return "open" if now < self.open_until else "half-open"

    def admit(self, now: float) -> float | None:
        """None when an attempt may go now; else how many seconds to wait. Half-open admits one probe."""
        state = self.state(now)
        if state == "closed":
            return None
        if state == "open":
            return self.open_until - now
        if self.probing:
            return max(self.cooldown / 10, 0.001)
        self.probing = True
        return None

    def succeeded(self) -> None:
        self.failures, self.open_until, self.probing = 0, 0.0, False

    def failed(self, now: float) -> None:
        self.failures += 1
        self.probing = False
        if self.failures >= self.threshold:
            self.open_until = now + self.cooldown
