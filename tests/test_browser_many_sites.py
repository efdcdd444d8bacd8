"""Seven sites on one map, in Chromium: no control covers another (every row of the layer
control can be reached), site labels are short names that never overlap, and the swipe
control compares two epochs of one site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import box

from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.maps.build import make_map
from kaesong_geo.maps.htmlreport import make_report

from .common import feature, write_geojson
from .test_browser import (  # noqa: F401 (the browser fixture)
    DESKTOP,
    MAP_READY,
    PHONE,
    SCREENSHOTS,
    Page,
    browser,
    intersects,
    overlapping_controls,
)
from .test_browser import inside as in_window

#: Six sites besides the bundled Kaesong: (name, short name, lon, lat). Rason and Shenzhen lie
#: near Kaesong at world scale, so their labels compete for room.
SITES = [
    ("Tema free zone", "Tema", 0.02, 5.65),
    ("Rason Economic Zone", "Rason", 130.30, 42.30),
    ("Shenzhen SEZ", "Shenzhen", 113.90, 22.55),
    ("Bergen port", "Bergen", 5.32, 60.39),
    ("Fiji zone", "Fiji", 178.40, -18.10),
    ("Single epoch zone", "Single", 36.80, -1.30),
]

#: Boxes of the controls, the site markers and their shown labels, in CSS pixels.
BOXES = """() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {name: e.textContent || e.className.baseVal || e.className,
            left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const shown = b => b.right > b.left && b.bottom > b.top;
  return {
    controls: [...document.querySelectorAll('.leaflet-control')].map(box).filter(shown),
    markers: [...document.querySelectorAll('path.ks-site-marker')].map(box),
    labels: [...document.querySelectorAll('.leaflet-tooltip')]
      .filter(t => t.querySelector('.ks-site-name')).map(box).filter(shown),
    width: innerWidth, height: innerHeight,
  };
}"""

#: Rows of the layer control whose checkbox or radio, once scrolled to within the control's
#: list, is covered by something else (the element at its centre is not the input).
UNREACHABLE_ROWS = """() => [...document.querySelectorAll('.leaflet-control-layers-list input')]
  .filter(input => { input.scrollIntoView({block: 'nearest'});
    const r = input.getBoundingClientRect();
    return document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2) !== input; })
  .map(input => input.parentNode.textContent.trim())"""


def make_site(target: Path, name: str, short: str, lon: float, lat: float, epochs: int) -> Path:
    """A workspace made as a user would: ``init --site --short-name`` and footprint files."""
    from kaesong_geo.cli import main

    args = ["init", str(target), "--site", name, "--short-name", short]
    assert main([*args, "--lon", str(lon), "--lat", str(lat)]) == 0
    for k, label in enumerate(["2015-06", "2020-06"][:epochs]):
        size = 0.01 * (k + 1)
        geom = box(lon, lat, lon + size, lat + size)
        write_geojson(target / "boundaries" / f"{label}.geojson", feature(geom))
    return target


@pytest.fixture(scope="module")
def site_dirs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    root = tmp_path_factory.mktemp("sites")
    dirs = [bundled_data_dir()]
    for name, short, lon, lat in SITES:
        dirs.append(make_site(root / short, name, short, lon, lat, 1 if short == "Single" else 2))
    return dirs


def open_page(browser: object, path: Path, where: str) -> tuple[Page, Any]:  # noqa: F811
    """The page and the frame holding the map (the report's iframe, 640 px high)."""
    viewport = PHONE if "390" in where else DESKTOP
    if where.startswith("report"):
        page = Page(browser, path, viewport=viewport, ready=None)
        iframe = page.page.locator("iframe")
        iframe.scroll_into_view_if_needed()
        frame: Any = page.page.main_frame.child_frames[0]
        frame.wait_for_function(MAP_READY)
        assert iframe.evaluate("f => f.clientHeight") == 640
        return page, frame
    return Page(browser, path, viewport=viewport), None


def assert_clear(frame: Any, where: str) -> dict[str, Any]:
    """No two controls intersect; labels overlap no label, marker or control, and lie in view."""
    boxes: dict[str, Any] = frame.evaluate(BOXES)
    assert overlapping_controls(boxes) == [], where
    labels, markers = boxes["labels"], boxes["markers"]
    pairs = [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :]]
    clashes = [(a["name"], b["name"]) for a, b in pairs if intersects(a, b)]
    assert clashes == [], where
    on_markers = [(a["name"], m) for a in labels for m in markers if intersects(a, m)]
    assert on_markers == [], where
    for b in markers + labels:
        assert in_window(b, boxes["width"], boxes["height"]), (where, b)
        hit = [c["name"] for c in boxes["controls"] if intersects(b, c)]
        assert hit == [], (where, b["name"], hit)
    return boxes


@pytest.mark.parametrize(
    ("where", "n_sites"),
    [
        ("map 1280x800", 7),
        ("map 390x844", 7),
        ("report 1280", 3),
        ("report 1280", 7),
        ("report 390", 3),
    ],
)
def test_no_control_label_or_marker_covers_another(
    browser: object,  # noqa: F811
    site_dirs: list[Path],
    tmp_path: Path,
    where: str,
    n_sites: int,
) -> None:
    dirs = site_dirs[:n_sites]
    path = tmp_path / "page.html"
    if where.startswith("report"):
        path.write_text(make_report(dirs), encoding="utf-8")
    else:
        path.write_text(make_map(dirs, self_contained=True), encoding="utf-8")
    page, frame = open_page(browser, path, where)
    frame = frame or page.page
    try:
        boxes = assert_clear(frame, where)
        # One marker a site; every label shown is the site's short name, and a marker whose
        # label is hidden to avoid a collision has its full name on hover.
        assert len(boxes["markers"]) == n_sites
        shorts = ["Kaesong"] + [s[1] for s in SITES]
        assert {b["name"] for b in boxes["labels"]} <= set(shorts[:n_sites])
        titles = frame.locator("path.ks-site-marker title").all_text_contents()
        names = frame.evaluate("KaesongMap.instances[0].config.sites.map(s => s.name)")
        assert titles == names
        hidden = frame.locator(".leaflet-tooltip.ks-label-hidden")
        n_hidden = hidden.count()
        assert n_hidden == n_sites - len(boxes["labels"])
        if n_hidden:
            # Hovering a marker whose label is hidden shows that label.
            k = frame.evaluate(
                """() => KaesongMap.instances[0].siteMarkers.findIndex(m => m.hidden)"""
            )
            frame.locator("path.ks-site-marker").nth(k).hover(force=True)
            assert hidden.count() == n_hidden - 1
            frame.locator("path.ks-site-marker").nth(k).dispatch_event("mouseout")
            assert hidden.count() == n_hidden
        # Every row of the layer control can be reached (opened first where it is a button).
        frame.evaluate("KaesongMap.instances[0].layerControl.expand()")
        assert frame.evaluate(UNREACHABLE_ROWS) == [], where
        assert overlapping_controls(frame.evaluate(BOXES)) == [], where
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = f"many-sites-{where.replace(' ', '-')}-{n_sites}.png"
        page.page.screenshot(path=str(SCREENSHOTS / name))
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE])
def test_legend_opened_by_the_reader_covers_no_control(
    browser: object,  # noqa: F811
    site_dirs: list[Path],
    tmp_path: Path,
    viewport: dict[str, int],
) -> None:
    """Opening (or closing) the legend and the layer control keeps every control apart: the
    legend's body and the layer list scroll within what is left."""
    path = tmp_path / "many.html"
    path.write_text(make_map(site_dirs, self_contained=True), encoding="utf-8")
    page = Page(browser, path, viewport=viewport)
    try:
        toggle = page.page.locator(".ks-legend-toggle")
        for _ in range(2):
            toggle.click()
            assert overlapping_controls(page.boxes()) == []
            page.page.evaluate("KaesongMap.instances[0].layerControl.expand()")
            assert overlapping_controls(page.boxes()) == []
            assert page.page.evaluate(UNREACHABLE_ROWS) == []
            page.page.evaluate("KaesongMap.instances[0].layerControl.collapse()")
            assert overlapping_controls(page.boxes()) == []
        legend = page.page.locator(".ks-legend-body")
        assert legend.is_visible() == (viewport == DESKTOP)  # toggled twice: as it started
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOTS / f"many-sites-legend-{viewport['width']}.png"))
        assert page.errors == []
    finally:
        page.close()


def test_swipe_compares_two_epochs_of_one_site(
    browser: object,  # noqa: F811
    site_dirs: list[Path],
    tmp_path: Path,
) -> None:
    path = tmp_path / "many.html"
    path.write_text(make_map(site_dirs, self_contained=True), encoding="utf-8")
    page = Page(browser, path)
    p = page.page
    try:
        site, left, right = (p.locator(f".ks-compare-{n}") for n in ("site", "left", "right"))
        names = p.evaluate("KaesongMap.instances[0].config.sites.map(s => s.name)")
        assert site.locator("option").all_inner_texts() == names

        def options(select: Any) -> list[str]:
            return [o.strip() for o in select.locator("option").all_inner_texts()]

        kaesong = ["Kaesong 2004-04", "Kaesong 2006-01", "Kaesong 2009-09"]
        assert options(left) == options(right) == kaesong
        assert (left.input_value(), right.input_value()) == (kaesong[0], kaesong[-1])
        label = p.locator(".ks-time-label")
        p.locator(".ks-compare-toggle").click()
        assert label.inner_text() == "swipe: Kaesong 2004-04 | Kaesong 2009-09"
        # Picking another site while swiping: both boxes hold its epochs, the swipe follows.
        site.select_option(label="Rason Economic Zone")
        assert options(left) == options(right) == ["Rason 2015-06", "Rason 2020-06"]
        assert label.inner_text() == "swipe: Rason 2015-06 | Rason 2020-06"
        drawn = p.evaluate(
            """() => [...document.querySelectorAll('.leaflet-pane path.ks-footprint')]
              .filter(e => e.closest('.leaflet-ksLeft-pane, .leaflet-ksRight-pane'))
              .map(e => [...e.classList].find(c => c.startsWith('ks-site-')))"""
        )
        assert set(drawn) == {"ks-site-2"}
        # Rason, a dot at world scale, was zoomed to: the view holds it and not Kaesong.
        view = p.evaluate(
            "() => { const b = KaesongMap.instances[0].map.getBounds();"
            " return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"
        )
        assert view[0] < 42.30 < 42.32 < view[2] and view[1] < 130.30 < 130.32 < view[3]
        assert not view[0] < 37.93 < view[2]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        p.screenshot(path=str(SCREENSHOTS / "many-sites-swipe-rason.png"))
        # A site of one epoch compares that epoch with itself.
        site.select_option(label="Single epoch zone")
        assert options(left) == options(right) == ["Single 2015-06"]
        p.locator(".ks-compare-toggle").click()
        assert label.inner_text() == "all epochs"
        assert page.errors == []
    finally:
        page.close()
