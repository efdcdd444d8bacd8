"""Drawing a crowded epoch or interval as one shape per class or growth type looks the same, in
Chromium, as drawing each footprint and patch on its own (the page only draws less)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kaesong_geo.maps import build
from kaesong_geo.maps.build import make_map

from .common import feature, write_geojson
from .test_browser import SCREENSHOTS, Page, browser  # noqa: F401 (the browser fixture)
from .test_map_shapes import building

COUNTS = {"2005-06": 12, "2008-06": 18, "2012-06": 24}  # each epoch keeps the last one's


def screenshots(browser: Any, path: Path) -> list[np.ndarray]:  # noqa: F811
    """The page with every epoch, with each epoch alone, and with the added areas."""
    from PIL import Image

    page = Page(browser, path)
    try:
        assert page.errors == []
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shots = [page.page.screenshot(path=str(SCREENSHOTS / f"map-shapes-{path.stem}.png"))]
        for i in range(len(COUNTS)):
            page.page.evaluate(f"KaesongMap.instances[0].showEpoch({i})")
            shots.append(page.page.screenshot())
        page.page.evaluate(
            "(() => { const s = KaesongMap.instances[0]; s.showEpoch(s.stops.length);"
            " s.added.forEach(l => s.map.addLayer(l)); })()"
        )
        shots.append(page.page.screenshot())
    finally:
        page.close()
    return [np.asarray(Image.open(io.BytesIO(s)).convert("RGB"), dtype=int) for s in shots]


def test_one_shape_per_class_looks_like_one_per_footprint(
    browser: Any,  # noqa: F811
    empty_data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for label, n in COUNTS.items():
        write_geojson(
            empty_data_dir / "boundaries" / f"{label}.geojson",
            *(feature(building(i)) for i in range(n)),
        )
    each = tmp_path / "each.html"
    each.write_text(make_map(empty_data_dir, self_contained=True), encoding="utf-8")
    monkeypatch.setattr(build, "MAX_DRAWN_FOOTPRINTS", 5)  # every epoch and interval crowded
    grouped = tmp_path / "grouped.html"
    grouped.write_text(make_map(empty_data_dir, self_contained=True), encoding="utf-8")
    assert grouped.read_text().count('"rows"') < each.read_text().count('"rows"')
    shots_each, shots_grouped = screenshots(browser, each), screenshots(browser, grouped)
    # The states differ from one another (the comparison is not of blank maps).
    assert all((shots_each[i] != shots_each[i + 1]).any() for i in range(len(shots_each) - 1))
    for k, (a, b) in enumerate(zip(shots_each, shots_grouped, strict=True)):
        diff = np.abs(a - b).max(axis=-1)
        if diff.any():
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            np.save(SCREENSHOTS / f"shapes-diff-{k}.npy", diff)
        assert diff.max() == 0, (k, int((diff > 0).sum()), int(diff.max()))
