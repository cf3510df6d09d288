"""Short pauses of Python's cyclic garbage collector in a long-running service.

A full pass of the collector walks every object the process holds. In a service most of them are made at
start-up and live until it stops: modules, schemas, matching's index as rebuilt at start-up, the database
server's catalogue. Measured in the pipeline bench (40 needs/s, from the timed run's start to its last POST), the
bench, both database servers, the registry and matching each paused 52–104 ms in a full pass, and every message
in flight waited. `settle` runs once the service has started: one collection, then everything still alive moves
to a generation the collector no longer walks (`gc.freeze`). With it (and with matching and the bench keeping
their records as plain tuples, which the collector stops walking) no process paused more than 10 ms. `release`
undoes it (for a process that starts and stops services, such as the tests).

Freezing never keeps what reference counting frees; only cycles made before `settle` and dropped later stay
until `release`. Spacing the young passes too (20,000 allocations instead of 2,000) saved little CPU and made the
database servers' young passes pause for up to 25 ms: the thresholds stay CPython's.
"""

import gc


def settle() -> None:
    """Collects once, then leaves everything alive now out of the collector's later passes."""
    gc.collect()
    gc.freeze()


def release() -> None:
    """Undoes `settle`: the frozen objects are walked again."""
    gc.unfreeze()
