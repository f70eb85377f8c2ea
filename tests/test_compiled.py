"""The compiled kernel (``ensemble.kernel=numba``, models/compiled.py) against the numpy one.

The two kernels sum the same terms in other orders (BLAS products against compiled loops),
so they differ in the last bits of a step; over 108 steps the difference measured stays
below 4e-15 relative in the levels and 7e-16 absolute in the impacts (4 x 1,100 members,
events on). The tolerances below (1e-12, i.e. a thousand
times that) leave room for other inputs while a wrong term (a missing ramp group, a sampled
entry in the wrong row, an event offset added twice) moves levels by 1e-6 or more.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from models.ensemble import structural_names
from scenarios.config.compose import load
from scenarios.config.errors import ConfigError
from scenarios.engine.simulate import simulate
from tests.conftest import ROOT, one_error_line

pytest.importorskip("numba")

#: Relative tolerance of the float64 levels, absolute of the float64 impacts (module doc).
RTOL, ATOL = 1e-12, 1e-12


@pytest.fixture(scope="module")
def spec():
    """The default run (all four futures, sampled structure and lever lags)."""
    return load([])[1]


def _both(spec, precision: str, **kw):
    """The numpy and the numba outcome of the same call."""
    return [simulate(spec, precision=precision, kernel=k, **kw)[0] for k in ("numpy", "numba")]


def test_default_samples_structure_and_lags(spec) -> None:
    """The runs below exercise the sampled structural entries and the lever lags."""
    _, drawn = simulate(spec, n_members=8, events=False)
    assert set(structural_names(spec.world)) & set(drawn)
    lags = {f"L.{lv}.lag" for lv in spec.world.levers}
    assert lags & set(drawn)


@pytest.mark.parametrize("events", [False, True])
@pytest.mark.parametrize(("n_members", "chunk"), [(40, 16), (13, 8), (24, 24)])
def test_numba_equals_numpy_float64(spec, events: bool, n_members: int, chunk: int) -> None:
    """Levels to 1e-12 relative, impacts to 1e-12 absolute; partial last blocks included
    (40 = 16 + 16 + 8, 13 = 8 + 5)."""
    a, b = _both(spec, "float64", events=events, n_members=n_members, chunk=chunk)
    np.testing.assert_allclose(b.levels, a.levels, rtol=RTOL, atol=0)
    np.testing.assert_allclose(b.impacts, a.impacts, rtol=0, atol=ATOL)
    if events:
        np.testing.assert_array_equal(b.events.step, a.events.step)
        np.testing.assert_array_equal(b.events.member, a.events.member)


@pytest.mark.parametrize("events", [False, True])
def test_numba_float32_within_one_ulp(spec, events: bool) -> None:
    """The stored float32 levels and impacts are equal or one float32 ulp apart."""
    a, b = _both(spec, "float32", events=events, n_members=24, chunk=16)
    for x, y in ((a.levels, b.levels), (a.impacts, b.impacts)):
        assert x.dtype == y.dtype == np.float32
        ulp = np.spacing(np.maximum(np.abs(x), np.abs(y)))
        assert (np.abs(x - y) <= ulp).all(), np.abs(x - y).max()


def test_numba_bit_identical_across_runs_and_threads(spec) -> None:
    """Two runs, one and two threads: the same bits (three blocks of 16)."""
    runs = [simulate(spec, n_members=40, chunk=16, threads=t, events=False,
                     kernel="numba")[0] for t in (1, 2, 2)]
    for other in runs[1:]:
        np.testing.assert_array_equal(other.levels, runs[0].levels)
        np.testing.assert_array_equal(other.impacts, runs[0].impacts)


@pytest.mark.parametrize("events", [False, True])
def test_numba_does_not_depend_on_block_width(spec, events: bool) -> None:
    """Without BLAS a member's numbers are its own: chunks of 8, 24 and 40 give the same
    bits (models.compiled.kernel_width relies on it)."""
    runs = [simulate(spec, n_members=40, chunk=c, events=events, kernel="numba")[0]
            for c in (8, 24, 40)]
    for other in runs[1:]:
        np.testing.assert_array_equal(other.levels, runs[0].levels)
        np.testing.assert_array_equal(other.impacts, runs[0].impacts)


def test_numba_events_bit_identical_across_runs(spec) -> None:
    """With events the compiled kernel repeats itself bit for bit."""
    a, b = (simulate(spec, n_members=24, chunk=16, kernel="numba")[0] for _ in range(2))
    np.testing.assert_array_equal(a.levels, b.levels)
    np.testing.assert_array_equal(a.impacts, b.impacts)
    np.testing.assert_array_equal(a.events.size, b.events.size)


def test_numba_keep_is_the_full_run_there(spec) -> None:
    """``keep`` (the workshop's quarterly points) stores the full run's numbers there."""
    keep = np.arange(0, spec.world.n_steps + 1, 3)
    full = simulate(spec, n_members=16, events=False, kernel="numba")[0]
    part = simulate(spec, n_members=16, events=False, kernel="numba", keep=keep)[0]
    np.testing.assert_array_equal(part.levels, full.levels[:, keep])
    np.testing.assert_array_equal(part.impacts, full.impacts[:, keep])


def test_config_key_selects_the_kernel() -> None:
    """``ensemble.kernel`` reaches the spec; a bad value is refused naming the key."""
    assert load([])[1].kernel == "numpy"
    assert load(["ensemble.kernel=numba"])[1].kernel == "numba"
    with pytest.raises(ConfigError, match=r"ensemble\.kernel.*'fast'.*numpy"):
        load(["ensemble.kernel=fast"])


def test_kernel_without_numba_is_refused(monkeypatch) -> None:
    """Without numba, ``ensemble.kernel=numba`` is a config error naming the key."""
    from scenarios.config import schema

    monkeypatch.setattr(schema, "available", lambda: False)
    with pytest.raises(ConfigError, match=r"ensemble\.kernel.*numba is not installed"):
        load(["ensemble.kernel=numba"])


def test_command_without_numba_exits_2(tmp_path) -> None:
    """The command: one error line, exit status 2, no folder (numba hidden from the
    process by making ``find_spec`` not find it)."""
    out = tmp_path / "run"
    hide = ("import importlib.util as u, sys; real = u.find_spec; "
            "u.find_spec = lambda n, *a: None if n == 'numba' else real(n, *a); "
            f"sys.argv = ['futures', 'run', 'ensemble.kernel=numba', 'hydra.run.dir={out}']; "
            "from scenarios.cli import main; sys.exit(main())")
    proc = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True,
                          cwd=ROOT, timeout=300, check=False)
    line = one_error_line(proc)
    assert "ensemble.kernel" in line and "numba is not installed" in line
    assert not out.exists()
