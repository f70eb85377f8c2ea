"""The workshop page in a real headless Chromium (Debian's ``chromium``, driven by Playwright).

Chromium comes from the system (``.ci/run`` installs the Debian packages); Playwright's own
browser download is never used. The page must load with no request leaving the server, draw
the charts, and redraw them when a slider moves. A 1920 x 1080 screenshot is written to
``runs/workshop-test.png`` for a person to look at.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.conftest import ROOT

# Predicates are arrow functions: a bare expression string would be eval'd in the page,
# which the page's Content-Security-Policy (script-src 'self') rightly forbids.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SHOT = ROOT / "runs" / "workshop-test.png"


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


def test_slider_redraws_the_charts_offline(server, browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    requests, problems = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(server.url + "/")
    current = "#trend-autonomisering path.line.current"
    page.wait_for_selector(current)
    before = page.get_attribute(current, "d")
    baseline = page.get_attribute("#trend-autonomisering path.line.baseline", "d")
    assert page.text_content("#headline") == "Acceleration"

    page.locator("#s-ai_investment").fill("1")  # sets the value and fires `input`
    page.wait_for_function("(d) => document.querySelector("
                           "'#trend-autonomisering path.line.current').getAttribute('d') !== d",
                           arg=before, timeout=15_000)
    assert page.get_attribute("#trend-autonomisering path.line.baseline", "d") == baseline
    assert "AI investment: 0.50 \u2192 1.00" in page.text_content("#changes")
    page.wait_for_function("() => document.querySelector('#export-line').value.includes("
                           "'future.versnelling.levers.ai_investment=1')", timeout=15_000)

    page.locator("#s-cross_impact_strength").fill("1.6")
    page.wait_for_function("() => document.querySelector('#changes').textContent"
                           ".includes('1.60')",
                           timeout=15_000)
    page.click("#export summary")
    SHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOT))
    assert png_size(SHOT) == (1920, 1080)
    assert SHOT.stat().st_size > 50_000  # a drawn page, not a blank one

    # another starting future takes its own axis position; the lever package stays
    page.click("input[name=future][value=gelijk_speelveld]")
    page.wait_for_function("() => document.querySelector('#headline').textContent === "
                           "'Level playing field'", timeout=15_000)
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
    assert {u[len(server.url):] for u in requests} >= {"/", "/app.js", "/style.css",
                                                       "/api/meta", "/api/run"}
    page.close()


def test_a_refused_request_shows_the_servers_message(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(server.url + "/")
    page.wait_for_selector("#trend-autonomisering path.line.current")
    # a value outside the slider's range, as a tampered page would send it
    page.evaluate("state.values.ownership = 7; request();")
    page.wait_for_function("() => document.querySelector('#status').className === 'error'",
                           timeout=15_000)
    assert "settings.ownership=7: expected a number in [0.0, 1.0]" in \
        page.text_content("#status")
    page.close()
