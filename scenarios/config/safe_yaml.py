"""YAML from users and files, parsed within bounds: one loader for every such file.

A few hundred bytes of YAML with nested aliases (``&a [..]``, ``*a``) expand to billions of
values; a FIFO named ``x.yaml`` never ends; ``!!python/...`` tags name code. Every YAML the
program reads from a user or a file - ``--config-dir`` files, the ``config`` attribute of
``outcomes.nc``, a sweep's ``multirun.yaml`` and ``.hydra/overrides.yaml`` - goes through
:func:`load_yaml` / :func:`read_yaml`: at most :data:`MAX_YAML_BYTES` bytes, at most
:data:`MAX_YAML_NODES` values once aliases are expanded (counted on the node graph before
anything is built), plain YAML types only, regular files only. A refusal is a
:class:`~scenarios.config.errors.ConfigError`: one line, exit status 2.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml

from scenarios.config.errors import ConfigError

#: Largest YAML text read from a user or a file (bytes). The default config is ~40 kB as
#: stored in outcomes.nc, a sweep's multirun.yaml about the same.
MAX_YAML_BYTES = 2_000_000
#: Most YAML nodes (scalars, lists, maps) once every alias is expanded.
MAX_YAML_NODES = 200_000


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses a document whose alias-expanded size is too big.

    Aliases make the node graph a DAG: the expanded size is counted on it in linear time
    (each node once, its size remembered), before anything is constructed or walked.
    """

    def compose_document(self):  # type: ignore[no-untyped-def]
        node = super().compose_document()
        if _expanded_size(node) > MAX_YAML_NODES:
            raise _TooBig(f"more than {MAX_YAML_NODES} values once its aliases (*name) are "
                          "expanded")
        return node


class _TooBig(Exception):
    pass


def _expanded_size(root: yaml.Node) -> int:
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:  # iterative: deep nesting must not exhaust the Python stack
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if children_done or not children:
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[id(node)] = min(total, MAX_YAML_NODES + 1)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def load_yaml(text: str | bytes, key: str, where: object) -> Any:
    """Parse YAML from a user or a file within bounds.

    Parameters
    ----------
    text : str or bytes
        The YAML text.
    key, where : str
        How the error names the input (``key=where: ...``), e.g. ``"--config-dir"`` and the
        file's path.

    Raises
    ------
    ConfigError
        If the text is longer than :data:`MAX_YAML_BYTES`, expands to more than
        :data:`MAX_YAML_NODES` values, nests too deeply, uses tags or is not valid YAML.
    """
    if len(text) > MAX_YAML_BYTES:
        raise ConfigError(key, str(where), f"YAML of {len(text)} bytes; at most "
                          f"{MAX_YAML_BYTES} are read")
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # a SafeLoader: no Python tags
    except _TooBig as err:
        raise ConfigError(key, str(where), f"not read: {err}") from None
    except RecursionError:
        raise ConfigError(key, str(where), "not read: YAML nested too deeply") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(err, "problem", None) or type(err).__name__
        raise ConfigError(key, str(where), f"not valid plain YAML{at}: {problem}") from None


def read_yaml(path: Path, key: str = "file") -> Any:
    """Read and parse the YAML file ``path`` within bounds (:func:`load_yaml`).

    Only a regular file is opened (a FIFO or device would block or never end), and only its
    first :data:`MAX_YAML_BYTES` + 1 bytes are read.

    Raises
    ------
    ConfigError
        If ``path`` is not a regular file, cannot be read, or :func:`load_yaml` refuses it.
    """
    path = Path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(key, str(path), "not a regular file (a FIFO, device or "
                              "folder); expected a YAML file")
        if info.st_size > MAX_YAML_BYTES:
            raise ConfigError(key, str(path), f"YAML of {info.st_size} bytes; at most "
                              f"{MAX_YAML_BYTES} are read")
        with path.open("rb") as stream:
            data = stream.read(MAX_YAML_BYTES + 1)
    except OSError as err:
        reason = os.strerror(err.errno) if err.errno else type(err).__name__
        raise ConfigError(key, str(path), f"cannot be read ({reason})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(key, str(path), "not UTF-8 text; expected a YAML file") from None
    return load_yaml(text, key, path)
