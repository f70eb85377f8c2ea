"""Small checks shared by the config validators: each raises a one-line ConfigError."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from scenarios.config.errors import ConfigError


def expect(ok: bool, key: str, value: object, allowed: str) -> None:
    if not ok:
        raise ConfigError(key, value, allowed)


def number(key: str, value: object, low: float, high: float, *, open_low: bool = False,
            open_high: bool = False) -> float:
    bounds = f"{'(' if open_low else '['}{low}, {high}{')' if open_high else ']'}"
    allowed = f"expected a number in {bounds}"
    expect(isinstance(value, (int, float)) and not isinstance(value, bool), key, value, allowed)
    v = float(value)  # type: ignore[arg-type]
    inside = math.isfinite(v) and (v > low if open_low else v >= low) and \
        (v < high if open_high else v <= high)
    expect(inside, key, value, allowed)
    return v


def integer(key: str, value: object, low: int, high: int | None = None) -> int:
    allowed = f"expected an integer >= {low}" + (f" and <= {high}" if high is not None else "")
    if not isinstance(value, int) or isinstance(value, bool):
        raise ConfigError(key, value, allowed)
    expect(value >= low and (high is None or value <= high), key, value, allowed)
    return int(value)


def label(key: str, value: object, allowed: tuple[str, ...], what: str) -> str:
    expect(value in allowed, key, value, f"{what} not found; expected one of {list(allowed)}")
    return str(value)


def mapping(key: str, value: object) -> Mapping[str, Any]:
    expect(isinstance(value, Mapping), key, value, "expected a mapping of label: value")
    return value  # type: ignore[return-value]
