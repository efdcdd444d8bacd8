"""Two sites on one map, in Chromium: a layer group per site, the view showing both, a
time control shared by date."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.maps.build import make_map

from .test_browser import SCREENSHOTS, Page, browser  # noqa: F401 (the browser fixture)
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
    assert labels[:2] == [kaesong, RASON]
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
    # Both are dots at this scale: each has a labelled marker, which zooms to its site.
    names = page.locator(".ks-site-name").all_inner_texts()
    assert names == [kaesong, RASON]
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
    kaesong = page.evaluate("KaesongMap.instances[0].config.sites[0].name")
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
