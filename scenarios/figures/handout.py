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
from scenarios.figures.policy import html_section, pdf_pages, policy_chapter
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
    "quadrant": (("De toekomsten op de twee assen van de studie, met per toekomst de trends "
                 "die haar het meest onderscheiden (balk: mediaan 2030; streepje: gemiddelde "
                 "van de andere toekomsten)."),
                 ("The futures on the study's two axes, each with the trends that set it "
                 "apart most (bar: median 2030; tick: mean of the other futures).")),
    "fans_compared": (("De elf trends in alle toekomsten: mediaan en de middelste 50% van de "
                      "leden van het ensemble."),
                      ("The eleven trends in every future: median and the middle 50% of the "
                      "ensemble's members.")),
    "fans": ("Waaiers voor {future}: mediaan, 50% en 90% van de leden per trend.",
             "Fan chart for {future}: median, 50% and 90% of the members per trend."),
    "impacts": (("De vijf impactgebieden in het laatste jaar: de hele verdeling over de "
                "leden, niet alleen het gemiddelde."),
                ("The five impact areas in the final year: the whole distribution over the "
                "members, not just the mean.")),
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
    """A PDF page of text: ``blocks`` of (heading, colour, lines) in one or two columns."""
    fig = Figure(figsize=SIZE)
    fig.text(0.04, 0.94, title, fontsize=22, fontweight="bold", va="top")
    width = int((0.9 / columns) * SIZE[0] * 72 / (0.6 * size))  # characters per line
    line_height = 1.45 * size / 72 / SIZE[1]  # figure fraction
    per_column = -(-len(blocks) // columns)
    for c in range(columns):
        y = 0.85
        for heading, colour, lines in blocks[c * per_column:(c + 1) * per_column]:
            fig.text(0.04 + 0.48 * c, y, heading, fontsize=16, fontweight="bold",
                     color=colour, va="top")
            y -= 0.055
            for line in lines:
                wrapped = textwrap.fill(line, width)
                fig.text(0.05 + 0.48 * c, y, wrapped, fontsize=size, va="top")
                y -= line_height * (wrapped.count("\n") + 1) + 0.012
            y -= 0.03
    return fig


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
            pdf.savefig(_text_page(page_text("title", lang),
                                   [(page_text("settings", lang), "black", setting_lines)],
                                   columns=1, size=15))
            blocks = [(name(f, lang), future_colour(f, run.futures), lines)
                      for f, lines in findings.items()]
            pdf.savefig(_text_page(page_text("findings", lang), blocks))
            for stem, fig in figures:  # each page with its caption in a strip below
                engine = fig.get_layout_engine()
                if isinstance(engine, ConstrainedLayoutEngine):
                    engine.set(rect=(0, 0.07, 1, 0.93))
                fig.text(0.5, 0.012, textwrap.fill(caption(stem, lang), 150), ha="center",
                         va="bottom", fontsize=12, color="0.2")
                pdf.savefig(fig)
            if policy is not None:
                pdf_pages(pdf, policy)

    _write_atomic(pdf_path, write_pdf)
    return [html_path, pdf_path]
