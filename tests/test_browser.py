"""The map and report in a real browser: Debian's Chromium driven by Playwright, offline.

The browser is /usr/bin/chromium (Debian's ``chromium`` package, installed by
``scripts/test.sh``); Playwright never downloads one. Each page is opened from a file with
the browser context offline and every network request aborted, and the tests record every
request, failed request, console error, page error and dialog.

Screenshots for people to look at are saved in ``artifacts/screenshots/``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        raise RuntimeError("CI needs /usr/bin/chromium: scripts/test.sh installs Debian's chromium")
    pytest.skip(
        "no /usr/bin/chromium (run scripts/test.sh, which installs it)", allow_module_level=True
    )

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


class Page:
    """An offline page with everything it tried recorded."""

    def __init__(self, browser: object, path: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 860}, offline=True)  # type: ignore[attr-defined]
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def on_dialog(dialog: object) -> None:
            self.dialogs.append(dialog.message)  # type: ignore[attr-defined]
            dialog.dismiss()  # type: ignore[attr-defined]

        self.page.on("dialog", on_dialog)
        self.context.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("file:") else route.abort()
            ),
        )
        self.page.goto(path.as_uri())
        self.page.wait_for_function("() => document.readyState === 'complete'")
        self.page.wait_for_timeout(300)

    def network_attempts(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(("file:", "data:"))]

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


def test_map_loads_offline_with_no_request_and_no_error(map_page: Page) -> None:
    assert map_page.failed == [] and map_page.errors == [] and map_page.dialogs == []
    assert map_page.network_attempts() == []  # no tiles either: the blank basemap is chosen offline
    assert map_page.page.is_checked("text=Blank (offline)")


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
    slider = map_page.page.locator(".ks-time-range")
    for index, label in enumerate(["2004-04", "2006-01", "2009-09"]):
        slider.fill(str(index))
        assert footprint_epochs(map_page.page) == [label]
        assert map_page.page.inner_text(".ks-time-label").startswith(label + ":")
    map_page.page.click(".ks-time-all")
    assert footprint_epochs(map_page.page) == ["2004-04", "2006-01", "2009-09"]


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
    map_page.page.screenshot(path=str(target))
    image = Image.open(target).convert("RGB")
    colors = image.getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # controls, text, polygons: not blank
    # The newest epoch's yellow outline is drawn somewhere on the map.
    assert any(r > 200 and g > 200 and b < 80 for _, (r, g, b) in colors)


def test_report_loads_offline_with_its_map(browser: object, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(make_report(), encoding="utf-8")
    page = Page(browser, path)
    try:
        assert page.failed == [] and page.errors == [] and page.network_attempts() == []
        assert page.page.locator("table").count() == 4
        assert page.page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        assert page.page.locator("img.chart").evaluate(
            "img => img.complete && img.naturalWidth > 0"
        )
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
        page = Page(browser, path)
        try:
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
            page.page.wait_for_timeout(200)
            assert page.dialogs == [] and page.errors == []
        finally:
            page.close()


def test_imagery_overlay_and_opacity(browser: object, tmp_path: Path, data_dir: Path) -> None:
    add_imagery(data_dir, "2009-09")
    path = tmp_path / "imagery.html"
    path.write_text(make_map(data_dir, self_contained=True), encoding="utf-8")
    page = Page(browser, path)
    try:
        assert page.errors == [] and page.network_attempts() == []
        image = page.page.locator("img.ks-image-2009-09")
        assert image.count() == 1 and image.evaluate("i => i.complete && i.naturalWidth > 0")
        assert float(image.evaluate("i => i.style.opacity")) == pytest.approx(0.85)
        page.page.locator(".ks-opacity-range").fill("30")
        assert float(image.evaluate("i => i.style.opacity")) == pytest.approx(0.3)
        labels = [
            t.strip()
            for t in page.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        ]
        assert "Imagery 2009-09" in labels
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
        page.wait_for_timeout(300)
        assert errors == []
        assert page.is_checked("text=Street (OpenStreetMap)")  # online: the street basemap
        assert tiles and all(t.endswith(".png") for t in tiles)
        assert footprint_epochs(page) == ["2004-04", "2006-01", "2009-09"]
    finally:
        context.close()
