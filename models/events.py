"""Discrete events on one simpy clock: incidents, crashes, a split Stack, EU rules, elections.

Some things happen at moments, not smoothly (docs/events.md). Per block of members
(:class:`models.integrator.Block`) one ``simpy.Environment`` runs, in integer steps (months):

* ``ksim`` - the monthly cross-impact update (``block.advance``);
* ``hazards`` - stochastic events whose rates depend on the levels just recorded;
* ``recorder`` - stores levels and impacts of the month;
* ``schedule`` - scheduled events: EU rules entering into force and elections that open
  policy windows, at dates that differ per future.

Processes start in the order ksim, recorder, hazards, schedule, so each month the update
runs first, then the recorder stores the month, then that month's events act: their effects
show from the next month on. Events never loop over members: they act on boolean member
masks over the block's arrays, so a block of thousands of members costs a few array
operations per month.

Stochastic events use time rescaling: each member and kind accumulates its integrated hazard
``H += rate(x) * dt`` and fires when ``H`` passes the next of its own exponential thresholds,
drawn up front (:func:`draw_pools`). The draws belong to members, not to blocks, so results
do not depend on how members are split into blocks, threads or chunks.

Effects: a level *knock* moves a trend a fraction of the way to 0 (negative factor) or to 1
(positive factor), scaled by the event's size; a driver *jump* adds to the event offset of a
dynamic driver (``block.offsets``), kept within [0, 1]; ``pulse`` drivers (security pressure)
decay with a half-life.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import simpy

from models.dynamics import LOG_FLOOR
from models.integrator import Block, Ensemble

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


#: Members per block of event random numbers. Each (future, block) has its own generator,
#: so the draws of any slice of members can be made on their own - a chunk computed on another
#: machine draws exactly what the whole run would.
DRAW_BLOCK = 4096


def _draws(model: EventModel, rng: np.random.Generator,
           n_members: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_h, n_s = len(model.hazards), len(model.scheduled)
    return (rng.standard_exponential((n_h, model.pool, n_members)),
            rng.random((n_h, model.pool, n_members)), rng.random((n_s, n_members)))


def _member_draws(model: EventModel, seed: np.random.SeedSequence, start: int,
                  stop: int) -> tuple[np.ndarray, ...]:
    first, last = start // DRAW_BLOCK, -(-stop // DRAW_BLOCK)
    blocks = [_draws(model, np.random.default_rng(np.random.SeedSequence(
        seed.entropy, spawn_key=(*seed.spawn_key, b), pool_size=seed.pool_size)), DRAW_BLOCK)
        for b in range(first, last)]
    lo = start - first * DRAW_BLOCK
    return tuple(np.concatenate(part, axis=-1)[..., lo:lo + stop - start]
                 for part in zip(*blocks))


def draw_pools(model: EventModel, n_members: int,
               rngs: list[np.random.SeedSequence] | list[np.random.Generator],
               start: int = 0) -> Pools:
    """Draw the event randomness of members ``start .. start + n_members``, per future.

    Parameters
    ----------
    rngs : list of SeedSequence or Generator, one per future
        A ``SeedSequence`` addresses members: members draw the same numbers whatever slice
        of the ensemble is drawn (blocks of :data:`DRAW_BLOCK` members, one child sequence
        each). A ``Generator`` draws for ``n_members`` in one go (``start`` is ignored).
    """
    parts = [_member_draws(model, src, start, start + n_members)
             if isinstance(src, np.random.SeedSequence) else _draws(model, src, n_members)
             for src in rngs]
    thresholds, sizes, windows = (np.stack(p) for p in zip(*parts))
    return Pools(thresholds, sizes, windows)


@dataclass
class EventLog:
    """Events of one run.

    Stochastic events have one row per event and member; scheduled events (the same for
    every member of a future, bar whether a policy window was used) are kept per future.

    Attributes
    ----------
    future, member, step, kind : ndarray of int
        Stochastic events, one row each.
    size : ndarray of float
    exhausted : int
        Member-kind pairs that used up their pool of thresholds.
    scheduled_step : ndarray of int, shape (F, S)
        Step of each scheduled event per future (-1: none).
    scheduled_size : ndarray, shape (F, S)
        Total step in the drivers (EU rules) or 1 (elections).
    window_used : ndarray of bool, shape (F, S, M)
        Whether the member's policy window was used (always true for EU rules).
    """

    future: np.ndarray = field(default_factory=lambda: np.empty(0, np.int16))
    member: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    step: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))
    kind: np.ndarray = field(default_factory=lambda: np.empty(0, np.int8))
    size: np.ndarray = field(default_factory=lambda: np.empty(0, np.float64))
    exhausted: int = 0
    scheduled_step: np.ndarray = field(default_factory=lambda: np.empty((0, 0), np.int32))
    scheduled_size: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    window_used: np.ndarray = field(default_factory=lambda: np.empty((0, 0, 0), bool))

    @classmethod
    def merge(cls, parts: list[list[tuple[np.ndarray, ...]]], exhausted: int,
              model: EventModel, pools: Pools) -> EventLog:
        """Join the rows of every block, sorted by member, future, step and kind."""
        n_fut, n_sched, n_mem = pools.windows.shape
        used = np.ones((n_fut, n_sched, n_mem), dtype=bool)
        steps = np.full((n_fut, n_sched), -1, dtype=np.int32)
        sizes = np.zeros((n_fut, n_sched))
        for j, ev in enumerate(model.scheduled):
            steps[:, j] = ev.steps
            if ev.kind == "election":
                used[:, j] = pools.windows[:, j] < ev.success
                sizes[:, j] = 1.0
            else:
                sizes[:, j] = np.abs(ev.jumps).sum(axis=1)
        log = cls(exhausted=exhausted, scheduled_step=steps, scheduled_size=sizes,
                  window_used=used)
        rows = [r for part in parts for r in part]
        if not rows:
            return log
        future, member, step, kind, size = (np.concatenate(c) for c in zip(*rows))
        # member-major: the rows of consecutive member slices (batches) join in order
        key = ((member.astype(np.int64) * n_fut + future) * 1_000_000 + step) * 8 + kind
        order = np.argsort(key, kind="stable")
        log.future, log.member = future[order].astype(np.int16), member[order].astype(np.int64)
        log.step, log.kind = step[order].astype(np.int32), kind[order].astype(np.int8)
        log.size = size[order].astype(np.float64)
        return log


def _blocks(array: np.ndarray, n_blocks: int, width: int, fill: float) -> np.ndarray:
    """Member axis (last) to block-major: (..., M) -> (B, ..., width), padded with ``fill``."""
    pad = n_blocks * width - array.shape[-1]
    if pad:
        array = np.concatenate([array, np.full(array.shape[:-1] + (pad,), fill,
                                               dtype=array.dtype)], axis=-1)
    split = array.reshape(array.shape[:-1] + (n_blocks, width))
    return np.ascontiguousarray(np.moveaxis(split, -2, 0))


def _knock(log_x: np.ndarray, at: np.ndarray, knock: float, size: np.ndarray) -> None:
    """Move levels ``log_x[at]`` towards 0 (knock < 0) or 1 (knock > 0) by
    ``|knock| * size`` of the way."""
    frac = abs(knock) * size
    old = log_x[at]
    if knock < 0:
        log_x[at] = np.maximum(old + np.log1p(-frac), LOG_FLOOR)
    else:  # 1 - x' = (1 - x)(1 - frac), with expm1/log1p exact near 1
        log_x[at] = np.log1p(np.expm1(old) * (1.0 - frac))


class _Hazards:
    """The stochastic event kinds as the arrays the monthly loop of a block needs."""

    def __init__(self, model: EventModel, dt: float, kinds: dict[str, int]) -> None:
        rated = np.stack([h.rate * dt * h.rate_weights for h in model.hazards])  # (H, n)
        self.need = np.flatnonzero(rated.any(axis=0))  # the trends any rate reads
        self.rated = rated[:, self.need]
        self.knocks = [[(int(i), float(h.knocks[i])) for i in np.flatnonzero(h.knocks)]
                       for h in model.hazards]
        self.jumps = [[(int(r), float(h.jumps[r])) for r in np.flatnonzero(h.jumps)]
                      for h in model.hazards]
        self.lows = np.array([h.size[0] for h in model.hazards])
        self.spans = np.array([h.size[1] - h.size[0] for h in model.hazards])
        self.codes = np.array([kinds[h.kind] for h in model.hazards], dtype=np.int64)
        self.pulse = {int(r) for r in model.pulse_rows}


def _hazard_process(haz: _Hazards, block: Block, thresholds: np.ndarray, sizes: np.ndarray,
                    headroom: np.ndarray, rows: list, exhausted: list[int]):
    """The stochastic events of one block, month by month (a simpy process body).

    Each member and kind integrates its hazard and fires when the integral passes the
    member's next threshold. The arrays are kind-major, ``(H, F, width)``, so the fired
    members of one kind are one slice of the (sorted) fired indices; the pools carry one
    extra slot of ``inf`` per member and kind, so a member that used its whole pool simply
    never fires again. Everything else is the same arithmetic, in the same order, as one
    event at a time would do: knocks of several kinds on one trend compose in kind order.
    """
    n_fut, n, width = block.log_x.shape
    n_h, n_dyn = len(haz.codes), block.offsets.shape[1]
    pool = thresholds.shape[2]
    # (F, H, P, w) -> (H, F, P + 1, w), the last slot inf (thresholds) or 0 (sizes)
    cumulative = np.full((n_h, n_fut, pool + 1, width), np.inf)
    np.cumsum(thresholds.transpose(1, 0, 2, 3), axis=2, out=cumulative[:, :, :pool])
    draws = np.zeros_like(cumulative)
    draws[:, :, :pool] = sizes.transpose(1, 0, 2, 3)
    cumulative, draws = cumulative.reshape(-1), draws.reshape(-1)
    nxt = np.ascontiguousarray(thresholds[:, :, 0].transpose(1, 0, 2))  # (H, F, w)
    next_flat = nxt.reshape(-1)
    integral = np.zeros((n_h, n_fut, width))
    rate = np.empty((n_fut, n_h, width))
    fire = np.empty(integral.shape, dtype=bool)
    count = np.zeros(integral.size, dtype=np.int64)
    levels = np.empty((n_fut, haz.need.size, width))
    log_x, offsets, room = (block.log_x.reshape(-1), block.offsets.reshape(-1),
                            headroom.reshape(-1))
    edges = np.arange(n_h + 1) * n_fut  # kind k's fired rows have k F <= hf < (k + 1) F
    step = 0
    while True:
        np.take(block.x, haz.need, axis=1, out=levels)  # the levels just recorded
        np.matmul(haz.rated, levels, out=rate)
        integral += rate.transpose(1, 0, 2)
        np.greater_equal(integral, nxt, out=fire)
        fired = fire.reshape(-1).nonzero()[0]
        if fired.size:
            hf, m = np.divmod(fired, width)
            used = count[fired]
            at = hf * (pool + 1)
            at += used
            at *= width
            at += m
            h, f = np.divmod(hf, n_fut)
            size = haz.lows[h] + haz.spans[h] * draws[at]
            used += 1
            count[fired] = used
            at += width
            next_flat[fired] = cumulative[at]  # inf after the last threshold
            exhausted[0] += int(np.count_nonzero(used == pool))
            base = f * (n * width)
            base += m
            bounds = np.searchsorted(hf, edges).tolist()
            for k in range(n_h):  # in order, so knocks on one trend compose
                lo, hi = bounds[k], bounds[k + 1]
                if hi == lo or not (haz.knocks[k] or haz.jumps[k]):
                    continue
                bk, sk = base[lo:hi], size[lo:hi]
                for i, knock in haz.knocks[k]:
                    _knock(log_x, bk + i * width, knock, sk)
                for row, jump in haz.jumps[k]:
                    where = f[lo:hi] * (n_dyn * width)
                    where += row * width
                    where += m[lo:hi]
                    offsets[where] = np.minimum(offsets[where] + jump * sk, room[where])
                    if row not in haz.pulse:
                        block.offsets_dirty = True
            rows.append((step, h, f, m, size))
        step = yield


def _block_rows(haz: _Hazards, rows: list, first: int, n_members: int) -> list:
    """The event rows of one block as ``(future, member, step, kind, size)`` arrays."""
    if not rows:
        return []
    steps = np.array([r[0] for r in rows], dtype=np.int64)
    kind, future, col, size = (np.concatenate([r[k] for r in rows]) for k in range(1, 5))
    step = np.repeat(steps, [len(r[4]) for r in rows])
    member = col + first
    real = member < n_members  # padding columns never fire (inf thresholds); to be sure
    return [(future[real], member[real], step[real], haz.codes[kind][real], size[real])]


def _simulate_block(model: EventModel, haz: _Hazards | None, block: Block, decay: float,
                    headroom: np.ndarray, lever_scale: np.ndarray,
                    windows: np.ndarray, thresholds: np.ndarray,
                    sizes: np.ndarray) -> tuple[list[tuple[np.ndarray, ...]], int]:
    """Run one block through time on its own simpy clock; return its event rows."""
    env = simpy.Environment()
    block.set_pulses(tuple(model.pulse_rows))
    n_steps, first = block.shared.n_steps, block.members.start
    rows: list[tuple] = []
    exhausted = [0]

    def ksim(env: simpy.Environment):
        for _ in range(n_steps):
            yield env.timeout(1)
            block.advance()

    def recorder(env: simpy.Environment):
        block.record()
        for _ in range(n_steps):
            yield env.timeout(1)
            block.record()

    def hazards(env: simpy.Environment):
        if haz is None:
            return
        months = _hazard_process(haz, block, thresholds, sizes, headroom, rows, exhausted)
        next(months)  # month 0
        for _ in range(n_steps + 1):
            for row in model.pulse_rows:
                block.offsets[:, row] *= decay
            yield env.timeout(1)
            if env.now <= n_steps:
                months.send(int(env.now))

    def schedule(env: simpy.Environment):
        plan = sorted({(int(s), j) for j, ev in enumerate(model.scheduled)
                       for s in ev.steps if s >= 0})
        for step, j in plan:
            if step > env.now:
                yield env.timeout(step - env.now)
            ev = model.scheduled[j]
            here = (ev.steps == step)[:, None, None]  # futures where it happens now
            if ev.kind == "eu_rule":
                jump = np.where(here, ev.jumps[:, :, None], 0.0)
                np.minimum(block.offsets + jump, headroom, out=block.offsets)
                block.offsets_dirty = True
            else:
                used = here & (windows[:, j] < ev.success)[:, None, :]
                sets = ~np.isnan(ev.lever_changes)[:, :, None]  # the levers it sets
                change = np.nan_to_num(ev.lever_changes)[:, :, None] * lever_scale
                block.offsets[...] = np.where(used & sets, change, block.offsets)
                block.offsets_dirty = True

    for process in (ksim, recorder, hazards, schedule):
        env.process(process(env))
    env.run()
    if haz is None:
        return [], 0
    return _block_rows(haz, rows, first, block.shared.log_x0.shape[-1]), exhausted[0]


def make_drive(model: EventModel, pools: Pools, dt: float, logs: list):
    """A ``drive`` for :func:`models.integrator.integrate`: one simpy clock per block.

    Each block of :class:`models.integrator.Ensemble` runs through time on its own clock
    (:func:`_simulate_block`), one block after another; the events act on the block's slices
    of the block-major arrays, vectorised over futures and members. ``logs`` receives one
    ``(rows, exhausted)`` tuple, rows as ``(future, member, step, kind, size)`` arrays.
    """
    kinds = {k: i for i, k in enumerate(KINDS)}
    haz = _Hazards(model, dt, kinds) if model.hazards else None
    decay = 0.5 ** (dt / model.half_life) if model.half_life > 0 else 0.0
    assert model.headroom is not None and model.lever_scale is not None
    room, scale = model.headroom, model.lever_scale  # narrowed, also inside drive()

    def drive(ens: Ensemble) -> None:
        n_blocks, _, _, width = ens.log_x.shape
        headroom = _blocks(room, n_blocks, width, 0.0)  # (B, F, K, w)
        lever_scale = _blocks(scale, n_blocks, width, 0.0)
        windows = _blocks(pools.windows, n_blocks, width, 1.0)  # (B, F, S, w)
        thresholds = _blocks(pools.thresholds, n_blocks, width, np.inf)  # (B, F, H, P, w)
        sizes = _blocks(pools.sizes, n_blocks, width, 0.0)
        found: dict[int, tuple[list, int]] = {}

        def run_block(block: Block) -> None:
            b = block.members.start // width
            found[b] = _simulate_block(model, haz, block, decay, headroom[b], lever_scale[b],
                                       windows[b], thresholds[b], sizes[b])

        # One block after another on this thread, not ``ens.each`` on the block threads: a
        # block's month is a few dozen small numpy calls in Python, and two block threads
        # spent more time handing the GIL to each other than they won (4 x 5,000 members,
        # threads=2: 0.46 s one after another against 0.59-0.70 s in parallel, load 3.5).
        # Results do not depend on it: blocks are independent.
        for block in ens.blocks:
            run_block(block)
        rows = [r for b in sorted(found) for r in found[b][0]]
        logs.append((rows, sum(v[1] for v in found.values())))

    return drive
