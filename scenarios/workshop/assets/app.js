// futures workshop: sliders -> POST /api/run -> SVG charts. Plain JS, no libraries, offline.
// The whole state lives in the address (#future=...&lang=...&SLIDER=VALUE...), saved
// scenarios in localStorage; every chart is drawn at its real pixel size (no scaled text).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const STORE = "futures-workshop.saved";
const MAX_SHOWN = 4;
const TAGS = ["A", "B", "C", "D"];
const TEXT = {
  en: {
    title: "Digital futures 2030", start: "Starting future", axis: "Axes of the future",
    world: "World assumptions", lever: "Policy levers",
    reset: "Reset to the future's defaults", export: "Export to futures run",
    exportLine: "Override line (paste into a shell)",
    exportYaml: "YAML config (save as DIR/NAME.yaml; futures run --config-dir DIR --config-name NAME)",
    copy: "Copy", copied: "Copied", handout: "Handout (printable page)",
    changes: "Changed from the defaults", noChanges: "nothing yet: move a slider",
    trends: "Trends: how far each trend has spread in Dutch society (0 absent, 1 everywhere)",
    areas: "Impact areas: change since 2021 (above 0 is better than 2021)",
    four: "The same world assumptions and levers in every future: impact in 2030",
    baseline: "baseline: {f} as configured", worldOnly: "with your world assumptions",
    current: "current: world assumptions + levers (band: 8 in 10 simulated worlds)",
    computed: "Up to date: the server recalculated {n} futures with {m} simulated worlds each in {s} s (sudden events are off).",
    cached: "Up to date: {n} futures with {m} simulated worlds each, computed earlier for these settings and sent at once (sudden events are off).",
    busy: "Recalculating ...", failed: "The server refused these settings: {e}",
    present: "Presentation (p)", leave: "Leave presentation (p)",
    theme: "Dark (d)", light: "Light (d)",
    savedTitle: "Saved scenarios", save: "Save", saveName: "name of this scenario",
    savedNone: "None yet. Name the current settings and save them; tick up to four to draw them on every chart.",
    open: "Open", remove: "Delete", show: "show on the charts",
    tooMany: "At most four saved scenarios can be shown at once.",
    savedAs: "Saved as \u201c{n}\u201d.", unnamed: "Scenario {k}",
    ring0: "baseline (grey ring)", ring1: "world assumptions changed (dashed ring)",
    ring2: "current: with the levers (filled dot)", cmpItem: "{t}: {n} ({f})",
    source: "Source: {s}", lines: "NDS 2021, lines {s}", howtoTitle: "How to read this page",
    howto: [
      "Each small chart is one trend or impact area from 2021 to 2030. Hover over or tap a name (of a chart or a slider) for what it means and where it comes from.",
      "A trend's level runs from 0 (absent in Dutch society) to 1 (everywhere, saturated); 0.6 means well established but not yet everywhere.",
      "An impact area shows the change of its index since 2021: above 0 is better than 2021, below 0 worse. All five share one scale, so heights compare.",
      "Grey dashes: the chosen future as configured. Dotted: with your world assumptions. Solid with a band: plus your policy levers; 8 in 10 of the simulated worlds fall inside the band.",
      "Bottom row: the same world assumptions and levers in each of the four futures, in 2030: does the package help everywhere or only in one future?",
      "Save a scenario to keep it and tick up to four to draw them (A-D) next to the current one. The page address holds every setting: copy it to reopen exactly this view.",
    ],
    handoutTitle: "Scenario handout", handoutSetting: "Setting", handoutDefault: "Default",
    handoutNow: "This scenario", handoutRun: "Run it in full", future: "Future",
    made: "Made with futures {v} (seed {s}, {m} members per future) on {d}.",
    cost: "Public cost of the levers: {c} a year (uncertain {range}), {p} of the 2021 budget ({b})",
    costDiff: "{d}", costSaved: "saved: {list}", costShort: "Cost: {c} a year, {p} of 2021",
    costLever: "Public cost: {c} a year at this setting, {r} at the NDS 2021 programme ({x}); uncertain {lo} to {hi}. Cost source: {s}.",
    money: "EUR\u00a0{v}\u00a0m", range: "EUR\u00a0{lo}-{hi}\u00a0m",
  },
  nl: {
    title: "Digitale toekomsten 2030", start: "Starttoekomst", axis: "Assen van de toekomst",
    world: "Aannames over de wereld", lever: "Beleidsknoppen",
    reset: "Terug naar de standaard van deze toekomst", export: "Exporteren naar futures run",
    exportLine: "Override-regel (plak in een shell)",
    exportYaml: "YAML-config (bewaar als MAP/NAAM.yaml; futures run --config-dir MAP --config-name NAAM)",
    copy: "Kopieer", copied: "Gekopieerd", handout: "Hand-out (afdrukbare pagina)",
    changes: "Gewijzigd ten opzichte van de standaard", noChanges: "nog niets: verschuif een schuifje",
    trends: "Trends: hoe ver elke trend in de Nederlandse samenleving is doorgedrongen (0 afwezig, 1 overal)",
    areas: "Impactgebieden: verandering sinds 2021 (boven 0 is beter dan 2021)",
    four: "Dezelfde aannames en beleidsknoppen in elke toekomst: impact in 2030",
    baseline: "basislijn: {f} zoals ingesteld", worldOnly: "met uw aannames over de wereld",
    current: "huidig: aannames + beleid (band: 8 op 10 gesimuleerde werelden)",
    computed: "Bijgewerkt: de server rekende {n} toekomsten met elk {m} gesimuleerde werelden door in {s} s (plotselinge gebeurtenissen staan uit).",
    cached: "Bijgewerkt: {n} toekomsten met elk {m} gesimuleerde werelden, eerder voor deze instellingen doorgerekend en meteen gestuurd (plotselinge gebeurtenissen staan uit).",
    busy: "Bezig met rekenen ...", failed: "De server weigerde deze instellingen: {e}",
    present: "Presentatie (p)", leave: "Presentatie verlaten (p)",
    theme: "Donker (d)", light: "Licht (d)",
    savedTitle: "Bewaarde scenario's", save: "Bewaar", saveName: "naam van dit scenario",
    savedNone: "Nog geen. Geef de huidige instellingen een naam en bewaar ze; vink er tot vier aan om ze in elke grafiek te tekenen.",
    open: "Open", remove: "Wis", show: "toon in de grafieken",
    tooMany: "Er kunnen hoogstens vier bewaarde scenario's tegelijk getoond worden.",
    savedAs: "Bewaard als \u201c{n}\u201d.", unnamed: "Scenario {k}",
    ring0: "basislijn (grijze ring)", ring1: "aannames gewijzigd (gestreepte ring)",
    ring2: "huidig: met het beleid (gevulde stip)", cmpItem: "{t}: {n} ({f})",
    source: "Bron: {s}", lines: "NDS 2021, regels {s}", howtoTitle: "Zo leest u deze pagina",
    howto: [
      "Elke kleine grafiek is een trend of impactgebied van 2021 tot 2030. Beweeg over een naam (van een grafiek of een schuifje) of tik erop voor de betekenis en de bron.",
      "Het niveau van een trend loopt van 0 (afwezig in de Nederlandse samenleving) tot 1 (overal, verzadigd); 0,6 betekent stevig gevestigd maar nog niet overal.",
      "Een impactgebied toont de verandering van zijn index sinds 2021: boven 0 is beter dan 2021, onder 0 slechter. Alle vijf delen een schaal, dus hoogtes zijn vergelijkbaar.",
      "Grijze streepjes: de gekozen toekomst zoals ingesteld. Gestippeld: met uw aannames over de wereld. Doorgetrokken met een band: plus uw beleid; 8 op 10 gesimuleerde werelden vallen binnen de band.",
      "Onderste rij: dezelfde aannames en beleidsknoppen in elk van de vier toekomsten, in 2030: helpt het pakket overal of maar in een toekomst?",
      "Bewaar een scenario en vink er tot vier aan om ze (A-D) naast het huidige te tekenen. Het adres van de pagina bevat elke instelling: kopieer het om precies dit beeld terug te openen.",
    ],
    handoutTitle: "Scenario-hand-out", handoutSetting: "Instelling", handoutDefault: "Standaard",
    handoutNow: "Dit scenario", handoutRun: "Volledig doorrekenen", future: "Toekomst",
    made: "Gemaakt met futures {v} (seed {s}, {m} leden per toekomst) op {d}.",
    cost: "Publieke kosten van het beleid: {c} per jaar (onzeker {range}), {p} van het budget van 2021 ({b})",
    costDiff: "{d}", costSaved: "bewaard: {list}", costShort: "Kosten: {c} per jaar, {p} van 2021",
    costLever: "Publieke kosten: {c} per jaar bij deze stand, {r} bij het programma van de NDS 2021 ({x}); onzeker {lo} tot {hi}. Bron van de kosten: {s}.",
    money: "\u20ac\u00a0{v}\u00a0mln", range: "\u20ac\u00a0{lo}-{hi}\u00a0mln",
  },
};

const LEVER_SCALE = {
  en: " Setting: 0 none, 0.5 the NDS 2021 programme, 1 the strongest the model allows.",
  nl: " Stand: 0 niets, 0,5 het programma van de NDS 2021, 1 het sterkste dat het model toelaat.",
};
// The axis and world sliders are settings of the model, not catalogue terms.
const SLIDER_ABOUT = {
  ownership: { src: "L3428-3431",
    en: "Who owns and runs the digital infrastructure and platforms: 0 shareholders, 1 stakeholders.",
    nl: "Wie de digitale infrastructuur en platforms bezit en bestuurt: 0 aandeelhouders, 1 stakeholders." },
  purpose: { src: "L3431-3433",
    en: "What digitalisation serves: 0 mainly economic growth, 1 mainly broad welfare.",
    nl: "Waar digitalisering vooral aan bijdraagt: 0 economische groei, 1 brede welvaart." },
  eu_regulation: { src: "L3456-3462",
    en: "How strong the EU rules on platforms, data and algorithms become in the chosen future (0 none, 1 strict).",
    nl: "Hoe streng de EU-regels voor platforms, data en algoritmen worden in de gekozen toekomst (0 geen, 1 streng)." },
  cross_impact_strength: { file: "conf/cross_impact.yaml, conf/uncertainties.yaml",
    en: "How strongly the trends push and pull one another: 1 as estimated, 2 every impact twice as strong.",
    nl: "Hoe sterk de trends elkaar versterken of remmen: 1 zoals geschat, 2 elke invloed twee keer zo sterk." },
  transition_years: { file: "conf/drivers.yaml (assumption, 3-8 years)",
    en: "How many years the world takes to move from the 2021 situation to the chosen future's regime.",
    nl: "Hoeveel jaar de wereld nodig heeft om van de situatie in 2021 bij het regime van de gekozen toekomst te komen." },
  lever_efficacy: { file: "conf/levers.yaml, conf/uncertainties.yaml",
    en: "How well policy works: 1 as assumed, 0.5 half as well, 2 twice as well.",
    nl: "Hoe goed beleid werkt: 1 zoals aangenomen, 0,5 half zo goed, 2 twee keer zo goed." },
};

const state = { meta: null, lang: "en", future: null, values: {}, data: null,
                inFlight: false, client: clientId(), seq: 0, drawnSeq: 0, lastSent: -1e9,
                timer: null, present: false, dark: false, darkBefore: false,
                saved: [], shown: [], cmp: {} };

function t(key, vars) {
  let s = TEXT[state.lang][key];
  if (s === undefined) s = key;
  for (const [k, v] of Object.entries(vars || {})) s = s.replace(`{${k}}`, v);
  return s;
}
function name(label) { return state.meta.names[state.lang][label] || label; }
function el(tag, attrs, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}
function html(tag, attrs, parent) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}
function futureOf(label) { return state.meta.futures.find(f => f.label === label); }
function colour() { return futureOf(state.future).colour; }
// Numbers in the page's language: Dutch writes 0,50, English 0.50.
const FORMATS = {};
function num(v, digits, min) {
  const key = `${state.lang}/${digits}/${min}`;
  if (!FORMATS[key]) {
    FORMATS[key] = new Intl.NumberFormat(state.lang === "nl" ? "nl-NL" : "en-GB",
      { minimumFractionDigits: min === undefined ? digits : min, maximumFractionDigits: digits,
        useGrouping: false });
  }
  return FORMATS[key].format(Math.abs(v) < 1e-12 ? 0 : v);
}
function digitsOf(step) { return step >= 1 ? 0 : step >= 0.1 ? 1 : 2; }
function fmt(v, step) { return num(Number(v), digitsOf(step)); }
function tick(v) { return num(v, 2, 0); }

// ---------------------------------------------------------------- explanations
function about(key) {
  const lang = state.lang;
  const slider = state.meta.sliders.find(s => s.key === key);
  const extra = SLIDER_ABOUT[key];
  if (extra) {
    return { title: slider ? slider.name[lang] : key, text: extra[lang],
             source: extra.src ? t("lines", { s: extra.src }) : extra.file };
  }
  const info = state.meta.about[key];
  if (!info) return null;
  let text = info[lang] || info.en;
  if (slider && slider.group === "lever") text += LEVER_SCALE[lang];
  const cost = state.meta.costs && state.meta.costs.levers[key];
  if (slider && cost && key in state.values) {
    const [c, lo, hi] = cost.per_unit.map(u => u * state.values[key]);
    text += " " + t("costLever", { c: money(c), r: money(cost.per_unit[0] * cost.reference), x: fmt(cost.reference, slider.step),
                                  lo: money(lo), hi: money(hi), s: cost.source });
  }
  return { title: slider ? slider.name[lang] : name(key), text,
           source: t("lines", { s: info.source.replace(/\bL(?=\d)/g, "") }) };
}

// ---------------------------------------------------------------- costs
// Yearly public cost of a lever package (study.costs, as futures robustness and portfolio
// count it): sum of per_unit * setting, central, low and high; null when no lever has a cost.
function costOf(values) {
  const levers = state.meta.costs ? Object.entries(state.meta.costs.levers) : [];
  if (!levers.length) return null;
  const out = [0, 0, 0];
  for (const [key, cost] of levers) cost.per_unit.forEach((u, i) => { out[i] += u * values[key]; });
  return out;
}
function money(v) { return t("money", { v: num(v, 0) }); }
function costText(values) {
  const cost = costOf(values);
  if (!cost) return "";
  const budget = state.meta.costs.budget[0];
  return t("cost", { c: money(cost[0]), range: t("range", { lo: num(cost[1], 0), hi: num(cost[2], 0) }), b: money(budget),
                     p: `${num(100 * cost[0] / budget, 0)}\u00a0%` });
}
// The cost line above the charts: updated at every slider move (no server round trip).
function showCost() {
  const box = document.getElementById("cost");
  const short = document.getElementById("cost-short");  // under the levers, for phones
  const cost = costOf(state.values);
  box.hidden = short.hidden = !cost;
  if (!cost) return;
  const budget = state.meta.costs.budget[0];
  short.textContent = t("costShort", { c: money(cost[0]), p: `${num(100 * cost[0] / budget, 0)}\u00a0%` });
  const diff = cost[0] - budget;
  box.replaceChildren();
  html("span", { class: "total", "data-cost": cost[0].toFixed(3) }, box).textContent = costText(state.values);
  const delta = html("span", { class: "delta" + (diff > 1e-9 ? " over" : "") }, box);
  delta.textContent = ", " + t("costDiff", { d: (diff > 1e-9 ? "+" : diff < -1e-9 ? "\u2212" : "\u00b1") + money(Math.abs(diff)) });
  const cmps = state.shown.map((n, i) => [TAGS[i], state.saved.find(x => x.name === n)]).filter(x => x[1]);
  if (cmps.length) {
    html("span", { class: "saved-cost" }, box).textContent = "; " + t("costSaved", {
      list: cmps.map(([tag, sc]) => `${tag} ${money(costOf(sc.values)[0])}`).join(", ") });
  }
}

function showTip(target) {
  const tip = document.getElementById("tip");
  const info = about(target.dataset ? target.dataset.about : target.getAttribute("data-about"));
  if (!info) return;
  tip.replaceChildren();
  html("b", {}, tip).textContent = info.title;
  html("div", { class: "txt" }, tip).textContent = info.text;
  html("div", { class: "src" }, tip).textContent = t("source", { s: info.source });
  tip.hidden = false;
  tip.dataset.for = target.getAttribute("data-about");
  const r = target.getBoundingClientRect();
  const w = tip.offsetWidth, h = tip.offsetHeight;
  let left = Math.min(Math.max(8, r.left), window.innerWidth - w - 8);
  let top = r.bottom + 6;
  if (top + h > window.innerHeight - 8) top = Math.max(8, r.top - h - 6);
  tip.style.left = `${Math.max(8, left)}px`;
  tip.style.top = `${top}px`;
}
function hideTip() { document.getElementById("tip").hidden = true; }
function bindTips() {
  document.addEventListener("mouseover", e => {
    const target = e.target.closest && e.target.closest("[data-about]");
    if (target) showTip(target);
  });
  document.addEventListener("mouseout", e => {
    const target = e.target.closest && e.target.closest("[data-about]");
    if (target && !(e.relatedTarget && target.contains(e.relatedTarget))) hideTip();
  });
  // a tap (no hover on phones) shows the explanation; a tap elsewhere hides it
  document.addEventListener("click", e => {
    const target = e.target.closest && e.target.closest("[data-about]");
    if (target) showTip(target); else hideTip();
  });
}

// ---------------------------------------------------------------- controls
function buildControls() {
  const box = document.getElementById("futures");
  for (const f of state.meta.futures) {
    const label = html("label", { "data-about": f.label }, box);
    const input = html("input", { type: "radio", name: "future", value: f.label }, label);
    const sw = el("svg", { class: "swatch", width: 14, height: 14 }, label);
    el("rect", { width: 14, height: 14, rx: 3, fill: f.colour }, sw);
    html("span", { "data-name": f.label }, label);
    input.addEventListener("change", () => chooseFuture(f.label, false));
  }
  for (const s of state.meta.sliders) {
    const row = html("div", { class: "slider", id: `row-${s.key}` },
                     document.getElementById(`group-${s.group}`));
    html("label", { for: `s-${s.key}`, "data-slider": s.key, "data-about": s.key }, row);
    const input = html("input", { type: "range", id: `s-${s.key}`, name: s.key, min: s.low,
                                  max: s.high, step: s.step }, row);
    html("output", { id: `o-${s.key}`, for: `s-${s.key}` }, row);
    input.addEventListener("input", () => {
      state.values[s.key] = parseFloat(input.value);
      showValue(s);
      changed();
    });
  }
  document.getElementById("reset").addEventListener("click", () => chooseFuture(state.future, true));
  document.getElementById("lang").addEventListener("click", () => {
    state.lang = state.lang === "en" ? "nl" : "en";
    relabel();
    writeHash();
    redraw();
  });
  document.getElementById("present").addEventListener("click", togglePresent);
  document.getElementById("theme").addEventListener("click", toggleDark);
  document.addEventListener("keydown", e => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const typing = e.target.matches && e.target.matches("input[type=text], textarea");
    if (typing) return;
    if (e.key === "p") togglePresent();
    else if (e.key === "d") toggleDark();
    else if (e.key === "Escape" && state.present) togglePresent();
  });
  for (const button of document.querySelectorAll("button.copy")) {
    button.addEventListener("click", async () => {
      const area = document.getElementById(button.dataset.target);
      area.select();
      try { await navigator.clipboard.writeText(area.value); } catch (e) { document.execCommand("copy"); }
      button.textContent = t("copied");
      setTimeout(() => { button.textContent = t("copy"); }, 1200);
    });
  }
  document.getElementById("save").addEventListener("click", saveCurrent);
  document.getElementById("save-name").addEventListener("keydown", e => {
    if (e.key === "Enter") saveCurrent();
  });
  document.getElementById("handout").addEventListener("click", handout);
  let timer = null;
  window.addEventListener("resize", () => {
    clearTimeout(timer);
    timer = setTimeout(redraw, 120);
  });
  window.addEventListener("hashchange", () => {
    if (location.hash === state.lastHash) return;  // a pasted link in the same tab
    readHash();
    applyMode();
    relabel();
    applyValues();
    changed();
    fetchShown();
  });
}

function defaults(label) { return futureOf(label || state.future).defaults; }

function showValue(s) {
  const value = state.values[s.key];
  document.getElementById(`o-${s.key}`).textContent = fmt(value, s.step) + (s.unit[state.lang] ? ` ${s.unit[state.lang]}` : "");
  const moved = Math.abs(value - defaults()[s.key]) > 1e-9;
  document.getElementById(`row-${s.key}`).classList.toggle("changed", moved);
}

function applyValues() {
  for (const s of state.meta.sliders) {
    document.getElementById(`s-${s.key}`).value = state.values[s.key];
    showValue(s);
  }
  document.querySelector(`input[name=future][value="${state.future}"]`).checked = true;
  showCost();
}

// A new starting future sets its axis position and EU regulation; with `all`, every slider.
function chooseFuture(label, all) {
  state.future = label;
  const d = defaults();
  for (const s of state.meta.sliders) {
    if (all || s.group === "axis" || s.key === "eu_regulation" || !(s.key in state.values)) {
      state.values[s.key] = d[s.key];
    }
  }
  applyValues();
  changed();
}

function changed() {
  writeHash();
  showCost();
  request();
}

function relabel() {
  document.documentElement.lang = state.lang;
  document.getElementById("lang").textContent = state.lang === "en" ? "NL" : "EN";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of document.querySelectorAll("[data-name]")) node.textContent = name(node.dataset.name);
  for (const s of state.meta.sliders) {
    document.querySelector(`label[data-slider="${s.key}"]`).textContent = s.name[state.lang];
    if (s.key in state.values) showValue(s);  // units and decimal commas follow the language
  }
  document.getElementById("present").textContent = t(state.present ? "leave" : "present");
  document.getElementById("theme").textContent = t(state.dark ? "light" : "theme");
  const list = document.getElementById("howto-list");
  list.replaceChildren();
  for (const line of TEXT[state.lang].howto) html("li", {}, list).textContent = line;
  savedList();
  showCost();
  hideTip();
}

function togglePresent() {
  state.present = !state.present;
  if (state.present) { state.darkBefore = state.dark; state.dark = true; }
  else state.dark = state.darkBefore;
  applyMode();
  writeHash();
  redraw();
}
function toggleDark() {
  state.dark = !state.dark;
  applyMode();
  writeHash();
}
function applyMode() {
  document.body.classList.toggle("present", state.present);
  document.body.classList.toggle("dark", state.dark);
  document.getElementById("present").textContent = t(state.present ? "leave" : "present");
  document.getElementById("theme").textContent = t(state.dark ? "light" : "theme");
}

// ---------------------------------------------------------------- the address holds the state
function encodeValues(values) {
  return state.meta.sliders.map(s => `${s.key}:${+Number(values[s.key]).toFixed(6)}`).join(",");
}
// Only known sliders with numbers inside their range; anything else keeps the default.
function decodeValues(text, label) {
  const values = { ...defaults(label) };
  for (const part of (text || "").split(",")) {
    const [key, raw] = part.split(":");
    const s = state.meta.sliders.find(x => x.key === key);
    const v = Number(raw);
    if (s && raw !== undefined && raw !== "" && Number.isFinite(v) && v >= s.low - 1e-12 && v <= s.high + 1e-12) values[key] = v;
  }
  return values;
}
function writeHash() {
  const p = new URLSearchParams();
  p.set("future", state.future);
  p.set("lang", state.lang);
  if (state.present) p.set("present", "1");
  if (state.dark) p.set("dark", "1");
  p.set("v", encodeValues(state.values));
  state.shown.forEach((n, i) => {
    const sc = state.saved.find(x => x.name === n);
    if (sc) p.set(`s${i + 1}`, `${sc.name}|${sc.future}|${encodeValues(sc.values)}`);
  });
  const hash = "#" + p.toString().replace(/%3A/g, ":").replace(/%2C/g, ",").replace(/%7C/g, "|");
  state.lastHash = hash;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  const future = p.get("future");
  state.future = futureOf(future) ? future : state.future || state.meta.futures[0].label;
  if (p.get("lang") in TEXT) state.lang = p.get("lang");
  state.present = p.get("present") === "1";
  state.dark = p.get("dark") === "1";
  state.darkBefore = false;
  state.values = decodeValues(p.get("v"), state.future);
  const shown = [];
  for (let i = 1; i <= MAX_SHOWN; i++) {
    const raw = p.get(`s${i}`);
    if (!raw) continue;
    const [n, f, v] = raw.split("|");
    if (!n || !futureOf(f)) continue;
    const sc = { name: n.slice(0, 40), future: f, values: decodeValues(v, f) };
    const at = state.saved.findIndex(x => x.name === sc.name);
    if (at >= 0) state.saved[at] = sc; else state.saved.push(sc);
    shown.push(sc.name);
  }
  state.shown = shown;
  storeSaved();
}

// ---------------------------------------------------------------- saved scenarios
function loadSaved() {
  try {
    const list = JSON.parse(localStorage.getItem(STORE) || "[]");
    state.saved = list.filter(sc => sc && typeof sc.name === "string" && futureOf(sc.future))
      .map(sc => ({ name: sc.name, future: sc.future, values: decodeValues(encodeValues(sc.values || {}), sc.future) }));
  } catch (e) { state.saved = []; }
}
function storeSaved() {
  try { localStorage.setItem(STORE, JSON.stringify(state.saved)); } catch (e) { /* private mode */ }
}
function saveCurrent() {
  const input = document.getElementById("save-name");
  let label = input.value.trim().replace(/[|]/g, "/").slice(0, 40);
  if (!label) label = t("unnamed", { k: state.saved.length + 1 });
  const sc = { name: label, future: state.future, values: { ...state.values } };
  const at = state.saved.findIndex(x => x.name === label);
  if (at >= 0) state.saved[at] = sc; else state.saved.push(sc);
  if (!state.shown.includes(label) && state.shown.length < MAX_SHOWN) state.shown.push(label);
  delete state.cmp[label];
  storeSaved();
  input.value = "";
  savedList();
  writeHash();
  fetchShown();
  note(t("savedAs", { n: label }));
}
function note(text) {
  const status = document.getElementById("status");
  status.className = "";
  status.textContent = text;
}
function savedList() {
  const list = document.getElementById("saved");
  list.replaceChildren();
  if (state.meta) showCost();
  if (!state.saved.length) {
    html("li", { class: "hint" }, list).textContent = t("savedNone");
    return;
  }
  state.saved.forEach(sc => {
    const li = html("li", { "data-scenario": sc.name }, list);
    const box = html("input", { type: "checkbox", title: t("show"), "aria-label": t("show") }, li);
    const slot = state.shown.indexOf(sc.name);
    box.checked = slot >= 0;
    html("span", { class: "tag" + (slot >= 0 ? ` c${slot + 1}` : "") }, li).textContent =
      slot >= 0 ? TAGS[slot] : "";
    html("span", { class: "nm" }, li).textContent = `${sc.name} (${name(sc.future)})`;
    const open = html("button", { type: "button", class: "open" }, li);
    open.textContent = t("open");
    const del = html("button", { type: "button", class: "delete", title: t("remove") }, li);
    del.textContent = "\u00d7";
    box.addEventListener("change", () => {
      if (box.checked) {
        if (state.shown.length >= MAX_SHOWN) { box.checked = false; note(t("tooMany")); return; }
        state.shown.push(sc.name);
      } else state.shown = state.shown.filter(n => n !== sc.name);
      savedList();
      writeHash();
      fetchShown();
    });
    open.addEventListener("click", () => {
      state.future = sc.future;
      state.values = { ...sc.values };
      applyValues();
      document.getElementById("save-name").value = sc.name;
      changed();
    });
    del.addEventListener("click", () => {
      state.saved = state.saved.filter(x => x.name !== sc.name);
      state.shown = state.shown.filter(n => n !== sc.name);
      storeSaved();
      savedList();
      writeHash();
      redraw();
    });
  });
}
// Chart data of every shown saved scenario (asked for once per name and settings).
async function fetchShown() {
  for (const n of state.shown) {
    const sc = state.saved.find(x => x.name === n);
    const key = JSON.stringify([sc.future, sc.values]);
    if (state.cmp[n] && state.cmp[n].key === key) continue;
    try {
      const response = await fetch("/api/run", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ future: sc.future, settings: sc.values }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.error || response.statusText);
      state.cmp[n] = { key, data: body };
    } catch (err) {
      document.getElementById("status").className = "error";
      document.getElementById("status").textContent = t("failed", { e: `${n}: ${err.message}` });
    }
  }
  redraw();
}
function comparisons() {
  const out = [];
  state.shown.forEach((n, i) => {
    const sc = state.saved.find(x => x.name === n);
    if (sc && state.cmp[n]) out.push({ slot: i + 1, tag: TAGS[i], sc, data: state.cmp[n].data });
  });
  return out;
}

// ---------------------------------------------------------------- requests
// Latest wins: every change is sent at once (at most one request per THROTTLE ms; a change
// inside that window is sent when it ends) with this page's client id and a growing seq.
// The server drops a waiting request of this page when a newer one comes (409 superseded),
// and an answer is drawn only if it is for a newer request than the one drawn.
const THROTTLE = 40;
function clientId() {
  const bytes = new Uint8Array(9);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, b => b.toString(16).padStart(2, "0")).join("");
}
function request() {
  const wait = state.lastSent + THROTTLE - performance.now();
  if (wait > 0) {
    if (!state.timer) state.timer = setTimeout(() => { state.timer = null; request(); }, wait);
    return;
  }
  state.lastSent = performance.now();
  send(++state.seq);
}
async function send(seq) {
  state.inFlight = true;
  const status = document.getElementById("status");
  try {
    const response = await fetch("/api/run", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ future: state.future, settings: state.values,
                             client: state.client, seq }),
    });
    const body = await response.json();
    if (response.status === 409 && body.superseded) return;  // a newer request is on its way
    if (!response.ok) throw new Error(body.error || response.statusText);
    if (seq <= state.drawnSeq) return;  // an answer to a newer request is already drawn
    state.drawnSeq = seq;
    const timing = /dur=([0-9.]+)/.exec(response.headers.get("Server-Timing") || "");
    state.data = body;
    state.took = timing ? Number(timing[1]) : null;
    state.hit = /desc="hit"/.test(response.headers.get("Server-Timing") || "");
    draw(body);
    status.className = "";
    status.textContent = statusText();
  } catch (err) {
    if (seq < state.seq) return;  // only the newest request reports a failure
    status.className = "error";
    status.textContent = t("failed", { e: err.message });
  } finally {
    if (seq === state.seq) state.inFlight = false;
  }
}
function statusText() {
  if (state.hit) return t("cached", { n: state.meta.futures.length, m: state.meta.members });
  return t("computed", { s: state.took === null ? "?" : num(state.took / 1000, 2),
                         n: state.meta.futures.length, m: state.meta.members });
}
function redraw() {
  if (!state.data) return;
  draw(state.data);
  const status = document.getElementById("status");
  if (status.className !== "error" && /\d/.test(status.textContent) && state.took !== undefined) {
    status.textContent = statusText();
  }
}

// ---------------------------------------------------------------- charts
function scale(d0, d1, r0, r1) { return v => r0 + (v - d0) / (d1 - d0) * (r1 - r0); }
function pathOf(xs, ys, x, y) {
  return xs.map((v, i) => `${i ? "L" : "M"}${x(v).toFixed(1)} ${y(ys[i]).toFixed(1)}`).join("");
}
function niceDomain(series) {
  let lo = 0, hi = 0;
  for (const s of series) for (const v of s) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  const step = niceStep((hi - lo) / 4 || 0.1);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step, step];
}
function niceStep(raw) {
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}
// A chart title that fits: 16 px, else 14 px, else cut with an ellipsis (the tip has it all).
function title(svg, x, y, text, room, key) {
  const node = el("text", { x, y, class: "title", "data-about": key }, svg);
  node.textContent = text;
  if (node.getComputedTextLength() > room) node.style.fontSize = "14px";
  let s = text;
  while (node.getComputedTextLength() > room && s.length > 3) {
    s = s.slice(0, -1);
    node.textContent = s.trimEnd() + "\u2026";
  }
  return node;
}
// Empty chart cells first (so the grid has its final columns), then each cell's drawing
// width in CSS pixels: charts are drawn 1:1, so text keeps its CSS size.
function cells(parent, ids) {
  parent.replaceChildren();
  return ids.map(id => html("div", { class: "chart", id }, parent));
}
function widthOf(box) { return Math.max(180, Math.floor(box.clientWidth || 240)); }

// One time-series chart: band of `current`, then current, world and baseline medians (the
// dashed ones on top, so a line under another stays visible), then saved scenarios A-D.
function lineChart(box, key, block, domain, cmpBlocks, extra) {
  const width = widthOf(box);
  const base = Math.min(300, Math.max(165, width * 0.62));
  const height = Math.round(Math.max(base, Math.min(base + extra, width * 0.9)));
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, "data-key": box.id }, box);
  const m = { l: 44, r: cmpBlocks.length ? 24 : 12, t: 30, b: 24 };
  const times = state.meta.times;
  const x = scale(times[0], times[times.length - 1], m.l, width - m.r);
  const y = scale(domain[0], domain[1], height - m.b, m.t);
  title(svg, 8, 18, name(key), width - 14, key);
  const axis = el("g", { class: "axis" }, svg);
  const every = Math.ceil(20 / Math.abs(y(domain[0] + domain[2]) - y(domain[0])));
  for (let i = 0, v = domain[0]; v <= domain[1] + 1e-9; i++, v = domain[0] + i * domain[2]) {
    el("line", { x1: m.l, x2: width - m.r, y1: y(v), y2: y(v) }, axis);
    if (i % every) continue;
    el("text", { x: m.l - 5, y: y(v) + 5, "text-anchor": "end" }, axis).textContent = tick(v);
  }
  for (const [year, anchor] of [[2021, "start"], [2025, "middle"], [2030, "end"]]) {
    el("text", { x: x(year), y: height - 5, "text-anchor": anchor }, axis).textContent = year;
  }
  if (domain[0] < 0 && domain[1] > 0) {
    el("line", { x1: m.l, x2: width - m.r, y1: y(0), y2: y(0), class: "zero" }, svg);
  }
  const c = colour();
  const cur = block.current;
  const band = cur.high.map((v, i) => [times[i], v]).concat(
    cur.low.map((v, i) => [times[i], v]).reverse());
  el("path", { class: "band current", fill: c,
               d: band.map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)} ${y(p[1]).toFixed(1)}`).join("") + "Z" }, svg);
  el("path", { class: "line current", stroke: c, d: pathOf(times, cur.median, x, y) }, svg);
  el("path", { class: "line world", stroke: c, d: pathOf(times, block.world.median, x, y) }, svg);
  el("path", { class: "line baseline", d: pathOf(times, block.baseline.median, x, y) }, svg);
  const tags = [];
  for (const cmp of cmpBlocks) {
    const series = cmp.block.current.median;
    el("path", { class: `line cmp c${cmp.slot}`, d: pathOf(times, series, x, y),
                 "data-scenario": cmp.sc.name }, svg);
    tags.push({ y: y(series[series.length - 1]) + 5, cmp });
  }
  // letters at the lines' ends, pushed apart so that none sits on another
  tags.sort((a, b) => a.y - b.y);
  for (let i = 1; i < tags.length; i++) tags[i].y = Math.max(tags[i].y, tags[i - 1].y + 14);
  const over = tags.length ? tags[tags.length - 1].y - (height - 2) : 0;
  for (const tag of tags) {
    el("text", { x: width - m.r + 3, y: tag.y - Math.max(0, over), class: `cmp-tag c${tag.cmp.slot}` },
       svg).textContent = tag.cmp.tag;
  }
}

// 2030 impact per future: baseline (grey ring), world (dashed ring), current (dot); saved
// scenarios as lettered squares. A row per future: its name above, the markers below.
function dotChart(box, area, data, domain, cmps) {
  const width = widthOf(box);
  const rows = state.meta.futures;
  const row = 36;
  const m = { l: 14, r: 14, t: 26, b: 24 };
  const height = m.t + row * rows.length + m.b;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height }, box);
  const x = scale(domain[0], domain[1], m.l, width - m.r);
  title(svg, 8, 18, name(area), width - 14, area);
  const axis = el("g", { class: "axis" }, svg);
  const every = Math.ceil(60 / (x(domain[0] + domain[2]) - x(domain[0])));
  for (let i = 0, v = domain[0]; v <= domain[1] + 1e-9; i++, v = domain[0] + i * domain[2]) {
    el("line", { x1: x(v), x2: x(v), y1: m.t, y2: height - m.b }, axis);
    if (i % every) continue;
    const anchor = v <= domain[0] + 1e-9 ? "start" : v >= domain[1] - 1e-9 ? "end" : "middle";
    el("text", { x: x(v), y: height - 5, "text-anchor": anchor }, axis).textContent = tick(v);
  }
  if (domain[0] < 0 && domain[1] > 0) {
    el("line", { x1: x(0), x2: x(0), y1: m.t, y2: height - m.b, class: "zero" }, svg);
  }
  rows.forEach((f, i) => {
    const top = m.t + row * i;
    const yy = top + 26;
    const v = data[f.label];
    el("text", { x: 8, y: top + 14, "data-about": f.label,
                 class: "dot-label" + (f.label === state.future ? " chosen" : "") }, svg)
      .textContent = name(f.label);
    el("line", { x1: x(v.baseline[area]), x2: x(v.current[area]), y1: yy, y2: yy,
                 stroke: f.colour, "stroke-width": 2 }, svg);
    el("circle", { cx: x(v.current[area]), cy: yy, r: 6, fill: f.colour, class: "dot current" }, svg);
    el("circle", { cx: x(v.world[area]), cy: yy, r: 6, fill: "none", stroke: f.colour,
                   "stroke-width": 2, "stroke-dasharray": "2.5 2", class: "dot world" }, svg);
    el("circle", { cx: x(v.baseline[area]), cy: yy, r: 5, "stroke-width": 2,
                   class: "dot baseline" }, svg);
    for (const cmp of cmps) {
      const cx = x(cmp.data.futures[f.label].current[area]);
      el("rect", { x: cx - 4, y: yy - 4, width: 8, height: 8, class: `mark c${cmp.slot}`,
                   "data-scenario": cmp.sc.name }, svg);
    }
  });
}

function sample(kind, cls, c) {
  const svg = el("svg", { width: 36, height: 16, "aria-hidden": "true" });
  if (kind === "line") {
    el("path", { class: `line ${cls}`, stroke: c, d: "M2 8 L34 8" }, svg);
  } else if (kind === "ring0") {
    el("circle", { cx: 18, cy: 8, r: 5, "stroke-width": 2, class: "dot baseline" }, svg);
  } else if (kind === "ring1") {
    el("circle", { cx: 18, cy: 8, r: 6, fill: "none", stroke: c, "stroke-width": 2,
                   "stroke-dasharray": "2.5 2" }, svg);
  } else if (kind === "dot") {
    el("circle", { cx: 18, cy: 8, r: 6, fill: c }, svg);
  } else if (kind === "mark") {
    el("rect", { x: 14, y: 4, width: 8, height: 8, class: `mark ${cls}` }, svg);
  }
  return svg;
}
function legendItem(parent, svg, text) {
  const item = html("span", { class: "item" }, parent);
  item.appendChild(svg);
  html("span", {}, item).textContent = text;
}
function legend(cmps) {
  const box = document.getElementById("legend");
  box.replaceChildren();
  const c = colour();
  legendItem(box, sample("line", "baseline", c), t("baseline", { f: name(state.future) }));
  legendItem(box, sample("line", "world", c), t("worldOnly"));
  legendItem(box, sample("line", "current", c), t("current"));
  for (const cmp of cmps) {
    legendItem(box, sample("line", `cmp c${cmp.slot}`), t("cmpItem", { t: cmp.tag, n: cmp.sc.name, f: name(cmp.sc.future) }));
  }
  const marks = document.getElementById("markers");
  marks.replaceChildren();
  legendItem(marks, sample("ring0"), t("ring0"));
  legendItem(marks, sample("ring1", "", "var(--muted)"), t("ring1"));
  legendItem(marks, sample("dot", "", c), t("ring2"));
  for (const cmp of cmps) {
    legendItem(marks, sample("mark", `c${cmp.slot}`), t("cmpItem", { t: cmp.tag, n: cmp.sc.name, f: name(cmp.sc.future) }));
  }
}

// The twelfth cell of the trend grid: which sliders differ from the future's defaults.
function changes(box, data) {
  box.classList.add("changes");
  const chart = box.previousElementSibling && box.previousElementSibling.querySelector("svg");
  if (chart) box.style.height = `${chart.getAttribute("height")}px`;  // a long list scrolls
  html("h3", {}, box).textContent = t("changes");
  const list = html("ul", {}, box);
  const d = defaults(data.future);
  for (const s of state.meta.sliders) {
    const value = data.settings[s.key];
    if (Math.abs(value - d[s.key]) < 1e-9) continue;
    html("li", {}, list).textContent = `${s.name[state.lang]}: ${fmt(d[s.key], s.step)} \u2192 ${fmt(value, s.step)}`;
  }
  if (!list.children.length) html("li", { class: "none" }, list).textContent = t("noChanges");
}

// Drawn at the cells' natural height; if the page then ends above the bottom of the screen
// (a projector at 1920 x 1080), drawn again with the spare height shared out. The spare
// height is found once per screen size, mode, language and number of compared scenarios,
// so a moved slider never changes the geometry (a line moves only because a value moved).
function draw(data) {
  const key = [innerWidth, innerHeight, state.present, state.lang, comparisons().length].join("/");
  if (state.fit && state.fit.key === key) { drawAt(data, state.fit.extra); return; }
  drawAt(data, 0);
  let extra = 0;
  if (!window.matchMedia("(max-width: 760px)").matches) {
    const bottom = document.getElementById("four").getBoundingClientRect().bottom + scrollY;
    const spare = innerHeight - 12 - bottom;
    if (spare > 6) extra = Math.floor(spare / (rowsOf("trends") + rowsOf("areas")));
  }
  state.fit = { key, extra };
  if (extra) drawAt(data, extra);
}
function rowsOf(id) {
  return new Set([...document.getElementById(id).children].map(c => c.offsetTop)).size || 1;
}
function drawAt(data, extra) {
  const meta = state.meta;
  const cmps = comparisons();
  document.getElementById("headline").textContent = name(data.future);
  document.getElementById("headline").setAttribute("data-about", data.future);
  legend(cmps);
  const trendBoxes = cells(document.getElementById("trends"),
                           [...meta.trends.map(x => `trend-${x}`), "changes"]);
  const areaBoxes = cells(document.getElementById("areas"), meta.areas.map(a => `area-${a}`));
  const fourBoxes = cells(document.getElementById("four"), meta.areas.map(a => `four-${a}`));
  meta.trends.forEach((trend, i) => {
    lineChart(trendBoxes[i], trend, data.trends[trend], [0, 1, 0.25],
              cmps.map(c => ({ ...c, block: c.data.trends[trend] })), extra);
  });
  changes(trendBoxes[meta.trends.length], data);
  const all = [];
  for (const d of [data, ...cmps.map(c => c.data)]) {
    for (const a of meta.areas) for (const v of meta.variants) {
      const s = d.areas[a][v];
      all.push(s.median);
      if (s.low) all.push(s.low, s.high);
    }
  }
  const areaDomain = niceDomain(all);
  meta.areas.forEach((a, i) => {
    lineChart(areaBoxes[i], a, data.areas[a], areaDomain,
              cmps.map(c => ({ ...c, block: c.data.areas[a] })), extra);
  });
  const finals = [];
  for (const d of [data, ...cmps.map(c => c.data)]) {
    for (const f of Object.values(d.futures)) {
      for (const v of meta.variants) finals.push(Object.values(f[v]));
    }
  }
  const fourDomain = niceDomain(finals);
  meta.areas.forEach((a, i) => dotChart(fourBoxes[i], a, data.futures, fourDomain, cmps));
  document.getElementById("export-line").value = data.export.overrides;
  document.getElementById("export-yaml").value = data.export.yaml;
}

// ---------------------------------------------------------------- handout
// One printable HTML page of the current scenario: its settings, the impact charts as drawn,
// the `futures run` line and the YAML. Downloaded as a file (it opens offline, anywhere).
async function handout() {
  if (!state.data) return;
  let css = "";
  try { css = await (await fetch("/style.css")).text(); } catch (e) { css = ""; }
  const data = state.data;
  const label = document.getElementById("save-name").value.trim() || name(data.future);
  // The page's own style sheet plus print rules, put into the file as text: a <style> made
  // in this page would (rightly) be refused by its Content-Security-Policy.
  const extra = "\nbody{display:block;max-width:1100px;margin:0 auto;padding:12px;background:#fff}" +
    "\n.grid.areas{grid-template-columns:repeat(5,1fr)} table{border-collapse:collapse;font-size:14px}" +
    "\ntd,th{border-bottom:1px solid #ccc;padding:2px 8px;text-align:left} .n{text-align:right}" +
    "\npre{white-space:pre-wrap;font-size:13px;line-height:1.15;border:1px solid #ccc;padding:6px;margin:4px 0}" +
    "\n.cols{display:grid;grid-template-columns:1.1fr 1fr 1fr;gap:12px} h1{font-size:22px} h2{font-size:17px}" +
    "\n.chart svg{width:100%;height:auto} @page{size:A4 landscape;margin:10mm} @media print{body{max-width:none;padding:0;zoom:0.62}}";
  const doc = document.implementation.createHTMLDocument("");
  const body = doc.body;
  const add = (tag, text, parent, cls) => {
    const node = doc.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    (parent || body).appendChild(node);
    return node;
  };
  add("h1", `${t("handoutTitle")}: ${label}`);
  add("p", `${t("future")}: ${name(data.future)}. ${about(data.future) ? about(data.future).text : ""}`);
  if (costOf(data.settings)) add("p", costText(data.settings), body, "cost");
  const cols = add("div", undefined, body, "cols");
  const left = add("div", undefined, cols);
  const table = add("table", undefined, left);
  const head = add("tr", undefined, table);
  for (const h of [t("handoutSetting"), t("handoutDefault"), t("handoutNow")]) add("th", h, head);
  const d = defaults(data.future);
  for (const s of state.meta.sliders) {
    const tr = add("tr", undefined, table);
    const moved = Math.abs(data.settings[s.key] - d[s.key]) > 1e-9;
    add("td", s.name[state.lang] + (moved ? " *" : ""), tr);
    add("td", fmt(d[s.key], s.step), tr, "n");
    add(moved ? "th" : "td", fmt(data.settings[s.key], s.step), tr, "n");
  }
  const right = add("div", undefined, cols);
  add("h2", t("handoutRun"), right);
  add("pre", data.export.overrides, right);
  add("pre", data.export.yaml, add("div", undefined, cols));
  add("h2", t("areas"));
  body.appendChild(doc.importNode(document.getElementById("legend"), true));
  body.appendChild(doc.importNode(document.getElementById("areas"), true));
  add("h2", t("four"));
  body.appendChild(doc.importNode(document.getElementById("markers"), true));
  body.appendChild(doc.importNode(document.getElementById("four"), true));
  add("p", t("made", { v: state.meta.futures_version, s: state.meta.seed, m: state.meta.members,
                       d: new Date().toISOString().slice(0, 10) }));
  const escape = v => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const text = `<!doctype html>\n<html lang="${state.lang}"><head><meta charset="utf-8">` +
    `<title>${escape(`${t("handoutTitle")}: ${label}`)}</title>\n` +
    `<style>${css.replace(/<\//g, "<\\/")}${extra}</style></head>\n${doc.body.outerHTML}</html>\n`;
  const url = URL.createObjectURL(new Blob([text], { type: "text/html" }));
  const a = html("a", { href: url, download: `futures-scenario-${label.replace(/[^A-Za-z0-9_-]+/g, "_")}.html` }, document.body);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 5000);
}

async function start() {
  const response = await fetch("/api/meta");
  state.meta = await response.json();
  state.lang = state.meta.lang;
  state.future = state.meta.futures[0].label;
  loadSaved();
  buildControls();
  bindTips();
  if (location.hash.length > 1) readHash();
  else state.values = { ...defaults() };
  applyMode();
  relabel();
  applyValues();
  writeHash();
  request();
  fetchShown();
}

start();
