"""Where the Hydra YAML lives: ``conf/`` beside the packages, or ``_conf/`` inside the wheel."""

from __future__ import annotations

from pathlib import Path

CONFIG_NAME = "config"


def conf_dir() -> Path:
    """The folder holding the Hydra YAML: ``conf/`` beside the packages, or inside the wheel."""
    here = Path(__file__).resolve().parents[1]  # the scenarios package
    for candidate in (here / "_conf", here.parent / "conf"):
        if (candidate / f"{CONFIG_NAME}.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"no {CONFIG_NAME}.yaml in {here / '_conf'} or {here.parent / 'conf'}")
