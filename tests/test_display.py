"""The map draws footprints at screen resolution; every figure it shows is full resolution."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
import shapely
from shapely.geometry import Point, box, shape

from kaesong_geo.maps.build import (
    MAX_DRAWN_FOOTPRINTS,
    display_tolerance_m,
    make_map,
    page_geojson,
)
from kaesong_geo.measure import from_utm, geodesic_area_m2, to_utm

from .common import LAT0, LON0, feature, write_geojson


def config_of(html: str) -> dict:
    match = re.search(r"KaesongMap\.init\(\w+, (\{.*?\}), \[", html, re.S)
    assert match, "no KaesongMap.init call"
    return page_geojson(json.loads(match.group(1)))  # as the page's script draws it


def n_vertices(geometry: dict) -> int:
    return int(shapely.get_num_coordinates(shape(geometry)))


def comb(side_m: float = 3000.0, tooth_m: float = 0.45) -> shapely.Polygon:
    """A square (UTM) with notches ``tooth_m`` deep and wide all round its edges, in lon/lat.

    The notches are finer than a pixel at the deepest zoom, so the drawing drops them and
    shows the plain square; they take about 0.27 ha, which the figures must keep.
    """
    origin = to_utm(Point(LON0 + 0.005, LAT0 + 0.005), 32652)
    x0, y0, x1, y1 = origin.x, origin.y, origin.x + side_m, origin.y + side_m
    notches = []
    for k in range(int(side_m / (2 * tooth_m)) - 1):
        t = (2 * k + 1) * tooth_m
        notches += [
            box(x0 + t, y0, x0 + t + tooth_m, y0 + tooth_m),
            box(x0 + t, y1 - tooth_m, x0 + t + tooth_m, y1),
            box(x0, y0 + t, x0 + tooth_m, y0 + t + tooth_m),
            box(x1 - tooth_m, y0 + t, x1, y0 + t + tooth_m),
        ]
    square = box(x0, y0, x1, y1)
    return from_utm(square.difference(shapely.union_all(notches)), 32652)


def test_a_dense_outline_is_drawn_with_far_fewer_vertices_and_measured_in_full(
    empty_data_dir: Path,
) -> None:
    dense = comb()
    assert shapely.get_num_coordinates(dense) > 40_000
    write_geojson(empty_data_dir / "boundaries" / "2011-03.geojson", feature(dense, name="comb"))
    config = config_of(make_map(empty_data_dir))
    [drawn] = config["epochs"][0]["geojson"]["features"]
    assert n_vertices(drawn["geometry"]) < 100
    # Drawn within a pixel at the deepest zoom (plus the 1e-6 degree rounding).
    gap = to_utm(shape(drawn["geometry"]), 32652).hausdorff_distance(to_utm(dense, 32652))
    assert gap < display_tolerance_m(LAT0) + 0.15
    # The figures come from the full-resolution outline, which the drawing does not give.
    full_ha = geodesic_area_m2(dense) / 1e4
    drawn_ha = geodesic_area_m2(shape(drawn["geometry"])) / 1e4
    assert f"{full_ha:,.1f} ha" != f"{drawn_ha:,.1f} ha"
    assert dict(drawn["properties"]["rows"])["Area"] == f"{full_ha:,.1f} ha"
    assert dict(config["epochs"][0]["rows"])["Area"].endswith(
        f"= {full_ha:,.1f} ha (geodesic, WGS 84)"
    )


def test_a_crowded_epoch_is_drawn_per_class_with_full_resolution_figures(
    empty_data_dir: Path,
) -> None:
    n = MAX_DRAWN_FOOTPRINTS + 1
    step = 0.0004  # ~35 m by ~44 m cells, buildings ~17 m by ~22 m: none touch
    buildings = [
        box(
            LON0 + i % 60 * step,
            LAT0 + i // 60 * step,
            LON0 + i % 60 * step + step / 2,
            LAT0 + i // 60 * step + step / 2,
        )
        for i in range(n)
    ]
    classes = ["developed" if i % 3 else "under construction" for i in range(n)]
    write_geojson(
        empty_data_dir / "boundaries" / "2011-03.geojson",
        *(feature(b, **{"class": c}) for b, c in zip(buildings, classes, strict=True)),
    )
    html = make_map(empty_data_dir)
    features = config_of(html)["epochs"][0]["geojson"]["features"]
    assert len(features) == 2
    for f in features:
        rows = dict(f["properties"]["rows"])
        members = [b for b, c in zip(buildings, classes, strict=True) if c == rows["Class"]]
        assert rows["Footprints"] == f"{len(members):,}"
        full = sum(geodesic_area_m2(b) for b in members)
        assert rows["Area"] == f"{full / 1e4:,.1f} ha (geodesic, full resolution)"
        assert n_vertices(f["geometry"]) == 5 * len(members)  # rectangles stay rectangles
    # One shape per class: each footprint's popup is no longer repeated n times.
    assert len(html.encode()) < 200 * n + 1_000_000


@pytest.mark.parametrize("lat", [0.0, 37.93, -33.9])
def test_display_tolerance_is_one_pixel_at_the_deepest_zoom(lat: float) -> None:
    # 256-pixel tiles, 2**18 of them around the equator at zoom 18.
    assert display_tolerance_m(lat) == pytest.approx(
        40_075_016.686 * math.cos(math.radians(lat)) / 256 / 2**18
    )
