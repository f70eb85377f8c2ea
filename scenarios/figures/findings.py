"""The words of the handout: a run's settings and its key findings per future, NL or EN.

Settings are read from the stored config (``outcomes.nc`` attribute ``config``, or each job's
``job_config`` in a sweep) and compared with the defaults of ``conf/`` to list what the user
changed. Findings are computed from the outcomes: the largest changes per future, what sets
each future apart, and the best and worst impact area in the final year.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from scenarios.figures.data import RunData
from scenarios.figures.labels import name
from scenarios.figures.trends import key_trends, medians_2030

#: Sentences: key -> (Dutch, English).
WORDS: dict[str, tuple[str, str]] = {
    "run": (("Eén run van {futures} ({n} toekomsten), {members} gesimuleerde werelden per toekomst"
             "{seed}, steekproef {design}, {start:g}\u2013{end:g}."),
            ("One run of {futures} ({n} futures), {members} simulated worlds per future"
             "{seed}, {design} design, {start:g}\u2013{end:g}.")),
    "each": (("Elke run: {futures} ({n} toekomsten), {members} gesimuleerde werelden per toekomst"
              "{seed}, steekproef {design}, {start:g}\u2013{end:g}."),
             ("Each run: {futures} ({n} futures), {members} simulated worlds per future"
              "{seed}, {design} design, {start:g}\u2013{end:g}.")),
    "seed": (", seed {seed}", ", seed {seed}"),
    "sweep": ("Een sweep over {keys}: {jobs} runs ({values}).",
              "A sweep over {keys}: {jobs} runs ({values})."),
    "missing": ("Ontbrekende runs: {jobs}.", "Missing runs: {jobs}."),
    "events_on": (("Gebeurtenissen (cyberincidenten, cryptocrashes, EU-regels, verkiezingen) "
                  "staan aan."),
                  "Events (cyber incidents, crypto crashes, EU rules, elections) are on."),
    "events_off": ("Gebeurtenissen staan uit: het continue model.",
                   "Events are off: the continuous model."),
    "defaults": ("Alle andere instellingen zijn de standaardwaarden.",
                 "Every other setting is the default."),
    "changed": ("Afwijkend van de standaard: {items}.", "Changed from the defaults: {items}."),
    "more": (" en nog {n}", " and {n} more"),
    "version": ("futures {version}; configuratie opgeslagen in het bestand.",
                "futures {version}; the configuration is stored in the file."),
    "rise": (("Sterkste stijging: {trend} van {a:.2f} ({wa}) naar {b:.2f} ({wb}; 90% van de "
              "werelden: {lo:.2f}\u2013{hi:.2f})."),
             ("Largest rise: {trend} from {a:.2f} ({wa}) to {b:.2f} ({wb}; 90% of worlds: "
              "{lo:.2f}\u2013{hi:.2f}).")),
    "fall": ("Sterkste daling: {trend} van {a:.2f} ({wa}) naar {b:.2f} ({wb}).",
             "Largest fall: {trend} from {a:.2f} ({wa}) to {b:.2f} ({wb})."),
    "no_fall": ("Geen trend daalt met meer dan {d:.2f}: wat er is, blijft.",
                "No trend falls by more than {d:.2f}: what is there stays."),
    "levels": (("Een niveau is hoe ver een trend in de Nederlandse samenleving is "
                "doorgedrongen: 0 afwezig, 0,5 halverwege, 1 verzadigd. Een impactindex is "
                "de verandering sinds 2021: boven 0 is beter."),
               ("A level is how far a trend has spread through Dutch society: 0 absent, "
                "0.5 halfway, 1 saturated. An impact index is the change since 2021: above 0 "
                "is better.")),
    "apart": ("Onderscheidt zich door {items}.", "Stands out by {items}."),
    "higher": ("hogere {trend} ({v:.2f} tegen {o:.2f})", "higher {trend} ({v:.2f} vs {o:.2f})"),
    "lower": ("lagere {trend} ({v:.2f} tegen {o:.2f})", "lower {trend} ({v:.2f} vs {o:.2f})"),
    "best": (("Beste impact in {year:g}: {area} ({v:+.2f}; beter dan 2021 in {p:.0f}% van de "
             "werelden)."),
             ("Best impact in {year:g}: {area} ({v:+.2f}; better than 2021 in {p:.0f}% of "
             "worlds).")),
    "worst": ("Zwakste impact: {area} ({v:+.2f}; beter dan 2021 in {p:.0f}% van de werelden).",
              "Weakest impact: {area} ({v:+.2f}; better than 2021 in {p:.0f}% of worlds)."),
    "pooled": ("Over alle waarden van de sweep samen.", "Pooled over the swept values."),
    "and": (" en ", " and "),
}


#: What a level means in words: the upper bound of each band and its name (nl, en).
LEVEL_WORDS = ((0.2, ("marginaal", "marginal")), (0.4, ("opkomend", "emerging")),
               (0.6, ("halverwege", "halfway")), (0.8, ("wijdverbreid", "widespread")),
               (1.01, ("bijna verzadigd", "near saturation")))


#: A trend's median must fall by at least this much (on the 0-1 level scale) to be named.
FALL = 0.05


def level_word(value: float, lang: str) -> str:
    """A trend level (0-1) in words: marginal, emerging, halfway, widespread, near
    saturation (bands of 0.2)."""
    for top, words in LEVEL_WORDS:
        if value < top:
            return words[0 if lang == "nl" else 1]
    return LEVEL_WORDS[-1][1][0 if lang == "nl" else 1]


def say(key: str, lang: str, **values: Any) -> str:
    """Sentence ``key`` in ``lang`` with its fields filled in."""
    nl, en = WORDS[key]
    return (nl if lang == "nl" else en).format(**values)


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}`` (lists stay values)."""
    if not isinstance(node, dict):
        return {prefix: node}
    out: dict[str, Any] = {}
    for key, value in node.items():
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


def default_config() -> dict[str, Any]:
    """The configuration ``futures run`` uses without overrides (resolved, as stored)."""
    from scenarios.config.compose import compose_config, resolved

    container = resolved(compose_config([]))
    container.pop("resume", None)
    return container


def _show(value: Any) -> str:
    """A value as written on the command line: ``true``, ``[a,b]``, ``0.5``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ",".join(_show(v) for v in value) + "]"
    return str(value)


def changes(config: dict[str, Any], default: dict[str, Any]) -> list[str]:
    """``key=value`` for every setting of ``config`` that differs from ``default``."""
    mine, base = flatten(config), flatten(default)
    out = []
    for key in sorted(set(mine) | set(base)):
        if key.startswith("hydra") or key == "seed":
            continue
        if key not in mine:
            out.append(f"~{key}")
        elif mine[key] != base.get(key, object()):
            out.append(f"{key}={_show(mine[key])}")
    return out


def settings(run: RunData, lang: str, default: dict[str, Any] | None = None) -> list[str]:
    """The run's settings in a few sentences: what ran, events on or off, what was changed."""
    config = run.config
    ensemble = config.get("ensemble", {})
    time = config.get("time", {})
    names = ", ".join(name(f, lang) for f in run.futures)
    design = "nominal" if ensemble.get("nominal") else ensemble.get("design", "?")
    seed = config.get("seed", run.ds.attrs.get("seed", "?"))
    seed_text = "" if "seed" in run.swept else say("seed", lang, seed=seed)
    lines = [say("each" if run.is_sweep else "run", lang, futures=names, n=len(run.futures),
                 members=max(run.members_total, run.ds.sizes["member"]), seed=seed_text,
                 design=design,
                 start=time.get("start", float(run.ds.time[0])),
                 end=time.get("end", float(run.ds.time[-1])))]
    if run.is_sweep:
        values = "; ".join(v.label for v in run.variants)
        lines.append(say("sweep", lang, keys=", ".join(run.swept), jobs=len(run.variants),
                         values=values))
        missing = str(run.ds.attrs.get("missing_jobs", "")).strip()
        if missing:
            lines.append(say("missing", lang, jobs=missing))
    lines.append(say("events_on" if "event_count" in run.ds else "events_off", lang))
    changed = changes(config, default if default is not None else default_config())
    changed = [c for c in changed if c.split("=")[0] not in run.swept]
    if changed:
        shown = ", ".join(changed[:8])
        if len(changed) > 8:
            shown += say("more", lang, n=len(changed) - 8)
        lines.append(say("changed", lang, items=shown))
    else:
        lines.append(say("defaults", lang))
    lines.append(say("version", lang, version=run.ds.attrs.get("futures_version", "?")))
    return lines


def future_findings(run: RunData, future: str, lang: str) -> list[str]:
    """Four or five sentences on one future (pooled over the swept values of a sweep);
    Dutch writes its numbers with a decimal comma (0,25)."""
    out = _findings(run, future, lang)
    return [DECIMAL.sub(r"\1,\2", line) for line in out] if lang == "nl" else out


#: A decimal point between digits (in the findings only: no version numbers or keys there).
DECIMAL = re.compile(r"(\d)\.(\d)")


def _findings(run: RunData, future: str, lang: str) -> list[str]:
    level = run.ds.level.sel(future=future)
    pooled = [d for d in level.dims if d not in ("time", "trend")]
    stacked = level.stack(sample=pooled)
    start = stacked.isel(time=0).median("sample", skipna=True)
    end_all = stacked.isel(time=-1)
    end = end_all.median("sample", skipna=True)
    change = (end - start).values
    trends = [str(t) for t in level.trend.values]
    up, down = int(np.argmax(change)), int(np.argmin(change))
    lo, hi = end_all.isel(trend=up).quantile([0.05, 0.95], skipna=True).values
    def words(k: int) -> dict[str, Any]:
        a, b = float(start[k]), float(end[k])
        return {"trend": name(trends[k], lang), "a": a, "b": b, "wa": level_word(a, lang),
                "wb": level_word(b, lang)}

    out = [say("rise", lang, lo=lo, hi=hi, **words(up))]
    if change[down] <= -FALL:
        out.append(say("fall", lang, **words(down)))
    else:  # a fall of a few hundredths is no finding: say that nothing falls
        out.append(say("no_fall", lang, d=FALL))
    if len(run.futures) > 1:
        med = medians_2030(run)
        others = med.drop_sel(future=future).mean("future")
        items = []
        for trend in key_trends(run, future, count=2):
            v, o = float(med.sel(future=future, trend=trend)), float(others.sel(trend=trend))
            items.append(say("higher" if v > o else "lower", lang, trend=name(trend, lang),
                             v=v, o=o))
        out.append(say("apart", lang, items=say("and", lang).join(items)))
    impact = run.ds.impact.sel(future=future).isel(time=-1)
    pooled = [d for d in impact.dims if d != "area"]
    values = impact.stack(sample=pooled)
    med_area = values.median("sample", skipna=True).values
    count = np.isfinite(values.values).sum(axis=1)
    share = 100 * (values.values > 0).sum(axis=1) / np.maximum(count, 1)
    areas = [str(a) for a in impact.area.values]
    year = float(run.ds.time.values[-1])
    best, worst = int(np.argmax(med_area)), int(np.argmin(med_area))
    out.append(say("best", lang, year=year, area=name(areas[best], lang),
                   v=float(med_area[best]), p=float(share[best])))
    out.append(say("worst", lang, area=name(areas[worst], lang), v=float(med_area[worst]),
                   p=float(share[worst])))
    return out
