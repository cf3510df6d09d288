"""The pipeline bench reports its latencies by when each need was POSTed, so a rate the stack cannot sustain shows
as latencies climbing over the run rather than hiding in one percentile."""

from bench.pipeline import over_time, percentile


def test_latencies_are_grouped_by_when_their_need_was_posted() -> None:
    started = {f"n{i}": 100.0 + i for i in range(25)}  # one POST a second from t = 100 s
    first = {f"n{i}": 10.0 + 2 * i for i in range(25)}  # each slower than the one before
    rows = over_time(started, first, width=10.0)
    assert [(start, count) for start, count, _, _ in rows] == [(0.0, 10), (10.0, 10), (20.0, 5)]
    assert [p50 for _, _, p50, _ in rows] == [19.0, 39.0, 54.0]
    assert [p99 for _, _, _, p99 in rows] == [28.0, 48.0, 58.0]


def test_needs_never_delivered_are_left_out_and_nothing_delivered_gives_no_rows() -> None:
    started = {"a": 5.0, "b": 17.0, "lost": 6.0}
    assert over_time(started, {"a": 30.0, "b": 40.0}, width=10.0) == [(0.0, 1, 30.0, 30.0), (10.0, 1, 40.0, 40.0)]
    assert over_time(started, {}, width=10.0) == []


def test_the_99th_percentile_of_a_short_list_is_its_largest_value() -> None:
    assert percentile([1.0, 2.0, 3.0], 0.99) == 3.0
    assert percentile([float(v) for v in range(200)], 0.99) == 198.0
