"""Measurement against independent formulas and known shapes."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from scipy.integrate import quad
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.polygon import orient

from kaesong_geo.measure import (
    dissolve,
    from_utm,
    geodesic_area_perimeter,
    geodesic_areas_m2,
    measure_geometry,
    polygons_of,
    to_utm,
    utm_area_perimeter,
)
from kaesong_geo.site import KAESONG

from .common import BOX, DONUT, EAST, HOLE

#: The UTM zone of the test geometries, all near Kaesong (52N).
UTM = KAESONG.utm_epsg

A = 6378137.0
F = 1 / 298.257223563
B = A * (1 - F)
E2 = F * (2 - F)
E = math.sqrt(E2)


def quadrangle_area(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Exact area between two parallels and two meridians on the WGS 84 ellipsoid."""

    def q(lat_deg: float) -> float:
        s = math.sin(math.radians(lat_deg))
        return s / (1 - E2 * s * s) + math.log((1 + E * s) / (1 - E * s)) / (2 * E)

    return B * B * math.radians(lon2 - lon1) / 2 * (q(lat2) - q(lat1))


def quadrangle_perimeter(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Two meridian arcs (integrated) plus two parallel arcs."""
    meridian, _ = quad(
        lambda p: A * (1 - E2) / (1 - E2 * math.sin(p) ** 2) ** 1.5,
        math.radians(lat1),
        math.radians(lat2),
    )

    def parallel(lat_deg: float) -> float:
        p = math.radians(lat_deg)
        return A / math.sqrt(1 - E2 * math.sin(p) ** 2) * math.cos(p) * math.radians(lon2 - lon1)

    return 2 * meridian + parallel(lat1) + parallel(lat2)


@pytest.mark.parametrize(
    "bounds",
    [
        (126.630, 37.925, 126.640, 37.935),  # ~1 km², the complex
        (126.600, 37.900, 126.700, 38.000),  # ~100 km²
        (126.633, 37.930, 126.6331, 37.9301),  # ~100 m²
        (10.0, -0.005, 10.01, 0.005),  # on the equator
    ],
)
def test_area_of_quadrangle_matches_closed_form(bounds: tuple[float, float, float, float]) -> None:
    area, _ = geodesic_area_perimeter(box(*bounds))
    # Geodesic edges differ from parallels by a relative 1e-6 or less at these sizes.
    assert area == pytest.approx(quadrangle_area(*bounds), rel=2e-5)


def test_perimeter_of_quadrangle_matches_meridian_and_parallel_arcs() -> None:
    bounds = (126.630, 37.925, 126.640, 37.935)
    _, perimeter = geodesic_area_perimeter(box(*bounds))
    assert perimeter == pytest.approx(quadrangle_perimeter(*bounds), rel=1e-7)


def test_utm_agrees_with_geodesic_within_a_tenth_of_a_percent() -> None:
    m = measure_geometry(BOX, UTM)
    assert abs(m.utm_diff_pct) < 0.1
    # Zone 52N's scale factor at ~208 km from the central meridian is ~1.00013, so the
    # UTM area is larger by ~0.027 %.
    assert 0.02 < m.utm_diff_pct < 0.035


def test_holes_are_subtracted_and_their_edges_counted() -> None:
    outer, p_outer = geodesic_area_perimeter(BOX)
    hole, p_hole = geodesic_area_perimeter(HOLE)
    area, perimeter = geodesic_area_perimeter(DONUT)
    assert area == pytest.approx(outer - hole, rel=1e-9)
    assert perimeter == pytest.approx(p_outer + p_hole, rel=1e-9)
    assert measure_geometry(DONUT, UTM).n_holes == 1


def test_orientation_does_not_change_area() -> None:
    cw = orient(DONUT, -1.0)
    ccw = orient(DONUT, 1.0)
    assert geodesic_area_perimeter(cw)[0] == pytest.approx(
        geodesic_area_perimeter(ccw)[0], rel=1e-12
    )
    assert geodesic_area_perimeter(cw)[0] > 0


def test_overlapping_parts_count_once() -> None:
    overlapping = MultiPolygon([BOX, box(126.635, 37.925, 126.645, 37.935)])
    m = measure_geometry(overlapping, UTM)
    expected = quadrangle_area(126.630, 37.925, 126.645, 37.935)
    assert m.area_m2 == pytest.approx(expected, rel=2e-5)
    assert m.n_polygons == 1


def test_adjacent_boxes_dissolve_into_one_polygon() -> None:
    merged = dissolve([BOX, EAST])
    assert len(merged.geoms) == 1
    assert geodesic_area_perimeter(merged)[0] == pytest.approx(
        quadrangle_area(126.630, 37.925, 126.650, 37.935), rel=2e-5
    )


def test_shape_indices_of_known_shapes() -> None:
    to_lonlat = Transformer.from_crs(32652, 4326, always_xy=True)

    def from_utm(coords: list[tuple[float, float]]) -> Polygon:
        return Polygon([to_lonlat.transform(x, y) for x, y in coords])

    x0, y0 = 292000.0, 4201000.0
    square = measure_geometry(
        from_utm([(x0, y0), (x0 + 1000, y0), (x0 + 1000, y0 + 1000), (x0, y0 + 1000)]), UTM
    )
    assert square.polsby_popper == pytest.approx(math.pi / 4, rel=1e-3)
    assert square.convex_hull_ratio == pytest.approx(1.0, rel=1e-9)
    # An L of three 500 m squares: its convex hull adds half a square, so the ratio is 3/3.5.
    ell = [(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)]
    m = measure_geometry(from_utm([(x0 + 500 * x, y0 + 500 * y) for x, y in ell]), UTM)
    assert m.convex_hull_ratio == pytest.approx(3 / 3.5, rel=1e-6)
    assert m.area_m2 == pytest.approx(3 * 500 * 500 / 1.00013**2, rel=1e-4)


def test_empty_and_none_measure_zero() -> None:
    for geom in (None, Polygon(), MultiPolygon()):
        m = measure_geometry(geom, UTM)
        assert m.area_m2 == 0 and m.perimeter_m == 0 and m.n_polygons == 0
        assert math.isnan(m.polsby_popper)
        assert m.utm_diff_pct == 0.0


def test_non_polygonal_parts_are_ignored() -> None:
    assert polygons_of(Point(126.63, 37.93)) == []
    assert utm_area_perimeter(Point(126.63, 37.93), 32652) == (0.0, 0.0)


def test_units_helpers() -> None:
    m = measure_geometry(BOX, UTM)
    assert m.area_km2 == pytest.approx(m.area_m2 / 1e6)
    assert m.area_ha == pytest.approx(m.area_m2 / 1e4)


def test_areas_of_many_polygons_equal_those_ring_by_ring() -> None:
    """The array form (all coordinates read at once) sums the same rings in the same order."""
    parts = [box(126.63 + i * 0.002, 37.93, 126.631 + i * 0.002, 37.931) for i in range(40)]
    parts[3] = DONUT
    many = MultiPolygon(parts)
    area, perimeter = geodesic_area_perimeter(many)
    by_ring = [geodesic_area_perimeter(p) for p in parts]  # fewer than 16: ring by ring
    assert area == pytest.approx(sum(a for a, _ in by_ring), rel=1e-12)
    assert perimeter == pytest.approx(sum(p for _, p in by_ring), rel=1e-12)
    assert geodesic_areas_m2(parts).tolist() == pytest.approx([a for a, _ in by_ring], rel=1e-12)
    assert geodesic_area_perimeter(many) == (area, perimeter)  # remembered: the same


def test_from_utm_inverts_to_utm() -> None:
    back = from_utm(to_utm(DONUT, 32652), 32652)
    assert back.equals_exact(DONUT, 1e-9)
    arr = to_utm(np.asarray([BOX, HOLE], dtype=object), 32652)
    assert arr[0].equals_exact(to_utm(BOX, 32652), 0)
    assert arr[1].equals_exact(to_utm(HOLE, 32652), 0)


# ---------------------------------------------------------------- UTM cross-check and scale


@given(
    lon=st.floats(-179.5, 179.5),
    lat=st.floats(-79.0, 83.0),
    size_deg=st.floats(0.002, 0.05),
)
@settings(max_examples=80, deadline=None)
def test_utm_difference_is_the_projections_own_scale(
    lon: float, lat: float, size_deg: float
) -> None:
    """Anywhere in its own zone, a footprint's UTM area is its true area times the areal scale."""
    from kaesong_geo.site import utm_epsg_for

    square = box(lon, lat, lon + size_deg, lat + size_deg * 0.8)
    m = measure_geometry(square, utm_epsg_for(lon, lat))
    assert abs(m.utm_diff_pct - m.utm_scale_pct) < 0.01
    assert m.utm_disagreement() is None


def test_zone_edge_difference_is_expected_not_a_warning() -> None:
    """Shenzhen lies 2.9° west of its zone's meridian: UTM enlarges areas by 0.146 %."""
    m = measure_geometry(box(114.05, 22.53, 114.07, 22.55), 32650)
    assert m.utm_diff_pct == pytest.approx(0.146, abs=0.002)
    assert m.utm_scale_pct == pytest.approx(m.utm_diff_pct, abs=1e-3)
    assert m.utm_disagreement() is None


def test_disagreement_names_both_figures() -> None:
    m = measure_geometry(box(126.63, 37.93, 126.64, 37.94), 32652)
    off = dataclasses.replace(m, area_utm_m2=m.area_m2 * 1.002)
    assert off.utm_disagreement() == (
        "UTM area differs from the geodesic area by +0.200% where the projection's scale "
        "accounts for +0.026% (more than 0.1% apart: check the geometry and the site's UTM zone)"
    )
