"""The map and report in a real browser: Debian's Chromium driven by Playwright, no network.

The browser is /usr/bin/chromium (Debian's ``chromium`` package, installed by
``scripts/test.sh``); Playwright never downloads one. Each page is opened from a file and
every network request is aborted (basemap tiles included), with the context *online*: the
page must find out from the failing tiles, not from ``navigator.onLine``, that it has no
basemap (some Playwright/Chromium pairs report ``navigator.onLine === true`` even in a
context opened with ``offline=True``). The tests record every request, failed request,
console error, page error and dialog, and never sleep: they wait for conditions.

Screenshots for people to look at are saved in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaesong_geo.maps.build import make_map
from kaesong_geo.maps.htmlreport import make_report

from .common import MALICIOUS, add_imagery
from .conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "artifacts" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TILE_HOSTS = ("tile.openstreetmap.org", "server.arcgisonline.com")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: The page's state once the map is built and the basemap question settled (blank chosen).
MAP_READY = (
    "() => window.KaesongMap && KaesongMap.instances.length === 1"
    " && KaesongMap.instances[0].map.hasLayer(KaesongMap.instances[0].blank)"
)
#: Boxes of every Leaflet control, of the footprint paths, of the popup, in CSS pixels.
BOXES = """() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {name: e.className.baseVal === undefined ? e.className : e.className.baseVal,
            left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  return {
    controls: [...document.querySelectorAll('.leaflet-control')].map(box)
      .filter(b => b.right > b.left && b.bottom > b.top),
    footprints: [...document.querySelectorAll('.leaflet-overlay-pane path.ks-footprint')].map(box),
    popup: [...document.querySelectorAll('.leaflet-popup')].map(box)[0] || null,
    width: innerWidth, height: innerHeight,
  };
}"""

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs /usr/bin/chromium: scripts/test.sh installs Debian's chromium")
    pytest.skip(
        "no /usr/bin/chromium (run scripts/test.sh, which installs it)", allow_module_level=True
    )

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


def is_tile(url: str) -> bool:
    return any(host in url for host in TILE_HOSTS)


class Page:
    """A page with no network and everything it tried recorded.

    ``tiles`` says what tile requests get: "abort" (as with no network) or "404".
    ``ready`` is a JavaScript condition waited for after loading (None: just the load).
    """

    def __init__(
        self,
        browser: object,
        path: Path,
        *,
        viewport: dict[str, int] = DESKTOP,
        offline: bool = False,
        tiles: str = "abort",
        ready: str | None = MAP_READY,
    ) -> None:
        self.context = browser.new_context(  # type: ignore[attr-defined]
            viewport=viewport, offline=offline, has_touch=viewport["width"] < 600
        )
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def on_dialog(dialog: object) -> None:
            self.dialogs.append(dialog.message)  # type: ignore[attr-defined]
            dialog.dismiss()  # type: ignore[attr-defined]

        def route(r: Any) -> None:
            url = r.request.url
            if url.startswith("file:"):
                r.continue_()
            elif tiles == "404" and is_tile(url):
                r.fulfill(status=404, body="not found", content_type="text/plain")
            else:
                r.abort()

        self.page.on("dialog", on_dialog)
        self.context.route("**/*", route)
        self.page.goto(path.as_uri())
        self.page.wait_for_function("() => document.readyState === 'complete'")
        if ready:
            self.page.wait_for_function(ready)

    def _on_console(self, message: Any) -> None:
        # A tile that failed to load is logged by the browser; that is the basemap test's
        # business, any other console error is a failure.
        if message.type == "error" and not is_tile(message.location.get("url", "")):
            self.errors.append(message.text)

    def network_attempts(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:"))]

    def tile_requests(self) -> list[str]:
        return [u for u in self.requests if is_tile(u)]

    def boxes(self) -> dict[str, Any]:
        result: dict[str, Any] = self.page.evaluate(BOXES)
        return result

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def map_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("map") / "map.html"
    path.write_text(make_map(self_contained=True), encoding="utf-8")
    return path


@pytest.fixture
def map_page(browser: object, map_file: Path) -> Iterator[Page]:
    page = Page(browser, map_file)
    yield page
    page.close()


def footprint_epochs(frame: object, pane: str = "overlay") -> list[str]:
    """Epoch labels of the footprint paths drawn in a map pane."""
    return frame.eval_on_selector_all(  # type: ignore[attr-defined]
        f".leaflet-{pane}-pane path.ks-footprint",
        "els => [...new Set(els.map("
        "  e => [...e.classList].find(c => c.startsWith('ks-epoch-')).slice('ks-epoch-'.length)"
        "))].sort()",
    )


def intersects(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and (b["top"] < a["bottom"])
    )


def inside(a: dict[str, float], width: float, height: float) -> bool:
    return a["left"] >= 0 and a["top"] >= 0 and a["right"] <= width and a["bottom"] <= height


def overlapping_controls(boxes: dict[str, Any]) -> list[tuple[str, str]]:
    c = boxes["controls"]
    return [
        (c[i]["name"], c[j]["name"])
        for i in range(len(c))
        for j in range(i + 1, len(c))
        if intersects(c[i], c[j])
    ]


def hidden_footprints(boxes: dict[str, Any]) -> list[str]:
    """Footprint paths not wholly in the window or partly under a control."""
    return [
        f["name"]
        for f in boxes["footprints"]
        if not inside(f, boxes["width"], boxes["height"])
        or any(intersects(f, c) for c in boxes["controls"])
    ]


#: The footprints are all in view and clear of every control (a condition to wait for).
FOOTPRINTS_CLEAR = (
    "() => { const b = (" + BOXES + ")();"
    " const hit = (a, c) => a.left < c.right && c.left < a.right && a.top < c.bottom"
    " && c.top < a.bottom;"
    " return b.footprints.length > 0 && b.footprints.every(f => f.left >= 0 && f.top >= 0"
    " && f.right <= b.width && f.bottom <= b.height && !b.controls.some(c => hit(f, c))); }"
)


def test_basemap_switches_to_blank_when_its_tiles_fail_although_online(map_page: Page) -> None:
    page = map_page.page
    # The browser believes it is online: only the failing tiles can have told the page.
    assert page.evaluate("() => navigator.onLine") is True
    assert page.is_checked("text=Blank (offline)")
    note = page.locator(".ks-note")
    expect(note).to_be_visible()
    assert page.inner_text(".ks-note-text") == (
        "Basemap tiles could not be loaded (offline?); showing the blank basemap."
    )
    requested = len(map_page.tile_requests())
    assert 3 <= requested <= 40, map_page.tile_requests()  # the first screenful, no more
    assert page.evaluate("() => KaesongMap.instances[0].tiles.loaded") == 0
    # The tile layer is gone: moving and zooming the map requests no tile at all.
    for move in ("m.setZoom(m.getZoom() + 1)", "m.panBy([300, 200])", "m.zoomOut(2)"):
        page.evaluate(
            "move => new Promise(done => { const m = KaesongMap.instances[0].map;"
            " m.once('moveend', () => done()); new Function('m', move)(m); })",
            move,
        )
    assert len(map_page.tile_requests()) == requested
    tile_layers = "() => { let n = 0; KaesongMap.instances[0].map.eachLayer(l => {"
    tile_layers += " if (l instanceof L.TileLayer) { n += 1; } }); return n; }"
    assert page.evaluate(tile_layers) == 0
    assert [u for u in map_page.network_attempts() if not is_tile(u)] == []
    assert map_page.errors == [] and map_page.dialogs == []
    # The note can be dismissed.
    page.click(".ks-note-close")
    expect(note).to_have_count(0)


def test_basemap_switch_on_http_errors(browser: object, map_file: Path) -> None:
    page = Page(browser, map_file, tiles="404")
    try:
        assert page.page.evaluate("() => navigator.onLine") is True
        assert page.page.is_checked("text=Blank (offline)")
        assert page.page.locator(".ks-note").is_visible()
        assert page.page.evaluate("() => KaesongMap.instances[0].tiles.failed") >= 3
        assert 3 <= len(page.tile_requests()) <= 40
        # Choosing the street basemap again tries again, and gives up again.
        before = len(page.tile_requests())
        page.page.evaluate("() => KaesongMap.instances[0].hideNote()")
        page.page.click("text=Street (OpenStreetMap)")
        page.page.wait_for_function(MAP_READY)
        expect(page.page.locator(".ks-note")).to_have_count(1)
        assert before < len(page.tile_requests()) <= before + 40
        assert page.errors == []
    finally:
        page.close()


def test_offline_context_also_ends_on_the_blank_basemap(browser: object, map_file: Path) -> None:
    """Whatever navigator.onLine says; when it says offline, not one tile is requested."""
    page = Page(browser, map_file, offline=True)
    try:
        assert page.page.is_checked("text=Blank (offline)")
        assert page.page.locator(".ks-note").is_visible()
        if page.page.evaluate("() => navigator.onLine") is False:
            assert page.network_attempts() == []
            assert "offline" in page.page.inner_text(".ks-note")
        assert page.errors == []
    finally:
        page.close()


def test_cdn_linked_map_opened_offline_says_why_it_is_blank(
    browser: object, tmp_path: Path
) -> None:
    path = tmp_path / "cdn.html"
    path.write_text(make_map(), encoding="utf-8")
    page = Page(browser, path, ready=None)
    try:
        alert = page.page.locator(".ks-no-leaflet")
        expect(alert).to_be_visible()
        text = alert.inner_text()
        assert "cdn.jsdelivr.net" in text and "kaesong-geo map --self-contained" in text
        assert page.page.evaluate("() => window.L === undefined")
        screenshot(page.page, "map-cdn-offline.png")
    finally:
        page.close()


VIEWPORTS = pytest.mark.parametrize(
    ("viewport", "name"), [(DESKTOP, "1280"), (PHONE, "phone")], ids=["1280x800", "390x844"]
)


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / name
    page.screenshot(path=str(target))
    return target


@VIEWPORTS
def test_default_view_controls_apart_and_footprints_clear(
    browser: object, map_file: Path, viewport: dict[str, int], name: str
) -> None:
    page = Page(browser, map_file, viewport=viewport)
    try:
        boxes = page.boxes()
        # Every control is on screen and no two overlap (the basemap note included).
        assert len(boxes["controls"]) >= 9
        assert overlapping_controls(boxes) == []
        assert all(inside(c, viewport["width"], viewport["height"]) for c in boxes["controls"])
        # Every footprint path is wholly in the window and under no control (legend included).
        assert footprint_epochs(page.page) == ["2004-04", "2006-01", "2009-09"]
        assert hidden_footprints(boxes) == []
        page.page.click(".ks-note-close")
        expect(page.page.locator(".ks-note")).to_have_count(0)
        screenshot(page.page, f"map-{name}.png")
        assert hidden_footprints(page.boxes()) == []
        legend = page.page.locator(".ks-legend")
        layers = page.page.locator(".leaflet-control-layers")
        if name == "phone":
            # Small screen: layer control and legend start as buttons, and expand on demand.
            assert "leaflet-control-layers-expanded" not in (layers.get_attribute("class") or "")
            assert not page.page.locator(".ks-legend-body").is_visible()
            page.page.tap(".ks-legend-toggle")
            expect(page.page.locator(".ks-legend-body")).to_be_visible()
            assert "2009-09 3.300 km²" in legend.inner_text()
            assert inside(page.boxes()["controls"][-1], viewport["width"], viewport["height"])
            page.page.tap(".ks-legend-toggle")
            expect(page.page.locator(".ks-legend-body")).to_be_hidden()
            # Its button, from the keyboard (a tap's synthesized mouse events race
            # Leaflet's hover handlers in emulation).
            page.page.focus(".leaflet-control-layers-toggle")
            page.page.keyboard.press("Enter")
            expect(page.page.locator("text=Footprint 2004-04")).to_be_visible()
            page.page.touchscreen.tap(viewport["width"] // 2, viewport["height"] // 2 + 150)
            expect(page.page.locator("text=Footprint 2004-04")).to_be_hidden()
        else:
            assert "leaflet-control-layers-expanded" in (layers.get_attribute("class") or "")
            assert page.page.locator(".ks-legend-body").is_visible()
        assert page.errors == []
    finally:
        page.close()


def test_turning_a_window_small_collapses_the_controls_and_refits(
    browser: object, map_file: Path
) -> None:
    page = Page(browser, map_file)
    try:
        page.page.click(".ks-note-close")
        page.page.set_viewport_size(PHONE)
        page.page.wait_for_function(
            "() => document.querySelector('.leaflet-container').classList.contains('ks-compact')"
        )
        page.page.wait_for_function(FOOTPRINTS_CLEAR)
        boxes = page.boxes()
        assert overlapping_controls(boxes) == [] and hidden_footprints(boxes) == []
        assert page.page.locator(".leaflet-control-layers-expanded").count() == 0
        assert not page.page.locator(".ks-legend-body").is_visible()
        page.page.set_viewport_size(DESKTOP)
        page.page.wait_for_function(
            "() => !document.querySelector('.leaflet-container').classList.contains('ks-compact')"
        )
        page.page.wait_for_function(FOOTPRINTS_CLEAR)
        assert page.page.locator(".ks-legend-body").is_visible()
        assert overlapping_controls(page.boxes()) == [] and page.errors == []
    finally:
        page.close()


@VIEWPORTS
def test_popup_fits_the_window_and_closing_it_restores_the_view(
    browser: object, map_file: Path, viewport: dict[str, int], name: str
) -> None:
    page = Page(browser, map_file, viewport=viewport)
    try:
        page.page.click(".ks-note-close")
        # The newest, largest footprint, near its top edge: the popup opens where it would
        # stick out of the window or under the controls unless panned.
        target = page.page.locator("path.ks-epoch-2009-09").first
        box = target.bounding_box()
        assert box is not None
        target.click(position={"x": box["width"] / 2, "y": 20})
        popup = page.page.locator(".leaflet-popup")
        expect(popup).to_be_visible()
        page.page.wait_for_function(
            "() => { const b = (" + BOXES + ")(); const p = b.popup;"
            " const hit = (a, c) => a.left < c.right && c.left < a.right && a.top < c.bottom"
            " && c.top < a.bottom;"
            " return p && p.left >= 0 && p.top >= 0 && p.right <= b.width && p.bottom <= b.height"
            " && !b.controls.some(c => hit(p, c)); }"
        )
        content = page.page.locator(".leaflet-popup-content")
        assert "Epoch 2009-09" in content.inner_text()
        sizes = content.evaluate(
            "c => ({scroll: c.scrollHeight, client: c.clientHeight,"
            " max: parseFloat(getComputedStyle(c).maxHeight) || parseFloat(c.style.height)})"
        )
        assert sizes["client"] < viewport["height"] * 0.7
        if sizes["scroll"] > sizes["client"]:  # too long for the window: it scrolls inside
            assert "leaflet-popup-scrolled" in (content.get_attribute("class") or "")
            content.evaluate("c => { c.scrollTop = c.scrollHeight; }")
            expect(content.locator("text=File")).to_be_in_viewport()
        screenshot(page.page, f"map-popup-{name}.png")
        page.page.click(".leaflet-popup-close-button")
        expect(popup).to_have_count(0)
        page.page.wait_for_function(FOOTPRINTS_CLEAR)
        assert hidden_footprints(page.boxes()) == [] and page.errors == []
    finally:
        page.close()


@VIEWPORTS
def test_swipe_opens_with_both_epochs_on_their_sides(
    browser: object, map_file: Path, viewport: dict[str, int], name: str
) -> None:
    from PIL import Image

    page = Page(browser, map_file, viewport=viewport)
    try:
        page.page.click(".ks-note-close")
        page.page.click(".ks-compare-toggle")  # default: oldest on the left, newest right
        divider = page.page.locator(".ks-swipe-divider").bounding_box()
        assert divider is not None
        middle = divider["x"] + divider["width"] / 2
        assert middle == pytest.approx(viewport["width"] / 2, abs=2)
        sides = page.page.evaluate(
            """() => Object.fromEntries(['ksLeft', 'ksRight'].map(p => {
                 const r = [...document.querySelectorAll('.leaflet-' + p + '-pane path')]
                   .map(e => e.getBoundingClientRect());
                 return [p, {left: Math.min(...r.map(b => b.left)),
                             right: Math.max(...r.map(b => b.right)),
                             top: Math.min(...r.map(b => b.top)),
                             bottom: Math.max(...r.map(b => b.bottom))}];
               }))"""
        )
        # Each epoch has drawing on its own side of the divider, inside the window.
        assert sides["ksLeft"]["left"] < middle - 10 and sides["ksLeft"]["right"] > 0
        assert sides["ksRight"]["right"] > middle + 10
        assert sides["ksRight"]["left"] < viewport["width"]
        assert page.page.inner_text(".ks-time-label") == "swipe: 2004-04 | 2009-09"
        target = screenshot(page.page, f"map-swipe{'' if name == '1280' else '-phone'}.png")
        # And it shows: the oldest epoch's dark purple left of the divider, the newest
        # epoch's yellow right of it.
        image = Image.open(target).convert("RGB")
        top, bottom = int(sides["ksLeft"]["top"]), int(sides["ksLeft"]["bottom"])
        left_half = image.crop((0, top, int(middle) - 3, bottom)).getcolors(1 << 20) or []
        top, bottom = int(sides["ksRight"]["top"]), int(sides["ksRight"]["bottom"])
        right_half = image.crop((int(middle) + 3, top, image.width, bottom)).getcolors(1 << 20)
        assert any(r < 110 and g < 40 and b > 60 for _, (r, g, b) in left_half)  # #440154
        assert any(r > 200 and g > 200 and b < 80 for _, (r, g, b) in right_half or [])  # #fde725
        assert page.errors == []
    finally:
        page.close()


def test_layer_control_lists_each_epoch(map_page: Page) -> None:
    labels = map_page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    labels = [t.strip() for t in labels]
    assert labels[:3] == ["Footprint 2004-04", "Footprint 2006-01 (estimated)", "Footprint 2009-09"]
    assert "Added 2004-04 to 2006-01" in labels
    bases = [
        t.strip()
        for t in map_page.page.locator(".leaflet-control-layers-base label").all_inner_texts()
    ]
    assert bases == ["Street (OpenStreetMap)", "Satellite (Esri World Imagery)", "Blank (offline)"]
    assert footprint_epochs(map_page.page) == ["2004-04", "2006-01", "2009-09"]
    # Unticking an epoch in the layer control removes its polygons.
    map_page.page.click("text=Footprint 2006-01 (estimated)")
    assert footprint_epochs(map_page.page) == ["2004-04", "2009-09"]


def test_time_control_changes_which_footprints_are_drawn(map_page: Page) -> None:
    page = map_page.page
    slider = page.locator(".ks-time-range")
    # Opened with every epoch shown: the slider is at its "all" stop and says so.
    assert page.inner_text(".ks-time-label") == "all epochs"
    assert slider.input_value() == slider.get_attribute("max") == "3"
    for index, label in enumerate(["2004-04", "2006-01", "2009-09"]):
        slider.fill(str(index))
        assert footprint_epochs(page) == [label]
        assert page.inner_text(".ks-time-label").startswith(label + ":")
    slider.fill("3")
    assert footprint_epochs(page) == ["2004-04", "2006-01", "2009-09"]
    assert page.inner_text(".ks-time-label") == "all epochs"
    slider.fill("0")
    page.click(".ks-time-all")
    assert footprint_epochs(page) == ["2004-04", "2006-01", "2009-09"]
    assert page.inner_text(".ks-time-label") == "all epochs" and slider.input_value() == "3"
    # The layer control and the time control agree.
    page.click("text=Footprint 2006-01 (estimated)")
    assert page.inner_text(".ks-time-label") == "2 of 3 epochs"
    page.click("text=Footprint 2006-01 (estimated)")
    assert page.inner_text(".ks-time-label") == "all epochs"


def test_swipe_compares_two_epochs(map_page: Page) -> None:
    page = map_page.page
    page.select_option(".ks-compare-left", "2004-04")
    page.select_option(".ks-compare-right", "2006-01")
    page.click(".ks-compare-toggle")
    assert footprint_epochs(page, "ksLeft") == ["2004-04"]
    assert footprint_epochs(page, "ksRight") == ["2006-01"]
    assert footprint_epochs(page) == []  # the ordinary layers step aside while swiping
    width = page.evaluate("() => document.querySelector('.leaflet-container').clientWidth")

    def clip_x() -> float:
        clip = page.evaluate("() => document.querySelector('.leaflet-ksLeft-pane').style.clip")
        nw_x = page.evaluate(
            "() => KaesongMap.instances[0].map.containerPointToLayerPoint([0, 0]).x"
        )
        right = float(clip.split("(")[1].split(",")[1].strip().removesuffix("px"))
        return (right - nw_x) / width

    assert clip_x() == pytest.approx(0.5, abs=0.01)
    # Drag the handle as a person would, from the middle to a quarter of the width.
    box = page.locator(".ks-swipe-range").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 0.5 * box["width"], y)
    page.mouse.down()
    page.mouse.move(box["x"] + 0.25 * box["width"], y, steps=8)
    page.mouse.up()
    assert clip_x() == pytest.approx(0.25, abs=0.02)
    divider = page.locator(".ks-swipe-divider").bounding_box()
    assert divider["x"] == pytest.approx(clip_x() * width, abs=3)
    page.select_option(".ks-compare-right", "2009-09")
    assert footprint_epochs(page, "ksRight") == ["2009-09"]
    page.click(".ks-compare-toggle")
    assert footprint_epochs(page, "ksLeft") == []
    assert footprint_epochs(page) == ["2004-04", "2006-01", "2009-09"]
    assert page.inner_text(".ks-time-label") == "all epochs"
    # Touching the time control while swiping ends the swipe and shows that epoch.
    page.click(".ks-compare-toggle")
    assert page.inner_text(".ks-compare-toggle") == "End swipe"
    page.locator(".ks-time-range").fill("0")
    assert page.locator(".ks-swipe-range").count() == 0
    assert page.inner_text(".ks-compare-toggle") == "Swipe"
    assert footprint_epochs(page, "ksRight") == [] and footprint_epochs(page) == ["2004-04"]


def test_measuring_tool_fullscreen_and_scale_are_there(map_page: Page) -> None:
    page = map_page.page
    page.hover(".leaflet-control-measure")
    page.click("text=Create a new measurement")
    assert page.locator(".leaflet-control-measure .js-measuringprompt").is_visible()
    assert page.locator(".leaflet-control-zoom-fullscreen").count() == 1
    assert page.inner_text(".leaflet-control-scale").strip().splitlines()[0].endswith("m")
    legend = page.inner_text(".ks-legend")
    assert "2009-09 3.300 km² (330.0 ha)" in legend and "ESTIMATED" in legend
    page.click("text=Data provenance and quality (read me)")
    assert "APPROXIMATE RECONSTRUCTIONS" in page.inner_text(".ks-notes")


def test_popup_shows_provenance(map_page: Page) -> None:
    # Newer, larger footprints lie on top; the time control brings one epoch alone.
    map_page.page.locator(".ks-time-range").fill("1")
    map_page.page.locator("path.ks-epoch-2006-01").first.click(position={"x": 40, "y": 40})
    popup = map_page.page.locator(".leaflet-popup-content")
    text = popup.inner_text()
    assert "Epoch 2006-01" in text and "YES: no documented figure backs it" in text
    assert "reconstructed" in text and "Positional uncertainty" in text


def test_screenshot_for_people(map_page: Page) -> None:
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / "map.png"
    map_page.page.click(".ks-note-close")  # the look of the map itself, as in docs/map.png
    map_page.page.screenshot(path=str(target))
    image = Image.open(target).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # controls, text, polygons: not blank
    # The newest epoch's yellow outline is drawn somewhere on the map.
    assert any(r > 200 and g > 200 and b < 80 for _, (r, g, b) in colors)


def test_report_loads_offline_with_its_map(browser: object, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(make_report(), encoding="utf-8")
    page = Page(browser, path, ready=None)
    try:
        page.page.main_frame.child_frames[0].wait_for_function(MAP_READY)
        assert page.errors == [] and page.dialogs == []
        assert [u for u in page.network_attempts() if not is_tile(u)] == []
        assert page.page.locator("table").count() == 4
        assert page.page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        assert page.page.locator("img.chart").evaluate(
            "img => img.complete && img.naturalWidth > 0"
        )
        # The map in its iframe: controls apart, footprints clear of them.
        inner = page.page.main_frame.child_frames[0].evaluate(BOXES)
        assert overlapping_controls(inner) == [] and hidden_footprints(inner) == []
        frame = page.page.frame_locator("iframe")
        labels = frame.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert [t.strip() for t in labels][:3] == [
            "Footprint 2004-04",
            "Footprint 2006-01 (estimated)",
            "Footprint 2009-09",
        ]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOTS / "report.png"), full_page=True)
    finally:
        page.close()


def test_report_tables_are_readable_at_1280(browser: object, tmp_path: Path) -> None:
    """No clipped cell, no table wider than its column, headers wrapped rather than wide."""
    path = tmp_path / "report.html"
    path.write_text(make_report(), encoding="utf-8")
    page = Page(browser, path, ready=None)
    try:
        tables = page.page.evaluate(
            """() => [...document.querySelectorAll('.scroll')].map(s => ({
                scrolls: s.scrollWidth > s.clientWidth,
                clipped: [...s.querySelectorAll('th, td')]
                    .filter(c => c.scrollWidth > c.clientWidth + 1).map(c => c.textContent),
                headerLines: Math.max(...[...s.querySelectorAll('th')].map(
                    h => Math.round(h.getBoundingClientRect().height /
                                    parseFloat(getComputedStyle(h).lineHeight)))),
            }))"""
        )
        assert len(tables) == 4
        for table in tables:
            assert not table["scrolls"] and table["clipped"] == [], table
            assert table["headerLines"] <= 3, table
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOTS / "report-1280.png"), full_page=True)
    finally:
        page.close()


def test_malicious_name_executes_nothing(
    browser: object, tmp_path: Path, empty_data_dir: Path
) -> None:
    from .common import BOX, feature, write_geojson

    write_geojson(
        empty_data_dir / "boundaries" / "2011-03.geojson",
        feature(BOX, name=MALICIOUS, note=MALICIOUS, source=MALICIOUS),
    )
    for name, html in (
        ("map.html", make_map(empty_data_dir, self_contained=True)),
        ("report.html", make_report(empty_data_dir)),
    ):
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        page = Page(browser, path, ready=MAP_READY if name == "map.html" else None)
        try:
            if name == "report.html":
                page.page.main_frame.child_frames[0].wait_for_function(MAP_READY)
            frame = page.page if name == "map.html" else page.page.frame_locator("iframe")
            frame.locator("path.ks-epoch-2011-03").first.click()
            popup = frame.locator(".leaflet-popup-content")
            assert MALICIOUS in popup.inner_text()
            assert frame.locator("img[src='x']").count() == 0
            if name == "report.html":
                assert (
                    page.page.get_by_text(MALICIOUS).count() >= 2
                )  # footprint table: name, note, source
                assert page.page.locator("img[src='x']").count() == 0
            # Every image has loaded or failed, so any onerror handler would have run by now.
            target = page.page if name == "map.html" else page.page.main_frame.child_frames[0]
            target.wait_for_function("() => [...document.images].every(i => i.complete)")
            assert page.dialogs == [] and page.errors == []
        finally:
            page.close()


def test_imagery_overlay_and_opacity(browser: object, tmp_path: Path, data_dir: Path) -> None:
    add_imagery(data_dir, "2009-09")
    path = tmp_path / "imagery.html"
    path.write_text(make_map(data_dir, self_contained=True), encoding="utf-8")
    page = Page(browser, path)
    try:
        assert page.errors == [] and [u for u in page.network_attempts() if not is_tile(u)] == []
        image = page.page.locator("img.ks-image-2009-09")
        assert image.count() == 1 and image.evaluate("i => i.complete && i.naturalWidth > 0")
        assert float(image.evaluate("i => i.style.opacity")) == pytest.approx(0.85)
        page.page.locator(".ks-opacity-range").fill("30")
        assert float(image.evaluate("i => i.style.opacity")) == pytest.approx(0.3)
        labels = [
            t.strip()
            for t in page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        ]
        assert "Imagery 2009-09 (scene.tif)" in labels
        page.page.select_option(".ks-compare-left", "2004-04")
        page.page.select_option(".ks-compare-right", "2009-09")
        page.page.click(".ks-compare-toggle")
        assert page.page.locator(".leaflet-ksRight-pane img.ks-image-2009-09").count() == 1
        assert page.page.locator(".leaflet-ksLeft-pane img").count() == 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOTS / "map-imagery-swipe.png"))
    finally:
        page.close()


def test_online_map_works_when_its_cdn_answers(browser: object, tmp_path: Path) -> None:
    """The CDN-linked page, with the CDN served from the npm packages and tiles stubbed."""
    from kaesong_geo.maps import assets

    path = tmp_path / "online.html"
    path.write_text(make_map(), encoding="utf-8")
    root = assets.asset_root()
    assert root is not None
    prefix = "https://cdn.jsdelivr.net/npm/"
    tiles: list[str] = []
    png = (REPO / "node_modules" / "leaflet" / "dist" / "images" / "layers.png").read_bytes()
    context = browser.new_context(viewport={"width": 1024, "height": 700})  # type: ignore[attr-defined]
    errors: list[str] = []

    def route(r: object) -> None:
        url = r.request.url  # type: ignore[attr-defined]
        if url.startswith("file:"):
            r.continue_()  # type: ignore[attr-defined]
        elif url.startswith(prefix):
            package_version, _, rest = url[len(prefix) :].partition("/")
            package = package_version.rsplit("@", 1)[0]
            r.fulfill(path=str(root / package / rest))  # type: ignore[attr-defined]
        elif "tile.openstreetmap.org" in url:
            tiles.append(url)
            r.fulfill(body=png, content_type="image/png")  # type: ignore[attr-defined]
        else:
            r.abort()  # type: ignore[attr-defined]

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => window.KaesongMap && KaesongMap.instances.length === 1")
        page.wait_for_function("() => KaesongMap.instances[0].tiles.loaded > 0")
        assert errors == []
        assert page.is_checked("text=Street (OpenStreetMap)")  # online: the street basemap
        assert page.locator(".ks-note").count() == 0 and page.locator(".ks-no-leaflet").count() == 0
        assert tiles and all(t.endswith(".png") for t in tiles)
        assert footprint_epochs(page) == ["2004-04", "2006-01", "2009-09"]
    finally:
        context.close()


def test_report_of_two_sites_loads_offline_with_one_map_of_both(
    browser: object, tmp_path: Path, data_dir: Path
) -> None:
    from .test_htmlreport import make_durban

    path = tmp_path / "two.html"
    path.write_text(make_report([data_dir, make_durban(tmp_path / "durban")]), encoding="utf-8")
    page = Page(browser, path, ready=None)
    try:
        frames = page.page.main_frame.child_frames
        assert len(frames) == 1
        frame = frames[0]
        frame.wait_for_function(MAP_READY)
        assert overlapping_controls(frame.evaluate(BOXES)) == []
        groups = frame.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        assert [
            g.strip()
            for g in groups
            if g.strip() in ("Kaesong Industrial Complex", "Durban test zone")
        ] == [
            "Kaesong Industrial Complex",
            "Durban test zone",
        ]
        assert page.errors == [] and page.dialogs == []
        assert [u for u in page.network_attempts() if not is_tile(u)] == []
        # The comparison; Kaesong's four tables; Durban's three (no counts: no correlation).
        assert page.page.locator("table").count() == 8
        assert page.page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        clipped = page.page.evaluate(
            """() => [...document.querySelectorAll('.scroll')].filter(
                s => s.scrollWidth > s.clientWidth).length"""
        )
        assert clipped == 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOTS / "report-two-sites.png"), full_page=True)
    finally:
        page.close()
