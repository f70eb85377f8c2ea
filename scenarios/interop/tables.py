"""Outcomes as tables: the IAMC format (pyam, the IIASA Scenario Explorer) and tidy long form.

IAMC rows are ``model, scenario, region, variable, unit, year, value`` with one column per
year. Here:

- ``model`` is ``futures <version>`` (the version that wrote the file);
- ``scenario`` is the future's display name, followed by the swept values of a sweep
  (``Versnelling [seed=1]``); the median of the simulated worlds is the scenario itself, the
  5th and 95th percentiles are scenario *variants* named ``<scenario>|p05`` and
  ``<scenario>|p95`` (pyam's meta columns hold one value per scenario, not per cell, so they
  cannot carry quantiles);
- ``region`` is ``NL``;
- ``variable`` is ``Trend|<trend name>|Level`` and ``Impact|<area name>``, the names taken
  from the dataset's ``trend_name_nl``/``area_name_nl`` coordinates (or ``_en`` with
  ``lang="en"``): one name per concept, from the study;
- ``unit`` is the variable's ``units`` attribute (``1``: a dimensionless share or index);
- the years are the whole years of the run (2021 ... 2030): IAMC data are annual, the run is
  monthly, so the value at 1 January of each year is taken, not an average.

The long form has one row per future, swept value, member, time step and trend or area, with
every member: ``future, [swept keys...], member, time, variable, kind, value``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import xarray as xr

#: Quantiles written to the IAMC table: (scenario suffix, quantile). "" is the median.
QUANTILES: tuple[tuple[str, float], ...] = (("", 0.5), ("|p05", 0.05), ("|p95", 0.95))
IAMC_INDEX = ["model", "scenario", "region", "variable", "unit"]
REGION = "NL"


def _names(ds: xr.Dataset, dim: str, lang: str) -> list[str]:
    coord = f"{dim}_name_{lang}"
    if coord in ds.coords:
        return [str(v) for v in ds[coord].values]
    return [str(v) for v in ds[dim].values]


def variable_names(ds: xr.Dataset, lang: str = "nl") -> dict[tuple[str, str], str]:
    """The IAMC variable of every (variable, label): ``("level", trend) -> "Trend|..|Level"``."""
    out = {}
    for label, name in zip(ds.trend.values, _names(ds, "trend", lang)):
        out[("level", str(label))] = f"Trend|{name}|Level"
    for label, name in zip(ds.area.values, _names(ds, "area", lang)):
        out[("impact", str(label))] = f"Impact|{name}"
    return out


def whole_years(ds: xr.Dataset) -> np.ndarray:
    """The time steps that fall on 1 January (decimal years with no fraction)."""
    time = np.asarray(ds.time.values, dtype=float)
    keep = np.isclose(time, np.round(time), atol=1e-6)
    return time[keep]


def _variants(ds: xr.Dataset, swept: list[str]) -> Iterator[tuple[dict[str, object], str]]:
    if not swept:
        yield {}, ""
        return
    grids = np.meshgrid(*(ds[k].values for k in swept), indexing="ij")
    for combo in zip(*(g.ravel() for g in grids)):
        values = dict(zip(swept, combo))
        yield values, " [" + ", ".join(f"{k}={_text(v)}" for k, v in values.items()) + "]"


def _text(value: object) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value.item() if isinstance(value, np.generic) else value)


def iamc(ds: xr.Dataset, swept: list[str], *, model: str, lang: str = "nl") -> pd.DataFrame:
    """The IAMC wide table of a run or sweep dataset (see the module docstring).

    Parameters
    ----------
    ds : xarray.Dataset
        ``outcomes.nc`` or ``sweep.nc`` (with the swept dimensions named in ``swept``).
    swept : list of str
        The swept keys (dimensions beyond the run's own); empty for a run.
    model : str
        The IAMC model name, ``futures <version>``.
    lang : {"nl", "en"}
        Which names the variables and scenarios take.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, scenario, region, variable, unit`` and one column per whole year.
    """
    years = whole_years(ds)
    names = variable_names(ds, lang)
    futures = _names(ds, "future", lang)
    rows = []
    for values, suffix in _variants(ds, swept):
        view = ds.sel(values) if values else ds
        for var, dim in (("level", "trend"), ("impact", "area")):
            data = view[var].sel(time=years)
            if not np.isfinite(data.values).any():
                continue  # a missing job of a sweep
            unit = str(ds[var].attrs.get("units", ""))
            for tag, q in QUANTILES:
                stat = data.astype("float64").quantile(q, dim="member").values  # f, t, x
                for i, future in enumerate(futures):
                    for k, label in enumerate(view[dim].values):
                        rows.append([model, f"{future}{suffix}{tag}", REGION,
                                     names[(var, str(label))], unit, *stat[i, :, k]])
    columns = IAMC_INDEX + [round(y) for y in years]
    return pd.DataFrame(rows, columns=columns)


def long(ds: xr.Dataset, swept: list[str], *, lang: str = "nl") -> pd.DataFrame:
    """Every member of every future as tidy rows (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        Columns ``future, <swept keys...>, member, time, variable, kind, name, unit, value``;
        ``kind`` is ``level`` or ``impact``, ``variable`` the trend or area label and
        ``name`` its display name in ``lang``.
    """
    parts = []
    for var, dim in (("level", "trend"), ("impact", "area")):
        frame = ds[var].to_dataframe(name="value", dim_order=["future", *swept, "member",
                                                               "time", dim])
        frame = frame[["value"]].reset_index().rename(columns={dim: "variable"})
        frame = frame.dropna(subset=["value"])
        lookup = dict(zip(ds[dim].values, _names(ds, dim, lang)))
        frame["kind"] = var
        frame["name"] = frame["variable"].map(lookup)
        frame["unit"] = str(ds[var].attrs.get("units", ""))
        parts.append(frame)
    out = pd.concat(parts, ignore_index=True)
    order = ["future", *swept, "member", "time", "variable", "kind", "name", "unit", "value"]
    return out[order]
