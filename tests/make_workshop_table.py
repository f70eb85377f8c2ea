"""Print the effect column of docs/workshop.md's slider table.

Per slider and future: the largest change of a 2030 median - over the trend levels, and
over the area indices - when the slider goes from the low to the high end of its range with
everything else at the future's defaults (the page's own computation, 256 members, the
config's seed). Each row gives the least and largest of these over the four futures; the
lever row is over every lever but digital skills, which gets its own figure.

Run from the repository root: ``python tests/make_workshop_table.py [OVERRIDES]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scenarios.config.compose import load
from scenarios.workshop.session import Workshop

MEMBERS = 256


def _largest(ends: list[dict], kind: str) -> float:
    """Largest change of a 2030 median between the two answers, over ``kind``."""
    return max(abs(ends[1][kind][k]["current"]["median"][-1]
                   - ends[0][kind][k]["current"]["median"][-1]) for k in ends[0][kind])


def effects(page: Workshop, key: str, low: float, high: float) -> list[tuple[float, float]]:
    """(trend, area) largest change of a 2030 median, per future."""
    out = []
    for future in page.labels:
        ends = [page.compute(future, page.check(future, {key: value})) for value in (low, high)]
        out.append((_largest(ends, "trends"), _largest(ends, "areas")))
    return out


def span(values: list[tuple[float, float]]) -> str:
    def one(xs: list[float]) -> str:
        low, high = f"{min(xs):.2f}", f"{max(xs):.2f}"
        return low if low == high else f"{low}-{high}"

    return f"{one([t for t, _ in values])} / {one([a for _, a in values])}"


def main(overrides: list[str]) -> None:
    _, spec = load(overrides)
    page = Workshop(spec, MEMBERS)
    levers: list[tuple[float, float]] = []
    for slider in page.sliders:
        values = effects(page, slider.key, slider.low, slider.high)
        if slider.group == "lever" and slider.key != "digital_skills":
            levers += values
        print(f"| {slider.key} | {span(values)} |")
    print(f"| every lever but digital_skills | {span(levers)} |")


if __name__ == "__main__":
    main(sys.argv[1:])
