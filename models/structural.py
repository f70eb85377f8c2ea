"""The sampled structural entries (issue 15) as corrections of the kernel's matrices.

A member's ``A.<trend>.<impactor>`` (a cross-impact entry or a loading) and
``W.<area>.<impactor>`` (an impact weight) enter :func:`models.integrator.integrate` as
sparse per-member deviations from the nominal matrices (:class:`models.dynamics.Structural`),
so the shared matrix product stays one batched matmul (docs/model.md).

Levers: ``A.<trend>.<lever>`` is the matrix loading :math:`A_{ik}` of :mod:`models.levers`.
Its correction reads the lever's row of the dynamic drivers, which holds the change in
effective units times ``lever_efficacy`` and ramps in the lever's lag group (the
integrator applies it per ramp group), and the 2021 programme in ``C0``. The
future-dependent columns ``"<lever>*<driver>"`` carry only their own loadings
:math:`B_{ikd}` (conf/lever_response.yaml), which are not ``A`` entries: an ``A`` entry has
no part in them. Their sampled values ``L.<lever>.<trend>.<driver>`` (the lever-response
parameters, :func:`models.ensemble.lever_names`) correct the column's loading the same way
(push and brake rows, no ``C0`` part: the column is 0 in 2021); a column that stays 0 in a
run (the lever at its reference, no election moving it) takes no correction, which is
exact and keeps the kernel's sums as they were. Levers have no impact weights
(conf/impacts.yaml), so there is no ``W.<area>.<lever>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.dynamics import Sparse, Structural


@dataclass(frozen=True)
class Nominal:
    """The nominal matrices the structural entries deviate from.

    Attributes
    ----------
    trends, areas : tuple of str
        Row labels of the matrix and of the weights.
    columns : tuple of str
        Impactor labels: the trends, then the K0 dynamic rows the entries may read (the
        drivers but momentum, then the levers), in the kernel's order.
    matrix : ndarray, shape (n, n + K0)
        Cross-impact entries and loadings, per year.
    weights : ndarray, shape (a, n + K0)
        Impact weights (zero for the levers).
    reference : ndarray, shape (K0,)
        The 2021 value of each dynamic row (its part of ``C0``).
    floor : float
        The level floor (the readout weighs the share above it).
    pairs : tuple of str
        The future-dependent lever columns (``"<lever>*<driver>"``), after the K0 rows.
    pair_loadings : ndarray, shape (n, P), optional
        Their nominal loadings :math:`B_{ikd}`.
    """

    trends: tuple[str, ...]
    areas: tuple[str, ...]
    columns: tuple[str, ...]
    matrix: np.ndarray
    weights: np.ndarray
    reference: np.ndarray
    floor: float
    pairs: tuple[str, ...] = ()
    pair_loadings: np.ndarray | None = None


def _push_brake(value: np.ndarray, a: float, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """The change of a push and a brake row when an entry ``a`` takes the values ``value``."""
    return (dt * (np.maximum(value, 0.0) - max(a, 0.0)),
            dt * (np.maximum(-value, 0.0) - max(-a, 0.0)))


def pair_entries(nominal: Nominal, members: Mapping[str, np.ndarray], shape: tuple[int, int],
                 dt: float, live: np.ndarray | None = None
                 ) -> list[tuple[int, int, np.ndarray]]:
    """The sampled loadings ``L.<lever>.<trend>.<driver>`` as driver-row corrections.

    ``live`` (one bool per pair column, default all) says which columns can be non-zero in
    the run; the others take no correction (module docstring).
    """
    n, k0 = len(nominal.trends), len(nominal.columns) - len(nominal.trends)
    out: list[tuple[int, int, np.ndarray]] = []
    for name in members:
        parts = name.split(".")
        if parts[0] != "L" or len(parts) != 4:
            continue
        p = nominal.pairs.index(f"{parts[1]}*{parts[3]}")
        if live is not None and not live[p]:
            continue
        i = nominal.trends.index(parts[2])
        b = 0.0 if nominal.pair_loadings is None else float(nominal.pair_loadings[i, p])
        push, brake = _push_brake(np.broadcast_to(members[name], shape), b, dt)
        out.extend((r, k0 + p, coef) for r, coef in ((i, push), (n + i, brake)) if np.any(coef))
    return out


def structural_terms(nominal: Nominal, members: Mapping[str, np.ndarray],
                     shape: tuple[int, int], dt: float, live: np.ndarray | None = None
                     ) -> tuple[Structural | None, np.ndarray]:
    """The sampled structural entries of ``members`` as kernel corrections.

    An entry ``A.<trend>.<impactor>`` drawn at ``v`` per member, nominal ``a``, changes the
    push row of the trend by ``dt (max(v, 0) - max(a, 0))`` and its brake row by
    ``dt (max(-v, 0) - max(-a, 0))`` times the impactor: a trend (every step), a moving
    driver or lever (its change from 2021, :class:`models.dynamics.Structural`) and, for a
    driver or lever, its 2021 value (the returned change of ``C0``). ``W.<area>.<impactor>``
    changes the impact readout by ``v - w`` times the trend's level above its floor
    (``(1 - floor)`` scaled, as the readout) or the driver's change. The lever-response
    loadings come from :func:`pair_entries` (``live`` is passed on).

    Returns
    -------
    Structural or None
        None when no structural entry is sampled.
    ndarray, shape (F, 2n, M)
        The change of ``C0``.
    """
    n = len(nominal.trends)
    n_fut, n_mem = shape
    c0 = np.zeros((n_fut, 2 * n, n_mem))
    names = [name for name in members if name[:2] in ("A.", "W.")]
    pairs = pair_entries(nominal, members, shape, dt, live)
    if not names and not pairs:
        return None, c0
    parts: dict[str, list[tuple[int, int, np.ndarray]]] = {
        "trend": [], "driver": [], "index_trend": [], "index_driver": []}
    for name in names:
        kind, row, col = name.split(".")
        j = nominal.columns.index(col)
        value = np.broadcast_to(members[name], shape)
        is_trend = j < n
        if kind == "A":
            i = nominal.trends.index(row)
            push, brake = _push_brake(value, nominal.matrix[i, j], dt)
            target = parts["trend" if is_trend else "driver"]
            for r, coef in ((i, push), (n + i, brake)):
                if np.any(coef):
                    target.append((r, j if is_trend else j - n, coef))
                    if not is_trend:
                        c0[:, r] += coef * nominal.reference[j - n]
        else:
            a_i = nominal.areas.index(row)
            coef = value - nominal.weights[a_i, j]
            if is_trend:
                parts["index_trend"].append((a_i, j, coef * (1.0 - nominal.floor)))
            else:
                parts["index_driver"].append((a_i, j - n, coef))
    parts["driver"].extend(pairs)
    n_rows = {"trend": 2 * n, "driver": 2 * n, "index_trend": len(nominal.areas),
              "index_driver": len(nominal.areas)}

    def sparse(key: str) -> Sparse | None:
        entries = parts[key]
        if not entries:
            return None
        return Sparse(rows=np.array([e[0] for e in entries]),
                      cols=np.array([e[1] for e in entries]),
                      coef=np.stack([e[2] for e in entries], axis=1), n_rows=n_rows[key])

    return Structural(**{key: sparse(key) for key in parts}), c0
