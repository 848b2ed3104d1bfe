"""bench/speed.py's pure helpers: the sample of named files and its distribution (the
timings themselves are measured by the script, never by a test)."""

from __future__ import annotations

import statistics

import pytest

from tests.test_bench_bugs import _bench

speed = _bench("speed")


def test_evenly_spaced_takes_the_middle_of_equal_slices() -> None:
    assert speed.evenly_spaced(list(range(100)), 4) == [12, 37, 62, 87]
    assert speed.evenly_spaced(list(range(10)), 5) == [1, 3, 5, 7, 9]


def test_evenly_spaced_is_distinct_ordered_and_covers_the_range() -> None:
    items = [f"file{n:04}.py" for n in range(970)]
    sample = speed.evenly_spaced(items, 24)
    assert len(sample) == 24 == len(set(sample))
    assert sample == sorted(sample)
    assert sample[0] < items[970 // 24] and sample[-1] > items[-970 // 24 - 1]
    assert sample == speed.evenly_spaced(items, 24)  # no randomness


def test_evenly_spaced_with_few_items_or_none_wanted() -> None:
    assert speed.evenly_spaced(["a", "b"], 24) == ["a", "b"]
    assert speed.evenly_spaced(["a", "b"], 0) == []
    assert speed.evenly_spaced([], 3) == []


def test_percentile_interpolates_between_the_nearest_values() -> None:
    values = [4.0, 1.0, 3.0, 2.0, 5.0]  # unsorted on purpose
    assert speed.percentile(values, 0) == 1.0
    assert speed.percentile(values, 50) == 3.0
    assert speed.percentile(values, 75) == 4.0
    assert speed.percentile(values, 90) == pytest.approx(4.6)
    assert speed.percentile(values, 100) == 5.0
    assert speed.percentile([1.0, 2.0], 50) == 1.5
    assert speed.percentile([7.0], 90) == 7.0


def test_percentile_50_is_the_median() -> None:
    values = [0.3, 9.1, 2.2, 4.8, 1.0, 7.7]
    assert speed.percentile(values, 50) == pytest.approx(statistics.median(values))


def test_percentile_rejects_no_values_and_ranks_out_of_range() -> None:
    with pytest.raises(ValueError):
        speed.percentile([], 50)
    with pytest.raises(ValueError):
        speed.percentile([1.0], 101)


def test_distribution_of_multiples() -> None:
    multiples = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 50.0]
    summary = speed.distribution(multiples)
    assert summary["median"] == pytest.approx(5.5)
    assert summary["75th"] == pytest.approx(7.75)
    assert summary["90th"] == pytest.approx(9.0 + 0.1 * 41.0)
    assert summary["max"] == 50.0
    assert summary["within 3x"] == 3  # the bound itself counts as within
    assert summary["within 5x"] == 5
