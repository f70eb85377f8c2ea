"""The schema of the analyses' config nodes (``sensitivity``, ``calibrate``, ``signposts``,
``robustness``, ``plane``, ``portfolio``, ``discover``, ``validate``): part of
:class:`scenarios.config.schema.Config`. Their values are checked by each analysis's own
``config.py`` when it runs, but ``validate``'s, whose fields declare their checks
(:mod:`scenarios.config.declare`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from scenarios.config.checks import expect
from scenarios.config.declare import between, declared


@dataclass
class SensitivityConfig:
    """``sensitivity``: Sobol indices over time (``futures sensitivity``, docs/sensitivity.md)."""

    samples: int = 1024
    bootstrap: int = 1000
    confidence: float = 0.95
    years: list[int] | None = None
    events: bool = False
    output: str = "brede_welvaart"
    top: int = 4
    lang: str = "en"


@dataclass
class CalibrateConfig:
    """``calibrate``: series to fit (``futures calibrate``, docs/calibration.md)."""

    confidence: float = 0.95
    series: dict[str, Any] = field(default_factory=dict)
    anchors: dict[str, Any] = field(default_factory=dict)


@dataclass
class SignpostsConfig:
    """``signposts``: early-warning rules (``futures signposts``, docs/signposts.md)."""

    years: list[int] = field(default_factory=lambda: [2024, 2025, 2026])
    worst: float = 0.25
    depth: int = 2
    min_leaf: float = 0.05


@dataclass
class RobustnessConfig:
    """``robustness``: lever settings compared by ``futures robustness``."""

    settings: dict[str, Any] = field(default_factory=dict)
    include: list[str] | None = None
    grid: dict[str, Any] = field(default_factory=dict)
    statistic: str = "median"
    quantile: float = 0.1
    year: float | None = None
    tolerance: float = 0.005
    election_plans: str = "replace"
    threshold: float = 0.0
    budget: float | None = None


@dataclass
class PlaneConfig:
    """``plane``: the grid over both axes mapped by ``futures plane``."""

    grid: int = 9
    members: int = 64
    statistic: str = "median"
    quantile: float = 0.1
    year: float | None = None
    drivers: str = "interpolate"


@dataclass
class PortfolioConfig:
    """``portfolio``: the robust search of ``futures portfolio``."""

    budget: float | None = None
    members: int = 48
    population: int = 24
    generations: int = 10
    quantile: float = 0.1
    year: float | None = None


@dataclass
class DiscoverConfig:
    """``discover``: scenario discovery of ``futures discover``."""

    setting: dict[str, Any] = field(default_factory=dict)
    portfolios: str | None = None
    portfolio: str | None = None
    area: str | None = None
    threshold: float = 0.0
    density: float = 0.8
    max_dims: int | None = 3
    year: float | None = None


def _iterations(key: str, value: Any, _: Any) -> Any:
    """``validate.fit_iterations``: null (to scipy's own tolerance) or an integer >= 1."""
    allowed = "expected null (until least squares' own tolerance) or an integer >= 1 and <= 100000"
    ok = value is None or (isinstance(value, int) and not isinstance(value, bool)
                           and 1 <= value <= 100_000)
    expect(ok, key, value, allowed)
    return value


@dataclass
class ValidateConfig:
    """``validate``: the protocol of ``futures validate`` (docs/validation.md).

    The defaults are the budgeted protocol (the command's cost stays a few minutes); the
    full one is ``validate.fit_members=1024 validate.fit_iterations=null
    validate.particles=2048 validate.moves=4``.
    """

    members: int = declared(1024, between(1, 1_000_000))
    fit_members: int = declared(128, between(1, 1_000_000))
    fit_iterations: Optional[int] = declared(6, _iterations)  # noqa: UP045 - OmegaConf reads typing.Optional
    particles: int = declared(512, between(2, 1_000_000))
    moves: int = declared(2, between(0, 1000))
    jobs: int = declared(1, between(1, 64))
