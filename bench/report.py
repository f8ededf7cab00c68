"""Samples, goals and the PASS/MISS line every benchmark row prints.

A row compares "ours" with a baseline measured in the same run: each side is sampled at least
``SAMPLES`` times after a warm-up, and the row's figure is computed from the two medians.

Example:
    >>> row = Row("demo", [2.0, 2.2, 1.9, 2.1, 2.0], [1.0, 1.1, 0.9, 1.0, 1.0], Goal("ratio_max", 2.5), "baseline")
    >>> row.figure, row.passed
    (2.0, True)
    >>> row.line().split()[-1]
    'PASS'
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Callable

SAMPLES = 5


def interleave(ours: Callable[[], float], baseline: Callable[[], float],
               samples: int = SAMPLES) -> tuple[list[float], list[float]]:
    """One warm-up of each side, then ``samples`` alternating samples of each.

    Example:
        >>> interleave(lambda: 1.0, lambda: 2.0, samples=2)
        ([1.0, 1.0], [2.0, 2.0])
    """
    ours(), baseline()
    mine, theirs = [], []
    for _ in range(samples):
        mine.append(ours())
        theirs.append(baseline())
    return mine, theirs


@dataclass(frozen=True)
class Goal:
    """``ratio_max``: ours/baseline <= limit; ``ratio_min``: ours/baseline >= limit (throughputs);
    ``diff_max``: ours - baseline <= limit (ms)."""

    kind: str
    limit: float

    def text(self) -> str:
        return {"ratio_max": f"<= {self.limit:g}x", "ratio_min": f">= {self.limit:g}x",
                "diff_max": f"<= +{self.limit:g} ms"}[self.kind]


@dataclass
class Row:
    """One measured row: samples of both sides, the goal and whether the medians meet it."""

    name: str
    ours: list[float]
    baseline: list[float]
    goal: Goal | None
    baseline_text: str
    unit: str = "ms"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def figure(self) -> float:
        ours, base = statistics.median(self.ours), statistics.median(self.baseline)
        return ours - base if self.goal and self.goal.kind == "diff_max" else ours / base

    @property
    def passed(self) -> bool | None:
        if self.goal is None:
            return None
        if self.goal.kind == "ratio_min":
            return self.figure >= self.goal.limit
        return self.figure <= self.goal.limit

    def line(self) -> str:
        figure = f"{self.figure:+.0f} ms" if self.goal and self.goal.kind == "diff_max" else f"{self.figure:.2f}x"
        verdict = {True: "PASS", False: "MISS", None: "info"}[self.passed]
        goal = self.goal.text() if self.goal else "-"
        return (f"{self.name:<22} {spread(self.ours, self.unit):>26} {spread(self.baseline, self.unit):>26} "
                f"{figure:>9} {goal:>12}  {verdict}")

    def as_json(self) -> dict[str, Any]:
        return {"ours_median": statistics.median(self.ours), "baseline_median": statistics.median(self.baseline),
                "ours_samples": self.ours, "baseline_samples": self.baseline, "unit": self.unit,
                "figure": self.figure, "goal": self.goal.text() if self.goal else None, "pass": self.passed,
                "baseline": self.baseline_text, **self.extra}


def spread(values: list[float], unit: str) -> str:
    """``median [min-max] unit`` of the samples."""
    return f"{statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}] {unit}"


def header(title: str) -> str:
    return (f"\n{title}\n{'row':<22} {'ours median [spread]':>26} {'baseline median [spread]':>26} "
            f"{'figure':>9} {'goal':>12}  verdict")


def print_rows(title: str, rows: list[Row]) -> None:
    print(header(title))
    for row in rows:
        print(row.line())
        print(f"{'':<22} baseline: {row.baseline_text}")
