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
    if isinstance(value, str) and "/" in value and len(text) <= 1000:
        return text  # a path: the user needs all of it to find the file
    return text if len(text) <= 80 else text[:77] + "..."


class WriteError(ConfigError):
    """An output could not be written (disk full, no permission, ...): names the path and
    the reason. Nothing half-written is left and earlier outputs stay as they were. The
    command line prints it as one line and exits with status 1 (it is not bad input)."""

    def __init__(self, path: object, err: OSError) -> None:
        import os

        # errno's own words: h5py's strerror runs over several lines of HDF5 detail
        reason = os.strerror(err.errno) if err.errno else \
            (str(err).splitlines() or [type(err).__name__])[0][:120]
        super().__init__("output", str(path), f"could not be written ({reason}); nothing was "
                         "left half-written and earlier outputs are kept - free space or "
                         "choose another hydra.run.dir")
