"""`futures plot` and `futures report`: every figure for a run and a sweep, their size and
content, the language switch, determinism, an image regression, the self-contained handout,
and clear errors for missing, truncated and foreign inputs (through the real command)."""

from __future__ import annotations

import base64
import io
import re
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.image import imread
from matplotlib.testing.compare import compare_images
from matplotlib.text import Text

from scenarios.config.errors import ConfigError
from scenarios.figures.base import save, style
from scenarios.figures.data import open_run
from scenarios.figures.findings import changes, future_findings, settings
from scenarios.figures.options import Options, parse_options
from scenarios.figures.render import Progress, figure_list, plot
from scenarios.figures.style import display_name
from scenarios.figures.trends import fans, key_trends
from tests import plotting_fixtures
from tests.conftest import futures_cli, one_error_line
from tests.plotting_fixtures import FIGURE_STEMS, RUN_FUTURES, SWEEP_FUTURES, synthetic_run

#: The session fixtures: a small run and a small sweep made by `futures run`.
small_run = plotting_fixtures.small_run
small_sweep = plotting_fixtures.small_sweep

GOLDEN = Path(__file__).resolve().parent / "golden"


def texts(fig) -> str:
    """Every string drawn on a figure, joined."""
    return " | ".join(t.get_text() for t in fig.findobj(Text) if t.get_text())


def assert_not_blank(path: Path) -> None:
    """A PNG of 1920 x 1080 whose pixels vary (something is drawn)."""
    image = imread(path)
    assert image.shape[:2] == (1080, 1920), path.name
    grey = image[..., :3].mean(axis=-1)
    assert grey.std() > 0.05, f"{path.name} looks blank (pixel std {grey.std():.3f})"
    assert (grey < 0.5).mean() > 0.005, f"{path.name} has almost no dark ink"


# ------------------------------------------------------------------ figures through the CLI


@pytest.fixture(scope="session")
def plotted_run(small_run):
    done = futures_cli("plot", str(small_run))
    assert done.returncode == 0, done.stderr
    return small_run, done


@pytest.fixture(scope="session")
def plotted_sweep(small_sweep):
    done = futures_cli("plot", str(small_sweep), "plot.lang=en", "plot.format=pdf")
    assert done.returncode == 0, done.stderr
    return small_sweep, done


def test_plot_writes_every_figure_of_a_run(plotted_run):
    """Each figure as a 1920x1080 PNG and an SVG; the figures folder is the last line."""
    run_dir, done = plotted_run
    folder = run_dir / "figures"
    assert done.stdout.strip().splitlines()[-1] == str(folder)
    assert done.stderr == ""  # progress only on a terminal
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{s}.{e}" for s in FIGURE_STEMS for e in ("png", "svg"))
    for stem in FIGURE_STEMS:
        assert_not_blank(folder / f"{stem}.png")
        svg = (folder / f"{stem}.svg").read_text()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg and len(svg) > 20_000


def test_plot_writes_every_figure_of_a_sweep(plotted_sweep):
    """A sweep root (sweep.nc) gives the same figures, for its futures, with PDF vectors."""
    sweep_dir, _ = plotted_sweep
    folder = sweep_dir / "figures"
    stems = ["quadrant", "fans_compared", *[f"fans_{f}" for f in SWEEP_FUTURES], "impacts",
             "cross_impact", "events"]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"{s}.{e}" for s in stems for e in ("png", "pdf"))
    for stem in stems:
        assert_not_blank(folder / f"{stem}.png")
        assert (folder / f"{stem}.pdf").read_bytes().startswith(b"%PDF")


def test_sweep_figures_show_the_swept_values(small_sweep):
    """One median line per swept value in each fan panel; the values in the legend."""
    run = open_run(small_sweep)
    assert run.swept == ["seed"] and [v.label for v in run.variants] == ["seed=1", "seed=2"]
    with style():
        fig = fans(run, "versnelling", Options(lang="en"))
    first = fig.axes[0]
    assert len(first.get_lines()) == 2
    medians = [line.get_ydata()[-1] for line in first.get_lines()]
    expected = [float(run.view(v).level.sel(future="versnelling", trend="mega_ecosystemen")
                      .isel(time=-1).median()) for v in run.variants]
    np.testing.assert_allclose(medians, expected, rtol=1e-6)
    legend = [t.get_text() for t in fig.axes[11].get_legend().get_texts()]
    assert legend == ["1", "2"]
    assert fig.axes[11].get_legend().get_title().get_text() == "seed"


def test_fan_chart_draws_the_member_quantiles(small_run):
    """The median line and the 90% band are the member quantiles of the data."""
    run = open_run(small_run)
    with style():
        fig = fans(run, "radicale_markten", Options())
    ax = fig.axes[1]  # decentralisering
    level = run.ds.level.sel(future="radicale_markten", trend="decentralisering")
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(),
                               level.median("member").values, rtol=1e-6)
    band90 = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band90.max() == pytest.approx(float(level.quantile(0.95, "member").max()), rel=1e-6)


def test_language_switch_changes_every_figure(small_run):
    """plot.lang=en and nl draw different labels, from the catalogue and the label table."""
    run = open_run(small_run)
    drawn = {}
    for lang in ("nl", "en"):
        with style():
            drawn[lang] = [texts(draw()) for _, draw in figure_list(run, Options(lang=lang))]
    for lang, words, absent in (("nl", ["Versnelling", "Mega Ecosystemen", "Veiligheid"],
                                 "Acceleration"),
                                ("en", ["Acceleration", "Mega ecosystems", "Security"],
                                 "Versnelling")):
        everything = " ".join(drawn[lang])
        for word in words:
            assert word in everything, (lang, word)
        assert absent not in everything
    assert all(a != b for a, b in zip(drawn["nl"], drawn["en"]))


def test_quadrant_sketches_the_distinguishing_trends(small_run):
    """The quadrant names, per future, the trends furthest from the other futures."""
    run = open_run(small_run)
    med = run.ds.level.isel(time=-1).median("member")
    for future in RUN_FUTURES:
        gap = abs(med.sel(future=future) - med.drop_sel(future=future).mean("future"))
        assert key_trends(run, future, 1) == [str(gap.idxmax("trend").item())]
    with style():
        drawn = texts(figure_list(run, Options(lang="en"))[0][1]())
    assert all(t in drawn for t in ("Acceleration", "Level playing field", "ownership"))


def test_same_input_same_files(small_run, tmp_path):
    """Figures are byte-identical when drawn twice (no dates, salted SVG ids)."""
    run = open_run(small_run)
    stem, draw = figure_list(run, Options())[0]
    for folder in ("a", "b"):
        with style():
            save(draw(), tmp_path / folder, stem, Options())
            save(draw(), tmp_path / folder / "pdf", stem, Options(format="pdf"))
    for name in (f"{stem}.png", f"{stem}.svg", f"pdf/{stem}.pdf"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_image_regression_against_reference(tmp_path):
    """The fan chart of a synthetic dataset matches tests/golden/fans_reference.png within a
    tolerance (regenerate with tests/golden/make_plot_reference.py, see docs/figures.md)."""
    from tests.golden.make_plot_reference import REFERENCE, render

    actual = render(tmp_path / "fans.png")
    assert compare_images(str(REFERENCE), str(actual), tol=2) is None


def test_image_regression_notices_a_change(tmp_path):
    """The comparison above fails when the drawing differs (it can fail)."""
    from tests.golden.make_plot_reference import REFERENCE

    image = imread(REFERENCE).copy()
    image[40:120, 60:200, :3] = 0.0  # a black block over a panel
    changed = tmp_path / "changed.png"
    import matplotlib.pyplot as plt

    plt.imsave(changed, image)
    assert compare_images(str(REFERENCE), str(changed), tol=2) is not None


def test_synthetic_dataset_is_readable_as_a_run(tmp_path):
    """open_run accepts any outcomes file with the contract's variables (not only ours)."""
    synthetic_run().to_netcdf(tmp_path / "outcomes.nc", engine="h5netcdf")
    run = open_run(tmp_path)
    assert run.futures == ["versnelling", "gelijk_speelveld"] and not run.is_sweep
    assert run.config["cross_impact"]["mega_ecosystemen"]["eu_regulation"] == -0.5


# ------------------------------------------------------------------ report


@pytest.fixture(scope="session")
def reported_run(small_run):
    done = futures_cli("report", str(small_run), "plot.lang=en")
    assert done.returncode == 0, done.stderr
    return small_run, done


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|@import|url\(\s*["']?"""
                      r"""\s*(?:https?:)?//""", re.IGNORECASE)


def test_report_is_self_contained(reported_run):
    """report.html references nothing outside itself, also inside the embedded SVGs."""
    run_dir, done = reported_run
    assert done.stdout.split() == [str(run_dir / "report.html"), str(run_dir / "report.pdf")]
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert not EXTERNAL.search(page)
    assert "<style>" in page and "<link" not in page and "<script" not in page
    images = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == len(FIGURE_STEMS)
    for data in images:
        svg = base64.b64decode(data).decode("utf-8")
        assert "<svg" in svg
        assert not EXTERNAL.search(svg)
        assert not re.search(r'xlink:href="(?!#|data:)', svg)  # references within the SVG


def test_external_url_check_can_fail():
    """The pattern above catches the usual ways a page loads something from outside."""
    for bad in ('<img src="https://x.org/a.png">', "<a href='http://x'>", "@import 'a.css';",
                "background: url(https://x/y.png)", '<script src="//cdn.x/y.js">'):
        assert EXTERNAL.search(bad), bad
    assert not EXTERNAL.search('<img src="data:image/svg+xml;base64,AAAA">')


def test_report_says_what_was_run(reported_run):
    """Settings in words (futures, members, seed, design, events, changes) and findings."""
    run_dir, _ = reported_run
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    for phrase in ("Acceleration, Conditional growth, Radical markets, Level playing field",
                   "16 simulated worlds per future", "seed 5", "latin_hypercube design",
                   "Events (cyber incidents", "Changed from the defaults: ensemble.members=16",
                   "Largest rise:", "Best impact in 2030:", "Findings per future"):
        assert phrase in page, phrase
    pdf = (run_dir / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages == 2 + len(FIGURE_STEMS)
    assert b"CreationDate" not in pdf


def test_settings_of_a_sweep_and_the_changes(small_sweep):
    """A sweep names its swept key and values; changes() lists only what differs."""
    run = open_run(small_sweep)
    lines = settings(run, "en")
    assert lines[0] == "Each run: Acceleration, Level playing field (2 futures), 16 simulated " \
        "worlds per future, latin_hypercube design, 2021\u20132030."
    assert "A sweep over seed: 2 runs (seed=1; seed=2)." in lines
    assert "Changed from the defaults: ensemble.members=16, " \
        "futures=[versnelling,gelijk_speelveld]." in lines
    assert changes({"a": {"b": 1, "c": 2, "e": True}}, {"a": {"b": 1, "c": 3, "d": 4}}) == \
        ["a.c=2", "~a.d", "a.e=true"]


def test_findings_follow_the_data(small_run):
    """The 'largest rise' sentence names the trend whose median rises most."""
    run = open_run(small_run)
    level = run.ds.level.sel(future="gelijk_speelveld").median("member")
    rise = (level.isel(time=-1) - level.isel(time=0))
    from scenarios.figures.labels import name

    expected = name(str(rise.idxmax("trend").item()), "nl")
    assert future_findings(run, "gelijk_speelveld", "nl")[0].startswith(
        f"Sterkste stijging: {expected} van")


def _colour_pixels(fig, colour: str, tol: float = 0.06) -> int:
    """How many pixels inside the figure's trend panels are ``colour`` (within ``tol`` per
    channel), at 1920 x 1080."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(150)
    canvas.draw()
    image = np.asarray(canvas.buffer_rgba())[..., :3] / 255
    rgb = np.array([int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    hit = (np.abs(image - rgb) < tol).all(axis=-1)
    height = image.shape[0]
    total = 0
    for ax in fig.axes[:11]:
        box = ax.get_window_extent()
        total += int(hit[int(height - box.y1):int(height - box.y0),
                         int(box.x0):int(box.x1)].sum())
    return total


def test_a_median_under_another_stays_visible(tmp_path):
    """Two futures with the same numbers: both medians show (a thinner line inside a
    wider one), not one hidden under the other."""
    from scenarios.figures.style import FUTURE_COLOURS
    from scenarios.figures.trends import compared_width, fans_compared

    ds = synthetic_run()
    ds["level"][1] = ds["level"][0]  # gelijk_speelveld drawn exactly over versnelling
    ds.to_netcdf(tmp_path / "outcomes.nc", engine="h5netcdf")
    run = open_run(tmp_path)
    with style():
        fig = fans_compared(run, Options(lang="en"))
    lines = [line for line in fig.axes[0].get_lines()]
    assert [line.get_color() for line in lines] == [FUTURE_COLOURS["versnelling"],
                                                    FUTURE_COLOURS["gelijk_speelveld"]]
    assert lines[0].get_linewidth() == compared_width(0, 2) > lines[1].get_linewidth()
    assert lines[0].get_zorder() < lines[1].get_zorder()  # the thinner one on top
    for colour in (FUTURE_COLOURS["versnelling"], FUTURE_COLOURS["gelijk_speelveld"]):
        assert _colour_pixels(fig, colour) > 2000, colour  # both colours on every panel
    plt.close(fig)


def test_event_markers_of_one_year_sit_side_by_side(small_run):
    """Equal yearly counts of two futures are markers beside each other, never on top."""
    from scenarios.figures.timeline import DODGE, dodge, event_timeline

    assert dodge(0, 1) == 0.0 and dodge(0, 4) == -DODGE / 2 and dodge(3, 4) == DODGE / 2
    run = open_run(small_run)
    with style():
        fig = event_timeline(run, Options(lang="en"))
    panel = fig.axes[0]  # the first kind's counts, one line per future
    xs = [line.get_xdata() for line in panel.get_lines() if line.get_marker() == "o"]
    assert len(xs) == 4
    first = sorted(float(x[0]) for x in xs)
    assert min(np.diff(first)) == pytest.approx(DODGE / 3)  # apart within each year
    assert first[-1] - first[0] < 1.0  # and still inside that year
    plt.close(fig)


def test_the_pdf_has_a_title_page_and_captions(small_run):
    """Page 1 is a title page (title, what was run, how to read a level, contents with page
    numbers, the futures on the axes), not a few lines; every figure page has its caption
    and its number."""
    from scenarios.figures.handout import caption, pdf_pages

    run = open_run(small_run)
    lines = settings(run, "en") + ["A level is ..."]
    findings = {f: future_findings(run, f, "en") for f in run.futures}
    figures = [(stem, plt.figure()) for stem in FIGURE_STEMS]
    for stem, fig in figures:
        fig.suptitle(f"title of {stem}")
    with style():
        pages = list(pdf_pages(run, "en", lines, findings, figures))
    assert len(pages) == 2 + len(FIGURE_STEMS)
    title = pages[0]
    words = [t.get_text().replace("\n", " ") for t in title.findobj(Text) if t.get_text()]
    assert title.texts[0].get_text() == "Digital futures for the Netherlands, 2021\u20132030"
    assert max(t.get_fontsize() for t in title.texts) >= 28
    for phrase in ("What was run", "How to read the numbers", "Contents", "The four futures",
                   "2  Findings per future", "3  title of quadrant",
                   "5  Trends in Acceleration", f"{2 + len(FIGURE_STEMS)}  title of events",
                   "Shareholder model, economic growth: big tech keeps the platforms."):
        assert phrase in words, phrase
    assert len(words) >= 25  # a full page, not four lines on an empty slide
    dots = [line for ax in title.axes for line in ax.get_lines() if line.get_marker() == "o"]
    assert len(dots) == 4
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    for page in pages[:2]:  # every word of the text pages on the page
        renderer = FigureCanvasAgg(page).get_renderer()
        for t in page.texts:
            box = t.get_window_extent(renderer)
            assert box.y0 >= 0 and box.x1 <= page.bbox.width + 1, t.get_text()[:40]
    for k, (stem, fig) in enumerate(figures):
        texts_on = [t.get_text() for t in fig.texts]
        assert any(caption(stem, "en").split(" ")[0] in t for t in texts_on)
        assert str(3 + k) in texts_on  # page number
        plt.close(fig)


def test_impact_panels_share_one_scale(tmp_path):
    """Every area's panel has the same y range, which holds every area's members."""
    from scenarios.figures.impacts import impact_violins

    ds = synthetic_run()
    ds["impact"][0, :, -1, 2] = 0.9  # one area far above the others
    ds.to_netcdf(tmp_path / "outcomes.nc", engine="h5netcdf")
    run = open_run(tmp_path)
    with style():
        fig = impact_violins(run, Options(lang="en"))
    limits = {ax.get_ylim() for ax in fig.axes[:5]}
    assert len(limits) == 1
    low, high = limits.pop()
    final = ds.impact.isel(time=-1).values
    assert low <= final.min() and high >= 0.9
    plt.close(fig)


def test_dutch_findings_write_decimal_commas(small_run):
    run = open_run(small_run)
    words = " ".join(future_findings(run, "versnelling", "nl"))
    assert re.search(r"\d,\d\d", words) and not re.search(r"\d\.\d", words)


def test_findings_name_no_fall_when_nothing_falls(tmp_path):
    """A fall of a few hundredths is not called the largest fall."""
    ds = synthetic_run()
    level = ds["level"].values
    ds["level"][0] = np.maximum.accumulate(level[0], axis=1)  # versnelling only rises
    ds.to_netcdf(tmp_path / "outcomes.nc", engine="h5netcdf")
    run = open_run(tmp_path)
    words = future_findings(run, "versnelling", "en")
    assert words[1] == "No trend falls by more than 0.05: what is there stays."
    falls = future_findings(run, "gelijk_speelveld", "en")[1]
    assert falls.startswith("Largest fall: ") and "(" in falls  # its levels named in words


def test_progress_only_on_a_terminal():
    """Progress lines go to a terminal and nowhere else."""
    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        progress = Progress("plot", 2, stream)
        progress.step(1, "quadrant")
        progress.close()
    assert "futures: plot 1/2 quadrant" in tty.getvalue()
    assert pipe.getvalue() == ""


# ------------------------------------------------------------------ bad input


def assert_clean_error(done, *fragments: str) -> None:
    line = one_error_line(done)
    for fragment in fragments:
        assert fragment in line, (fragment, line)


@pytest.fixture
def broken_dirs(small_run, tmp_path) -> dict[str, Path]:
    """Folders with a missing, truncated, foreign or non-netCDF outcomes file."""
    real = (small_run / "outcomes.nc").read_bytes()
    dirs = {name: tmp_path / name for name in ("empty", "truncated", "foreign", "text",
                                               "half", "sweep_truncated")}
    for folder in dirs.values():
        folder.mkdir()
    (dirs["truncated"] / "outcomes.nc").write_bytes(real[:4096])
    (dirs["half"] / "outcomes.nc").write_bytes(real[: len(real) // 2])
    (dirs["sweep_truncated"] / "sweep.nc").write_bytes(real[:20_000])
    xr.Dataset({"temperature": ("x", np.arange(3.0))}).to_netcdf(
        dirs["foreign"] / "outcomes.nc", engine="h5netcdf")
    (dirs["text"] / "outcomes.nc").write_text("not a netCDF file\n")
    return dirs


@pytest.mark.parametrize("command", ["plot", "report"])
def test_missing_truncated_and_foreign_inputs(command, broken_dirs, tmp_path):
    """Each gives one line naming the folder or file and what is wrong; nothing written."""
    cases = {
        "empty": ("holds neither outcomes.nc",),
        "truncated": ("outcomes.nc", "cannot be read as netCDF-4"),
        "half": ("outcomes.nc", "cannot be read"),
        "sweep_truncated": ("sweep.nc", "cannot be read"),
        "foreign": ("not a futures outcomes file: no variable 'level'",),
        "text": ("cannot be read as netCDF-4",),
    }
    if command == "report":  # the same reader as plot: three cases suffice
        cases = {k: cases[k] for k in ("empty", "truncated", "foreign")}
    for name, fragments in cases.items():
        done = futures_cli(command, str(broken_dirs[name]))
        assert_clean_error(done, *fragments)
        assert sorted(p.name for p in broken_dirs[name].iterdir()) in (
            [], ["outcomes.nc"], ["sweep.nc"]), name
    assert_clean_error(futures_cli(command, str(tmp_path / "nowhere")), "no such folder")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert_clean_error(futures_cli(command, str(a_file)), "not a folder")


@pytest.mark.parametrize("args,fragments", [
    (["plot.lang=fr"], ("plot.lang='fr'", "['nl', 'en']")),
    (["plot.format=gif"], ("plot.format='gif'", "['svg', 'pdf']")),
    (["plot.lang=en", "plot.dpi=72"], ("plot.dpi='72'", "150 to 600")),
])
def test_bad_options_give_one_line(small_run, args, fragments, tmp_path):
    """Bad plot.KEY=VALUE arguments: one line, exit 2, no figures folder made."""
    target = tmp_path / "run"
    shutil.copytree(small_run, target, ignore=shutil.ignore_patterns("figures", "report.*"))
    assert_clean_error(futures_cli("plot", str(target), *args), *fragments)
    assert not (target / "figures").exists()


def test_run_dir_is_required():
    """`futures plot` without a folder, or with an option first, says what it expects."""
    assert_clean_error(futures_cli("plot"), "RUN_DIR=''", "usage: futures plot RUN_DIR")
    assert_clean_error(futures_cli("report", "plot.lang=en"), "RUN_DIR='plot.lang=en'")
    done = futures_cli("plot", "--help")
    assert done.returncode == 0 and "plot.lang=nl|en" in done.stdout


def test_parse_options():
    """Both plot.KEY and KEY are accepted; defaults are nl, svg, 150 dpi."""
    assert parse_options([]) == Options("nl", "svg", 150)
    assert parse_options(["lang=en", "plot.dpi=300", "plot.format=pdf"]) == \
        Options("en", "pdf", 300)
    for args, message in (
            (["plot.lang=de"], r"plot.lang='de': expected one of \['nl', 'en'\]"),
            (["plot.format=gif"], r"plot.format='gif': expected one of \['svg', 'pdf'\]"),
            (["plot.dpi=lots"], r"plot.dpi='lots': expected an integer from 150 to 600"),
            (["dpi=601"], r"plot.dpi='601': expected an integer from 150 to 600"),
            (["plot.colour=red"], r"plot.colour='red': unknown key"),
            (["lang"], r"argument='lang': expected KEY=VALUE")):
        with pytest.raises(ConfigError, match=message):
            parse_options(args)


def test_plot_keeps_earlier_figures_when_input_is_bad(small_run, tmp_path):
    """A failed replot (file replaced by a foreign one) leaves the earlier figures intact."""
    target = tmp_path / "run"
    shutil.copytree(small_run, target, ignore=shutil.ignore_patterns("figures", "report.*"))
    (target / "figures").mkdir()
    (target / "figures" / "quadrant.png").write_bytes(b"earlier")
    xr.Dataset({"x": ("x", [1.0])}).to_netcdf(target / "outcomes.nc", engine="h5netcdf")
    with pytest.raises(ConfigError):
        plot(target)
    assert (target / "figures" / "quadrant.png").read_bytes() == b"earlier"


def test_run_without_events_says_so(tmp_path):
    """With events.enabled=false there is no event data: the figure says events are off."""
    synthetic_run().to_netcdf(tmp_path / "outcomes.nc", engine="h5netcdf")
    run = open_run(tmp_path)
    stems = [stem for stem, _ in figure_list(run, Options(lang="en"))]
    assert stems == ["quadrant", "fans_compared", "fans_versnelling", "fans_gelijk_speelveld",
                     "impacts", "cross_impact", "events"]
    with style():
        drawn = texts(figure_list(run, Options(lang="en"))[-1][1]())
    assert "Events are switched off in this run (events.enabled=false)" in drawn
    assert settings(run, "en", default={})[1] == "Events are off: the continuous model."


def test_zarr_run_is_plotted(tmp_path):
    """A run written with output.format=zarr (outcomes.zarr) gives the same figures."""
    run_dir = tmp_path / "zarr"
    done = futures_cli("run", "output.format=zarr", "ensemble.members=8",
                       "futures=[versnelling,gelijk_speelveld]", f"hydra.run.dir={run_dir}")
    assert done.returncode == 0, done.stderr
    run = open_run(run_dir)
    assert run.path.name == "outcomes.zarr" and run.futures == ["versnelling",
                                                                "gelijk_speelveld"]
    stem, draw = figure_list(run, Options())[-3]  # impacts
    with style():
        save(draw(), run_dir / "figures", stem, Options())
    assert_not_blank(run_dir / "figures" / "impacts.png")
    (run_dir / "outcomes.zarr" / ".zmetadata").write_text("{not json")
    assert_clean_error(futures_cli("plot", str(run_dir)), "outcomes.zarr",
                       "cannot be read as a zarr store")


def test_large_runs_are_read_at_evenly_spaced_members(small_run, monkeypatch):
    """Above MAX_MEMBERS only evenly spaced members are read, and the figures say so."""
    from scenarios.figures import data

    monkeypatch.setattr(data, "MAX_MEMBERS", 6)
    run = open_run(small_run)
    assert run.ds.sizes["member"] == 6 and run.members_total == 16
    assert list(run.ds.member.values) == [0, 3, 6, 9, 12, 15]
    with style():
        drawn = texts(fans(run, "versnelling", Options(lang="en")))
    assert "16 simulated worlds per future (quantiles from 6 evenly spaced worlds)" in drawn
    assert "16 simulated worlds per future" in settings(run, "en", default={})[0]


def test_write_failure_is_one_line_with_status_1(small_run, tmp_path):
    """A figures path that cannot be written (here: a file in the way) is not bad input:
    one line naming the path, exit status 1, nothing half-written."""
    target = tmp_path / "run"
    shutil.copytree(small_run, target, ignore=shutil.ignore_patterns("figures", "report.*"))
    (target / "figures").write_text("in the way")
    done = futures_cli("plot", str(target))
    assert done.returncode == 1, done.stderr
    line = done.stderr.strip()
    assert line.startswith("futures: error: output=") and "could not be written" in line
    assert "\n" not in line and "Traceback" not in done.stderr
    assert (target / "figures").read_text() == "in the way"
    assert sorted(p.name for p in target.iterdir() if p.name.startswith(".")) == [".hydra"]


# ------------------------------------------------- the robustness and plane figures (issue 17)


@pytest.fixture(scope="module")
def analysis_runs(tmp_path_factory):
    """A tiny `futures robustness` and `futures plane` run through the real command."""
    from tests.conftest import futures_cli

    root = tmp_path_factory.mktemp("analyses")
    rob = futures_cli("robustness", "ensemble.members=8", "seed=5",
                      "robustness.include=[reference,all_high,austerity]",
                      f"hydra.run.dir={root / 'rob'}")
    assert rob.returncode == 0, rob.stderr
    plane = futures_cli("plane", "plane.grid=3", "plane.members=4", "seed=3",
                        f"hydra.run.dir={root / 'plane'}")
    assert plane.returncode == 0, plane.stderr
    return root


@pytest.mark.parametrize(("folder", "png"), [("rob", "robustness.png"), ("plane", "plane.png")])
def test_analysis_figures_are_1920_by_1080_like_the_others(analysis_runs, folder, png):
    from PIL import Image

    with Image.open(analysis_runs / folder / png) as image:
        assert image.size == (1920, 1080)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_analysis_figures_speak_one_language(analysis_runs, lang):
    """Titles in the chosen language only: no second language, no raw labels."""
    from scenarios.analysis.plane.report import figure as plane_figure
    from scenarios.analysis.robustness.report import figure as regret_figure

    other = "nl" if lang == "en" else "en"
    with xr.open_dataset(analysis_runs / "rob" / "robustness.nc") as rob, \
            xr.open_dataset(analysis_runs / "plane" / "plane.nc") as plane:
        figs = [regret_figure(rob.load(), lang), plane_figure(plane.load(), lang)]
    try:
        for fig in figs:
            words = " ".join(t.get_text() for t in fig.findobj(Text)).replace("\n", " ")
            for area in rob.area.values:
                assert display_name(str(area), lang) in words
                assert display_name(str(area), other) not in words
            assert "_" not in words  # no raw label such as "eu_regulation target"
    finally:
        for fig in figs:
            plt.close(fig)
