"""A batch's notifications are inserted in groups, one after another: two first (their webhooks leave at once),
then sixteen, then groups of sixty-four, which only a large batch (a backlog being drained) reaches."""

from services.notify.fanout import groups


def sizes(count: int) -> list[int]:
    return [len(group) for group in groups(list(range(count)))]


def test_a_postings_notifications_go_in_a_group_of_two_then_one_of_at_most_sixteen() -> None:
    assert sizes(1) == [1]
    assert sizes(2) == [2]
    assert sizes(16) == [2, 14]
    assert sizes(18) == [2, 16]


def test_past_the_first_eighteen_a_large_batch_goes_in_groups_of_sixty_four() -> None:
    assert sizes(40) == [2, 16, 22]
    assert sizes(200) == [2, 16, 64, 64, 54]


def test_every_notification_is_in_exactly_one_group_in_the_order_given() -> None:
    order = [7, 3, 9, *range(100, 197)]
    assert [i for group in groups(order) for i in group] == order
    assert groups([]) == []
