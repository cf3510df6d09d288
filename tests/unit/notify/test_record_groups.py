"""A batch's notifications are inserted in groups, one after another: first each recipient's first message that
is sent at once (at least two: their webhooks leave as soon as that group is stored), then the rest in groups of up
to sixty-four (the next batch waits for every round trip)."""

from services.notify.fanout import groups, in_line


def sizes(count: int, first: int = 2) -> list[int]:
    return [len(group) for group in groups(list(range(count)), first)]


def test_a_postings_notifications_go_in_a_group_of_two_then_one_with_the_rest() -> None:
    assert sizes(1) == [1]
    assert sizes(2) == [2]
    assert sizes(16) == [2, 14]
    assert sizes(40) == [2, 38]
    assert sizes(66) == [2, 64]


def test_a_large_batch_goes_in_groups_of_sixty_four_after_the_first() -> None:
    assert sizes(67) == [2, 64, 1]
    assert sizes(200) == [2, 64, 64, 64, 6]


def test_a_larger_first_group_is_followed_by_the_usual_ones() -> None:
    assert sizes(40, first=5) == [5, 35]
    assert sizes(4, first=5) == [4]


def test_every_notification_is_in_exactly_one_group_in_the_order_given() -> None:
    order = [7, 3, 9, *range(100, 197)]
    assert [i for group in groups(order) for i in group] == order
    assert groups([]) == []


def test_each_recipients_first_message_to_send_goes_before_anyones_second() -> None:
    # two postings' matches in one batch: firm A's three webhooks, then firm B's two; their universities send nothing
    recipients = ["A", "U1", "A", "U2", "A", "U1", "B", "U3", "B", "U3"]
    sends_now = [r in ("A", "B") for r in recipients]
    order, first = in_line(recipients, sends_now)
    assert [recipients[i] for i in order] == ["A", "B", "A", "B", "A", "U1", "U2", "U1", "U3", "U3"]
    assert order[:2] == [0, 6] and first == 2  # A's first and B's first, in one group
    assert sorted(order) == list(range(len(recipients)))


def test_the_first_group_holds_every_waiting_recipients_first_message_up_to_sixteen() -> None:
    five = [f"firm{i}" for i in range(5)]
    assert in_line(five, [True] * 5) == ([0, 1, 2, 3, 4], 5)
    assert in_line(["A"] * 3, [True] * 3) == ([0, 1, 2], 2)
    assert in_line(["U"] * 3, [False] * 3) == ([0, 1, 2], 2)
    assert in_line([f"firm{i}" for i in range(20)], [True] * 20)[1] == 16
