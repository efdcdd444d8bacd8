"""A footprint across the antimeridian, in Chromium: drawn as a square at its site."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kaesong_geo.maps.build import make_map

from .common import feature, write_geojson
from .test_antimeridian import LAT, LAYOUTS, LON, init, square
from .test_browser import SCREENSHOTS, Page, browser  # noqa: F401 (the browser fixture)


def test_a_split_footprint_is_drawn_as_a_square_at_its_site(
    cli: Any,
    tmp_path: Path,
    browser: Any,  # noqa: F811
) -> None:
    root = init(cli, tmp_path / "am", "Antimeridian test zone", LON, LAT, 10)
    write_geojson(root / "boundaries" / "2015-06.geojson", feature(square(179.99, LAT, 500)))
    write_geojson(root / "boundaries" / "2020-06.geojson", feature(LAYOUTS["split"]))
    path = tmp_path / "map.html"
    path.write_text(make_map(root, self_contained=True), encoding="utf-8")
    page = Page(browser, path)
    try:
        assert page.errors == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(SCREENSHOTS / "map-antimeridian.png"))
        boxes = page.boxes()
    finally:
        page.close()
    assert len(boxes["footprints"]) == 2
    for b in boxes["footprints"]:
        width, height = b["right"] - b["left"], b["bottom"] - b["top"]
        # A square (500 m or 1 km across), not a line from -180 to 180 at world zoom.
        assert 50 < width < boxes["width"] / 2 and 0.9 < height / width < 1.1, b
        assert b["left"] > 0 and b["right"] < boxes["width"], b
    big = max(boxes["footprints"], key=lambda b: b["right"] - b["left"])
    small = min(boxes["footprints"], key=lambda b: b["right"] - b["left"])
    assert 1.9 < (big["right"] - big["left"]) / (small["right"] - small["left"]) < 2.1
    assert small["right"] < big["left"]  # the 2015 square lies west of the 2020 one
