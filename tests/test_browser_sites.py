"""Two sites on one map, in Chromium: a layer group per site, the view showing both, a
time control shared by date."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.maps.build import make_map
from kaesong_geo.maps.htmlreport import make_report

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
from .test_htmlreport import make_durban
from .test_map_sites import LAT, LON, RASON, make_rason

#: Site index of each footprint path drawn in the overlay pane.
DRAWN_SITES = """() => [...document.querySelectorAll('.leaflet-overlay-pane path.ks-footprint')]
  .map(e => [...e.classList].find(c => c.startsWith('ks-site-')))"""


@pytest.fixture
def sites_page(browser: object, cli: Any, tmp_path: Path) -> Iterator[Page]:  # noqa: F811
    rason = make_rason(cli, tmp_path / "rason")
    path = tmp_path / "sites.html"
    path.write_text(make_map([bundled_data_dir(), rason], self_contained=True), encoding="utf-8")
    page = Page(browser, path)
    yield page
    page.close()


def test_each_site_is_a_layer_group_and_the_view_shows_both(sites_page: Page) -> None:
    page = sites_page.page
    assert sites_page.errors == []
    labels = [
        t.strip() for t in page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    ]
    kaesong = page.evaluate("KaesongMap.instances[0].config.sites[0].name")
    assert labels[:2] == [kaesong, RASON]  # layer groups: the full names
    assert labels[2:] == [
        "Added Kaesong 2004-04 to 2006-01",
        "Added Kaesong 2006-01 to 2009-09",
        f"Added {RASON} 2008-06 to 2012",
    ]
    legend = page.locator(".ks-legend-row").all_inner_texts()
    epochs = ["Kaesong 2004-04", "Kaesong 2006-01", "Kaesong 2009-09"]
    epochs += [f"{RASON} 2008-06", f"{RASON} 2012"]
    starts = [row.startswith(f"{e} ") for row, e in zip(legend[:5], epochs, strict=True)]
    assert starts == [True] * 5, legend
    # The initial view contains every footprint of both sites.
    inside = page.evaluate(
        """() => { const s = KaesongMap.instances[0], view = s.map.getBounds();
          return Object.keys(s.footprints)
            .map(k => view.contains(s.footprints[k].getBounds())); }"""
    )
    assert inside == [True] * 5
    drawn = page.evaluate(DRAWN_SITES)
    n_kaesong = drawn.count("ks-site-0")
    assert n_kaesong >= 3 and drawn.count("ks-site-1") == 3  # Rason: 1 + 2 footprints
    # Both are dots at this scale: each has a marker labelled with the site's short name (its
    # full name on hover), which zooms to its site.
    names = page.locator(".ks-site-name").all_inner_texts()
    assert names == ["Kaesong", RASON]
    titles = page.locator("path.ks-site-marker title").all_text_contents()
    assert titles == [kaesong, RASON]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "map-two-sites.png"))
    # Unticking a site hides its footprints only; ticking it again brings them back.
    rason_box = page.get_by_role("checkbox", name=RASON, exact=True)
    rason_box.uncheck()
    assert page.evaluate(DRAWN_SITES) == ["ks-site-0"] * n_kaesong
    rason_box.check()
    assert page.evaluate(DRAWN_SITES).count("ks-site-1") == 3
    page.locator(".ks-site-marker").nth(1).click()
    # At the site's zoom both sites are drawn large: no marker once the (animated) zoom ends.
    page.wait_for_function("() => document.querySelectorAll('.ks-site-name').length === 0")
    view = page.evaluate(
        "() => { const b = KaesongMap.instances[0].map.getBounds();"
        " return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"
    )
    assert view[0] < LAT < LAT + 0.01 < view[2] and view[1] < LON < LON + 0.04 < view[3]
    assert not view[0] < 37.93 < view[2]  # Kaesong is out of view
    page.screenshot(path=str(SCREENSHOTS / "map-two-sites-rason.png"))


def test_time_control_is_shared_by_date(sites_page: Page) -> None:
    """At each date every site shows its latest epoch as of that date."""
    page = sites_page.page
    kaesong = "Kaesong"  # labels carry the bundled site's short name
    stops = page.evaluate("KaesongMap.instances[0].stops.map(s => s.date)")
    assert stops == sorted(stops) and len(stops) == 5
    label = page.locator(".ks-time-label")
    expected = {
        1: [f"{kaesong} 2006-01"],  # Rason's first epoch is 2008-06: nothing yet
        2: [f"{kaesong} 2006-01", f"{RASON} 2008-06"],
        3: [f"{kaesong} 2009-09", f"{RASON} 2008-06"],
        4: [f"{kaesong} 2009-09", f"{RASON} 2012"],
    }
    for stop, shown in expected.items():
        page.locator(".ks-time-range").fill(str(stop))
        assert label.inner_text() == f"as of {stops[stop]}: " + ", ".join(shown)
        drawn = page.evaluate(
            """() => { const s = KaesongMap.instances[0];
              return Object.keys(s.footprints).filter(k => s.map.hasLayer(s.footprints[k])); }"""
        )
        assert drawn == shown
    page.locator(".ks-time-all").click()
    assert label.inner_text() == "all epochs"
    # Swipe compares the first site's first and last epochs by default, and stops cleanly.
    assert page.locator(".ks-compare-left").input_value() == f"{kaesong} 2004-04"
    assert page.locator(".ks-compare-right").input_value() == f"{kaesong} 2009-09"
    page.locator(".ks-compare-toggle").click()
    assert label.inner_text() == f"swipe: {kaesong} 2004-04 | {kaesong} 2009-09"
    page.locator(".ks-compare-toggle").click()
    assert set(page.evaluate(DRAWN_SITES)) == {"ks-site-0", "ks-site-1"}
    assert sites_page.errors == []


#: Boxes of the controls and of each site marker and its label, in CSS pixels.
MARKER_BOXES = """() => {
  const box = e => { const r = e.getBoundingClientRect();
    return {name: e.textContent || e.className.baseVal || e.className,
            left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const shown = b => b.right > b.left && b.bottom > b.top;
  return {
    controls: [...document.querySelectorAll('.leaflet-control')].map(box).filter(shown),
    markers: [...document.querySelectorAll('path.ks-site-marker')].map(box),
    labels: [...document.querySelectorAll('.leaflet-tooltip')]
      .filter(t => t.querySelector('.ks-site-name')).map(box),
    width: innerWidth, height: innerHeight,
  };
}"""


@pytest.mark.parametrize("where", ["report iframe 1280", "page 1280x800", "phone 390x844"])
def test_site_markers_are_clear_of_the_controls(
    browser: object,  # noqa: F811
    tmp_path: Path,
    where: str,
) -> None:
    """Kaesong and Durban, half a world apart, are dots; each marker and its label lie in
    view and under no control, in the report's map (its iframe 640 high in a 1280 page),
    on a desktop page and on a phone."""
    dirs = [bundled_data_dir(), make_durban(tmp_path / "durban")]
    path = tmp_path / "sites.html"
    if where.startswith("report"):
        path.write_text(make_report(dirs), encoding="utf-8")
        page = Page(browser, path, viewport=DESKTOP, ready=None)
        frame: Any = page.page.main_frame.child_frames[0]
        frame.wait_for_function(MAP_READY)
        assert page.page.locator("iframe").evaluate("f => f.clientHeight") == 640
    else:
        path.write_text(make_map(dirs, self_contained=True), encoding="utf-8")
        page = Page(browser, path, viewport=DESKTOP if "1280" in where else PHONE)
        frame = page.page
    try:
        boxes = frame.evaluate(MARKER_BOXES)
        assert [b["name"] for b in boxes["labels"]] == ["Kaesong", "Durban test zone"]
        assert len(boxes["markers"]) == 2
        assert overlapping_controls(boxes) == []
        for b in boxes["markers"] + boxes["labels"]:
            assert in_window(b, boxes["width"], boxes["height"]), (where, b)
            hit = [c["name"] for c in boxes["controls"] if intersects(b, c)]
            assert hit == [], (where, b["name"], hit)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = where.replace(" ", "-")
        page.page.screenshot(path=str(SCREENSHOTS / f"map-sites-clear-{name}.png"))
        assert page.errors == []
    finally:
        page.close()
