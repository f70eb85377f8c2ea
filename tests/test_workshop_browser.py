"""The workshop page in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Chromium comes from the system (``.ci/run`` installs the Debian packages); Playwright's own
browser download is never used. One browser and one server serve the whole module. The page
must load with no request leaving the server, draw the charts, and redraw them when a slider
moves; it must be legible on a projector (1280 x 720 to 1920 x 1080: no text under 14 CSS
px, legends whole, the screen used), stack on a phone (390 x 844), explain itself in both
languages with Dutch decimal commas, keep its whole state in the address, and save, compare
and export scenarios. Screenshots go to ``runs/workshop-*.png`` for a person to look at.
"""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import ROOT

# Predicates are arrow functions: a bare expression string would be eval'd in the page,
# which the page's Content-Security-Policy (script-src 'self') rightly forbids.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOT = ROOT / "runs" / "workshop-test.png"
DRAWN = "#trend-autonomisering path.line.current"
WAIT = 60_000  # ms; the machine may be shared (2 cores, several jobs)
PROJECTORS = [(1024, 768), (1280, 720), (1366, 768), (1920, 1080)]

# Every visible element with its own text: its font size as drawn on the screen (CSS px; an
# SVG text's size times the SVG's scale to the screen).
TEXT_SIZES = """() => {
  const out = [];
  for (const n of document.querySelectorAll('body *')) {
    if (![...n.childNodes].some(c => c.nodeType === 3 && c.textContent.trim())) continue;
    if (!n.getClientRects().length || getComputedStyle(n).visibility === 'hidden') continue;
    let size = parseFloat(getComputedStyle(n).fontSize);
    if (n instanceof SVGElement) size *= n.getScreenCTM().a;
    out.push([n.tagName, n.textContent.trim().slice(0, 30), size]);
  }
  return out;
}"""
BOX = "(n) => { const r = n.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; }"


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "install Debian's chromium (see .ci/run)"
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def opened(browser, server, width, height, hash_="", **options):
    """A new page (own context: own localStorage) at the given size, charts drawn."""
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    context.set_default_timeout(WAIT)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.problems = problems
    page.goto(server.url + "/" + hash_)
    page.wait_for_selector(DRAWN)
    page.wait_for_function("() => /\\d/.test(document.querySelector('#status').textContent)",
                           timeout=WAIT)
    return page


def shot(page, name):
    path = ROOT / "runs" / f"workshop-{name}.png"
    path.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(path))
    return path


def inside(inner, outer, slack=0.5):
    return (inner[0] >= outer[0] - slack and inner[1] >= outer[1] - slack and
            inner[2] <= outer[2] + slack and inner[3] <= outer[3] + slack)


def luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_slider_redraws_the_charts_offline(server, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.set_default_timeout(WAIT)
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(server.url + "/")
    page.wait_for_selector(DRAWN)
    before = page.get_attribute(DRAWN, "d")
    baseline = page.get_attribute("#trend-autonomisering path.line.baseline", "d")
    assert page.text_content("#headline") == "Acceleration"
    # the dashed lines on top: when the three coincide (nothing moved yet), all show
    order = page.eval_on_selector_all("#trend-autonomisering path",
                                      "(ns) => ns.map(n => n.getAttribute('class'))")
    assert order == ["band current", "line current", "line world", "line baseline"]
    # the impact areas share one scale, so heights compare
    scales = page.eval_on_selector_all(
        "#areas .chart", "(ns) => ns.map(n => [...n.querySelectorAll('.axis text')]"
        ".map(t => t.textContent + '@' + t.getAttribute('y')).join(' '))")
    assert len(scales) == 5 and len(set(scales)) == 1

    page.locator("#s-ai_investment").fill("1")  # sets the value and fires `input`
    page.wait_for_function("(d) => document.querySelector("
                           "'#trend-autonomisering path.line.current').getAttribute('d') !== d",
                           arg=before, timeout=WAIT)
    assert page.get_attribute("#trend-autonomisering path.line.baseline", "d") == baseline
    assert "AI investment: 0.50 \u2192 1.00" in page.text_content("#changes")
    page.wait_for_function("() => document.querySelector('#export-line').value.includes("
                           "'future.versnelling.levers.ai_investment=1')", timeout=WAIT)

    page.locator("#s-cross_impact_strength").fill("1.6")
    page.wait_for_function("() => document.querySelector('#changes').textContent"
                           ".includes('1.60')", timeout=WAIT)
    page.click("#export summary")
    SHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOT))
    assert png_size(SHOT) == (1920, 1080)
    assert SHOT.stat().st_size > 50_000  # a drawn page, not a blank one

    # another starting future takes its own axis position; the lever package stays
    page.click("input[name=future][value=gelijk_speelveld]")
    page.wait_for_function("() => document.querySelector('#headline').textContent === "
                           "'Level playing field'", timeout=WAIT)
    assert page.input_value("#s-ownership") == "0.75"
    assert page.input_value("#s-ai_investment") == "1"
    assert page.text_content("#o-transition_years").endswith(" yr")
    page.click("#lang")
    assert page.text_content("#headline") == "Gelijk speelveld"
    assert page.text_content("h1") == "Digitale toekomsten 2030"
    assert page.text_content("#o-transition_years").endswith(" jr")  # units follow the language

    assert problems == []
    outside = [u for u in requests if not u.startswith(server.url + "/")]
    assert outside == []
    assert {u[len(server.url):].split("#")[0] for u in requests} >= {
        "/", "/app.js", "/style.css", "/api/meta", "/api/run"}
    page.close()


def test_a_refused_request_shows_the_servers_message(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.set_default_timeout(WAIT)
    page.goto(server.url + "/")
    page.wait_for_selector(DRAWN)
    # a value outside the slider's range, as a tampered page would send it
    page.evaluate("state.values.ownership = 7; request();")
    page.wait_for_function("() => document.querySelector('#status').className === 'error'",
                           timeout=WAIT)
    assert "settings.ownership=7: expected a number in [0.0, 1.0]" in \
        page.text_content("#status")
    page.close()


@pytest.mark.parametrize("size", PROJECTORS, ids=[f"{w}x{h}" for w, h in PROJECTORS])
def test_projector_sizes_are_legible_and_use_the_screen(server, browser, size):
    width, height = size
    page = opened(browser, server, width, height)
    sizes = page.evaluate(TEXT_SIZES)
    assert len(sizes) > 200  # the charts' axis labels are among them
    small = [s for s in sizes if s[2] < 14 - 1e-6]
    assert small == [], small[:5]
    axis = [s for s in sizes if s[0] == "text" and s[1] == "2025"]
    assert len(axis) == 16 and min(s[2] for s in axis) >= 14  # 11 trends + 5 areas

    # every chart is drawn 1:1 (no scaled-down SVG), inside its cell, and all fit the width
    scales = page.eval_on_selector_all(".chart svg", "(ns) => ns.map(n => n.getScreenCTM().a)")
    assert len(scales) == 21 and all(abs(s - 1) < 1e-6 for s in scales)
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= width

    # legends whole: every entry inside its legend, every legend inside the page's width
    for legend in ("#legend", "#markers"):
        outer = page.eval_on_selector(legend, BOX)
        assert outer[2] <= width
        items = page.eval_on_selector_all(f"{legend} .item", f"(ns) => ns.map({BOX})")
        assert len(items) == 3
        assert all(inside(i, outer) for i in items), (legend, items, outer)

    # no empty fifth: the charts reach the right edge and below four fifths of the height
    main = page.eval_on_selector("main", BOX)
    rights = page.eval_on_selector_all("#trends .chart, #areas .chart", f"(ns) => ns.map({BOX})")
    assert max(r[2] for r in rights) >= main[2] - 20
    assert max(r[2] for r in rights if r[1] > rights[-6][1]) >= main[2] - 20  # areas too
    bottom = page.eval_on_selector("#four", BOX)[3]
    assert bottom >= 0.8 * height
    if height >= 1080:  # everything fits: the bottom row's axis labels are not cut off
        assert bottom <= height and page.evaluate(
            "() => document.scrollingElement.scrollHeight") <= height
    path = shot(page, f"{width}x{height}")
    assert png_size(path) == (width, height)
    assert page.problems == []
    page.context.close()


def test_presentation_mode_hides_the_controls_and_is_dark(server, browser):
    page = opened(browser, server, 1920, 1080)
    light = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    before = page.eval_on_selector("#trend-autonomisering svg", BOX)
    page.keyboard.press("p")
    page.wait_for_function("() => document.body.classList.contains('present')")
    assert page.is_hidden("#controls")
    after = page.eval_on_selector("#trend-autonomisering svg", BOX)
    assert after[2] - after[0] > 1.15 * (before[2] - before[0])  # charts larger
    assert "present=1" in page.evaluate("() => location.hash")
    fg, bg = page.evaluate("() => [getComputedStyle(document.body).color, "
                           "getComputedStyle(document.body).backgroundColor]")
    assert bg != light and luminance(bg) < 0.02  # a dark room gets a dark page
    assert contrast(fg, bg) >= 12
    tick = page.eval_on_selector(".axis text", "(n) => getComputedStyle(n).fill")
    panel = page.eval_on_selector(".chart", "(n) => getComputedStyle(n).backgroundColor")
    assert contrast(tick, panel) >= 7
    assert min(s[2] for s in page.evaluate(TEXT_SIZES)) >= 14
    bottom = page.eval_on_selector("#four", BOX)[3]
    assert bottom >= 0.8 * 1080
    shot(page, "present-1920x1080")
    page.click("#present")  # the button leaves it too, and the light theme returns
    assert page.is_visible("#controls")
    assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == light
    page.keyboard.press("d")
    assert page.evaluate("() => document.body.classList.contains('dark')")
    assert page.problems == []
    page.context.close()


def test_phone_stacks_without_horizontal_scrolling(server, browser):
    page = opened(browser, server, 390, 844, is_mobile=True, has_touch=True,
                  device_scale_factor=2)
    assert page.evaluate("() => document.scrollingElement.scrollWidth") <= 390
    controls = page.eval_on_selector("#controls", BOX)
    charts = page.eval_on_selector_all("#trends .chart, #areas .chart, #four .chart",
                                       f"(ns) => ns.map({BOX})")
    assert len(charts) == 22
    assert controls[3] <= charts[0][1]  # the controls first, then the charts
    assert all(c[2] <= 390 for c in charts)
    tops = [c[1] for c in charts]
    assert tops == sorted(tops) and len({round(t) for t in tops}) == 22  # one per row
    assert min(c[2] - c[0] for c in charts) >= 360
    heights = page.eval_on_selector_all("input[type=range]", "(ns) => ns.map(n => "
                                        "n.getBoundingClientRect().height)")
    assert len(heights) == 12 and min(heights) >= 44
    assert min(s[2] for s in page.evaluate(TEXT_SIZES)) >= 14
    shot(page, "phone-390x844")
    page.locator("#trends").scroll_into_view_if_needed()
    page.evaluate("() => window.scrollTo(0, document.getElementById('trends').offsetTop - 60)")
    shot(page, "phone-charts")
    # a tap explains a chart, inside the screen
    page.locator("#area-veiligheid text.title").scroll_into_view_if_needed()
    page.tap("#area-veiligheid text.title")
    page.wait_for_selector("#tip:not([hidden])")
    assert "National, economic and digital security." in page.text_content("#tip")
    tip = page.eval_on_selector("#tip", BOX)
    assert tip[0] >= 0 and tip[2] <= 390
    page.tap("#headline")  # elsewhere: the explanation goes away... or explains the future
    assert "big tech" in page.text_content("#tip")
    page.tap("h1")
    assert page.is_hidden("#tip")
    shot(page, "phone-tap")
    assert page.problems == []
    page.context.close()


def test_the_page_explains_itself_in_both_languages(server, browser):
    page = opened(browser, server, 1366, 768)
    page.hover("label[data-slider=data_sharing]")
    page.wait_for_selector("#tip:not([hidden])")
    tip = page.text_content("#tip")
    assert tip.startswith("Data sharing")
    assert "Regie op Gegevens" in tip and "Source: NDS 2021, lines 976-1227" in tip
    assert "0.5 the NDS 2021 programme" in tip  # what a setting means
    page.hover("#trend-strijd_der_stacks text.title")
    assert "Major powers each build their own Stack" in page.text_content("#tip")
    page.hover("label[data-slider=cross_impact_strength]")
    assert "conf/cross_impact.yaml" in page.text_content("#tip")
    page.mouse.move(5, 760)
    assert page.is_hidden("#tip")
    markers = page.eval_on_selector_all("#markers .item", "(ns) => ns.map(n => n.textContent)")
    assert markers == ["baseline (grey ring)", "world assumptions changed (dashed ring)",
                       "current: with the levers (filled dot)"]
    page.click("#howto summary")
    items = page.eval_on_selector_all("#howto li", "(ns) => ns.map(n => n.textContent)")
    assert len(items) == 6 and "0.6 means" in items[1]
    status = page.text_content("#status")
    assert re.fullmatch(r"Up to date: the server recalculated 4 futures with \d+ simulated "
                        r"worlds each in \d\.\d\d s \(sudden events are off\)\.", status) or \
        status == ("Up to date: 4 futures with 256 simulated worlds each, computed earlier for "
                   "these settings and sent at once (sudden events are off).")  # a cache hit

    page.locator("#s-ai_investment").fill("0.95")  # settings no other test asks for: computed
    page.wait_for_function("() => document.querySelector('#changes').textContent"
                           ".includes('0.95')", timeout=WAIT)
    page.click("#lang")
    # Dutch: decimal commas everywhere a number is written
    assert page.text_content("#o-ownership") == "0,10"
    assert page.text_content("#o-transition_years") == "5,0 jr"
    assert "AI-investeringen: 0,50 \u2192 0,95" in page.text_content("#changes")
    ticks = page.eval_on_selector_all("#trend-autonomisering .axis text",
                                      "(ns) => ns.map(n => n.textContent)")
    assert ticks[:5] == ["0", "0,25", "0,5", "0,75", "1"]
    area_ticks = page.eval_on_selector_all("#areas .axis text", "(ns) => ns.map(n => "
                                           "n.textContent)")
    assert any("," in v for v in area_ticks) and not any("." in v for v in area_ticks)
    page.hover("#trend-strijd_der_stacks text.title")  # the study's Dutch meaning
    assert "Grootmachten bouwen elk hun eigen Stack" in page.text_content("#tip")
    page.mouse.move(5, 760)
    assert re.fullmatch(r"Bijgewerkt: de server rekende 4 toekomsten met elk \d+ gesimuleerde "
                        r"werelden door in \d,\d\d s \(plotselinge gebeurtenissen staan uit\)\.",
                        page.text_content("#status"))
    status_box = page.eval_on_selector("#status", BOX)
    assert page.eval_on_selector("#status", "(n) => n.scrollWidth <= n.clientWidth")
    assert status_box[2] <= 1366  # the status line is whole, not cut off
    page.hover("label[data-slider=data_sharing]")
    tip = page.text_content("#tip")
    assert tip.startswith("Datadeling") and "Bron: NDS 2021, regels 976-1227" in tip
    assert "0,5 het programma van de NDS 2021" in tip
    page.hover("#four-brede_welvaart text.title")
    assert "Welzijn voorbij inkomen" in page.text_content("#tip")
    assert page.eval_on_selector_all("#markers .item", "(ns) => ns.map(n => n.textContent)"
                                     )[0] == "basislijn (grijze ring)"
    assert page.text_content("#howto summary") == "Zo leest u deze pagina"
    assert "0,6 betekent" in page.text_content("#howto")
    shot(page, "nl-1366x768")
    assert page.problems == []
    page.context.close()


def test_the_levers_cost_against_the_2021_budget_in_both_languages(server, browser):
    """Item 5: the cost line follows every lever at once, with its range, in NL and EN."""
    page = opened(browser, server, 1366, 768)
    cost = page.text_content("#cost")
    assert cost.startswith("Public cost of the levers: EUR\u00a0280\u00a0m a year (uncertain "
                           "EUR\u00a0190-420\u00a0m), 100\u00a0% of the 2021 budget "
                           "(EUR\u00a0280\u00a0m)"), cost
    seq = page.evaluate("() => state.seq")
    page.locator("#s-ai_investment").fill("1")
    page.locator("#s-cyber_resilience").fill("0.2")
    # 280 + 170 * 0.5 - 190 * 0.3 = 308; low 90 + 10 + 5 + 34 + 5 + 40, high 260 + ... + 80
    cost = page.text_content("#cost")
    assert "EUR\u00a0308\u00a0m a year (uncertain EUR\u00a0184-484\u00a0m), 110\u00a0%" in cost
    assert cost.endswith(", +EUR\u00a028\u00a0m")
    assert page.get_attribute("#cost .delta", "class") == "delta over"
    assert page.text_content("#cost-short") == "Cost: EUR\u00a0308\u00a0m a year, 110\u00a0% of 2021"
    assert page.evaluate("() => state.seq") > seq  # the charts are asked for as well
    page.hover("label[data-slider=ai_investment]")
    tip = page.text_content("#tip")
    assert "Public cost: EUR\u00a0170\u00a0m a year at this setting, EUR\u00a085\u00a0m at the " \
           "NDS 2021 programme (0.50); uncertain EUR\u00a090\u00a0m to EUR\u00a0260\u00a0m" in tip
    assert "L716-718" in tip
    page.mouse.move(5, 760)
    page.click("#lang")
    cost = page.text_content("#cost")
    assert cost == ("Publieke kosten van het beleid: \u20ac\u00a0308\u00a0mln per jaar (onzeker "
                    "\u20ac\u00a0184-484\u00a0mln), 110\u00a0% van het budget van 2021 "
                    "(\u20ac\u00a0280\u00a0mln), +\u20ac\u00a028\u00a0mln"), cost
    page.locator("#s-digital_skills").fill("0.15")  # 110 * 0.15 = 16.5: one decimal... rounded
    page.locator("#s-data_sharing").fill("0")
    cost = page.text_content("#cost")  # 308 - 55 + 16.5 - 20 = 249.5
    assert "\u20ac\u00a0250\u00a0mln per jaar" in cost and "89\u00a0%" in cost
    assert cost.endswith(", \u2212\u20ac\u00a031\u00a0mln")  # under budget: a minus sign
    assert page.get_attribute("#cost .delta", "class") == "delta"
    page.fill("#save-name", "Zuinig")
    page.click("#save")
    page.wait_for_selector("#cost .saved-cost")
    assert page.text_content("#cost .saved-cost") == "; bewaard: A \u20ac\u00a0250\u00a0mln"
    # the last settings' answer drawn first (else the repeat can overtake its computation)
    page.wait_for_function("() => !state.inFlight && !state.timer && "
                           "state.drawnSeq === state.seq", timeout=120_000)
    page.evaluate("() => { request(); }")  # the same settings again: from the answer cache
    page.wait_for_function("() => document.querySelector('#status').textContent"
                           ".includes('eerder voor deze instellingen doorgerekend')")
    page.keyboard.press("p")  # the room sees the cost in presentation mode too
    page.wait_for_function("() => document.body.classList.contains('present')")
    assert page.is_visible("#cost")
    assert min(s[2] for s in page.evaluate(TEXT_SIZES)) >= 14
    shot(page, "cost-present-1366x768")
    assert page.problems == []
    page.context.close()


def test_a_link_reopens_the_scenario_exactly(server, browser):
    page = opened(browser, server, 1366, 768)
    page.click("input[name=future][value=radicale_markten]")
    page.wait_for_function("() => document.querySelector('#headline').textContent === "
                           "'Radical markets'", timeout=WAIT)
    old = page.get_attribute(DRAWN, "d")
    page.locator("#s-connectivity").fill("0.85")
    page.locator("#s-transition_years").fill("8.5")
    page.wait_for_function("(d) => document.querySelector('#trend-autonomisering "
                           "path.line.current').getAttribute('d') !== d", arg=old,
                           timeout=WAIT)
    page.click("#lang")
    page.wait_for_timeout(300)
    # wait until the answer for the last setting is drawn
    page.wait_for_function("() => state.data.settings.transition_years === 8.5", timeout=WAIT)
    link = page.url
    assert "future=radicale_markten" in link and "lang=nl" in link
    assert "connectivity:0.85" in unquote(link) and "transition_years:8.5" in unquote(link)
    drawn = {sel: page.get_attribute(sel, "d") for sel in
             (DRAWN, "#area-veiligheid path.line.current", "#area-veiligheid path.line.world")}
    export = page.input_value("#export-line")
    values = {k: page.input_value(f"#s-{k}") for k in ("ownership", "connectivity",
                                                        "transition_years", "ai_investment")}

    again = opened(browser, server, 1366, 768, hash_=link[link.index("#"):])
    again.wait_for_function("() => state.data && state.data.settings.connectivity === 0.85",
                            timeout=WAIT)
    assert again.text_content("#headline") == "Radicale markten"
    assert again.is_checked("input[name=future][value=radicale_markten]")
    assert {k: again.input_value(f"#s-{k}") for k in values} == values
    assert values["connectivity"] == "0.85" and values["transition_years"] == "8.5"
    assert again.text_content("#o-connectivity") == "0,85"
    assert {sel: again.get_attribute(sel, "d") for sel in drawn} == drawn
    assert again.input_value("#export-line") == export
    assert again.url == link

    # a tampered link: unknown keys and values out of range keep the defaults
    bad = opened(browser, server, 1366, 768,
                 hash_="#future=nowhere&v=ownership:7,evil:1,connectivity:0.3&lang=xx")
    assert bad.text_content("#headline") == "Acceleration"
    assert bad.input_value("#s-ownership") == "0.1"
    assert bad.input_value("#s-connectivity") == "0.3"
    assert bad.text_content("h1") == "Digital futures 2030"
    for p in (page, again, bad):
        assert p.problems == []
        p.context.close()


def test_many_pages_at_once_each_draw_their_own_latest_answer(server, browser):
    """Five participants, each in their own browser (phone and projector sizes), drag the
    same slider at once: every page ends drawing the answer to its own last setting - the
    curves a fresh page opened on its link draws - and no page shows an error."""
    sizes = [(390, 844), (1280, 720), (1366, 768), (390, 844), (1920, 1080)]
    finals = [0.2, 0.35, 0.65, 0.8, 0.95]
    pages = [opened(browser, server, w, h) for w, h in sizes]
    settled = "(v) => state.data && state.data.settings.ai_investment === v"
    for step in range(4):  # interleaved drags: one input event per page in turn
        for page, final in zip(pages, finals):
            page.locator("#s-ai_investment").fill(f"{final - 0.05 * (3 - step):.2f}")
    for page, final in zip(pages, finals):
        page.wait_for_function(settled, arg=final, timeout=WAIT)
    drawn = [page.get_attribute(DRAWN, "d") for page in pages]
    assert len(set(drawn)) == len({(s, f) for s, f in zip(sizes, finals)})
    for page, (w, h), final, curve in zip(pages, sizes, finals, drawn):
        assert f"ai_investment={final:g}" in page.input_value("#export-line")
        link = page.url
        again = opened(browser, server, w, h, hash_=link[link.index("#"):])
        again.wait_for_function(settled, arg=final, timeout=WAIT)
        assert again.get_attribute(DRAWN, "d") == curve
        # a superseded request is answered 409 (latest-wins), which Chromium logs; nothing else
        assert [m for m in page.problems if "status of 409" not in m] == []
        assert again.problems == []
        again.context.close()
    for page in pages:
        page.context.close()


def test_saved_scenarios_are_compared_and_exported(server, browser, tmp_path):
    page = opened(browser, server, 1920, 1080, accept_downloads=True)
    assert "None yet" in page.text_content("#saved")
    names = ["No policy", "Data push", "Regulate", "Slow change", "Fifth"]
    moves = [("ai_investment", "0"), ("data_sharing", "1"), ("eu_regulation", "0.9"),
             ("transition_years", "11"), ("digital_skills", "1")]
    for label, (key, value) in zip(names, moves):
        page.locator(f"#s-{key}").fill(value)
        page.fill("#save-name", label)
        page.click("#save")
        page.wait_for_selector(f"#saved li[data-scenario='{label}']")
    page.wait_for_function("() => !state.inFlight && state.data.settings.digital_skills === 1",
                           timeout=WAIT)
    stored = page.evaluate("() => JSON.parse(localStorage.getItem('futures-workshop.saved'))")
    assert [s["name"] for s in stored] == names
    assert stored[1]["values"]["data_sharing"] == 1 and stored[1]["values"]["ai_investment"] == 0
    # the first four are shown, A-D, on every chart; the fifth is saved but not shown
    page.wait_for_function("() => document.querySelectorAll('.chart path.line.cmp').length === 64",
                           timeout=WAIT)
    for slot in (1, 2, 3, 4):
        assert page.locator(f"#trends path.line.cmp.c{slot}").count() == 11
        assert page.locator(f"#areas path.line.cmp.c{slot}").count() == 5
        assert page.locator(f"#four rect.mark.c{slot}").count() == 20  # 5 areas x 4 futures
    legend = page.text_content("#legend")
    assert "A: No policy (Acceleration)" in legend and "D: Slow change" in legend
    assert "Fifth" not in legend
    boxes = page.eval_on_selector_all("#legend .item", f"(ns) => ns.map({BOX})")
    outer = page.eval_on_selector("#legend", BOX)
    assert len(boxes) == 7 and all(inside(b, outer) for b in boxes) and outer[2] <= 1920
    shot(page, "compare-1920x1080")
    assert not page.is_checked("#saved li[data-scenario=Fifth] input")
    page.click("#saved li[data-scenario=Fifth] input")  # refused: four are shown
    assert not page.is_checked("#saved li[data-scenario=Fifth] input")
    assert "At most four" in page.text_content("#status")
    # scenario A differs from the current one: its line is another line
    assert page.get_attribute("#trend-autonomisering path.line.cmp.c1", "d") != \
        page.get_attribute(DRAWN, "d")
    assert "s4=" in page.url and "s5=" not in page.url

    # untick B: C becomes B; a reload keeps the saved list and what is shown
    page.uncheck("#saved li[data-scenario='Data push'] input")
    page.wait_for_function("() => document.querySelectorAll('.chart path.line.cmp').length === 48",
                           timeout=WAIT)
    assert "B: Regulate" in page.text_content("#legend")
    page.reload()
    page.wait_for_function("() => document.querySelectorAll('.chart path.line.cmp').length === 48",
                           timeout=WAIT)
    assert page.locator("#saved li").count() == 5

    # open a saved scenario: it becomes the current one; export it
    page.click("#saved li[data-scenario='Data push'] button.open")
    # (the state before had these two values too, and three more moves)
    page.wait_for_function("() => !state.inFlight && state.data.settings.data_sharing === 1 "
                           "&& state.data.settings.eu_regulation === 0.25 && "
                           "state.data.settings.digital_skills === 0.5", timeout=WAIT)
    assert page.input_value("#save-name") == "Data push"
    line = page.input_value("#export-line")
    assert "future.versnelling.levers.data_sharing=1" in line
    assert "future.versnelling.levers.ai_investment=0" in line
    assert "eu_regulation" not in line and "digital_skills" not in line
    assert "data_sharing: 1.0" in page.input_value("#export-yaml")
    page.click("#export summary")
    with page.expect_download() as info:
        page.click("#handout")
    download = info.value
    assert download.suggested_filename == "futures-scenario-Data_push.html"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert "Scenario handout: Data push" in text
    assert line in text
    assert "data_sharing: 1.0" in text
    assert text.count("<svg") >= 10 and "@page" in text  # the impact charts, printable
    assert "<script" not in text
    # one printed page (A4 landscape), as Chromium prints it
    handout = tmp_path / "handout.html"
    handout.write_text(text, encoding="utf-8")
    printer = page.context.new_page()
    printer.goto(handout.as_uri())
    pdf = printer.pdf(format="A4", landscape=True)
    printer.emulate_media(media="print")
    printer.set_viewport_size({"width": 1123, "height": 794})
    shot(printer, "handout")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
    printer.close()
    page.click("#saved li[data-scenario=Fifth] button.delete")
    assert page.locator("#saved li").count() == 4
    assert page.problems == []
    page.context.close()
