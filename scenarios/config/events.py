"""The ``events`` config node: validation and translation into a :class:`models.events.EventModel`.

Same rules as :mod:`scenarios.config.schema`: every problem raises a
:class:`scenarios.config.errors.ConfigError` naming the key, the bad value and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from models.ensemble import Future, World, dynamic_rows
from models.events import KINDS, EventModel, Hazard, Scheduled
from scenarios.config.checks import expect, integer, label, mapping, number

#: The drivers events act on by name: EU rules raise the first, incidents pulse the second.
EU_DRIVER, PULSE_DRIVER = "eu_regulation", "security_pressure"

HAZARD_KINDS = KINDS[:3]
FIELDS = ("enabled", "pool", "security_pressure_half_life", "hazards", "eu_rules", "elections")


def _weights(key: str, node: object, labels: tuple[str, ...], low: float, high: float,
             what: str) -> np.ndarray:
    out = np.zeros(len(labels))
    for name, value in mapping(key, node or {}).items():
        label(f"{key}.{name}", name, labels, what)
        out[labels.index(name)] = number(f"{key}.{name}", value, low, high)
    return out


def _hazard(kind: str, node: object, rows: tuple[str, ...], trends: tuple[str, ...]) -> Hazard:
    key = f"events.hazards.{kind}"
    h = mapping(key, node)
    allowed = ("rate", "rate_weights", "size", "knocks", "jumps")
    for name in h:
        label(f"{key}.{name}", name, allowed, "hazard field")
    size = h.get("size", [0.2, 1.0])
    expect(isinstance(size, (list, tuple)) and len(size) == 2, f"{key}.size", size,
            "expected [low, high] within (0, 1]")
    low = number(f"{key}.size", size[0], 0.0, 1.0, open_low=True)
    high = number(f"{key}.size", size[1], low, 1.0)
    return Hazard(
        kind=kind,
        rate=number(f"{key}.rate", h.get("rate", 0.0), 0.0, 50.0),
        rate_weights=_weights(f"{key}.rate_weights", h.get("rate_weights"),
                              trends, 0.0, 10.0, "trend"),
        size=(low, high),
        knocks=_weights(f"{key}.knocks", h.get("knocks"), trends, -1.0, 1.0,
                        "trend"),
        jumps=_weights(f"{key}.jumps", h.get("jumps"), rows, -1.0, 1.0, "dynamic driver"))


def _step(key: str, date: object, world: World) -> int:
    when = number(key, date, world.start, world.end)
    return int(np.ceil((when - world.start) * world.steps_per_year - 1e-9))


def build(node: Mapping[str, Any], world: World, futures: list[Future],
          known: tuple[str, ...] = ()) -> EventModel | None:  # long: every events field in turn
    """Validate ``events`` and build the model's arrays; ``None`` when disabled.

    ``known`` are the study's future labels: election plans may name them even when they
    are not run.
    """
    node = mapping("events", node)
    for name in node:
        label(f"events.{name}", name, FIELDS, "events field")
    enabled = node.get("enabled", True)
    expect(isinstance(enabled, bool), "events.enabled", enabled, "expected true or false")
    rows = dynamic_rows(world)
    n_fut, n_rows = len(futures), len(rows)
    labels = [f.label for f in futures]
    hazards = []
    for kind, spec in mapping("events.hazards", node.get("hazards", {})).items():
        label(f"events.hazards.{kind}", kind, HAZARD_KINDS, "hazard kind")
        hazards.append(_hazard(kind, spec, rows, world.trends))
    scheduled: list[Scheduled] = []

    rules = mapping("events.eu_rules", node.get("eu_rules", {}))
    expect(not rules or EU_DRIVER in rows, "events.eu_rules", sorted(rules),
           f"EU rules raise the driver {EU_DRIVER!r}, which this study does not have; "
           "remove them (~events.eu_rules) or add the driver")
    eu = rows.index(EU_DRIVER) if EU_DRIVER in rows else 0
    sq = world.status_quo[world.drivers.index(EU_DRIVER)] if EU_DRIVER in rows else 0.0
    rise = np.array([max(f.drivers.get(EU_DRIVER, sq) - sq, 0.0) for f in futures])
    total = 0.0
    for name, spec in rules.items():
        key = f"events.eu_rules.{name}"
        rule = mapping(key, spec)
        for field in rule:
            label(f"{key}.{field}", field, ("share", "date"), "EU rule field")
        share = number(f"{key}.share", rule.get("share"), 0.0, 1.0)
        total += share
        dates = mapping(f"{key}.date", rule.get("date", {}))
        expect("default" in dates, f"{key}.date", dict(dates),
                "needs a 'default' date, and may give one per future label")
        steps = np.array([_step(f"{key}.date.{lab if lab in dates else 'default'}",
                                dates.get(lab, dates["default"]), world) for lab in labels])
        jumps = np.zeros((n_fut, n_rows))
        jumps[:, eu] = share * rise
        scheduled.append(Scheduled("eu_rule", str(name), steps, jumps,
                                   np.full((n_fut, n_rows), np.nan)))
    expect(total <= 1.0 + 1e-9, "events.eu_rules", f"shares summing to {total:.2f}",
            "the shares of the rules may add up to at most 1")
    ramped = np.zeros((n_fut, n_rows), dtype=bool)
    if rules:
        ramped[:, eu] = rise > 0

    el = mapping("events.elections", node.get("elections", {}))
    for field in el:
        label(f"events.elections.{field}", field, ("dates", "lag", "success", "policy"),
               "elections field")
    dates = el.get("dates", [])
    expect(isinstance(dates, (list, tuple)), "events.elections.dates", dates,
            "expected a list of decimal years")
    lag = number("events.elections.lag", el.get("lag", 0.0), 0.0, 5.0)
    success = number("events.elections.success", el.get("success", 1.0), 0.0, 1.0)
    policy = mapping("events.elections.policy", el.get("policy", {}))
    for planned in policy:
        expect(planned in labels or planned in known, f"events.elections.policy.{planned}",
               planned, f"future not found; expected labels from {labels}")
    for k, date in enumerate(dates):
        when = number(f"events.elections.dates[{k}]", date, world.start, world.end)
        year = str(int(np.floor(when)))
        step = _step(f"events.elections.dates[{k}]", min(when + lag, world.end), world)
        changes = np.full((n_fut, n_rows), np.nan)
        for f, fut in enumerate(futures):
            plan = mapping(f"events.elections.policy.{fut.label}", policy.get(fut.label, {}))
            for yr in plan:
                expect(str(yr) in {str(int(np.floor(d))) for d in dates},
                        f"events.elections.policy.{fut.label}.{yr}", yr,
                        f"not an election year; expected one of {[int(d) for d in dates]}")
            levers = mapping(f"events.elections.policy.{fut.label}.{year}", plan.get(year, {}))
            for lever, value in levers.items():
                key = f"events.elections.policy.{fut.label}.{year}.{lever}"
                label(key, lever, world.levers, "lever")
                setting = number(key, value, 0.0, 1.0)
                ref = world.lever_reference[world.levers.index(lever)]
                current = fut.levers.get(lever, ref)
                changes[f, rows.index(lever)] = setting - current
        scheduled.append(Scheduled("election", year, np.full(n_fut, step),
                                   np.zeros((n_fut, n_rows)), changes, success))

    pool = integer("events.pool", node.get("pool", 16), 1, 1000)
    half_life = number("events.security_pressure_half_life",
                        node.get("security_pressure_half_life", 1.0), 0.0, 100.0)
    if not enabled:
        return None
    return EventModel(hazards=hazards, scheduled=scheduled,
                      pulse_rows=np.array([rows.index(d) for d in (PULSE_DRIVER,) if d in rows],
                                          dtype=int),
                      half_life=half_life, ramped_by_events=ramped, pool=pool)
