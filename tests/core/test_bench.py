import pytest

from paperzoo.core.bench import time_calls, time_pair


def test_time_calls_discards_warmup_and_returns_one_time_per_repeat():
    calls = []
    times = time_calls(lambda: calls.append(1), repeats=3, warmup=2)
    assert len(calls) == 5 and len(times) == 3 and all(t >= 0 for t in times)


def test_time_pair_alternates_the_two_calls_after_one_warmup_each():
    order = []
    a, b = time_pair(lambda: order.append("a"), lambda: order.append("b"), repeats=3)
    assert order == ["a", "a", "b", "b", "a", "b", "a", "b"]
    assert len(a) == len(b) == 3


@pytest.mark.parametrize("repeats, warmup", [(0, 1), (1, -1)])
def test_time_calls_rejects_bad_counts(repeats, warmup):
    with pytest.raises(ValueError, match="repeats"):
        time_calls(lambda: None, repeats, warmup)
