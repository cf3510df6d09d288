"""The retry schedule with jitter, Retry-After, and the circuit breaker per endpoint."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from services.notify.retry import Breaker, Schedule, parse_retry_after
from services.notify.settings import Settings

SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]


def test_each_interval_is_multiplied_and_jittered_within_bounds() -> None:
    schedule = Schedule(SCHEDULE, multiplier=0.001, jitter=0.1)
    rand = random.Random(7)
    for made, interval in enumerate(SCHEDULE):
        delay = schedule.delay_after(made, rand=rand)
        assert interval * 0.001 * 0.9 <= delay <= interval * 0.001 * 1.1
    assert schedule.attempts == 8


def test_jitter_spreads_retries_on_both_sides_of_each_interval() -> None:
    # Receivers that failed together must not all be retried in the same instant.
    schedule = Schedule(SCHEDULE, jitter=0.1)
    rand = random.Random(11)
    delays = [schedule.delay_after(2, rand=rand) for _ in range(200)]
    assert len(set(delays)) == 200
    assert min(delays) < 300 * 0.95 and max(delays) > 300 * 1.05


def test_by_default_webhooks_follow_the_standard_schedule_and_time_out_after_15_seconds() -> None:
    default = {name: field.default for name, field in Settings.model_fields.items()}  # whatever the environment says
    assert default["retry_schedule"] == SCHEDULE  # about 0 s, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h
    assert (default["retry_multiplier"], default["retry_jitter"]) == (1.0, 0.1)
    assert default["webhook_timeout_seconds"] == 15.0


def test_retry_after_is_a_lower_bound_scaled_like_every_interval_and_capped() -> None:
    schedule = Schedule(SCHEDULE, multiplier=0.5, jitter=0.0, retry_after_max=100)
    assert schedule.delay_after(1, retry_after=60) == 30.0  # 5 s × 0.5 < 60 s × 0.5
    assert schedule.delay_after(2, retry_after=60) == 150.0  # the schedule is later anyway
    assert schedule.delay_after(1, retry_after=10_000) == 50.0  # capped at 100 s × 0.5


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after("soon") is None
    for unreadable in ("²", "١٢٠", "Fri, 99 Foo 2026 99:99:99 GMT", "Fri,"):
        assert parse_retry_after(unreadable) is None, unreadable
    assert parse_retry_after(None) is None


def test_the_breaker_opens_after_consecutive_failures_then_lets_one_probe_through() -> None:
    breaker = Breaker(threshold=3, cooldown=10.0)
    for t in (0.0, 1.0):
        breaker.failed(t)
        assert breaker.admit(t) is None, "still closed"
    breaker.failed(2.0)
    assert breaker.state(2.0) == "open"
    assert breaker.admit(5.0) == 7.0, "messages wait until the cool-down ends"
    assert breaker.admit(12.0) is None, "half-open: one probe"
    assert breaker.admit(12.0) is not None, "only one probe at a time"
    breaker.failed(12.5)
    assert breaker.state(13.0) == "open" and breaker.admit(13.0) == 9.5
    assert breaker.admit(23.0) is None
    breaker.succeeded()
    assert breaker.state(23.0) == "closed" and breaker.admit(23.0) is None


def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    breaker = Breaker(threshold=2, cooldown=10.0)
    breaker.failed(0.0)
    breaker.succeeded()
    breaker.failed(1.0)
    assert breaker.state(1.0) == "closed"
