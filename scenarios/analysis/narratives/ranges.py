"""Write ``conf/structural.yaml``: the stated range of every hand-set structural entry.

Every entry of ``conf/cross_impact.yaml`` carries its plausible range in its comment
(``range [low, high]``); every impact weight of ``conf/impacts.yaml`` its basis tag
(``T`` the text says it, ``T~`` a cue, ``I`` our inference). This module turns them into
uncertain parameters of the ensemble (``uncertainties.A.<trend>.<impactor>`` and
``uncertainties.W.<area>.<impactor>``, offsets from the nominal value, uniform):

* ``A.<trend>.<impactor>``: the comment's range, ``[low - v, high - v]`` around the nominal
  ``v`` (an entry whose range has no width, or none, is not sampled; ``momentum`` is
  ``momentum.<trend>`` of ``conf/uncertainties.yaml``);
* ``W.<area>.<impactor>``: ``+-`` :data:`WEIGHT_SPREAD` of ``|w|`` by tag: 25 % (T),
  35 % (T~), 50 % (I); the sign of a weight never changes. These spreads are an
  assumption: they follow the sizes the impacts.yaml header gives per tag (0.30 for T,
  0.15-0.20 for T~, 0.10-0.15 for I), whose relative width grows from T to I.

The lever entries are sampled the same way as every other entry with a range: whoever adds
or changes a lever entry gives it a range and re-runs this module. That is the lever's
matrix loading only (``A.<trend>.<lever>``, models/structural.py); the ranges of
conf/lever_response.yaml (doubling, lag, the future-dependent loadings ``by_future``) are not
structural entries and are not read here. Levers have no impact weights, so no
``W.<area>.<lever>``.

    python -m scenarios.analysis.narratives.ranges          # print
    python -m scenarios.analysis.narratives.ranges --write  # write conf/structural.yaml
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

CONF = Path(__file__).resolve().parents[3] / "conf"
RANGE = re.compile(r"range \[\s*(-?[0-9.]+)\s*,\s*(-?[0-9.]+)\s*\]")
ENTRY = re.compile(r"^    ?([a-z_]+):\s*(-?[0-9.]+)\s*(?:#\s*(.*))?$")
ROW = re.compile(r"^([a-z_]+):\s*$")
SUBROW = re.compile(r"^  ([a-z_]+):\s*(\{\})?\s*(#.*)?$")
TAG = re.compile(r"^(T~|T|I):")

#: Relative spread of an impact weight per basis tag (an assumption, module docstring).
WEIGHT_SPREAD = {"T": 0.25, "T~": 0.35, "I": 0.50}


def matrix_ranges(text: str) -> dict[str, dict[str, tuple[float, float]]]:
    """``{trend: {impactor: (low offset, high offset)}}`` from cross_impact.yaml's text."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    row = None
    for line in text.splitlines():
        if (m := ROW.match(line)) is not None:
            row = m.group(1)
            continue
        m = re.match(r"^  ([a-z_]+):\s*(-?[0-9.]+)\s*#(.*)$", line)
        if row is None or m is None or m.group(1) == "momentum":
            continue
        value, found = float(m.group(2)), RANGE.search(m.group(3))
        if found is None:
            continue
        low, high = sorted((float(found.group(1)), float(found.group(2))))
        low, high = min(low, value), max(high, value)
        if high - low > 1e-9:
            out.setdefault(row, {})[m.group(1)] = (round(low - value, 4), round(high - value, 4))
    return out


def weight_ranges(text: str) -> dict[str, dict[str, tuple[float, float]]]:
    """``{area: {impactor: (low offset, high offset)}}`` from impacts.yaml's text."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    area = None
    for line in text.splitlines():
        if (m := SUBROW.match(line)) is not None:
            area = m.group(1)
            continue
        m = re.match(r"^    ([a-z_]+):\s*(-?[0-9.]+)\s*#\s*(.*)$", line)
        if area is None or m is None:
            continue
        value, tag = float(m.group(2)), TAG.match(m.group(3).strip())
        if tag is None or value == 0.0:
            continue
        spread = round(WEIGHT_SPREAD[tag.group(1)] * abs(value), 4)
        out.setdefault(area, {})[m.group(1)] = (-spread, spread)
    return out


def render(conf: Path = CONF) -> str:
    """The text of conf/structural.yaml."""
    a = matrix_ranges((conf / "cross_impact.yaml").read_text(encoding="utf-8"))
    w = weight_ranges((conf / "impacts.yaml").read_text(encoding="utf-8"))
    lines = [
        "# @package uncertainties",
        "# Structural uncertainties (issue 15 item 1), written by",
        "# `python -m scenarios.analysis.narratives.ranges --write`: do not edit by hand; edit the",
        "# ranges in the comments of cross_impact.yaml / the tags of impacts.yaml and re-run.",
        "# A.<trend>.<impactor>: offset from the nominal entry of cross_impact.yaml, uniform over",
        "# the entry's stated range. W.<area>.<impactor>: offset from the impact weight of",
        "# impacts.yaml, +-25% (T), 35% (T~), 50% (I) of its size; an assumption",
        "# (docs/model.md 'Structural uncertainty').",
        "A:"]
    for row, entries in a.items():
        lines.append(f"  {row}:")
        lines += [f"    {col}: {{low: {lo}, high: {hi}}}" for col, (lo, hi) in entries.items()]
    lines.append("W:")
    for area, entries in w.items():
        lines.append(f"  {area}:")
        lines += [f"    {col}: {{low: {lo}, high: {hi}}}" for col, (lo, hi) in entries.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    text = render()
    if "--write" in argv:
        (CONF / "structural.yaml").write_text(text, encoding="utf-8")
        print(f"wrote {CONF / 'structural.yaml'}")
    else:
        print(text, end="")


if __name__ == "__main__":
    main(sys.argv[1:])
