"""Hydra's composition reading YAML with libyaml's parser (start-up and every composition).

Hydra reads each file of ``conf/`` through ``OmegaConf.load``, whose loader
(``omegaconf._utils.get_yaml_loader``) is PyYAML's pure-Python ``SafeLoader`` with three
changes: duplicate keys refused, OmegaConf's pattern for floats (``1e-3`` is a float), no
timestamps. Parsing ~30 files that way is most of a composition (~0.2 s of ~0.3 s).
:func:`loading` swaps in the same loader on libyaml's C parser: the class derives from
OmegaConf's own, so the duplicate-key check, the resolvers and the constructors are
OmegaConf's (Python); only scanning and parsing run in C. The values are the same
(tests/test_startup.py loads every file of ``conf/`` both ways). A file that the C parser
refuses is read again with OmegaConf's loader, so a broken YAML file is reported in
OmegaConf's words. Without libyaml nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_LOADER: list[Any] = []


def c_loader() -> Any | None:
    """OmegaConf's YAML loader on libyaml's parser, or None without libyaml."""
    if not _LOADER:
        import yaml
        from omegaconf import _utils

        base = _utils.get_yaml_loader()
        if not getattr(yaml, "__with_libyaml__", False):
            _LOADER.append(None)
            return None

        from yaml.cyaml import CParser

        class CLoader(CParser, base):  # type: ignore[misc, valid-type]
            """libyaml's parser first in the order; OmegaConf's loader for the rest."""

            def __init__(self, stream: Any) -> None:
                CParser.__init__(self, stream)
                yaml.constructor.SafeConstructor.__init__(self)
                yaml.resolver.Resolver.__init__(self)

        def checked(stream: Any) -> _Fallback:  # what yaml.load(stream, Loader=) calls
            return _Fallback(stream, CLoader, base)

        _LOADER.append(checked)
    return _LOADER[0]


class _Fallback:
    """A loader object for ``yaml.load``: ``get_single_data`` by the C loader, and by
    OmegaConf's loader when the C parser raises (its error, in OmegaConf's words)."""

    def __init__(self, stream: Any, fast: Any, slow: Any) -> None:
        self._text = stream if isinstance(stream, str | bytes) else stream.read()
        self._fast, self._slow = fast, slow
        self._loader: Any = None

    def get_single_data(self) -> Any:
        import yaml

        self._loader = self._fast(self._text)
        try:
            return self._loader.get_single_data()
        except yaml.YAMLError:
            self._loader.dispose()
            self._loader = self._slow(self._text)
            return self._loader.get_single_data()

    def dispose(self) -> None:
        if self._loader is not None:
            self._loader.dispose()


@contextmanager
def loading() -> Iterator[None]:
    """``OmegaConf.load`` (and so Hydra's composition) with :func:`c_loader` inside."""
    from omegaconf import _utils

    fast = c_loader()
    if fast is None:
        yield
        return
    saved = _utils.get_yaml_loader
    _utils.get_yaml_loader = lambda: fast
    try:
        yield
    finally:
        _utils.get_yaml_loader = saved
