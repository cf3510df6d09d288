"""What a replica's sweep remembers of the claims on first attempts: each notification is read once, a number
skipped by the inserts is waited for, and the watermark never passes a claim not yet settled or a number that may
still come."""

from datetime import UTC, datetime, timedelta

from services.notify.claims import GAP_MARGIN, ClaimWatch

NOW = datetime(2026, 12, 1, 8, tzinfo=UTC)
LEASE = timedelta(seconds=20)


def notification(seq: int, claims: int = 1, lease_ends: datetime = NOW) -> dict:
    return {"seq": seq, "undispatched": [f"ntf_{seq}:webhook:ep_{i}" for i in range(claims)],
            "claimed_until": lease_ends}


def test_notifications_read_once_are_remembered_only_while_their_claims_are_open() -> None:
    watch = ClaimWatch(high=10)
    watch.saw([notification(11), notification(12, claims=0), notification(13)], NOW)
    assert watch.high == 13 and sorted(watch.open) == [11, 13] and not watch.gaps
    watch.settle(11)
    assert watch.settled_through() == 12
    watch.settle(13)
    assert watch.settled_through() == 13


def test_only_claims_whose_lease_ran_out_are_due() -> None:
    watch = ClaimWatch(high=0)
    watch.saw([notification(1, lease_ends=NOW - LEASE), notification(2, lease_ends=NOW + LEASE)], NOW)
    assert [n["seq"] for n in watch.due(NOW)] == [1]
    assert [n["seq"] for n in watch.due(NOW + 2 * LEASE)] == [1, 2]


def test_a_skipped_number_is_a_gap_until_its_notification_is_read() -> None:
    watch = ClaimWatch(high=0)
    watch.saw([notification(1), notification(4), notification(5), notification(7)], NOW)
    for seq in (1, 4, 5, 7):
        watch.settle(seq)
    assert watch.gap_runs() == [(2, 3), (6, 6)]
    assert watch.settled_through() == 1

    watch.saw([notification(2), notification(6)], NOW)  # inserted late
    assert watch.gap_runs() == [(3, 3)] and watch.high == 7 and sorted(watch.open) == [2, 6]
    watch.settle(2)
    watch.settle(6)
    assert watch.settled_through() == 2


def test_a_number_missing_longer_than_a_lease_and_the_margin_is_taken_as_never_used() -> None:
    watch = ClaimWatch(high=0)
    watch.saw([notification(2, claims=0)], NOW)
    watch.forget_gaps(NOW + LEASE + GAP_MARGIN - timedelta(seconds=1), LEASE)
    assert watch.settled_through() == 0
    watch.forget_gaps(NOW + LEASE + GAP_MARGIN + timedelta(seconds=1), LEASE)
    assert watch.settled_through() == 2 and not watch.gaps


def test_the_watermark_starts_where_it_was_published() -> None:
    watch = ClaimWatch(high=40)
    assert watch.published == 40 and watch.settled_through() == 40


def test_due_claims_come_in_number_order_until_settled_and_a_claim_read_again_keeps_its_new_lease() -> None:
    watch = ClaimWatch(high=0)
    watch.saw([notification(1, lease_ends=NOW + LEASE), notification(2, lease_ends=NOW - LEASE),
               {"seq": 3, "undispatched": ["ntf_3:webhook:ep_0"], "claimed_until": None},
               notification(4, lease_ends=NOW + 2 * LEASE)], NOW)
    assert [n["seq"] for n in watch.due(NOW)] == [2, 3]
    assert [n["seq"] for n in watch.due(NOW)] == [2, 3]  # due until settled (a live owner may still be at it)
    watch.settle(2)
    watch.saw([notification(1, lease_ends=NOW + 3 * LEASE)], NOW)  # read again, its lease renewed
    assert [n["seq"] for n in watch.due(NOW + LEASE + timedelta(seconds=1))] == [3]
    assert [n["seq"] for n in watch.due(NOW + 4 * LEASE)] == [1, 3, 4]
    for seq in (1, 3, 4):
        watch.settle(seq)
    assert watch.due(NOW + 4 * LEASE) == [] and watch.settled_through() == 4
