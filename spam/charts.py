"""Server-side SVG charts: the geometry of a stacked bar chart by day and of a horizontal bar chart.

The builders return plain structures; templates/spam/_*_chart.html draw them,
so every name and label in a chart goes through the template's escaping.
Sizes are in viewBox units: the SVG scales to its box (width 100%), so one
drawing reads at 390 px and at 1280 px. Colours are CSS classes (series-0 …
series-5 in blockdesk.css): a strict CSP forbids style attributes.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import ngettext_lazy

from .overview import PerDay

WIDTH = 480
STACKED_HEIGHT = 220
AXIS_LEFT = 40  # room for the value axis' labels
AXIS_BOTTOM = 22  # room for the day labels
TOP_GAP = 10
RIGHT_GAP = 22  # the last day's label is centred on the last bar: room for its right half
ROW_HEIGHT = 40  # horizontal chart: a label line, then its bar
BAR_THICKNESS = 12
VALUE_ROOM = 48  # horizontal chart: the value written after the longest bar
COLOURS = 6
MAX_DAY_LABELS = 6
LABEL_LENGTH = 40  # fits the chart's width at the phone's larger label size (blockdesk.css)


@dataclass(frozen=True)
class Legend:
    label: str
    css_class: str
    total: int


@dataclass(frozen=True)
class Tick:
    position: float  # y for a value axis on the left, x for one at the bottom
    label: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css_class: str
    title: str  # the hover text: what the bar counts
    value: int
    key: str  # the day (ISO) or the row's label, for tests and tools


@dataclass(frozen=True)
class DayLabel:
    x: float
    text: str


@dataclass(frozen=True)
class StackedChart:
    id: str
    title: str
    description: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    bars: tuple[Bar, ...]
    ticks: tuple[Tick, ...]
    day_labels: tuple[DayLabel, ...]
    legend: tuple[Legend, ...]


@dataclass(frozen=True)
class Row:
    label: str
    label_y: float
    value_x: float
    value_y: float
    bar: Bar


@dataclass(frozen=True)
class HorizontalChart:
    id: str
    title: str
    description: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    rows: tuple[Row, ...]
    ticks: tuple[Tick, ...]


def nice_ticks(largest: int) -> list[int]:
    """0 and a few round steps (1, 2 or 5 × 10ⁿ) up to the first one at or above `largest`."""
    if largest <= 0:
        return [0, 1]
    raw = largest / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    top = step * math.ceil(largest / step)
    return list(range(0, top + 1, step))


def _r(value: float) -> float:
    return round(value, 2)


# What a chart counts: "1 hit", "3 hits", in the active language.
BLOCKED_MESSAGES = ngettext_lazy("%(count)d blocked message", "%(count)d blocked messages", "count")
HITS = ngettext_lazy("%(count)d hit", "%(count)d hits", "count")
FLAGS = ngettext_lazy("%(count)d flag", "%(count)d flags", "count")


def counted(n: int, unit: Promise) -> str:
    """3 → "3 hits", 1 → "1 hit": unit is one of the counts above (ngettext_lazy with a count placeholder)."""
    return unit % {"count": n}


def stacked_by_day(chart_id: str, per_day: PerDay, *, title: str, description: str, unit: Promise) -> StackedChart:
    """One bar per day, stacked by series (channel, action, outcome), with a value axis and a few day labels."""
    ticks = nice_ticks(max((day.total for day in per_day.days), default=0))
    top_value = ticks[-1]
    plot_left, plot_right = AXIS_LEFT, WIDTH - RIGHT_GAP
    plot_top, plot_bottom = TOP_GAP, STACKED_HEIGHT - AXIS_BOTTOM
    plot_height = plot_bottom - plot_top
    slot = (plot_right - plot_left) / max(len(per_day.days), 1)
    bar_width = max(slot * 0.7, 1)
    bars = []
    for index, day in enumerate(per_day.days):
        x = plot_left + index * slot + (slot - bar_width) / 2
        y = plot_bottom
        day_text = date_format(day.day, "j M Y")
        for position, (series, count) in enumerate(zip(per_day.series, day.counts, strict=True)):
            if not count:
                continue
            height = count / top_value * plot_height
            y -= height
            bars.append(
                Bar(
                    x=_r(x),
                    y=_r(y),
                    width=_r(bar_width),
                    height=_r(height),
                    css_class=f"series-{position % COLOURS}",
                    title=f"{day_text}, {series.label}: {counted(count, unit)}",
                    value=count,
                    key=day.day.isoformat(),
                )
            )
    every = max(1, math.ceil(len(per_day.days) / MAX_DAY_LABELS))
    last = len(per_day.days) - 1
    day_labels = [
        DayLabel(x=_r(plot_left + index * slot + slot / 2), text=date_format(day.day, "j M"))
        for index, day in enumerate(per_day.days)
        if (last - index) % every == 0  # counted back from today, which always has its label
    ]
    return StackedChart(
        id=chart_id,
        title=title,
        description=description,
        width=WIDTH,
        height=STACKED_HEIGHT,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        bars=tuple(bars),
        ticks=tuple(Tick(_r(plot_bottom - value / top_value * plot_height), str(value)) for value in ticks),
        day_labels=tuple(day_labels),
        legend=tuple(
            Legend(series.label, f"series-{position % COLOURS}", per_day.series_total(series.key))
            for position, series in enumerate(per_day.series)
        ),
    )


def horizontal_bars(
    chart_id: str, items: Sequence[tuple[str, int]], *, title: str, description: str, unit: Promise, css_class: str
) -> HorizontalChart:
    """One bar per (label, value), largest first as given, each under its label, with a value axis below."""
    ticks = nice_ticks(max((value for _, value in items), default=0))
    top_value = ticks[-1]
    plot_left, plot_right = 8, WIDTH - VALUE_ROOM  # 8: room for the "0" tick label centred on the axis
    plot_bottom = TOP_GAP + ROW_HEIGHT * len(items)
    rows = []
    for index, (label, value) in enumerate(items):
        row_top = TOP_GAP + index * ROW_HEIGHT
        width = value / top_value * (plot_right - plot_left)
        bar_y = row_top + 20
        short = label if len(label) <= LABEL_LENGTH else label[: LABEL_LENGTH - 1] + "…"
        rows.append(
            Row(
                label=short,
                label_y=row_top + 14,
                value_x=_r(plot_left + width + 4),
                value_y=bar_y + BAR_THICKNESS - 2,
                bar=Bar(
                    x=plot_left,
                    y=bar_y,
                    width=_r(width),
                    height=BAR_THICKNESS,
                    css_class=css_class,
                    title=f"{label}: {counted(value, unit)}",
                    value=value,
                    key=label,
                ),
            )
        )
    span = plot_right - plot_left
    return HorizontalChart(
        id=chart_id,
        title=title,
        description=description,
        width=WIDTH,
        height=plot_bottom + AXIS_BOTTOM,
        plot_left=plot_left,
        plot_right=plot_right,
        plot_bottom=plot_bottom,
        rows=tuple(rows),
        ticks=tuple(Tick(_r(plot_left + value / top_value * span), str(value)) for value in ticks),
    )
