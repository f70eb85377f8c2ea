"""Building blocks of the labelled datasets the commands write (outcomes, sensitivity,
robustness, plane): every variable and coordinate carries ``units`` and ``long_name``
(STYLE: CF attributes), the label coordinates carry Dutch and English display names, and
every dataset carries the same provenance attributes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from scenarios import __version__
from scenarios.config.study import Study, default_study

if TYPE_CHECKING:
    from scenarios.config.schema import RunSpec

#: A variable or coordinate as ``xarray.Dataset`` takes it: (dims, values, attrs).
Entry = tuple[Any, Any, dict[str, Any]]

_LANGUAGE = {"nl": "Dutch", "en": "English"}
#: The two scenario axes, as the ``axis`` coordinate.
AXES = ["ownership", "purpose"]
AXIS_LONG_NAME = ("position on the axes (ownership: 0 shareholder, 1 stakeholder; "
                  "purpose: 0 growth, 1 welfare)")


def term_name(label: str, lang: str, unknown: str = "spaces",
              study: Study | None = None) -> str:
    """The display name of a label of ``study`` (the default study when not given) in
    ``lang`` (``nl``/``en``). An unknown label (a user-added future) is shown with ``_`` as
    spaces (``unknown="spaces"``) or as written."""
    term = (study or default_study()).lookup(label)
    if term is not None:
        return str(getattr(term, f"name_{lang}"))
    return label.replace("_", " ") if unknown == "spaces" else label


def var(dims: str | Sequence[str], values: Any, long_name: str, units: str = "1",
        **attrs: Any) -> Entry:
    """A data variable with its CF attributes (``units`` first, then ``long_name``)."""
    return (dims, values, {"units": units, "long_name": long_name, **attrs})


def coord(dim: str, values: Any, long_name: str, units: str | None = None) -> Entry:
    """A coordinate along ``dim``; labels have no ``units``, numbers do."""
    attrs = {"long_name": long_name} if units is None else {"units": units,
                                                            "long_name": long_name}
    return (dim, values, attrs)


def name_coordinates(dims: dict[str, Sequence[str]], study: Study | None = None, *,
                     unknown: str = "spaces",
                     long_names: dict[str, str] | None = None) -> dict[str, Entry]:
    """Display names as coordinates: ``{DIM}_name_nl`` and ``{DIM}_name_en`` per dimension.

    ``long_names`` words a dimension in the ``long_name`` (default: the dimension's name).
    """
    words = long_names or {}
    return {f"{dim}_name_{lang}": (dim, [term_name(x, lang, unknown, study) for x in labels],
                                   {"long_name": f"{words.get(dim, dim)} name ({full})"})
            for dim, labels in dims.items() for lang, full in _LANGUAGE.items()}


def member_coord(n: int, start: int = 0) -> Entry:
    """The ``member`` coordinate of ``n`` members from ``start``."""
    return coord("member", np.arange(start, start + n), "ensemble member", "1")


def label_coords(**dims: Iterable[str]) -> dict[str, Entry]:
    """The label coordinates ``future``, ``area``, ``lever``, ``trend`` or ``axis`` given."""
    words = {"future": "future label", "area": "impact area label", "trend": "trend label",
             "lever": "policy lever label", "axis": "scenario axis", "driver": "driver label",
             "setting": "lever setting label", "parameter": "uncertain parameter"}
    return {dim: coord(dim, list(values), words[dim]) for dim, values in dims.items()}


def futures_coords(spec: RunSpec, n_members: int, **labels: Sequence[str]) -> dict[str, Entry]:
    """The coordinates of an analysis over the run's futures on common members: ``future``,
    ``member`` (``n_members``), ``area``, the label dimensions in ``labels`` (e.g.
    ``lever=...``), ``axis``, and the display names of the futures, areas and levers."""
    futures, areas = [f.label for f in spec.futures], list(spec.world.areas)
    named = {"future": futures, "area": areas,
             **{dim: values for dim, values in labels.items() if dim == "lever"}}
    return {**label_coords(future=futures), "member": member_coord(n_members),
            **label_coords(area=areas, **labels, axis=AXES),
            **name_coordinates(named, spec.study)}


def position(futures: Sequence[Any], long_name: str = AXIS_LONG_NAME) -> Entry:
    """The futures' positions on the two axes, dims (future, axis)."""
    return var(("future", "axis"), np.array([[f.ownership, f.purpose] for f in futures]),
               long_name)


def provenance(title: str, seed: int, config_yaml: str, *,
               after_seed: dict[str, Any] | None = None, **attrs: Any) -> dict[str, Any]:
    """Dataset attributes: the title, what was done (``attrs``), then the version, the seed,
    ``after_seed`` and the resolved config."""
    return {"title": title, **attrs, "futures_version": __version__, "seed": seed,
            **(after_seed or {}), "config": config_yaml}
