"""What notify's deliveries tell Prometheus (`GET /metrics`): attempts by channel and outcome, how long they took,
messages dead-lettered, and attempts put off by an open circuit breaker. An operator alerts on these; a receiver's
owner reads its own delivery records instead."""

from prometheus_client import Counter, Histogram

ATTEMPTS = Counter("notify_delivery_attempts_total", "Delivery attempts, by channel and outcome (succeeded or failed)",
                   ["channel", "status"])
ATTEMPT_SECONDS = Histogram("notify_delivery_attempt_seconds", "How long an attempt took, to the answer or the failure",
                            ["channel"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0))
DEAD_LETTERED = Counter("notify_messages_dead_lettered_total", "Messages dead-lettered after their last attempt",
                        ["channel"])
HELD_BY_BREAKER = Counter("notify_attempts_held_by_breaker_total",
                          "Attempts put off because their target's circuit breaker was open", ["channel"])


def attempted(channel: str, ok: bool, seconds: float) -> None:
    ATTEMPTS.labels(channel, "succeeded" if ok else "failed").inc()
    ATTEMPT_SECONDS.labels(channel).observe(seconds)
