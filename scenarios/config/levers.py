"""The ``lever_response`` node: how lever changes act (:mod:`models.levers`).

``lever_response.<lever>`` may hold ``doubling``, ``lag`` and ``by_future.<trend>.<driver>``,
each an entry ``{value, low, high, source}`` (docs/model.md "Levers as policy"). A lever left
out is linear, without lag, and acts the same in every future.

``lever_response.sampled`` (default true) makes the doubling gains, the lags and the
future-dependent loadings uncertain parameters drawn per member inside ``[low, high]``
(:func:`lever_uncertainties`: ``L.<lever>.doubling``, ``L.<lever>.lag``,
``L.<lever>.<trend>.<driver>``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.ensemble import MOMENTUM
from models.levers import LeverResponse
from models.sampling import Uncertainty
from scenarios.config.checks import expect, label, mapping, number

LEVER_FIELDS = ("doubling", "lag", "by_future")
ENTRY_FIELDS = ("value", "low", "high", "source")
#: Bounds of each kind of entry: (low, high, open at low).
BOUNDS = {"doubling": (1.0, 2.0, True), "lag": (0.0, 10.0, False), "by_future": (-5.0, 5.0, False)}
#: The switch beside the levers: sample the entries (true) or use their values (false).
SAMPLED = "sampled"


@dataclass(frozen=True)
class Entry:
    """One checked entry: its value, plausible range and source."""

    key: str
    value: float
    low: float
    high: float
    source: str


def _entry(key: str, node: object, kind: str) -> Entry:
    bound_low, bound_high, open_low = BOUNDS[kind]
    entry = mapping(key, node)
    for field in entry:
        label(f"{key}.{field}", field, ENTRY_FIELDS, "field")
    for field in ENTRY_FIELDS:
        expect(field in entry, f"{key}.{field}", "missing",
               "every entry needs value, low, high and source")
    value, low, high = (number(f"{key}.{f}", entry[f], bound_low, bound_high, open_low=open_low)
                        for f in ("value", "low", "high"))
    expect(low <= value <= high, f"{key}.value", value, f"must lie in [low, high] = "
           f"[{low}, {high}]")
    source = entry["source"]
    expect(isinstance(source, str) and source.strip() != "", f"{key}.source", source,
           "a seed line reference (Lnnnn) or 'assumption ...'")
    return Entry(key, value, low, high, str(source))


def lever_entries(node: object, levers: tuple[str, ...], trends: tuple[str, ...],
                  drivers: tuple[str, ...]) -> list[Entry]:
    """Every entry of ``lever_response``, checked, in file order.

    Raises
    ------
    ConfigError
        Naming the key, the bad value and what is allowed.
    """
    movable = tuple(d for d in drivers if d != MOMENTUM)
    out = []
    for lever, spec in mapping("lever_response", node).items():
        if lever == SAMPLED:
            continue
        key = f"lever_response.{lever}"
        label(key, lever, levers, "lever")
        spec = mapping(key, spec)
        for field, value in spec.items():
            label(f"{key}.{field}", field, LEVER_FIELDS, "lever_response field")
            if field != "by_future":
                out.append(_entry(f"{key}.{field}", value, field))
                continue
            for trend, row in mapping(f"{key}.by_future", value).items():
                label(f"{key}.by_future.{trend}", trend, trends, "trend")
                for driver, entry in mapping(f"{key}.by_future.{trend}", row).items():
                    label(f"{key}.by_future.{trend}.{driver}", driver, movable,
                          "driver (every driver but momentum)")
                    out.append(_entry(f"{key}.by_future.{trend}.{driver}", entry,
                                      "by_future"))
    return out


def lever_response(node: Mapping[str, object] | None, levers: tuple[str, ...],
                   trends: tuple[str, ...], drivers: tuple[str, ...]) -> LeverResponse:
    """The :class:`models.levers.LeverResponse` of a ``lever_response`` node (its values)."""
    doubling, lag = np.full(len(levers), 2.0), np.zeros(len(levers))
    pairs: list[tuple[int, int]] = []
    columns: dict[tuple[int, int], np.ndarray] = {}
    for entry in lever_entries(node or {}, levers, trends, drivers):
        parts = entry.key.split(".")
        k = levers.index(parts[1])
        if parts[2] == "doubling":
            doubling[k] = entry.value
        elif parts[2] == "lag":
            lag[k] = entry.value
        else:
            pair = (k, drivers.index(parts[4]))
            if pair not in columns:
                pairs.append(pair)
                columns[pair] = np.zeros(len(trends))
            columns[pair][trends.index(parts[3])] = entry.value
    loadings = np.stack([columns[p] for p in pairs], axis=1) if pairs \
        else np.zeros((len(trends), 0))
    return LeverResponse(doubling=doubling, lag=lag, pairs=tuple(pairs), loadings=loadings,
                         labels=tuple(f"{levers[k]}*{drivers[d]}" for k, d in pairs))


def lever_uncertainties(node: Mapping[str, object] | None, levers: tuple[str, ...],
                        trends: tuple[str, ...], drivers: tuple[str, ...]) -> list[Uncertainty]:
    """The sampled entries of ``lever_response`` (none with ``sampled: false``).

    ``L.<lever>.doubling``, ``L.<lever>.lag`` and ``L.<lever>.<trend>.<driver>`` (a
    ``by_future`` loading), uniform over the entry's ``[low, high]`` with its ``value`` as
    nominal; an entry with ``low == high`` is a point value.
    """
    node = node or {}
    switch = mapping("lever_response", node).get(SAMPLED, True)
    expect(isinstance(switch, bool), f"lever_response.{SAMPLED}", switch,
           "expected true or false")
    if not switch:
        return []
    out = []
    for entry in lever_entries(node, levers, trends, drivers):
        parts = entry.key.split(".")
        if entry.low == entry.high:
            continue
        name = f"L.{parts[1]}.{parts[2]}" if parts[2] in ("doubling", "lag") else \
            f"L.{parts[1]}.{parts[3]}.{parts[4]}"
        out.append(Uncertainty(name, entry.low, entry.high, entry.value))
    return out
