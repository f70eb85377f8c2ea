"""``futures report RUN_DIR``: one self-contained HTML handout and a PDF of the same.

The HTML holds everything inline: CSS in a ``<style>`` element and every figure as an SVG
``data:`` URI, so it opens offline and makes no request. The PDF (matplotlib's
:class:`~matplotlib.backends.backend_pdf.PdfPages`) has the same text on its first pages and
then the same figures. Both are written atomically and carry no dates, so the same run gives
the same files.
"""

from __future__ import annotations

import base64
import html
import io
import textwrap
from collections.abc import Callable
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from scenarios.engine.names import REPORT_HTML, REPORT_PDF
from scenarios.engine.storage import atomic_output
from scenarios.figures.base import SIZE, style
from scenarios.figures.data import RunData, open_run
from scenarios.figures.findings import future_findings, say, settings
from scenarios.figures.labels import name
from scenarios.figures.options import Options
from scenarios.figures.policy import html_section, policy_chapter
from scenarios.figures.policy import pdf_pages as policy_pdf_pages
from scenarios.figures.render import draw_all
from scenarios.figures.style import future_colour

HTML_FILE, PDF_FILE = REPORT_HTML, REPORT_PDF

#: Headings and captions: key -> (Dutch, English).
PAGE: dict[str, tuple[str, str]] = {
    "title": ("Digitale toekomsten voor Nederland, 2021\u20132030",
              "Digital futures for the Netherlands, 2021\u20132030"),
    "subtitle": ("Hand-out bij de Toekomstverkenning Digitalisering 2030 (NDS 2021)",
                 "Handout for the foresight study Digitalisation 2030 (NDS 2021)"),
    "settings": ("Wat is gerekend", "What was run"),
    "findings": ("Bevindingen per toekomst", "Findings per future"),
    "figures": ("Figuren", "Figures"),
    "the_futures": ("De vier toekomsten", "The four futures"),
    "ownership": ("eigendom: aandeelhouders \u2192 stakeholders",
                  "ownership: shareholders \u2192 stakeholders"),
    "purpose": ("doel: groei \u2192 brede welvaart", "purpose: growth \u2192 broad welfare"),
    "read": ("Zo leest u de cijfers", "How to read the numbers"),
    "contents": ("Inhoud", "Contents"),
    "page": ("blz. {n}", "p. {n}"),
    "quadrant": (("De toekomsten op de twee assen van de studie, met per toekomst de trends "
                 "die haar het meest onderscheiden (balk: mediaan 2030; streepje: gemiddelde "
                 "van de andere toekomsten)."),
                 ("The futures on the study's two axes, each with the trends that set it "
                 "apart most (bar: median 2030; tick: mean of the other futures).")),
    "fans_compared": (("De elf trends in alle toekomsten: mediaan en de middelste 50% van de "
                      "gesimuleerde werelden."),
                      ("The eleven trends in every future: median and the middle 50% of the "
                      "simulated worlds.")),
    "fans": ("Waaiers voor {future}: mediaan, 50% en 90% van de gesimuleerde werelden per trend.",
             "Fan chart for {future}: median, 50% and 90% of the simulated worlds per trend."),
    "impacts": (("De vijf impactgebieden in het laatste jaar: de hele verdeling over de "
                "gesimuleerde werelden, niet alleen het gemiddelde."),
                ("The five impact areas in the final year: the whole distribution over the "
                "simulated worlds, not just the mean.")),
    "cross_impact": (("De kruisimpactmatrix: hoe sterk elke oorzaak (kolom) een trend (rij) "
                     "per jaar duwt of remt."),
                     ("The cross-impact matrix: how strongly each cause (column) pushes or "
                     "brakes a trend (row) per year.")),
    "events": (("Gebeurtenissen: gemiddeld aantal per lid en jaar, en wanneer EU-regels en "
               "nieuwe kabinetten in elke toekomst komen."),
               ("Events: mean count per member and year, and when EU rules and new cabinets "
               "come in each future.")),
}

CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; max-width: 1280px; margin: 2em auto;
       padding: 0 1.5em; color: #1a1a1a; font-size: 18px; line-height: 1.45; }
h1 { font-size: 2.1em; margin-bottom: 0.1em; }
.subtitle { color: #555; margin-top: 0; }
h2 { border-bottom: 2px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
.futures { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr));
           gap: 1em; }
.future { border-left: 10px solid #888; padding: 0.3em 1em; background: #f7f7f7; }
.future h3 { margin: 0.3em 0; }
figure { margin: 1.5em 0; page-break-inside: avoid; break-inside: avoid; }
figure img { width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #333; margin-top: 0.4em; }
@media print { body { font-size: 12pt; max-width: none; } h2 { page-break-after: avoid; } }
"""


def page_text(key: str, lang: str, **values: object) -> str:
    """Heading or caption ``key`` in ``lang``."""
    nl, en = PAGE[key]
    return (nl if lang == "nl" else en).format(**values)


def caption(figure: str, lang: str) -> str:
    """The caption of figure ``figure`` (a file stem such as ``fans_versnelling``)."""
    if figure.startswith("fans_") and figure != "fans_compared":
        return page_text("fans", lang, future=name(figure.removeprefix("fans_"), lang))
    return page_text(figure, lang)


def _svg(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with style():
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def html_page(run: RunData, lang: str, setting_lines: list[str],
              findings: dict[str, list[str]], figures: list[tuple[str, bytes]]) -> str:
    """The handout as one HTML document: inline CSS, figures as SVG ``data:`` URIs."""
    esc = html.escape
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">',
             f"<title>{esc(page_text('title', lang))}</title>",
             f"<style>{CSS}</style>\n</head>\n<body>",
             f"<h1>{esc(page_text('title', lang))}</h1>",
             f'<p class="subtitle">{esc(page_text("subtitle", lang))}</p>',
             f"<h2>{esc(page_text('settings', lang))}</h2>", "<ul>"]
    parts += [f"<li>{esc(line)}</li>" for line in setting_lines]
    parts += ["</ul>", f"<h2>{esc(page_text('findings', lang))}</h2>", '<div class="futures">']
    for future, lines in findings.items():
        colour = future_colour(future, run.futures)
        parts.append(f'<section class="future" style="border-left-color: {colour}">'
                     f'<h3 style="color: {colour}">{esc(name(future, lang))}</h3><ul>')
        parts += [f"<li>{esc(line)}</li>" for line in lines]
        parts.append("</ul></section>")
    parts += ["</div>", f"<h2>{esc(page_text('figures', lang))}</h2>"]
    for stem, svg in figures:
        data = base64.b64encode(svg).decode("ascii")
        text = esc(caption(stem, lang))
        parts.append(f'<figure id="{stem}"><img src="data:image/svg+xml;base64,{data}" '
                     f'alt="{text}"><figcaption>{text}</figcaption></figure>')
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


def _text_page(title: str, blocks: list[tuple[str, str, list[str]]], *, columns: int = 2,
               size: float = 11.5) -> Figure:
    """A PDF page of text: ``blocks`` of (heading, colour, lines) in one or two columns,
    at ``size`` pt or smaller (down to 8 pt) so that every column ends on the page."""
    per_column = -(-len(blocks) // columns)
    parts = [blocks[c * per_column:(c + 1) * per_column] for c in range(columns)]

    def layout(pt: float) -> list[list[tuple[float, float, str, dict]]]:
        """Per column: (x, y, text, style) of every text, top to bottom."""
        width = int((0.9 / columns) * SIZE[0] * 72 / (0.6 * pt))  # characters per line
        line_height = 1.45 * pt / 72 / SIZE[1]  # figure fraction
        out = []
        for c, part in enumerate(parts):
            y, items = 0.85, []
            for heading, colour, lines in part:
                items.append((0.04 + 0.48 * c, y, heading,
                              {"fontsize": 16, "fontweight": "bold", "color": colour}))
                y -= 0.055
                for line in lines:
                    wrapped = textwrap.fill(line, width)
                    items.append((0.05 + 0.48 * c, y, wrapped, {"fontsize": pt}))
                    y -= line_height * (wrapped.count("\n") + 1) + 0.012
                y -= 0.03
            items.append((0.0, y, "", {}))  # where the column ends
            out.append(items)
        return out

    pt = size
    columns_laid = layout(pt)
    while pt > 8 and min(col[-1][1] for col in columns_laid) < 0.02:
        pt -= 0.5
        columns_laid = layout(pt)
    fig = Figure(figsize=SIZE)
    fig.text(0.04, 0.94, title, fontsize=22, fontweight="bold", va="top")
    for col in columns_laid:
        for x, y, words, look in col[:-1]:
            fig.text(x, y, words, va="top", **look)
    return fig


def _title_page(run: RunData, lang: str, setting_lines: list[str],
                contents: list[tuple[str, int]]) -> Figure:
    """The PDF's first page: title, what was run, how to read a level, the pages that follow,
    and the futures on the study's two axes with one sentence each."""
    fig = Figure(figsize=SIZE)
    fig.text(0.04, 0.95, page_text("title", lang), fontsize=30, fontweight="bold", va="top")
    fig.text(0.04, 0.865, page_text("subtitle", lang), fontsize=16, color="0.3", va="top")
    y = 0.78
    for heading, lines in ((page_text("settings", lang), setting_lines[:-1]),
                           (page_text("read", lang), setting_lines[-1:])):
        fig.text(0.04, y, heading, fontsize=16, fontweight="bold", va="top")
        y -= 0.05
        for line in lines:
            wrapped = textwrap.fill(line, 64)
            fig.text(0.05, y, wrapped, fontsize=12.5, va="top")
            y -= (wrapped.count("\n") + 1) * 1.4 * 12.5 / 72 / SIZE[1] + 0.012
        y -= 0.025
    fig.text(0.04, y, page_text("contents", lang), fontsize=16, fontweight="bold", va="top")
    y -= 0.05
    half = -(-len(contents) // 2)
    for k, (label, page) in enumerate(contents):
        column, row = divmod(k, half)
        fig.text(0.05 + 0.29 * column, y - row * 0.036, f"{page}  {label}", fontsize=11.5,
                 va="top")
    _futures_map(fig.add_axes((0.66, 0.52, 0.3, 0.32)), run, lang)
    about = {t.label: t.meaning(lang) for t in run.study.futures}
    y = 0.41
    for future in run.futures:
        colour = future_colour(future, run.futures)
        fig.text(0.645, y + 0.004, "\u25cf", color=colour, fontsize=16, va="top")
        fig.text(0.667, y, name(future, lang), fontsize=12.5, fontweight="bold", va="top")
        y -= 0.04
        if about.get(future):
            wrapped = textwrap.fill(about[future], 50)
            fig.text(0.667, y, wrapped, fontsize=11, va="top", color="0.2")
            y -= (wrapped.count("\n") + 1) * 1.35 * 11 / 72 / SIZE[1]
        y -= 0.018
    return fig


def contents_label(stem: str, fig: Figure, lang: str) -> str:
    """A figure's line in the contents: its title, or its short part when that is long."""
    if stem.startswith("fans_") and stem != "fans_compared":
        return f"Trends in {name(stem.removeprefix('fans_'), lang)}"  # the same in Dutch
    label = fig.get_suptitle() or stem
    return label if len(label) <= 34 else label.split(":")[0]


def _futures_map(ax, run: RunData, lang: str) -> None:
    """The futures at their position on the two axes (a dot with its name above it)."""
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axvline(0.5, color="0.6", lw=1.2)
    ax.axhline(0.5, color="0.6", lw=1.2)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_xlabel(page_text("ownership", lang), fontsize=11)
    ax.set_ylabel(page_text("purpose", lang), fontsize=11)
    ax.set_title(page_text("the_futures", lang), fontsize=16, fontweight="bold", loc="left")
    if "position" not in run.ds:
        return
    for future in run.futures:
        x, y = (float(v) for v in run.ds.position.sel(future=future).values.reshape(-1, 2)[0])
        ax.plot(x, y, "o", ms=14, color=future_colour(future, run.futures), mec="white",
                mew=1.5, zorder=3, clip_on=False)
        ax.annotate(name(future, lang), (x, y), xytext=(0, 10), textcoords="offset points",
                    ha="center", va="bottom", fontsize=10.5, zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.85})


def pdf_pages(run: RunData, lang: str, setting_lines: list[str],
              findings: dict[str, list[str]], figures: list[tuple[str, Figure]]):
    """Yield the PDF's pages as figures: the title page, the findings, then every figure
    with its caption in a strip below it (call inside :func:`~scenarios.figures.base.style`)."""
    contents = [(page_text("findings", lang), 2)] + \
        [(contents_label(stem, fig, lang), 3 + k) for k, (stem, fig) in enumerate(figures)]
    yield _title_page(run, lang, setting_lines, contents)
    blocks = [(name(f, lang), future_colour(f, run.futures), lines)
              for f, lines in findings.items()]
    yield _text_page(page_text("findings", lang), blocks)
    for k, (stem, fig) in enumerate(figures):  # each page with its caption in a strip below
        engine = fig.get_layout_engine()
        if isinstance(engine, ConstrainedLayoutEngine):
            engine.set(rect=(0, 0.08, 1, 0.92))
        fig.text(0.5, 0.012, textwrap.fill(caption(stem, lang), 125), ha="center",
                 va="bottom", fontsize=13, color="0.15")
        fig.text(0.985, 0.012, str(3 + k), ha="right", va="bottom", fontsize=11, color="0.4")
        yield fig


def _write_atomic(path: Path, write: Callable[[str], object]) -> None:
    with atomic_output(path) as tmp:  # WriteError on a full disk
        write(str(tmp))


def report(run_dir: Path | str, options: Options | None = None, *,
           run: RunData | None = None) -> list[Path]:
    """Write ``report.html`` and ``report.pdf`` into ``run_dir``.

    Parameters
    ----------
    run_dir : path
        A folder holding ``outcomes.nc`` (a run) or ``sweep.nc`` (a sweep).
    options : Options, optional
        ``lang`` picks the language of the handout (default ``nl``).
    run : RunData, optional
        The folder's data if already read with :func:`~scenarios.figures.data.open_run`.

    Returns
    -------
    list of Path
        The HTML and the PDF file.

    Raises
    ------
    ConfigError
        If the folder is missing or empty or its file is truncated or foreign; nothing is
        written then.
    """
    options = options or Options()
    lang = options.lang
    run = run or open_run(run_dir)
    folder = Path(run_dir)
    setting_lines = settings(run, lang) + [say("levels", lang)]  # what a level means
    findings = {f: future_findings(run, f, lang) for f in run.futures}
    figures: list[tuple[str, Figure]] = list(draw_all(run, options, what="report"))
    svgs = [(stem, _svg(fig)) for stem, fig in figures]
    page = html_page(run, lang, setting_lines, findings, svgs)
    policy = policy_chapter(folder, lang)  # robustness/portfolio/discover/plane beside the run
    if policy is not None:
        page = page.replace("</body>", html_section(policy) + "\n</body>", 1)
    html_path, pdf_path = folder / HTML_FILE, folder / PDF_FILE
    _write_atomic(html_path, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))

    def write_pdf(tmp: str) -> None:
        meta = {"Title": page_text("title", lang), "CreationDate": None, "ModDate": None}
        with style(), PdfPages(tmp, metadata=meta) as pdf:
            for page in pdf_pages(run, lang, setting_lines, findings, figures):
                pdf.savefig(page)
            if policy is not None:
                policy_pdf_pages(pdf, policy)

    _write_atomic(pdf_path, write_pdf)
    return [html_path, pdf_path]
