"""``futures study init DIR NAME``: write a small, valid, commented example study.

The example (``example.yaml`` beside this module) becomes ``DIR/study/NAME.yaml``; it runs
as it is with ``futures run --config-dir DIR study=NAME`` and is edited in YAML alone
(docs/study.md).
"""

from __future__ import annotations

import re
import sys
from importlib import resources
from pathlib import Path

from scenarios.config.errors import ConfigError
from scenarios.config.study import LABEL
from scenarios.engine.command import Command

USAGE = """\
usage: futures study init DIR NAME

Writes DIR/study/NAME.yaml: a small example study (3 trends, 2 areas, 1 lever, 2 futures)
with a comment on every key. Run it with

    futures run --config-dir DIR study=NAME

and edit it in YAML alone to model another foresight study (docs/study.md). An existing
file is not overwritten.
"""


def example(name: str) -> str:
    """The example study's YAML, named ``name``."""
    text = (resources.files("scenarios.study") / "example.yaml").read_text(encoding="utf-8")
    return re.sub(r"^  name: NAME$", f"  name: {name}", text, flags=re.MULTILINE)


def init(folder: Path, name: str) -> Path:
    """Write the example study as ``folder/study/name.yaml``; return its path."""
    if LABEL.fullmatch(name) is None:
        raise ConfigError("NAME", name, "a study name is 1-40 characters: a lower-case "
                          "letter, then lower-case letters, digits or _")
    if name == "nds2021":
        raise ConfigError("NAME", name, "nds2021 is the built-in study; choose another name")
    path = folder / "study" / f"{name}.yaml"
    if path.exists():
        raise ConfigError("NAME", name, f"{path} exists; choose another name or folder")
    if folder.exists() and not folder.is_dir():
        raise ConfigError("DIR", str(folder), "not a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".yaml.tmp")
    tmp.write_text(example(name), encoding="utf-8")
    tmp.replace(path)
    return path


def command(args: list[str]) -> int:
    """Entry point of ``futures study``."""
    if any(a in ("-h", "--help") for a in args):
        print(USAGE, end="")
        return 0
    if len(args) != 3 or args[0] != "init":
        print(f"futures: error: study {' '.join(args)!r}: expected `futures study init DIR "
              "NAME`", file=sys.stderr)
        return 2
    try:
        path = init(Path(args[1]), args[2])
    except ConfigError as err:
        print(f"futures: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"futures: error: {args[1]}: could not be written ({err.strerror})",
              file=sys.stderr)
        return 1
    print(path)
    return 0


#: ``futures study``: registered in :data:`scenarios.cli.COMMAND_LIST`.
COMMAND = Command(name="study", usage=USAGE, main=command)
