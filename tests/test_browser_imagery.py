"""Several images per epoch, in Chromium: the time control shows each epoch's footprint and
that epoch's images only (both images of an epoch, the later on top), the opacity slider acts
on all of them, the swipe shows each side's images, and each site keeps its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaesong_geo.maps.build import make_map

from .common import BOX, EAST, MALICIOUS, feature, write_geojson
from .test_browser import (  # noqa: F401 (the browser fixture)
    FOOTPRINTS_CLEAR,
    SCREENSHOTS,
    VIEWPORTS,
    Page,
    browser,
    expect,
    footprint_epochs,
    inside,
    is_tile,
    overlapping_controls,
)
from .test_map_imagery import SCREENSHOT_NOTE, imagery_workspace, write_scene

#: The image overlays in a pane, in drawing order (bottom first): epoch, image, whether the
#: picture has loaded and is displayed, and its size on the screen.
IMAGES = """(pane) => [...document.querySelectorAll(
    '.leaflet-' + pane + '-pane img.leaflet-image-layer')].map(i => {
  const r = i.getBoundingClientRect(), style = getComputedStyle(i);
  return [i.dataset.epoch, i.dataset.image,
          i.complete && i.naturalWidth > 0 && style.visibility === 'visible'
          && style.display !== 'none', r.width, r.height];
})"""


def drawn(page: Any, pane: str = "ksImagery", *, min_px: float = 20) -> list[tuple[str, str]]:
    """``(epoch, image)`` of every image drawn in ``pane``.

    Fails on one not loaded, hidden, or (zoomed out, several sites) under ``min_px`` pixels.
    """
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    images = page.evaluate(IMAGES, pane)
    assert all(shown and w >= min_px and h >= min_px for _, _, shown, w, h in images), images
    return [(epoch, image) for epoch, image, *_ in images]


def opacities(page: Any) -> list[float]:
    return [
        float(v)
        for v in page.evaluate(
            "() => [...document.querySelectorAll('img.leaflet-image-layer')]"
            ".map(i => i.style.opacity)"
        )
    ]


@pytest.fixture
def page(browser: object, tmp_path: Path) -> Iterator[Page]:  # noqa: F811
    ws = imagery_workspace(tmp_path / "ws")
    path = tmp_path / "images.html"
    path.write_text(make_map(ws, self_contained=True), encoding="utf-8")
    p = Page(browser, path)
    yield p
    p.close()


OLD = [("2004-04", "old-a")]
NEW = [("2009-09", "new-a"), ("2009-09", "new-b")]


def test_time_control_shows_each_epoch_with_its_own_images(page: Page) -> None:
    p = page.page
    assert page.errors == [] and [u for u in page.network_attempts() if not is_tile(u)] == []
    assert drawn(p) == OLD + NEW  # all epochs: every image, later ones on top
    labels = [
        t.strip() for t in p.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    ]
    assert labels[:3] == [
        "Imagery 2004-04 (old-a)",
        "Imagery 2009-09 (new-a)",
        "Imagery 2009-09 (new-b)",
    ]
    titles = p.locator(".leaflet-control-layers-overlays .ks-layer-image")
    assert (
        titles.nth(2).get_attribute("title") == f"2009-09-20, Test scene new-b; {SCREENSHOT_NOTE}"
    )
    slider = p.locator(".ks-time-range")
    slider.fill("1")
    assert footprint_epochs(p) == ["2009-09"]
    assert drawn(p) == NEW  # both images of the epoch
    attribution = p.inner_text(".leaflet-control-attribution")
    assert "Imagery: Test scene new-a" in attribution
    assert "Imagery: Test scene new-b" in attribution
    assert "old-a" not in attribution
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(SCREENSHOTS / "map-epoch-images-2009.png"))
    slider.fill("0")
    assert footprint_epochs(p) == ["2004-04"]
    assert drawn(p) == OLD  # the 2009 images are gone from under the 2004 footprint
    p.screenshot(path=str(SCREENSHOTS / "map-epoch-images-2004.png"))
    # One opacity for all images, those drawn later included.
    p.locator(".ks-opacity-range").fill("30")
    slider.fill("1")
    slider.fill("2")  # all epochs
    assert drawn(p) == OLD + NEW
    assert opacities(p) == pytest.approx([0.3, 0.3, 0.3])
    # The legend gives each image's date, provider and note (the screenshot's error).
    legend = p.locator(".ks-legend-image").all_inner_texts()
    assert legend == [
        "Imagery 2004-04 (old-a): 2004-04-15, Test scene old-a",
        "Imagery 2009-09 (new-a): 2009-09, Test scene new-a",
        f"Imagery 2009-09 (new-b): 2009-09-20, Test scene new-b; {SCREENSHOT_NOTE}",
    ]
    # The layer control still hides one image, and the next time move restores the epoch's.
    p.click("text=Imagery 2009-09 (new-a)")
    assert drawn(p) == [*OLD, ("2009-09", "new-b")]
    slider.fill("1")
    assert drawn(p) == NEW
    assert page.errors == []


def test_swipe_shows_each_sides_images(page: Page) -> None:
    p = page.page
    p.select_option(".ks-compare-left", "2004-04")
    p.select_option(".ks-compare-right", "2009-09")
    p.click(".ks-compare-toggle")
    assert drawn(p, "ksLeft") == OLD
    assert drawn(p, "ksRight") == NEW
    assert drawn(p) == []  # the ordinary images step aside while swiping
    assert footprint_epochs(p, "ksLeft") == ["2004-04"]
    assert footprint_epochs(p, "ksRight") == ["2009-09"]
    p.locator(".ks-opacity-range").fill("50")
    assert opacities(p) == pytest.approx([0.5, 0.5, 0.5])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    p.screenshot(path=str(SCREENSHOTS / "map-epoch-images-swipe.png"))
    p.click(".ks-compare-toggle")  # end: every image back, in drawing order
    assert drawn(p, "ksLeft") == [] and drawn(p, "ksRight") == []
    assert drawn(p) == OLD + NEW
    # Moving the time control while swiping ends the swipe and shows that epoch's images.
    p.click(".ks-compare-toggle")
    p.locator(".ks-time-range").fill("0")
    assert drawn(p, "ksRight") == [] and drawn(p) == OLD
    assert page.errors == []


def test_note_and_provider_are_shown_as_text(browser: object, tmp_path: Path) -> None:  # noqa: F811
    ws = imagery_workspace(tmp_path / "ws", note=MALICIOUS, provider=MALICIOUS)
    path = tmp_path / "images.html"
    path.write_text(make_map(ws, self_contained=True), encoding="utf-8")
    page = Page(browser, path)
    try:
        p = page.page
        legend = p.locator(".ks-legend-image").all_inner_texts()
        assert legend[2] == f"Imagery 2009-09 (new-b): 2009-09-20, {MALICIOUS}; {MALICIOUS}"
        assert f"Imagery: {MALICIOUS}" in p.inner_text(".leaflet-control-attribution")
        title = p.locator(".ks-layer-image").nth(2).get_attribute("title")
        assert title == f"2009-09-20, {MALICIOUS}; {MALICIOUS}"
        p.wait_for_function("() => [...document.images].every(i => i.complete)")
        assert p.locator("img[src='x']").count() == 0
        assert page.dialogs == [] and page.errors == []
    finally:
        page.close()


def test_each_site_keeps_its_images(browser: object, cli: Any, tmp_path: Path) -> None:  # noqa: F811
    import rasterio.warp

    from .test_map_sites import LAT, LON, RASON, make_rason

    kaesong = imagery_workspace(tmp_path / "kaesong")
    rason = make_rason(cli, tmp_path / "rason")
    [x], [y] = rasterio.warp.transform("EPSG:4326", "EPSG:32652", [LON], [LAT + 0.01])
    write_scene(rason / "imagery" / "r.tif", (90, 90, 90), x0=x, y0=y)
    (rason / "imagery" / "catalog.csv").write_text(
        "date,provider,resolution_m,redistributable,file,source,note,id\n"
        "2008-06-01,Rason scene,30,yes,r.tif,test fixture,,rason-2008\n",
        encoding="utf-8",
    )
    path = tmp_path / "sites.html"
    path.write_text(make_map([kaesong, rason], self_contained=True), encoding="utf-8")
    page = Page(browser, path)
    try:
        p = page.page
        rason_image = (f"{RASON} 2008-06", "rason-2008")
        k_old = [("Kaesong 2004-04", "old-a")]
        k_new = [("Kaesong 2009-09", "new-a"), ("Kaesong 2009-09", "new-b")]
        assert drawn(p, min_px=0) == [*k_old, *k_new, rason_image]
        slider = p.locator(".ks-time-range")
        dates = p.evaluate("KaesongMap.instances[0].stops.map(s => s.date.slice(0, 7))")
        assert dates == ["2004-04", "2008-06", "2009-09", "2012-07"]
        slider.fill("0")  # 2004-04: Kaesong's first epoch; Rason has none yet
        assert drawn(p, min_px=0) == k_old
        slider.fill("1")  # 2008-06: Kaesong as of then is 2004-04, Rason 2008-06
        assert drawn(p, min_px=0) == [*k_old, rason_image]
        slider.fill("3")  # 2012: Kaesong 2009-09 and Rason 2012 (which has no image)
        assert drawn(p, min_px=0) == k_new
        # Turning a site off in the layer control takes its images with it.
        slider.fill("1")
        site = p.locator(".leaflet-control-layers-overlays label", has_text=RASON).first
        count = "n => document.querySelectorAll('.leaflet-ksImagery-pane img').length === n"
        site.click()
        p.wait_for_function(count, arg=1)
        assert drawn(p, min_px=0) == k_old
        image = p.locator(".leaflet-control-layers-overlays label", has_text="rason-2008")
        assert not image.locator("input").is_checked()
        site.click()
        p.wait_for_function(count, arg=2)
        assert drawn(p, min_px=0) == [*k_old, rason_image]
        # A site turned off during a swipe stays off, its images too, when the swipe ends.
        p.click(".ks-compare-toggle")
        assert drawn(p, min_px=0) == []
        site.click()
        p.click(".ks-compare-toggle")
        p.wait_for_function(count, arg=1)
        assert drawn(p, min_px=0) == k_old
        assert page.errors == []
    finally:
        page.close()


EPOCHS = ["2004-04", "2006-01", "2009-09", "2013-06"]


def eight_images_workspace(target: Path) -> Path:
    """Four epochs with two images each (the second 600 m east and 400 m north)."""
    (target / "boundaries").mkdir(parents=True)
    rows = ["date,provider,resolution_m,redistributable,file,source,note,id"]
    for k, epoch in enumerate(EPOCHS):
        shapes = [BOX] if k < 2 else [BOX, EAST]
        write_geojson(target / "boundaries" / f"{epoch}.geojson", *(feature(g) for g in shapes))
        for j in range(2):
            name = f"{epoch}-{j}.tif"
            color = (60 * k, 200 - 60 * k, 120 * j)
            write_scene(
                target / "imagery" / name, color, x0=290_600.0 + 600 * j, y0=4_201_400.0 + 400 * j
            )
            note = SCREENSHOT_NOTE if j else ""
            rows.append(f'{epoch},Scene,30,yes,{name},test fixture,"{note}",s{k}{j}')
    (target / "imagery" / "catalog.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return target


@VIEWPORTS
def test_eight_images_keep_the_controls_apart(
    browser: object,  # noqa: F811
    tmp_path: Path,
    viewport: dict[str, int],
    name: str,
) -> None:
    ws = eight_images_workspace(tmp_path / "ws")
    path = tmp_path / "eight.html"
    path.write_text(make_map(ws, self_contained=True), encoding="utf-8")
    page = Page(browser, path, viewport=viewport)
    try:
        p = page.page
        p.wait_for_function(FOOTPRINTS_CLEAR)
        boxes = page.boxes()
        assert overlapping_controls(boxes) == []
        assert all(inside(c, viewport["width"], viewport["height"]) for c in boxes["controls"])
        assert len(drawn(p)) == 8
        slider = p.locator(".ks-time-range")
        for k, epoch in enumerate(EPOCHS):
            slider.fill(str(k))
            assert drawn(p) == [(epoch, f"s{k}0"), (epoch, f"s{k}1")]
        if name == "phone":
            p.tap(".ks-legend-toggle")
            expect(p.locator(".ks-legend-body")).to_be_visible()
        assert overlapping_controls(page.boxes()) == []
        p.screenshot(path=str(SCREENSHOTS / f"map-eight-images-{name}.png"))
        assert page.errors == []
    finally:
        page.close()
