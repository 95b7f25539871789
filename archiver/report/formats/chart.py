"""The verdicts-over-time chart as geometry: one stacked bar per check run. The template draws it as inline SVG."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from archiver.report.formats.common import short_time
from archiver.report.model import VERDICT_ORDER, RunVerdicts

STACK_ORDER = tuple(reversed(VERDICT_ORDER))  # healthy at the bottom, dead on top where the eye lands
WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 46  # room for the axis labels


@dataclass(frozen=True)
class Segment:
    verdict: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Bar:
    label: str  # when the run started (UTC)
    title: str  # tooltip: run, time and counts
    x: float
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline_y: float
    top_y: float
    max_total: int
    bars: tuple[Bar, ...]
    verdicts: tuple[str, ...]  # the legend: verdicts that occur, in stack order


def verdict_chart(history: Sequence[RunVerdicts]) -> Chart:
    max_total = max((sum(run.counts.values()) for run in history), default=0) or 1
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(history), 1)
    bar_width = min(slot * 0.7, 48)
    bars = []
    for index, run in enumerate(history):
        x = LEFT + slot * index + (slot - bar_width) / 2
        y = float(HEIGHT - BOTTOM)
        segments = []
        for verdict in _stack_order(run.counts):
            height = run.counts[verdict] / max_total * plot_height
            y -= height
            segments.append(Segment(verdict, run.counts[verdict], round(x, 1), round(y, 1), round(bar_width, 1),
                                    round(height, 1)))
        counts = ", ".join(f"{verdict} {n}" for verdict, n in run.counts.items())
        title = f"run {run.run_id} ({run.kind}) {short_time(run.started_at)} UTC: {counts or 'nothing checked'}"
        bars.append(Bar(short_time(run.started_at), title, round(x + bar_width / 2, 1), tuple(segments)))
    present = {verdict for run in history for verdict in run.counts}
    return Chart(WIDTH, HEIGHT, float(HEIGHT - BOTTOM), float(TOP), max_total, tuple(bars),
                 tuple(verdict for verdict in _stack_order({v: 1 for v in present})))


def _stack_order(counts: dict[str, int]) -> list[str]:
    known = [verdict for verdict in STACK_ORDER if counts.get(verdict)]
    return known + sorted(verdict for verdict in counts if verdict not in STACK_ORDER and counts[verdict])
