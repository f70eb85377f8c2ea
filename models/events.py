"""Discrete events on one simpy clock: incidents, crashes, a split Stack, EU rules, elections.

Some things happen at moments, not smoothly (DESIGN.md section 2.4). Per block of members
(:class:`models.dynamics.Block`) one ``simpy.Environment`` runs, in integer steps (months):

* ``ksim`` - the monthly cross-impact update (``block.advance``);
* ``hazards`` - stochastic events whose rates depend on the current levels;
* ``schedule`` - scheduled events: EU rules entering into force and elections that open
  policy windows, at dates that differ per future;
* ``recorder`` - stores levels and impacts after the month's events.

Processes start in that order, so at each month the update runs first, then the events of
that month, then the recorder. Events never loop over members: they act on boolean member
masks over the block's arrays, so a block of thousands of members costs a few array
operations per month.

Stochastic events use time rescaling: each member and kind accumulates its integrated hazard
``H += rate(x) * dt`` and fires when ``H`` passes the next of its own exponential thresholds,
drawn up front (:func:`draw_pools`). The draws belong to members, not to blocks, so results
do not depend on how members are split into blocks or threads.

Effects: a level *knock* moves a trend a fraction of the way to 0 (negative factor) or to 1
(positive factor), scaled by the event's size; a driver *jump* adds to the event offset of a
dynamic driver (``block.offsets``), kept within [0, 1]; ``pulse`` drivers (security pressure)
decay with a half-life.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from models.dynamics import Block

#: Event kinds in the order of the ``kind`` coordinate: stochastic kinds first.
KINDS = ("cyber_incident", "crypto_crash", "stack_split", "eu_rule", "election")


@dataclass(frozen=True)
class Hazard:
    """A stochastic event kind.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    rate : float
        Events per year when the weighted level ``sum_i w_i x_i`` is 1.
    rate_weights : ndarray, shape (n,)
        Non-negative weights of the trend levels in the rate.
    size : tuple of float
        Event sizes are uniform on ``[low, high]`` within (0, 1].
    knocks : ndarray, shape (n,)
        Per trend, the fraction (times size) of the way to 0 (< 0) or to 1 (> 0) it moves.
    jumps : ndarray, shape (K,)
        Per dynamic driver row, the jump (times size) of its event offset.
    """

    kind: str
    rate: float
    rate_weights: np.ndarray
    size: tuple[float, float]
    knocks: np.ndarray
    jumps: np.ndarray


@dataclass(frozen=True)
class Scheduled:
    """A scheduled event: an EU rule or an election, at a step that may differ per future.

    Attributes
    ----------
    kind : str
        ``"eu_rule"`` or ``"election"``.
    name : str
        E.g. ``"dma"`` or ``"2025"``.
    steps : ndarray of int, shape (F,)
        Step at which it happens per future; -1 where it does not happen.
    jumps : ndarray, shape (F, K)
        Offsets added to the dynamic driver rows of every member (EU rules).
    lever_changes : ndarray, shape (F, K)
        Where the policy window is used (elections): the new setting of each lever minus the
        future's setting, which becomes the row's offset (times the member's lever
        efficacy); NaN = the lever is not changed.
    success : float
        Probability that an election's policy window is used, per member.
    """

    kind: str
    name: str
    steps: np.ndarray
    jumps: np.ndarray
    lever_changes: np.ndarray
    success: float = 1.0


@dataclass(frozen=True)
class EventModel:
    """Everything the event processes need, as plain arrays.

    Attributes
    ----------
    hazards : list of Hazard
    scheduled : list of Scheduled
    pulse_rows : ndarray of int
        Dynamic driver rows whose event offsets decay (security pressure).
    half_life : float
        Half-life in years of the pulse offsets.
    ramped_by_events : ndarray of bool, shape (F, K)
        Rows whose rise towards the future's value comes from scheduled events (EU rules)
        instead of the continuous transition.
    headroom : ndarray, shape (F, K, M)
        Largest offset each dynamic row may take, so drivers stay within [0, 1]; filled in
        by :func:`models.ensemble.run`.
    lever_scale : ndarray, shape (F, K, M)
        Multiplier of election lever changes per member (the lever efficacy; 0 elsewhere);
        filled in by :func:`models.ensemble.run`.
    pool : int
        Thresholds drawn per member and kind; a member that uses them all has no further
        events of that kind (counted in :attr:`EventLog.exhausted`).
    """

    hazards: list[Hazard]
    scheduled: list[Scheduled]
    pulse_rows: np.ndarray
    half_life: float
    ramped_by_events: np.ndarray
    headroom: np.ndarray | None = None
    lever_scale: np.ndarray | None = None
    pool: int = 16


@dataclass(frozen=True)
class Pools:
    """Random draws per future, kind and member, made before the run.

    Attributes
    ----------
    thresholds : ndarray, shape (F, H, pool, M)
        Exponential(1) thresholds of the integrated hazard.
    sizes : ndarray, shape (F, H, pool, M)
        Uniform(0, 1) draws mapped to event sizes.
    windows : ndarray, shape (F, S, M)
        Uniform(0, 1) draws deciding whether a policy window is used.
    """

    thresholds: np.ndarray
    sizes: np.ndarray
    windows: np.ndarray


def draw_pools(model: EventModel, n_members: int, rngs: list[np.random.Generator]) -> Pools:
    """Draw every member's event randomness, one generator per future."""
    n_h, n_s = len(model.hazards), len(model.scheduled)
    thresholds, sizes, windows = [], [], []
    for rng in rngs:
        thresholds.append(rng.standard_exponential((n_h, model.pool, n_members)))
        sizes.append(rng.random((n_h, model.pool, n_members)))
        windows.append(rng.random((n_s, n_members)))
    return Pools(np.stack(thresholds), np.stack(sizes), np.stack(windows))


@dataclass
class EventLog:
    """Events of one run: one row per event and member.

    Attributes
    ----------
    future, member, step, kind : ndarray of int
    size : ndarray of float
    exhausted : int
        Member-kind pairs that used up their pool of thresholds.
    """

    future: np.ndarray = field(default_factory=lambda: np.empty(0, np.int16))
    member: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    step: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    kind: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    size: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    exhausted: int = 0

    @classmethod
    def merge(cls, parts: list[list[tuple[np.ndarray, ...]]], exhausted: int) -> EventLog:
        """Join the rows of every block, sorted by future, member, step and kind."""
        rows = [r for part in parts for r in part]
        if not rows:
            return cls(exhausted=exhausted)
        future, member, step, kind, size = (np.concatenate(c) for c in zip(*rows))
        order = np.lexsort((kind, step, member, future))
        return cls(future[order].astype(np.int16), member[order].astype(np.int64),
                   step[order].astype(np.int32), kind[order].astype(np.int8),
                   size[order].astype(np.float64), exhausted)


class _Recorder:
    """Collects a block's event rows (block-local, so threads never share it)."""

    def __init__(self, block: Block) -> None:
        self.block = block
        self.rows: list[tuple[np.ndarray, ...]] = []

    def add(self, step: int, mask: np.ndarray, kind: int, size: np.ndarray | float) -> None:
        valid = mask[:, : self.block.valid]
        future, member = np.nonzero(valid)
        if future.size == 0:
            return
        sizes = np.broadcast_to(size, mask.shape)[:, : self.block.valid][future, member]
        self.rows.append((future, member + self.block.members.start,
                          np.full(future.size, step), np.full(future.size, kind),
                          np.asarray(sizes, dtype=np.float64)))


def _knock(block: Block, mask: np.ndarray, knocks: np.ndarray, size: np.ndarray) -> None:
    """Move trends of the masked members towards 0 or 1 by ``knock * size`` of the way."""
    for i in np.flatnonzero(knocks):
        frac = np.where(mask, abs(knocks[i]) * size, 0.0)
        if knocks[i] < 0:
            block.log_x[:, i] += np.log1p(-frac)
        else:
            gap = -np.expm1(block.log_x[:, i])  # 1 - x, exact near 1
            block.log_x[:, i] = np.log1p(-gap * (1.0 - frac))


def make_drive(model: EventModel, pools: Pools, dt: float, logs: dict[int, tuple]):  # noqa: ANN201
    """A ``drive`` for :func:`models.dynamics.integrate` that runs each block on simpy.

    ``logs`` receives, per block start, ``(rows, exhausted)``.
    """
    kinds = {k: i for i, k in enumerate(KINDS)}
    decay = 0.5 ** (dt / model.half_life) if model.half_life > 0 else 0.0

    def drive(block: Block) -> None:
        env = simpy.Environment()
        rec = _Recorder(block)
        members = block.members
        width, valid = block.width, block.valid

        def cut(array: np.ndarray) -> np.ndarray:
            part = array[..., members]
            if part.shape[-1] < width:
                pad = np.zeros(part.shape[:-1] + (width - part.shape[-1],), dtype=part.dtype)
                part = np.concatenate([part, pad], axis=-1)
            return part

        assert model.headroom is not None and model.lever_scale is not None
        headroom = cut(model.headroom)
        lever_scale = cut(model.lever_scale)
        thresholds, sizes = cut(pools.thresholds), cut(pools.sizes)
        windows = cut(pools.windows)
        block.use_offsets = True
        n_steps = block.shared.n_steps
        n_fut = block.log_x.shape[0]
        exhausted = [0]

        def ksim(env: simpy.Environment):  # noqa: ANN202 - simpy process
            for _ in range(n_steps):
                yield env.timeout(1)
                block.advance()

        def hazards(env: simpy.Environment):  # noqa: ANN202
            if not model.hazards:
                return
            weights = np.stack([h.rate_weights for h in model.hazards])  # (H, n)
            rates = np.array([h.rate for h in model.hazards])[None, :, None] * dt
            integral = np.zeros((n_fut, len(model.hazards), width))
            count = np.zeros((n_fut, len(model.hazards), width), dtype=np.int64)
            pool = thresholds.shape[2]
            for _ in range(n_steps):
                yield env.timeout(1)
                if model.pulse_rows.size:
                    block.offsets[:, model.pulse_rows] *= decay
                integral += rates * np.matmul(weights, block.levels())
                usable = count < pool
                nxt = np.take_along_axis(thresholds, np.minimum(count, pool - 1)[:, :, None],
                                         axis=2)[:, :, 0]
                fired = usable & (integral >= nxt)
                if not fired.any():
                    continue
                draw = np.take_along_axis(sizes, np.minimum(count, pool - 1)[:, :, None],
                                          axis=2)[:, :, 0]
                for h, hazard in enumerate(model.hazards):
                    mask = fired[:, h]
                    if not mask.any():
                        continue
                    low, high = hazard.size
                    size = low + (high - low) * draw[:, h]
                    _knock(block, mask, hazard.knocks, size)
                    for row in np.flatnonzero(hazard.jumps):
                        room = headroom[:, row]
                        block.offsets[:, row] = np.where(
                            mask, np.minimum(block.offsets[:, row] + hazard.jumps[row] * size,
                                             room), block.offsets[:, row])
                    rec.add(int(env.now), mask, kinds[hazard.kind], size)
                integral -= np.where(fired, nxt, 0.0)
                count += fired
                exhausted[0] += int((fired & (count == pool))[..., :valid].sum())

        def schedule(env: simpy.Environment):  # noqa: ANN202
            plan = sorted({(int(s), j) for j, ev in enumerate(model.scheduled)
                           for s in ev.steps if s >= 0})
            for step, j in plan:
                if step > env.now:
                    yield env.timeout(step - env.now)
                ev = model.scheduled[j]
                here = (ev.steps == step)[:, None]  # futures where it happens now
                every = np.broadcast_to(here, (n_fut, width))
                if ev.kind == "eu_rule":
                    jump = np.where(here, ev.jumps, 0.0)[:, :, None]
                    block.offsets[:] = np.minimum(block.offsets + jump, headroom)
                    size = np.broadcast_to(np.abs(ev.jumps).sum(axis=1)[:, None], every.shape)
                    rec.add(step, every, kinds["eu_rule"], size)
                else:
                    used = every & (windows[:, j] < ev.success)
                    rows = ~np.isnan(ev.lever_changes)  # (F, K): levers this window sets
                    change = np.nan_to_num(ev.lever_changes)[:, :, None] * lever_scale
                    where = used[:, None, :] & rows[:, :, None]
                    block.offsets[:] = np.where(where, change, block.offsets)
                    rec.add(step, every, kinds["election"], used.astype(float))

        def recorder(env: simpy.Environment):  # noqa: ANN202
            block.record()
            for _ in range(n_steps):
                yield env.timeout(1)
                block.record()

        for process in (ksim, hazards, schedule, recorder):
            env.process(process(env))
        env.run()
        logs[members.start] = (rec.rows, exhausted[0])

    return drive
