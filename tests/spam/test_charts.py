"""The SVG chart builders: round axis steps, bars to scale and stacked, long labels cut (the hover text keeps them)."""

from datetime import date, timedelta

import pytest

from spam.charts import HITS, LABEL_LENGTH, horizontal_bars, nice_ticks, stacked_by_day
from spam.overview import DayCounts, PerDay, Series


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [(0, [0, 1]), (1, [0, 1]), (3, [0, 1, 2, 3]), (6, [0, 2, 4, 6]), (7, [0, 2, 4, 6, 8]), (95, [0, 50, 100])],
)
def test_the_axis_steps_are_round_and_reach_the_largest_value(largest, ticks):
    assert nice_ticks(largest) == ticks


def _per_day(*counts):
    first = date(2026, 12, 1)
    return PerDay(
        series=(Series("1", "WhatsApp"), Series("2", "E-mail")),
        days=tuple(DayCounts(first + timedelta(days=n), c) for n, c in enumerate(counts)),
    )


def test_bars_stack_per_day_to_scale_and_empty_parts_are_not_drawn():
    chart = stacked_by_day("c", _per_day((2, 0), (1, 3), (0, 0)), title="T", description="D", unit=HITS)

    assert [(bar.key, bar.value, bar.css_class) for bar in chart.bars] == [
        ("2026-12-01", 2, "series-0"),
        ("2026-12-02", 1, "series-0"),
        ("2026-12-02", 3, "series-1"),
    ]
    first, lower, upper = chart.bars
    assert first.height == lower.height * 2 and upper.height == lower.height * 3
    assert upper.y + upper.height == pytest.approx(lower.y)  # stacked on top of it
    assert lower.y + lower.height == chart.plot_bottom
    # The axis' top tick (4) is the top of the plot: a day of 4 fills it.
    assert lower.height + upper.height == pytest.approx(chart.plot_bottom - chart.plot_top)
    assert first.title == "1 Dec 2026, WhatsApp: 2 hits"
    assert chart.bars[1].title == "2 Dec 2026, WhatsApp: 1 hit"
    assert [(item.label, item.total) for item in chart.legend] == [("WhatsApp", 3), ("E-mail", 3)]
    assert chart.day_labels[-1].text == "3 Dec"


def test_a_month_has_a_few_day_labels_ending_today():
    chart = stacked_by_day("c", _per_day(*[(1, 0)] * 30), title="T", description="D", unit=HITS)

    assert 4 <= len(chart.day_labels) <= 6
    assert chart.day_labels[-1].text == "30 Dec"


def test_horizontal_bars_are_to_scale_and_long_labels_are_cut():
    long_name = "A" * (LABEL_LENGTH + 20)
    chart = horizontal_bars(
        "h", [(long_name, 20), ("Carl", 5)], title="T", description="D", unit=HITS, css_class="series-0"
    )

    first, second = (row.bar for row in chart.rows)
    assert first.width == second.width * 4
    assert chart.rows[0].label == "A" * (LABEL_LENGTH - 1) + "…"
    assert first.title == f"{long_name}: 20 hits"
    assert chart.rows[1].label_y > chart.rows[0].bar.y + chart.rows[0].bar.height  # no overlap
