"""How the map page holds its geometries: each distinct geometry once, in a compact table that
decodes to the drawn geometry; crowded epochs and intervals drawn one shape per class or type,
with full-resolution figures."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import Polygon, box, shape

from kaesong_geo.maps import build
from kaesong_geo.maps.build import (
    COORD_SCALE,
    decode_shapes,
    encode_shapes,
    make_map,
    page_geojson,
    shape_ids,
    shape_runs,
)
from kaesong_geo.measure import geodesic_area_m2

from .common import DONUT, HOLE, LAT0, LON0, feature, write_geojson

STEP = 0.0004  # ~35 m by ~44 m cells; buildings half a cell: none touch


def building(i: int) -> Polygon:
    x, y = LON0 + i % 40 * STEP, LAT0 + i // 40 * STEP
    return box(x, y, x + STEP / 2, y + STEP / 2)


def raw_config(html: str) -> dict[str, Any]:
    match = re.search(r"KaesongMap\.init\(\w+, (\{.*?\}), \[", html, re.S)
    assert match, "no KaesongMap.init call"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


coordinate = st.integers(min_value=-180_000_000, max_value=180_000_000)


@given(
    st.lists(
        st.tuples(coordinate, coordinate, st.integers(1, 5_000_000), st.integers(1, 5_000_000)),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
)
def test_shape_table_decodes_to_the_rounded_geometry(
    boxes: list[tuple[int, int, int, int]], holed: bool
) -> None:
    geoms: list[Any] = []
    for x, y, w, h in boxes:
        outer = box(x, y, x + w, y + h)
        if holed and w > 4 and h > 4:
            outer = outer.difference(box(x + w // 4, y + h // 4, x + w // 2, y + h // 2))
        geoms.append(shapely.transform(outer, lambda xy: xy / COORD_SCALE))
    geoms.append(shapely.MultiPolygon([geoms[0], shapely.affinity.translate(geoms[0], 200)]))
    decoded = decode_shapes(json.loads(json.dumps(encode_shapes(geoms))))
    assert len(decoded) == len(geoms)
    for original, drawn in zip(geoms, decoded, strict=True):
        expected = shapely.transform(original, lambda xy: np.round(xy, 6))
        assert shapely.equals_exact(
            shape(drawn),
            shapely.MultiPolygon(list(getattr(expected, "geoms", [expected]))),
            tolerance=0,
        )


@given(st.lists(st.integers(0, 50), max_size=30))
def test_shape_runs_round_trip(ids: list[int]) -> None:
    runs = shape_runs(ids)
    assert shape_ids(runs) == ids
    assert all(count >= 1 for count in runs[1::2])


def test_a_kept_building_is_written_once(empty_data_dir: Path) -> None:
    """Each epoch keeps the last one's buildings: the page holds each building once, yet
    every epoch draws all of its own."""
    counts = {"2005-06": 6, "2008-06": 9, "2012-06": 12}
    for label, n in counts.items():
        write_geojson(
            empty_data_dir / "boundaries" / f"{label}.geojson",
            *(feature(building(i), name=f"b{i}") for i in range(n)),
        )
    config = raw_config(make_map(empty_data_dir))
    used = {i for e in config["epochs"] for f in e["features"] for i in shape_ids(f["shapes"])}
    assert len(used) == 12  # not 6 + 9 + 12
    # The table holds those and, at most, the 3 + 3 added patches (here the added buildings
    # themselves, so nothing more).
    assert 12 <= len(config["shapes"]["shapes"]) <= 12 + 6
    drawn = page_geojson(config)
    for epoch, n in zip(drawn["epochs"], counts.values(), strict=True):
        features = epoch["geojson"]["features"]
        assert [f["properties"]["name"] for f in features] == [f"b{i}" for i in range(n)]
        for i, f in enumerate(features):
            assert shape(f["geometry"]).hausdorff_distance(building(i)) < 1e-6


def test_a_crowded_interval_is_drawn_per_growth_type(
    empty_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build, "MAX_DRAWN_FOOTPRINTS", 3)
    write_geojson(empty_data_dir / "boundaries" / "2005-06.geojson", feature(DONUT))
    far = [shapely.affinity.translate(building(i), 0.05, 0.05) for i in range(5)]
    write_geojson(
        empty_data_dir / "boundaries" / "2008-06.geojson",
        *(feature(g) for g in [DONUT, HOLE, *far]),  # the hole filled: infill
    )
    config = page_geojson(raw_config(make_map(empty_data_dir)))
    [interval] = config["intervals"]
    by_type = {f["properties"]["type"]: f for f in interval["geojson"]["features"]}
    assert set(by_type) == {"infill", "leapfrog"}
    leapfrog = by_type["leapfrog"]
    full_ha = sum(geodesic_area_m2(g) for g in far) / 1e4
    assert leapfrog["properties"]["area"] == (f"{full_ha:,.2f} ha in 5 patches drawn as one shape")
    assert leapfrog["properties"]["lei"] == "0.0 (mean weighted by area)"
    assert shape(leapfrog["geometry"]).hausdorff_distance(shapely.MultiPolygon(far)) < 1e-6
    assert by_type["infill"]["properties"]["area"].endswith(" in 1 patch drawn as one shape")


def test_orientation_without_shapely_2_1(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shapely 2.0 (allowed by the package) has no orient_polygons: the fallback agrees."""
    clockwise = shapely.Polygon(list(DONUT.exterior.coords)[::-1], [DONUT.interiors[0].coords])
    geoms = np.asarray(
        [clockwise, shapely.MultiPolygon([clockwise, building(3)]), DONUT], dtype=object
    )
    fast = build._oriented(geoms)
    monkeypatch.delattr(shapely, "orient_polygons", raising=False)
    slow = build._oriented(geoms)
    for a, b in zip(fast, slow, strict=True):
        assert shapely.equals_exact(a, b, tolerance=0)
        for polygon in getattr(a, "geoms", [a]):
            assert polygon.exterior.is_ccw and not any(r.is_ccw for r in polygon.interiors)
