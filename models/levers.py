r"""Levers that act like policy: diminishing returns, an implementation lag, and effects that
depend on the future.

A lever's setting :math:`u_k \in [0, 1]` has its 2021 programme at :math:`r_k` (0.5 in the
default study: 0 stops it, 1 doubles it). The 2021 programme is part of the calibrated
baseline and acts through the lever's column :math:`A_{ik}` of the cross-impact matrix as
before. What this module adds concerns the **change** from 2021, the thing policy decides.

**Diminishing returns.** The lever acts through its *effective* setting

.. math::

    e_k(u) = a_k\,\kappa_k\left(1 - e^{-u/\kappa_k}\right), \qquad
    a_k = \frac{r_k}{\kappa_k\,(1 - e^{-r_k/\kappa_k})} \quad (e_k(r_k) = r_k),

concave and saturating. :math:`\kappa_k` comes from the **doubling gain**
:math:`\rho_k = e_k(2 r_k) / e_k(r_k) = 1 + e^{-r_k/\kappa_k}`, the effect of the doubled
programme relative to the 2021 one: :math:`\kappa_k = -r_k / \ln(\rho_k - 1)`; :math:`\rho_k = 2`
is the linear lever (:math:`\kappa_k = \infty`, :math:`e_k(u) = u`), :math:`\rho_k \to 1` a
lever whose effect is already saturated in 2021. The change that acts is
:math:`\Delta_k = \lambda\,(e_k(u_k) - r_k)` with :math:`\lambda` the member's ``lever_efficacy``.

**Effects that depend on the future.** The change acts on trend :math:`i` with the loading

.. math::

    A_{ik} + \sum_d B_{ikd}\,(d^{f} - d^{2021}),

where :math:`d^{f}` is the future's target value of driver :math:`d` (an axis pole such as
``stakeholder``, or ``eu_regulation``) per member, and :math:`d^{2021}` its status quo: in a
future like 2021 the change acts with the matrix loading, elsewhere more or less, possibly
with the other sign. Each (lever, driver) pair with non-zero :math:`B` is one extra dynamic
column of the KSIM system, ``"<lever>*<driver>"``, whose value is
:math:`\Delta_k (d^f - d^{2021})` and whose loadings are :math:`B_{\cdot kd}`.

**Implementation lag.** The change of lever :math:`k` (and of its future-dependent columns)
starts to act :math:`L_k` years after the start and then ramps in over the member's
transition time :math:`\tau` like the drivers do:
:math:`h_k(t) = \min(1, \max(0, (t - t_0 - L_k)/\tau))`. Levers with the same lag share one
ramp (:attr:`LeverResponse.groups`).

Lever changes at elections (:mod:`models.events`) go through :math:`e_k` and the
future-dependent columns too (:func:`lever_events`); they take effect after the elections'
own lag.

**Sampled per member.** With ``lever_response.sampled`` (the default) every :math:`\rho_k`,
:math:`L_k` and :math:`B_{ikd}` of conf/lever_response.yaml is an uncertain parameter
(``L.<lever>.doubling``, ``L.<lever>.lag``, ``L.<lever>.<trend>.<driver>``, uniform in its
``[low, high]``): the doubling enters :func:`effective` per member, the loadings enter the
kernel as per-member corrections (:func:`models.structural.pair_entries`), and with sampled
lags every lever is its own ramp group (:meth:`LeverResponse.lever_groups`) whose lag is
per member (:func:`lever_ramps`). A lever at its 2021 setting does not act whatever its
parameters, so at the reference they change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from models.events import EventModel


@dataclass(frozen=True)
class LeverResponse:
    """How the changes of the levers act (module docstring).

    Attributes
    ----------
    doubling : ndarray, shape (n_levers,)
        Doubling gain :math:`\\rho_k` in (1, 2]; 2 = linear.
    lag : ndarray, shape (n_levers,)
        Implementation lag :math:`L_k` in years, >= 0.
    pairs : tuple of (int, int)
        Per future-dependent column: the lever's index and the driver's index (into
        ``World.drivers``).
    loadings : ndarray, shape (n_trends, n_pairs)
        :math:`B_{ikd}` per trend and future-dependent column, per year.
    labels : tuple of str
        ``"<lever>*<driver>"`` per column.
    """

    doubling: np.ndarray
    lag: np.ndarray
    pairs: tuple[tuple[int, int], ...] = ()
    loadings: np.ndarray | None = None
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        doubling = np.asarray(self.doubling, float)
        if np.any(doubling <= 1.0) or np.any(doubling > 2.0):
            raise ValueError(f"doubling(={doubling}) must be in (1, 2]")
        if np.any(np.asarray(self.lag) < 0):
            raise ValueError(f"lag(={self.lag}) must be >= 0")
        n_pairs = len(self.pairs)
        if len(self.labels) != n_pairs or (n_pairs and (self.loadings is None or
                                                         self.loadings.shape[1] != n_pairs)):
            raise ValueError(f"{n_pairs} pairs need as many labels and loading columns")

    @classmethod
    def linear(cls, n_levers: int, n_trends: int) -> LeverResponse:
        """Levers as plain KSIM columns: linear, no lag, the same effect in every future."""
        return cls(doubling=np.full(n_levers, 2.0), lag=np.zeros(n_levers),
                   loadings=np.zeros((n_trends, 0)))

    @property
    def n_pairs(self) -> int:
        """Number of future-dependent columns."""
        return len(self.pairs)

    def pair_loadings(self, n_trends: int) -> np.ndarray:
        """:attr:`loadings`, shape (n_trends, n_pairs) even when there are none."""
        return np.zeros((n_trends, 0)) if self.loadings is None else self.loadings

    def groups(self, n_drivers: int) -> tuple[np.ndarray, np.ndarray]:
        """Ramp group of every dynamic column and the lag of every group.

        Parameters
        ----------
        n_drivers : int
            Dynamic driver columns before the levers (they ramp without lag: group 0).

        Returns
        -------
        column_group : ndarray of int, shape (n_drivers + n_levers + n_pairs,)
        group_lag : ndarray, shape (G,)
            ``group_lag[0] == 0``.
        """
        lags = np.unique(np.concatenate([[0.0], self.lag]))
        lever_group = np.searchsorted(lags, self.lag)
        pair_group = np.array([lever_group[k] for k, _ in self.pairs], dtype=int)
        column = np.concatenate([np.zeros(n_drivers, int), lever_group, pair_group])
        return column.astype(int), lags

    def lever_groups(self, n_drivers: int) -> np.ndarray:
        """Ramp group of every dynamic column when every lever has its own lag (sampled per
        member): group 0 for the drivers, ``1 + k`` for lever ``k`` and its
        future-dependent columns."""
        lever_group = 1 + np.arange(len(self.lag))
        pair_group = np.array([lever_group[k] for k, _ in self.pairs], dtype=int)
        return np.concatenate([np.zeros(n_drivers, int), lever_group, pair_group]).astype(int)


def effective(setting: np.ndarray, reference: np.ndarray, doubling: np.ndarray) -> np.ndarray:
    """Effective lever setting :math:`e_k(u)` (module docstring), elementwise.

    Parameters
    ----------
    setting : ndarray, shape (..., n_levers, M) or broadcastable
        Settings :math:`u` in [0, 1].
    reference, doubling : ndarray, shape (n_levers, 1), (..., n_levers, M) or broadcastable
        The 2021 setting :math:`r_k` and the doubling gain :math:`\\rho_k` in (1, 2] (per
        member when sampled).

    Returns
    -------
    ndarray
        The broadcast shape of the three; equal to it where ``doubling == 2`` and (exactly) at the
        reference.

    Examples
    --------
    >>> float(effective(np.array(1.0), np.array(0.5), np.array(1.5)))
    0.75
    """
    u, r, rho = np.broadcast_arrays(np.asarray(setting, float), np.asarray(reference, float),
                                    np.asarray(doubling, float))
    linear = rho >= 2.0
    # kappa = -r / ln(rho - 1); with r = 0 (no 2021 programme) the curve is scaled to slope 1
    # at 0 instead of e(r) = r, and kappa is taken from the doubling of 0.5.
    base = np.where(r > 0, r, 0.5)
    kappa = -base / np.log(np.where(linear, 0.5, rho - 1.0))
    shape = kappa * -np.expm1(-u / kappa)
    at_ref = kappa * -np.expm1(-base / kappa)  # e's shape at the reference (at 0.5 if r = 0)
    norm = np.where(r > 0, base / at_ref, 1.0)
    # At the reference the curve is r by construction; the product above can miss it in the
    # last bit, and a lever at its 2021 setting must not act at all.
    return np.where(linear, u, np.where(u == r, r, norm * shape))


def lever_ramps(elapsed: float, years: np.ndarray, group_lag: np.ndarray) -> np.ndarray:
    """Fraction of each ramp group reached, shape (F, G, M).

    Parameters
    ----------
    elapsed : float
        Years since the start.
    years : ndarray, shape (F, M)
        The members' transition time :math:`\\tau`.
    group_lag : ndarray, shape (G,) or (F, G, M)
        Lag of each group (per member when sampled); group 0 (lag 0) is the drivers' ramp
        ``min(1, elapsed / years)``.
    """
    lag = np.asarray(group_lag, float)
    since = np.maximum(elapsed - lag, 0.0)
    if lag.ndim == 1:
        since = since[None, :, None]
    return np.minimum(since / years[:, None, :], 1.0)


def live_pairs(response: LeverResponse, n_levers: int, events: EventModel | None,
               pair_delta: np.ndarray, n_drivers: int) -> np.ndarray:
    """Per future-dependent lever column, whether it can be non-zero in the run: its lever
    moves in a future, or an election may move it (:func:`models.structural.pair_entries`)."""
    live = np.any(pair_delta != 0.0, axis=(0, 2))
    if events is not None:
        for ev in events.scheduled:
            changes = ev.lever_changes[:, n_drivers:n_drivers + n_levers]
            moving = np.isfinite(changes).any(axis=0)
            live |= np.array([moving[k] for k, _ in response.pairs], dtype=bool)
    return live


def lever_events(events: EventModel, response: LeverResponse, reference: np.ndarray,
                 lever_targets: np.ndarray, efficacy: np.ndarray, moved: np.ndarray,
                 n_drivers: int, doubling: np.ndarray) -> EventModel:
    """The event model with election lever changes in effective units (:mod:`models.levers`)
    and copied to the lever's future-dependent columns, and the per-member ``lever_scale``.

    ``reference`` (n_levers,) holds the 2021 settings, ``lever_targets`` (F, n_levers, M)
    the settings the futures hold before any election (constant over members); ``moved`` (F, n_drivers, M) the drivers' change from 2021;
    ``doubling`` (F, n_levers, M) the members' doubling gains. The changes are those of the
    world's doubling gains (one per future); a member's own gain enters its ``lever_scale``
    as the ratio of its effective change to the world's from the setting before the
    elections to the last one planned (exact for one election per lever and future; in the
    default study two levers have two elections in one future each, 0.6 then 0.7, and take
    the ratio of 0.7 for both).
    """
    n_levers = len(reference)
    ref_col, rho = reference[:, None], response.doubling[:, None]
    current = lever_targets[:, :, 0]  # (F, n_levers)
    final = current.copy()  # the last planned setting of each lever
    scheduled = []
    for ev in events.scheduled:
        changes = ev.lever_changes.copy()
        part = changes[:, n_drivers:n_drivers + n_levers]
        if ev.kind == "election" and np.isfinite(part).any():
            new = np.where(np.isnan(part), current, current + np.nan_to_num(part))
            final = np.where(np.isnan(part), final, new)
            step = (effective(new.T, ref_col, rho) - effective(current.T, ref_col, rho)).T
            # A linear lever keeps the change as given (the same bits as without a response).
            step = np.where(response.doubling[None, :] >= 2.0, part, step)
            changes[:, n_drivers:n_drivers + n_levers] = np.where(np.isnan(part), np.nan, step)
            for j, (k, _) in enumerate(response.pairs):
                changes[:, n_drivers + n_levers + j] = changes[:, n_drivers + k]
            ev = replace(ev, lever_changes=changes)
        scheduled.append(ev)
    n_rows = n_drivers + n_levers + response.n_pairs
    ratio = member_ratio(current, final, ref_col, response.doubling, doubling)
    scale = np.zeros((lever_targets.shape[0], n_rows, lever_targets.shape[2]))
    scale[:, n_drivers:n_drivers + n_levers] = efficacy[:, None, :] * ratio
    for j, (k, d) in enumerate(response.pairs):
        scale[:, n_drivers + n_levers + j] = efficacy * moved[:, d] * ratio[:, k]
    return replace(events, scheduled=scheduled, lever_scale=scale)


def member_ratio(before: np.ndarray, after: np.ndarray, reference: np.ndarray,
                  world_doubling: np.ndarray, doubling: np.ndarray) -> np.ndarray:
    """Per future, lever and member, the member's effective change from ``before`` to
    ``after`` (F, n_levers) over the world's (1 where the world's is 0), shape (F, n_levers, M).
    """
    ref = reference[None]  # (1, n_levers, 1)
    nominal = effective(after[..., None], ref, world_doubling[None, :, None]) - \
        effective(before[..., None], ref, world_doubling[None, :, None])
    own = effective(after[..., None], ref, doubling) - effective(before[..., None], ref, doubling)
    return np.where(nominal != 0.0, own / np.where(nominal != 0.0, nominal, 1.0), 1.0)


def lever_parameters(response: LeverResponse, levers: tuple[str, ...], trends: tuple[str, ...],
                     drivers: tuple[str, ...]) -> dict[str, tuple[str, str, float, float]]:
    """The lever-response parameters: name -> (meaning, units, low, high).

    ``L.<lever>.doubling`` (:math:`\\rho_k`) and ``L.<lever>.lag`` (:math:`L_k`) per lever,
    ``L.<lever>.<trend>.<driver>`` (:math:`B_{ikd}`) per trend and future-dependent column.
    """
    out = {}
    for lv in levers:
        out[f"L.{lv}.doubling"] = (f"doubling gain of {lv}", "1", 1.0, 2.0)
        out[f"L.{lv}.lag"] = (f"years until a change of {lv} acts", "year", 0.0, 10.0)
    for k, d in response.pairs:
        for t in trends:
            out[f"L.{levers[k]}.{t}.{drivers[d]}"] = (
                f"loading of {levers[k]}'s change on {t} per unit of {drivers[d]}'s change",
                "1/year", -5.0, 5.0)
    return out


def _per_member(members: Mapping[str, np.ndarray], name: str, nominal: float,
                shape: tuple[int, int]) -> np.ndarray:
    value = members.get(name)
    return np.full(shape, nominal) if value is None else np.broadcast_to(value, shape)


def member_doubling(response: LeverResponse, levers: tuple[str, ...],
                    members: Mapping[str, np.ndarray], shape: tuple[int, int]) -> np.ndarray:
    """Every lever's doubling gain per member, shape (F, n_levers, M) (``L.<lever>.doubling``,
    default the response's)."""
    return np.stack([_per_member(members, f"L.{lv}.doubling", float(response.doubling[k]),
                                 shape) for k, lv in enumerate(levers)], axis=1)


def ramp_groups(response: LeverResponse, levers: tuple[str, ...],
                members: Mapping[str, np.ndarray], shape: tuple[int, int],
                n_drivers: int) -> tuple[np.ndarray, np.ndarray]:
    """Ramp group of every dynamic column and the lag of every group: (G,) as
    :meth:`LeverResponse.groups`, or with sampled lags (``L.<lever>.lag``) one group per
    lever (:meth:`LeverResponse.lever_groups`) with its members' lags, (F, G, M)."""
    if not any(f"L.{lv}.lag" in members for lv in levers):
        return response.groups(n_drivers)
    lags = np.stack([_per_member(members, f"L.{lv}.lag", float(response.lag[k]), shape)
                     for k, lv in enumerate(levers)], axis=1)  # (F, n_levers, M)
    return response.lever_groups(n_drivers), \
        np.concatenate([np.zeros((shape[0], 1, shape[1])), lags], axis=1)
