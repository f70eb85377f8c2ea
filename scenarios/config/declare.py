"""Declared config schema: dataclass fields that carry their own check.

A config node is a dataclass (:mod:`scenarios.config.schema`); each field declares its
default and, in its metadata, a check (``between``, ``one_of``, ...). The same dataclasses
are Hydra's structured config (types at composition) and, through :func:`checked`, the
validator: unknown keys are refused with the node's allowed keys, nested dataclass nodes are
walked, and every declared check runs in field order. A check takes the key, the value and
the node's values checked so far (for rules such as ``time.end > time.start``) and returns
the value or raises a one-line :class:`~scenarios.config.errors.ConfigError`. No hand-kept
list of nodes or keys beside the dataclasses.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from scenarios.config.checks import expect, integer, label, mapping, number

#: A field's check: (key, value, the node's values checked so far) -> the checked value.
Check = Callable[[str, Any, Mapping[str, Any]], Any]


def declared(default: Any, *checks: Check) -> Any:
    """A dataclass field with ``default`` and the checks its value must pass, in order."""
    return dataclasses.field(default=default, metadata={"checks": checks})


def between(low: int, high: int | None = None) -> Check:
    """An integer in [low, high]."""
    return lambda key, value, _: integer(key, value, low, high)


def number_in(low: float, high: float, *, open_low: bool = False,
              open_high: bool = False) -> Check:
    """A number in [low, high] (or open at either end)."""
    return lambda key, value, _: number(key, value, low, high, open_low=open_low,
                                        open_high=open_high)


def after(sibling: str, high: float) -> Check:
    """A number in (node[sibling], high]: e.g. ``time.end`` after ``time.start``."""
    return lambda key, value, done: number(key, value, done[sibling], high, open_low=True)


def one_of(choices: tuple[str, ...], what: str) -> Check:
    """One of ``choices`` (named ``what`` in the message)."""
    return lambda key, value, _: label(key, value, choices, what)


def multiple_of(step: int | str) -> Check:
    """A multiple of ``step``, or of the node's already checked field named ``step``."""
    def check(key: str, value: Any, done: Mapping[str, Any]) -> Any:
        if isinstance(step, str):
            prefix = key.rpartition(".")[0]
            expect(value % done[step] == 0, key, value,
                   f"expected a multiple of {prefix}.{step} ({done[step]})")
        else:
            expect(value % step == 0, key, value, f"expected a multiple of {step}")
        return value
    return check


def boolean() -> Check:
    def check(key: str, value: Any, _: Mapping[str, Any]) -> Any:
        expect(isinstance(value, bool), key, value, "expected true or false")
        return value
    return check


@cache
def _hints(schema: type) -> dict[str, Any]:
    return typing.get_type_hints(schema)


def _nested(kind: Any) -> type | None:
    return kind if isinstance(kind, type) and dataclasses.is_dataclass(kind) else None


def checked(prefix: str, node: object, schema: type) -> dict[str, Any]:
    """Check ``node`` against the dataclass ``schema``: keys, nested nodes, declared checks.

    ``prefix`` is the node's key with a trailing dot (``""`` at the top level). Returns the
    node's values (checked ones as their checks return them; missing fields take their
    defaults). Raises ConfigError on the first problem.
    """
    where = prefix.rstrip(".")
    values = mapping(where or "config", node)
    fields = {f.name: f for f in dataclasses.fields(schema)}
    for key, value in values.items():
        expect(key in fields, f"{prefix}{key}", value,
               f"unknown config key; keys at {where or 'the top level'} are {sorted(fields)}")
    out: dict[str, Any] = {}
    hints = _hints(schema)
    for name, f in fields.items():
        if name in values:
            value = values[name]
        elif f.default is not dataclasses.MISSING:
            value = f.default
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
        else:  # pragma: no cover - every schema field has a default
            raise TypeError(f"{schema.__name__}.{name} has no default")
        nested = _nested(hints[name])
        if nested is not None:
            value = checked(f"{prefix}{name}.", value if value is not None else {}, nested)
        for check in f.metadata.get("checks", ()):
            value = check(f"{prefix}{name}", value, out)
        out[name] = value
    return out
