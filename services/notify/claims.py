"""What one replica's sweep knows about the claims on notifications' first attempts (see `deliveries`).

A notification's insert claims its first attempts: it lists their dispatch ids (`undispatched`) with a lease
(`claimed_until`). A claim is settled once its dispatch is written, by its owner or by a replica adopting it, and
stays settled. The sweep sees each notification once, in the order of its sequence number, and keeps in memory
only the ones whose claims it has not yet found settled; so each sweep reads the notifications inserted since the
last one, not every claim still inside the safety margin. Those its own replica inserted it is handed as they are
inserted (`Dispatcher.note_recorded`) once its reads have caught up, and reads only the others (in alternating
runs at 20 postings/s, notify's embedded database used about 1 ms less CPU per posting than reading them back).

Numbers are reserved a moment before their notification is inserted, and concurrent batches insert in any order:
a number missing when a higher one has been read is a *gap*, looked up again by each sweep until its notification
appears, or until it has been missing so long (a lease and `GAP_MARGIN`) that its reservation was never used (an
event already turned into notifications, e.g. redelivered). The watermark other replicas and restarts start from
never passes a gap or a claim not found settled.
"""

import heapq
from dataclasses import dataclass, field
from datetime import datetime, timedelta

GAP_MARGIN = timedelta(seconds=60)  # how much longer than a lease an insert may lag behind its reservation
CLAIM_FIELDS = {"org_id": 1, "type": 1, "undispatched": 1, "release_at": 1, "claimed_by": 1, "seq": 1,
                "claimed_until": 1}


@dataclass
class ClaimWatch:
    """Every number up to `high` has been read except the `gaps` (number → when first missed); `open` holds the
    notifications read whose claims were not yet found settled (number → notification).

    A claim is settled only once its lease has run out (20 s), so at 50 postings/s `open` holds some 8,000
    notifications: the ones due are kept apart (`_leases`, by the end of their lease), so a sweep does not look at
    every open claim four times a second."""
    high: int
    gaps: dict[int, datetime] = field(default_factory=dict)
    open: dict[int, dict] = field(default_factory=dict)
    caught_up: bool = False  # the last read above `high` found less than a batch
    published: int = field(init=False)  # the watermark last written to `counters`
    _leases: list[tuple[datetime, int]] = field(default_factory=list)  # (lease end, number) of open claims, a heap
    _overdue: dict[int, dict] = field(default_factory=dict)  # open claims found due, not yet settled

    def __post_init__(self) -> None:
        self.published = self.high

    def gap_runs(self) -> list[tuple[int, int]]:
        """The gaps as runs of consecutive numbers (a batch reserves its numbers together): (first, last)."""
        runs: list[tuple[int, int]] = []
        for seq in sorted(self.gaps):
            if runs and runs[-1][1] == seq - 1:
                runs[-1] = (runs[-1][0], seq)
            else:
                runs.append((seq, seq))
        return runs

    def saw(self, notifications: list[dict], now: datetime) -> None:
        """Takes in notifications read above `high` (in order) and in the gaps: the ones with claims are open, and
        the numbers skipped below the highest one read are gaps."""
        for notification in notifications:
            seq = notification["seq"]
            self.gaps.pop(seq, None)
            if seq > self.high:
                self.gaps.update(dict.fromkeys(range(self.high + 1, seq), now))
                self.high = seq
            if notification.get("undispatched"):
                self.open[seq] = notification
                if notification.get("claimed_until") is None:
                    self._overdue[seq] = notification
                else:
                    heapq.heappush(self._leases, (notification["claimed_until"], seq))

    def due(self, now: datetime) -> list[dict]:
        """The open notifications whose lease has run out, in number order: their missing dispatches may need
        adopting."""
        while self._leases and self._leases[0][0] < now:
            _, seq = heapq.heappop(self._leases)
            notification = self.open.get(seq)
            if notification is None:
                continue
            if (ends := notification.get("claimed_until")) is None or ends < now:
                self._overdue[seq] = notification
            else:  # read again since, with a later lease
                heapq.heappush(self._leases, (ends, seq))
        return [self._overdue[seq] for seq in sorted(self._overdue) if self._overdue[seq] is self.open.get(seq)]

    def settle(self, seq: int) -> None:
        self.open.pop(seq, None)
        self._overdue.pop(seq, None)

    def forget_gaps(self, now: datetime, lease: timedelta) -> None:
        """Drops the gaps missing for longer than a lease and the margin: those numbers were never used."""
        self.gaps = {seq: since for seq, since in self.gaps.items() if since > now - lease - GAP_MARGIN}

    def settled_through(self) -> int:
        """The highest number at and below which every claim is settled and no gap can still fill."""
        beyond = self.high + 1
        return min(self.high, min(self.gaps, default=beyond) - 1, min(self.open, default=beyond) - 1)
