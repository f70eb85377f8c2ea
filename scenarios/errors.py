"""The one error type users see for bad input, and how it reaches the terminal."""

from __future__ import annotations


class ConfigError(ValueError):
    """Bad input: names the key, the bad value and what is allowed.

    The command line prints ``str(error)`` as one line on stderr and exits with status 2.
    """

    def __init__(self, key: str, value: object, allowed: str) -> None:
        self.key, self.value, self.allowed = key, value, allowed
        super().__init__(f"{key}={_show(value)}: {allowed}")


def _show(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."
