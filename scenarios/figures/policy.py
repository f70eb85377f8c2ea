"""The policy chapter of ``futures report``: robust settings and portfolios with their cost,
where each fails, and the axis-plane map, in words for a policy reader (NL or EN).

It is made from the files that ``futures robustness`` (``robustness.nc``), ``futures
portfolio`` (``portfolios.nc``), ``futures discover`` (``discovery.csv``) and ``futures plane``
(``plane.nc``) write, found in the report's folder or its direct subfolders. On a run's folder
the chapter follows the handout's own pages; on a folder holding only those files the report
is the chapter alone. The chapter speaks of *simulated worlds*, never of members or seeds.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.image
import numpy as np
import xarray as xr
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from scenarios.config.errors import ConfigError
from scenarios.engine.names import (
    DISCOVERY_CSV,
    PLANE,
    PORTFOLIOS,
    REPORT_HTML,
    REPORT_PDF,
    ROBUSTNESS,
    RUN_FILES,
)
from scenarios.engine.storage import atomic_output
from scenarios.figures.base import SIZE, style
from scenarios.figures.pareto import figure as pareto_figure
from scenarios.figures.plane import figure as plane_figure
from scenarios.figures.regret import figure as regret_figure
from scenarios.figures.regret import setting_name
from scenarios.figures.style import display_name

#: How many portfolios the chapter describes (the search's best by mean bad-luck outcome).
SHOWN_PORTFOLIOS = 4

#: The chapter's words: key -> (Dutch, English).
WORDS: dict[str, tuple[str, str]] = {
    "chapter": ("Beleid: wat houdt stand in elke toekomst?",
                "Policy: what holds up in every future?"),
    "intro": (("Deze pagina's vergelijken beleidskeuzes voor de zes NDS-programma's in alle "
              "vier toekomsten, telkens in dezelfde gesimuleerde werelden, zodat verschillen "
              "door het beleid komen. Bedragen zijn publiek geld in miljoen euro per jaar; het "
              "programma van 2021 kost {ref:.0f} miljoen, het budget is {budget:.0f} miljoen."),
              ("These pages compare policy choices for the six NDS programmes in all four "
              "futures, each time in the same simulated worlds, so the differences are the "
              "policy's doing. Amounts are public money in EUR million a year; the 2021 "
              "programme costs {ref:.0f} million, the budget is {budget:.0f} million.")),
    "settings": ("Beleidskeuzes vergeleken", "Policy choices compared"),
    "within": (("Binnen het budget houdt \u201c{name}\u201d ({cost:.0f} mln/jaar) het best "
               "stand: in geen toekomst en geen gebied verliest het meer dan {regret:.3f} "
               "op de impactindex ten opzichte van de beste vergeleken keuze."),
               ("Within the budget \u201c{name}\u201d (EUR {cost:.0f} m/yr) holds up best: in "
               "no future and no area does it lose more than {regret:.3f} on the impact index "
               "against the best choice compared.")),
    "bought": (("\u201c{name}\u201d komt overal het dichtst bij de beste keuze (verliest hooguit "
               "{regret:.3f}) maar kost {cost:.0f} mln/jaar, {times:.1f} keer het budget: die "
               "winst is gekocht, niet gratis."),
               ("\u201c{name}\u201d comes closest to the best choice everywhere (it loses at "
               "most {regret:.3f}) but costs EUR {cost:.0f} m/yr, {times:.1f} times the "
               "budget: that gain is bought, not free.")),
    "depends": (("Welke keuze het best is, hangt af van de toekomst in {n} van de {total} "
                "gebieden:"),
                "Which choice is best depends on the future in {n} of the {total} areas:"),
    "same": ("De beste keuze is in elk gebied dezelfde in alle toekomsten.",
             "The best choice is the same in every future in every area."),
    "portfolios": ("Robuuste pakketten binnen het budget", "Robust portfolios within the budget"),
    "search": (("Een zoektocht over alle zes programma's tegelijk vond {n} pakketten binnen "
               "{budget:.0f} mln/jaar waarvan geen ander in elk gebied beter is voor minder "
               "geld; geen ervan verdubbelt alles. Hieronder de {shown} met de beste uitkomst "
               "bij tegenslag (de 10% slechtste gesimuleerde werelden)."),
               ("A search over all six programmes at once found {n} portfolios within EUR "
               "{budget:.0f} m/yr that no other beats in every area for less money; none of "
               "them doubles everything. Below the {shown} with the best outcome in bad luck "
               "(the worst 10% of simulated worlds).")),
    "portfolio": ("{name} ({cost:.0f} mln/jaar, tussen {low:.0f} en {high:.0f}): {levers}.",
                  "{name} (EUR {cost:.0f} m/yr, between {low:.0f} and {high:.0f}): {levers}."),
    "gains": ("Bij tegenslag beter dan 2021 voor {better}; levert in op {worse}.",
              "In bad luck better than 2021 for {better}; gives up {worse}."),
    "fails": ("Slechter dan in 2021 (helft van de werelden) in: {where}.",
              "Worse than in 2021 (half of the worlds) in: {where}."),
    "holds": (("Blijft in elke toekomst en elk gebied minstens op het niveau van 2021 (helft "
              "van de werelden)."),
              ("Stays at least at the 2021 level in every future and area (half of the "
              "worlds).")),
    "nothing": ("niets", "nothing"),
    "raises": ("meer {what}", "more {what}"),
    "lowers": ("minder {what}", "less {what}"),
    "failure": ("Waar het aanbevolen beleid faalt", "Where the recommended policy fails"),
    "failing": (("\u201c{name}\u201d ({cost:.0f} mln/jaar) faalt in {share:.0%} van de "
                "gesimuleerde werelden: daar eindigt {what} in {year:g} onder {threshold:g} "
                "(0 = als in 2021)."),
                ("\u201c{name}\u201d (EUR {cost:.0f} m/yr) fails in {share:.0%} of the "
                "simulated worlds: there {what} ends below {threshold:g} in {year:g} (0 = as "
                "in 2021).")),
    "any": ("een van de gebieden", "one of the areas"),
    "box": (("De mislukkingen liggen vooral waar (een kader met {coverage:.0%} van alle "
            "mislukkingen; binnen het kader faalt {density:.0%}):"),
            ("The failures concentrate where (a box holding {coverage:.0%} of all failures; "
            "inside it {density:.0%} fail):")),
    "signpost": (("Dit zijn meetbare signalen: schuift de wereld dit kader in, dan is "
                 "bijsturen nodig."),
                 ("These are measurable signposts: when the world moves into this box, the "
                 "policy needs adjusting.")),
    "nobox": ("Er is geen kader gevonden: de mislukkingen zijn verspreid.",
              "No box was found: the failures are spread out."),
    "above": ("{what} boven {value:.3g} (bereik {low:.3g}\u2013{high:.3g})",
              "{what} above {value:.3g} (range {low:.3g}\u2013{high:.3g})"),
    "below": ("{what} onder {value:.3g} (bereik {low:.3g}\u2013{high:.3g})",
              "{what} below {value:.3g} (range {low:.3g}\u2013{high:.3g})"),
    "between": ("{what} tussen {a:.3g} en {b:.3g} (bereik {low:.3g}\u2013{high:.3g})",
                "{what} between {a:.3g} and {b:.3g} (range {low:.3g}\u2013{high:.3g})"),
    "map": ("De kaart van het vlak", "The map of the plane"),
    "nomap": ("Geen kaart van het vlak in deze map: `futures plane` maakt er een.",
              "No map of the plane in this folder: `futures plane` makes one."),
    "regret_caption": (("Spijt per beleidskeuze, toekomst en gebied: hoeveel de beste "
                       "vergeleken keuze het in die toekomst beter doet (0 = de beste). Tussen "
                       "haakjes: de kosten per jaar."),
                       ("Regret per policy choice, future and area: how much better the best "
                       "choice compared does in that future (0 = the best). In brackets: the "
                       "cost per year.")),
    "pareto_caption": (("Per gebied de uitkomst bij tegenslag van elk robuust pakket tegen zijn "
                       "kosten; de ster is het programma van 2021, de streep het budget."),
                       ("Per area the outcome in bad luck of every robust portfolio against its "
                       "cost; the star is the 2021 programme, the dash the budget.")),
    "plane_caption": (("De impactgebieden over het vlak van de twee assen: waar elke toekomst "
                      "ligt en in welke richting de uitkomst verbetert."),
                      ("The impact areas over the plane of the two axes: where each future "
                      "lies and in which direction the outcome improves.")),
}

#: Uncertain inputs in words (the discovery box): name -> (Dutch, English).
INPUTS: dict[str, tuple[str, str]] = {
    "ownership": ("de positie op de eigendomsas (0 aandeelhouders, 1 stakeholders)",
                  "the position on the ownership axis (0 shareholders, 1 stakeholders)"),
    "purpose": ("de positie op de doelas (0 groei, 1 brede welvaart)",
                "the position on the purpose axis (0 growth, 1 broad welfare)"),
    "cross_impact_strength": ("hoe sterk de trends elkaar versterken (1 = zoals aangenomen)",
                              "how strongly the trends reinforce each other (1 = as assumed)"),
    "transition_years": ("de jaren tot een toekomst vorm heeft",
                         "the years until a future takes hold"),
    "ownership_shift": ("de verschuiving van de toekomst op de eigendomsas",
                        "the future's shift on the ownership axis"),
    "purpose_shift": ("de verschuiving van de toekomst op de doelas",
                      "the future's shift on the purpose axis"),
    "lever_efficacy": ("hoe goed beleid werkt (1 = zoals aangenomen)",
                       "how well policies work (1 = as assumed)"),
}


def say(key: str, lang: str, **values: object) -> str:
    """Chapter text ``key`` in ``lang``."""
    nl, en = WORDS[key]
    return (nl if lang == "nl" else en).format(**values)


def input_words(name: str, lang: str) -> str:
    """An uncertain input of the discovery box in words."""
    if name in INPUTS:
        return INPUTS[name][0 if lang == "nl" else 1]
    kind, _, trend = name.partition(".")
    if kind in ("momentum", "initial") and trend:
        trend_name = display_name(trend, lang)
        if kind == "momentum":
            return f"de eigen dynamiek van {trend_name}" if lang == "nl" else \
                f"the own momentum of {trend_name}"
        return f"het niveau van {trend_name} in 2021" if lang == "nl" else \
            f"the 2021 level of {trend_name}"
    target, _, source = trend.partition(".")
    if kind == "L" and source:  # the lever response sampled per world
        lever = display_name(target, lang)
        if source == "doubling":
            return f"wat verdubbeling van {lever} oplevert" if lang == "nl" else \
                f"what doubling {lever} achieves"
        on, _, driver = source.partition(".")
        return f"hoe {display_name(driver, lang)} het effect van {lever} op " \
            f"{display_name(on, lang)} verandert" if lang == "nl" else \
            f"how {display_name(driver, lang)} changes the effect of {lever} on " \
            f"{display_name(on, lang)}"
    if kind in ("A", "W") and source:  # structural: offsets from a judged entry or weight
        what, by = display_name(target, lang), display_name(source, lang)
        if kind == "A":
            return f"hoe sterk {by} {what} drijft (afwijking van het oordeel)" if lang == "nl" \
                else f"how strongly {by} drives {what} (offset from the judgment)"
        return f"het gewicht van {by} in {what} (afwijking)" if lang == "nl" else \
            f"the weight of {by} in {what} (offset)"
    return name


@dataclass
class PolicyFiles:
    """The policy analyses found for a report."""

    robustness: xr.Dataset | None = None
    portfolios: xr.Dataset | None = None
    discoveries: list[list[dict[str, str]]] = field(default_factory=list)
    plane: xr.Dataset | None = None

    @property
    def empty(self) -> bool:
        return self.robustness is None and self.portfolios is None and not self.discoveries \
            and self.plane is None


def _open(path: Path) -> xr.Dataset:
    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (OSError, ValueError) as err:
        raise ConfigError(str(path.parent), path.name, f"cannot be read ({err})") from None


def find(folder: Path | str) -> PolicyFiles:
    """The policy analyses in ``folder`` and its direct subfolders (first found wins for the
    robustness, portfolio and plane files; every discovery is kept)."""
    folder = Path(folder)
    places = [folder, *sorted(p for p in folder.iterdir() if p.is_dir())] \
        if folder.is_dir() else []
    found = PolicyFiles()
    for place in places:
        if found.robustness is None and (place / ROBUSTNESS).is_file():
            found.robustness = _open(place / ROBUSTNESS)
        if found.portfolios is None and (place / PORTFOLIOS).is_file():
            found.portfolios = _open(place / PORTFOLIOS)
        if found.plane is None and (place / PLANE).is_file():
            found.plane = _open(place / PLANE)
        if (place / DISCOVERY_CSV).is_file():
            with (place / DISCOVERY_CSV).open(newline="") as stream:
                rows = list(csv.DictReader(stream))
            if rows and "failing_share" in rows[0]:
                found.discoveries.append(rows)
    return found


def policy_only(folder: Path | str) -> bool:
    """Whether ``folder`` holds policy analyses but no run (the report is the chapter)."""
    folder = Path(folder)
    if not folder.is_dir() or any((folder / f).exists() for f in RUN_FILES):
        return False
    return any((p / f).is_file() for p in [folder, *folder.iterdir()] if p.is_dir()
               for f in (ROBUSTNESS, PORTFOLIOS, DISCOVERY_CSV, PLANE))


@dataclass
class Chapter:
    """The chapter in one language: sections of (heading, paragraphs) and figures with
    captions."""

    title: str
    sections: list[tuple[str, list[str]]]
    figures: list[tuple[str, Figure, str]]


def _capital(text: str) -> str:
    """``text`` with a capital first letter (a setting's name opening a phrase)."""
    return text[:1].upper() + text[1:]


def _in_sentence(name: str) -> str:
    """A lever's name inside a sentence: "data sharing", but "AI investment"."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def _settings_section(ds: xr.Dataset, lang: str) -> list[str]:
    settings = [str(s) for s in ds.setting.values]
    areas = [str(a) for a in ds.area.values]
    futures = [str(f) for f in ds.future.values]
    budget = float(ds.attrs["budget"])
    ok = ds.within_budget.values.astype(bool)
    across = ds.worst_regret_overall.values
    out = []
    if ok.any():
        b = int(np.argmin(np.where(ok, across, np.inf)))
        out.append(say("within", lang, name=_capital(setting_name(ds, settings[b], lang)),
                       cost=float(ds.cost.values[b]), regret=float(across[b])))
    free = int(np.argmin(across))
    if not ok[free]:
        out.append(say("bought", lang, name=_capital(setting_name(ds, settings[free], lang)),
                       cost=float(ds.cost.values[free]), regret=float(across[free]),
                       times=float(ds.cost.values[free]) / budget))
    best = ds.best_setting.values
    varies = [a for a in range(len(areas)) if len(set(best[:, a])) > 1]
    if varies:
        out.append(say("depends", lang, n=len(varies), total=len(areas)))
        for a in varies:
            parts = "; ".join(f"{display_name(f, lang)}: "
                              f"{_capital(setting_name(ds, settings[best[j, a]], lang))}"
                              for j, f in enumerate(futures))
            out.append(f"\u2022 {display_name(areas[a], lang)} \u2014 {parts}")
    else:
        out.append(say("same", lang))
    return out


def _portfolio_section(ds: xr.Dataset, lang: str) -> list[str]:
    names = [str(p) for p in ds.portfolio.values]
    ref = names.index("reference") if "reference" in names else None
    shown = [n for n in names if n != "reference"][:SHOWN_PORTFOLIOS]
    areas = [str(a) for a in ds.area.values]
    futures = [str(f) for f in ds.future.values]
    levers = [str(x) for x in ds.lever.values]
    out = [say("search", lang, n=len(names) - (ref is not None), budget=float(ds.attrs["budget"]),
               shown=len(shown))]
    base = ds.lever_setting.values[ref] if ref is not None else np.full(len(levers), 0.5)
    for p in shown:
        i = names.index(p)
        values = ds.lever_setting.values[i]
        up = [_in_sentence(display_name(lv, lang)) for k, lv in enumerate(levers)
              if values[k] > base[k] + 0.05]
        down = [_in_sentence(display_name(lv, lang)) for k, lv in enumerate(levers)
                if values[k] < base[k] - 0.05]
        parts = [say("raises", lang, what=", ".join(up))] if up else []
        parts += [say("lowers", lang, what=", ".join(down))] if down else []
        out.append(say("portfolio", lang, name=p, cost=float(ds.cost.values[i]),
                       low=float(ds.cost_low.values[i]), high=float(ds.cost_high.values[i]),
                       levers="; ".join(parts) or say("nothing", lang)))
        if ref is not None:
            diff = ds.bad_luck.values[i] - ds.bad_luck.values[ref]
            better = [display_name(a, lang) for k, a in enumerate(areas) if diff[k] > 0]
            worse = [display_name(a, lang) for k, a in enumerate(areas) if diff[k] < 0]
            out.append(say("gains", lang, better=", ".join(better) or say("nothing", lang),
                           worse=", ".join(worse) or say("nothing", lang)))
        median = ds.median_outcome.values[i]  # (future, area)
        where = [f"{display_name(f, lang)} ({', '.join(display_name(areas[a], lang) for a in np.flatnonzero(median[j] < 0))})"
                 for j, f in enumerate(futures) if (median[j] < 0).any()]
        out.append(say("fails", lang, where="; ".join(where)) if where else say("holds", lang))
    return out


def _discovery_section(rows: list[dict[str, str]], lang: str) -> list[str]:
    chosen = next((r for r in rows if r.get("chosen") == "yes"), rows[0])
    area = chosen["area"]
    what = say("any", lang) if area == "any" else display_name(area, lang)
    out = [say("failing", lang, name=chosen["setting"], cost=float(chosen["cost"]),
               share=float(chosen["failing_share"]), what=what,
               year=float(chosen["year"]), threshold=float(chosen["threshold"]))]
    limits = sorted({k[:-len("_sampled_low")] for k in chosen if k.endswith("_sampled_low")})
    lines = []
    for name in limits:
        lo, hi = chosen.get(f"{name}_low", ""), chosen.get(f"{name}_high", "")
        flo, fhi = chosen.get(f"{name}_sampled_low", ""), chosen.get(f"{name}_sampled_high", "")
        if "" in (lo, hi, flo, fhi):
            continue
        a, b, low, high = (float(v) for v in (lo, hi, flo, fhi))
        words = input_words(name, lang)
        span = max(high - low, 1e-12)
        cut_low, cut_high = a > low + 1e-9 * span, b < high - 1e-9 * span
        if cut_low and cut_high:
            lines.append(say("between", lang, what=words, a=a, b=b, low=low, high=high))
        elif cut_low:
            lines.append(say("above", lang, what=words, value=a, low=low, high=high))
        elif cut_high:
            lines.append(say("below", lang, what=words, value=b, low=low, high=high))
    if lines and chosen.get("chosen") == "yes":
        out.append(say("box", lang, coverage=float(chosen["coverage"]),
                       density=float(chosen["density"])))
        out += [f"\u2022 {line}" for line in lines]
        out.append(say("signpost", lang))
    else:
        out.append(say("nobox", lang))
    return out


def chapter(files: PolicyFiles, lang: str) -> Chapter:
    """The chapter in ``lang`` from the analyses found (:func:`find`)."""
    sections: list[tuple[str, list[str]]] = []
    figures: list[tuple[str, Figure, str]] = []
    source = files.robustness if files.robustness is not None else files.portfolios
    if source is not None:
        sections.append(("", [say("intro", lang, ref=float(source.attrs["budget_2021"]),
                                  budget=float(source.attrs["budget"]))]))
    if files.robustness is not None:
        sections.append((say("settings", lang), _settings_section(files.robustness, lang)))
        figures.append(("policy_regret", regret_figure(files.robustness, lang),
                        say("regret_caption", lang)))
    if files.portfolios is not None:
        sections.append((say("portfolios", lang), _portfolio_section(files.portfolios, lang)))
        figures.append(("policy_portfolios", pareto_figure(files.portfolios, lang),
                        say("pareto_caption", lang)))
    for rows in files.discoveries:
        sections.append((say("failure", lang), _discovery_section(rows, lang)))
    if files.plane is not None:
        figures.append(("policy_plane", plane_figure(files.plane, lang),
                        say("plane_caption", lang)))
    else:
        sections.append((say("map", lang), [say("nomap", lang)]))
    return Chapter(say("chapter", lang), sections, figures)


def policy_chapter(folder: Path | str, lang: str) -> Chapter | None:
    """The chapter for a run's folder, or ``None`` when no policy analysis is beside it."""
    files = find(folder)
    return None if files.empty else chapter(files, lang)


def _svg(fig: Figure) -> str:
    buffer = io.BytesIO()
    with style():
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def html_section(ch: Chapter) -> str:
    """The chapter as an HTML ``<section>`` (figures as inline SVG ``data:`` URIs)."""
    esc = html.escape
    parts = [f'<section class="policy" id="policy"><h2>{esc(ch.title)}</h2>']
    for heading, paragraphs in ch.sections:
        if heading:
            parts.append(f"<h3>{esc(heading)}</h3>")
        parts += [f"<p>{esc(p)}</p>" for p in paragraphs]
    for stem, fig, text in ch.figures:
        parts.append(f'<figure id="{stem}"><img src="data:image/svg+xml;base64,{_svg(fig)}" '
                     f'alt="{esc(text)}"><figcaption>{esc(text)}</figcaption></figure>')
    parts.append("</section>")
    return "\n".join(parts)


def text_pages(ch: Chapter, size: float = 12.5) -> list[Figure]:
    """The chapter's text as PDF pages of the figures' size."""
    width = int(0.9 * SIZE[0] * 72 / (0.55 * size))
    line = 1.45 * size / 72 / SIZE[1]
    pages: list[Figure] = []
    fig, y = None, 0.0
    for heading, paragraphs in ch.sections:
        for k, text in enumerate([heading, *paragraphs] if heading else paragraphs):
            wrapped = textwrap.fill(text, width)
            need = line * (wrapped.count("\n") + 1) + 0.02
            if fig is None or y - need < 0.05:
                fig = Figure(figsize=SIZE)
                fig.text(0.04, 0.94, ch.title, fontsize=22, fontweight="bold", va="top")
                pages.append(fig)
                y = 0.85
            is_heading = bool(heading) and k == 0
            fig.text(0.05, y, wrapped, fontsize=16 if is_heading else size, va="top",
                     fontweight="bold" if is_heading else "normal")
            y -= need + (0.01 if is_heading else 0.0)
    return pages


def pdf_pages(pdf: PdfPages, ch: Chapter) -> None:
    """Append the chapter to an open PDF: its text pages, then its figures with captions."""
    for page in text_pages(ch):
        pdf.savefig(page)
    for _, fig, text in ch.figures:
        # the figure as drawn (its legends placed by its own layout) above its caption
        caption = textwrap.fill(text, 150)
        room = 0.035 * (caption.count("\n") + 1)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=150)
        buffer.seek(0)
        page = Figure(figsize=SIZE)
        ax = page.add_axes((0.0, room, 1.0, 1.0 - room))
        ax.imshow(matplotlib.image.imread(buffer))
        ax.axis("off")
        page.text(0.5, 0.005, caption, ha="center", va="bottom", fontsize=11, color="0.2")
        pdf.savefig(page)


CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.45;"
       "color:#222}figure{margin:1.5em 0}img{width:100%}figcaption{color:#555}")


def write_report(folder: Path | str, lang: str) -> list[Path]:
    """``report.html`` and ``report.pdf`` holding the chapter alone (a folder of policy
    analyses without a run); written atomically, no dates."""
    folder = Path(folder)
    ch = chapter(find(folder), lang)
    page = (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">'
            f"<title>{html.escape(ch.title)}</title><style>{CSS}</style>\n</head>\n<body>\n"
            f"{html_section(ch)}\n</body>\n</html>\n")
    html_path, pdf_path = folder / REPORT_HTML, folder / REPORT_PDF
    with atomic_output(html_path) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    with atomic_output(pdf_path) as tmp, style(), \
            PdfPages(str(tmp), metadata={"Title": ch.title, "CreationDate": None,
                                         "ModDate": None}) as pdf:
        pdf_pages(pdf, ch)
    return [html_path, pdf_path]
