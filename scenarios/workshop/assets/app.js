// futures workshop: sliders -> POST /api/run -> SVG charts. Plain JS, no libraries, offline.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const TEXT = {
  en: {
    title: "Digital futures 2030", start: "Starting future", axis: "Axes of the future",
    world: "World assumptions", lever: "Policy levers",
    reset: "Reset to the future's defaults", export: "Export to futures run",
    exportLine: "Override line (paste into a shell)",
    exportYaml: "YAML config (save as DIR/NAME.yaml; futures run --config-dir DIR --config-name NAME)",
    copy: "Copy", copied: "Copied",
    changes: "Changed from the defaults", noChanges: "nothing yet: move a slider",
    trends: "Trends: level in Dutch society (0 absent - 1 saturated); lines are medians of the members",
    areas: "Impact areas: change since 2021 (positive is better); band: 10-90 % of the members",
    four: "The same world assumptions and levers in every future: impact in 2030 (median)",
    baseline: "baseline: {f}, default settings", worldOnly: "world assumptions changed",
    current: "current: world assumptions + levers",
    computed: "server: {s} ms ({n} futures x {m} members, no events)",
    busy: "computing ...", failed: "the server refused: {e}",
  },
  nl: {
    title: "Digitale toekomsten 2030", start: "Starttoekomst", axis: "Assen van de toekomst",
    world: "Aannames over de wereld", lever: "Beleidsknoppen",
    reset: "Terug naar de standaard van deze toekomst", export: "Exporteren naar futures run",
    exportLine: "Override-regel (plak in een shell)",
    exportYaml: "YAML-config (bewaar als MAP/NAAM.yaml; futures run --config-dir MAP --config-name NAAM)",
    copy: "Kopieer", copied: "Gekopieerd",
    changes: "Gewijzigd ten opzichte van de standaard", noChanges: "nog niets: verschuif een schuifje",
    trends: "Trends: niveau in de Nederlandse samenleving (0 afwezig - 1 verzadigd); lijnen zijn medianen",
    areas: "Impactgebieden: verandering sinds 2021 (positief is beter); band: 10-90 % van de leden",
    four: "Dezelfde aannames en beleidsknoppen in elke toekomst: impact in 2030 (mediaan)",
    baseline: "basislijn: {f}, standaardinstellingen", worldOnly: "aannames over de wereld gewijzigd",
    current: "huidig: aannames + beleid",
    computed: "server: {s} ms ({n} toekomsten x {m} leden, geen gebeurtenissen)",
    busy: "bezig ...", failed: "de server weigerde: {e}",
  },
};

const state = { meta: null, lang: "en", future: null, values: {}, data: null,
                inFlight: false, pending: false };

function t(key, vars) {
  let s = TEXT[state.lang][key] || key;
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
function colour() { return state.meta.futures.find(f => f.label === state.future).colour; }
function fmt(v, step) {
  const digits = step >= 1 ? 0 : step >= 0.1 ? 1 : 2;
  return Number(v).toFixed(digits);
}

// ---------------------------------------------------------------- controls
function buildControls() {
  const box = document.getElementById("futures");
  for (const f of state.meta.futures) {
    const label = html("label", {}, box);
    const input = html("input", { type: "radio", name: "future", value: f.label }, label);
    const sw = el("svg", { class: "swatch", width: 14, height: 14 }, label);
    el("rect", { width: 14, height: 14, rx: 3, fill: f.colour }, sw);
    html("span", { "data-name": f.label }, label);
    input.addEventListener("change", () => chooseFuture(f.label, false));
  }
  for (const s of state.meta.sliders) {
    const row = html("div", { class: "slider", id: `row-${s.key}` },
                     document.getElementById(`group-${s.group}`));
    html("label", { for: `s-${s.key}`, "data-slider": s.key }, row);
    const input = html("input", { type: "range", id: `s-${s.key}`, name: s.key, min: s.low,
                                  max: s.high, step: s.step }, row);
    html("output", { id: `o-${s.key}`, for: `s-${s.key}` }, row);
    input.addEventListener("input", () => {
      state.values[s.key] = parseFloat(input.value);
      showValue(s);
      request();
    });
  }
  document.getElementById("reset").addEventListener("click", () => chooseFuture(state.future, true));
  document.getElementById("lang").addEventListener("click", () => {
    state.lang = state.lang === "en" ? "nl" : "en";
    relabel();
    if (state.data) draw(state.data);
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
}

function defaults() { return state.meta.futures.find(f => f.label === state.future).defaults; }

function showValue(s) {
  const value = state.values[s.key];
  document.getElementById(`o-${s.key}`).textContent = fmt(value, s.step) + (s.unit[state.lang] ? ` ${s.unit[state.lang]}` : "");
  const changed = Math.abs(value - defaults()[s.key]) > 1e-9;
  document.getElementById(`row-${s.key}`).classList.toggle("changed", changed);
}

// A new starting future sets its axis position and EU regulation; with `all`, every slider.
function chooseFuture(label, all) {
  state.future = label;
  const d = defaults();
  for (const s of state.meta.sliders) {
    if (all || s.group === "axis" || s.key === "eu_regulation" || !(s.key in state.values)) {
      state.values[s.key] = d[s.key];
    }
    document.getElementById(`s-${s.key}`).value = state.values[s.key];
    showValue(s);
  }
  document.querySelector(`input[name=future][value="${label}"]`).checked = true;
  request();
}

function relabel() {
  document.documentElement.lang = state.lang;
  document.getElementById("lang").textContent = state.lang === "en" ? "NL" : "EN";
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-name]")) node.textContent = name(node.dataset.name);
  for (const s of state.meta.sliders) {
    document.querySelector(`label[data-slider="${s.key}"]`).textContent = s.name[state.lang];
    if (s.key in state.values) showValue(s);  // units follow the language
  }
}

// ---------------------------------------------------------------- requests
// One request at a time; moves during a request are sent as one request when it returns.
async function request() {
  if (state.inFlight) { state.pending = true; return; }
  state.inFlight = true;
  state.pending = false;
  const status = document.getElementById("status");
  try {
    const response = await fetch("/api/run", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ future: state.future, settings: state.values }),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error || response.statusText);
    const timing = /dur=([0-9.]+)/.exec(response.headers.get("Server-Timing") || "");
    state.data = body;
    draw(body);
    status.className = "";
    status.textContent = t("computed", { s: timing ? Math.round(timing[1]) : "?",
                                         n: state.meta.futures.length, m: state.meta.members });
  } catch (err) {
    status.className = "error";
    status.textContent = t("failed", { e: err.message });
  } finally {
    state.inFlight = false;
    if (state.pending) request();
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

// One time-series chart: band of `current`, then baseline, world and current medians.
function lineChart(parent, id, title, block, domain, width, height) {
  const box = html("div", { class: "chart", id }, parent);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, "data-key": id }, box);
  const m = { l: 34, r: 8, t: 20, b: 18 };
  const times = state.meta.times;
  const x = scale(times[0], times[times.length - 1], m.l, width - m.r);
  const y = scale(domain[0], domain[1], height - m.b, m.t);
  el("text", { x: m.l, y: 14, class: "title" }, svg).textContent = title;
  const axis = el("g", { class: "axis" }, svg);
  for (let v = domain[0]; v <= domain[1] + 1e-9; v += domain[2]) {
    el("line", { x1: m.l, x2: width - m.r, y1: y(v), y2: y(v) }, axis);
    el("text", { x: m.l - 4, y: y(v) + 4, "text-anchor": "end" }, axis).textContent =
      Math.abs(v) < 1e-9 ? "0" : +v.toFixed(2);
  }
  for (const [year, anchor] of [[2021, "start"], [2025, "middle"], [2030, "end"]]) {
    el("text", { x: x(year), y: height - 4, "text-anchor": anchor }, axis).textContent = year;
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
  el("path", { class: "line baseline", d: pathOf(times, block.baseline.median, x, y) }, svg);
  el("path", { class: "line world", stroke: c, d: pathOf(times, block.world.median, x, y) }, svg);
  el("path", { class: "line current", stroke: c, d: pathOf(times, cur.median, x, y) }, svg);
}

// 2030 impact per future: baseline (grey ring), world (coloured ring), current (dot).
function dotChart(parent, area, data, domain, width, height) {
  const box = html("div", { class: "chart", id: `four-${area}` }, parent);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}` }, box);
  const m = { l: 150, r: 10, t: 20, b: 18 };
  const x = scale(domain[0], domain[1], m.l, width - m.r);
  el("text", { x: 6, y: 14, class: "title" }, svg).textContent = name(area);
  const axis = el("g", { class: "axis" }, svg);
  for (let v = domain[0]; v <= domain[1] + 1e-9; v += domain[2]) {
    el("line", { x1: x(v), x2: x(v), y1: m.t, y2: height - m.b }, axis);
    el("text", { x: x(v), y: height - 4, "text-anchor": "middle" }, axis).textContent =
      Math.abs(v) < 1e-9 ? "0" : +v.toFixed(2);
  }
  if (domain[0] < 0 && domain[1] > 0) {
    el("line", { x1: x(0), x2: x(0), y1: m.t, y2: height - m.b, class: "zero" }, svg);
  }
  const rows = state.meta.futures;
  const dy = (height - m.t - m.b) / rows.length;
  rows.forEach((f, i) => {
    const yy = m.t + dy * (i + 0.5);
    const v = data[f.label];
    el("text", { x: m.l - 8, y: yy + 4, "text-anchor": "end",
                 class: "dot-label" + (f.label === state.future ? " chosen" : "") }, svg)
      .textContent = name(f.label);
    el("line", { x1: x(v.baseline[area]), x2: x(v.current[area]), y1: yy, y2: yy,
                 stroke: f.colour, "stroke-width": 2 }, svg);
    el("circle", { cx: x(v.baseline[area]), cy: yy, r: 5, fill: "#fff", stroke: "#666",
                   "stroke-width": 2, class: "dot baseline" }, svg);
    el("circle", { cx: x(v.world[area]), cy: yy, r: 5, fill: "none", stroke: f.colour,
                   "stroke-width": 2, "stroke-dasharray": "2 2", class: "dot world" }, svg);
    el("circle", { cx: x(v.current[area]), cy: yy, r: 5.5, fill: f.colour,
                   class: "dot current" }, svg);
  });
}

function legend() {
  const svg = document.getElementById("legend");
  svg.replaceChildren();
  const c = colour();
  const g = el("g", { class: "legend" }, svg);
  const items = [["baseline", t("baseline", { f: name(state.future) })],
                 ["world", t("worldOnly")], ["current", t("current")]];
  let x0 = 4;
  for (const [cls, label] of items) {
    el("path", { class: `line ${cls}`, stroke: c, d: `M${x0} 17 L${x0 + 34} 17` }, g);
    const text = el("text", { x: x0 + 40, y: 21 }, g);
    text.textContent = label;
    x0 += 64 + text.getComputedTextLength();
  }
  svg.setAttribute("width", x0);
}

// The twelfth cell of the trend grid: which sliders differ from the future's defaults.
function changes(parent, data) {
  const box = html("div", { class: "chart changes", id: "changes" }, parent);
  html("h3", {}, box).textContent = t("changes");
  const list = html("ul", {}, box);
  const d = defaults();
  for (const s of state.meta.sliders) {
    const value = data.settings[s.key];
    if (Math.abs(value - d[s.key]) < 1e-9) continue;
    html("li", {}, list).textContent = `${s.name[state.lang]}: ${fmt(d[s.key], s.step)} \u2192 ${fmt(value, s.step)}`;
  }
  if (!list.children.length) html("li", { class: "none" }, list).textContent = t("noChanges");
}

function draw(data) {
  const meta = state.meta;
  document.getElementById("headline").textContent = name(data.future);
  legend();
  const trends = document.getElementById("trends");
  trends.replaceChildren();
  for (const trend of meta.trends) {
    lineChart(trends, `trend-${trend}`, name(trend), data.trends[trend], [0, 1, 0.25], 250, 235);
  }
  changes(trends, data);
  const all = [];
  for (const a of meta.areas) for (const v of meta.variants) {
    const s = data.areas[a][v];
    all.push(s.median);
    if (s.low) all.push(s.low, s.high);
  }
  const areaDomain = niceDomain(all);
  const areas = document.getElementById("areas");
  areas.replaceChildren();
  for (const a of meta.areas) {
    lineChart(areas, `area-${a}`, name(a), data.areas[a], areaDomain, 300, 215);
  }
  const finals = [];
  for (const f of Object.values(data.futures)) {
    for (const v of meta.variants) finals.push(Object.values(f[v]));
  }
  const fourDomain = niceDomain(finals);
  const four = document.getElementById("four");
  four.replaceChildren();
  for (const a of meta.areas) dotChart(four, a, data.futures, fourDomain, 300, 175);
  document.getElementById("export-line").value = data.export.overrides;
  document.getElementById("export-yaml").value = data.export.yaml;
}

async function start() {
  const response = await fetch("/api/meta");
  state.meta = await response.json();
  state.lang = state.meta.lang;
  buildControls();
  relabel();
  chooseFuture(state.meta.futures[0].label, true);
}

start();
