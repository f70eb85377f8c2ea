"""Settings of ``futures plot`` and ``futures report``: ``plot.KEY=VALUE`` arguments.

Read without Hydra (the commands take a directory, not overrides) and without matplotlib, so
bad arguments are reported at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from scenarios.config.errors import ConfigError
from scenarios.figures.style import LANGUAGES

FORMATS = ("svg", "pdf")
MIN_DPI, MAX_DPI = 150, 600


@dataclass(frozen=True)
class Options:
    """Settings of ``futures plot`` / ``futures report`` (``plot.KEY=VALUE`` arguments)."""

    lang: str = "nl"       # nl | en: language of every label
    format: str = "svg"    # svg | pdf: vector format written beside each PNG
    dpi: int = 150         # PNG resolution (>= 150; 150 gives 1920 x 1080)


OPTION_HELP = "plot.lang=nl|en, plot.format=svg|pdf, plot.dpi=150..600"


def parse_options(args: list[str]) -> Options:
    """Read ``plot.KEY=VALUE`` (or ``KEY=VALUE``) arguments.

    Raises
    ------
    ConfigError
        For an unknown key, a malformed argument or a value outside what is allowed.
    """
    values: dict[str, object] = {}
    for arg in args:
        key, sep, value = arg.partition("=")
        short = key.removeprefix("plot.")
        if not sep or not key:
            raise ConfigError("argument", arg, f"expected KEY=VALUE: {OPTION_HELP}")
        if short == "lang":
            if value not in LANGUAGES:
                raise ConfigError("plot.lang", value, f"expected one of {list(LANGUAGES)}")
            values["lang"] = value
        elif short == "format":
            if value not in FORMATS:
                raise ConfigError("plot.format", value, f"expected one of {list(FORMATS)}")
            values["format"] = value
        elif short == "dpi":
            try:
                dpi = int(value)
            except ValueError:
                dpi = -1
            if not MIN_DPI <= dpi <= MAX_DPI:
                raise ConfigError("plot.dpi", value,
                                  f"expected an integer from {MIN_DPI} to {MAX_DPI}")
            values["dpi"] = dpi
        else:
            raise ConfigError(key, value, f"unknown key; expected {OPTION_HELP}")
    return Options(**values)  # type: ignore[arg-type]
