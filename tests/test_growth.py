from __future__ import annotations

import pytest
from shapely.geometry import MultiPolygon, box

from kaesong_geo.dates import parse_epoch
from kaesong_geo.growth import (
    classify_lei,
    compare,
    landscape_expansion_index,
    landscape_expansion_indices,
)
from kaesong_geo.measure import dissolve, geodesic_area_m2
from kaesong_geo.site import KAESONG

from .common import BOX, DONUT, EAST, FAR, HOLE

#: The UTM zone of the test geometries, all near Kaesong (52N).
UTM = KAESONG.utm_epsg

T0, T1 = parse_epoch("2004-04"), parse_epoch("2006-01")


def test_extension_adjacent_patch() -> None:
    g = compare(BOX, BOX.union(EAST), T0, T1, utm_epsg=UTM)
    assert g.growth_m2 == pytest.approx(geodesic_area_m2(EAST), rel=1e-6)
    assert g.growth_pct == pytest.approx(
        100 * geodesic_area_m2(EAST) / geodesic_area_m2(BOX), rel=1e-6
    )
    assert [p.growth_type for p in g.patches] == ["extension"]
    # The shared west edge (~1,110 m) is ~27.9 % of the patch's perimeter (~3,977 m); the
    # buffer ring's corners make the index a little smaller than that share.
    shared = 1 / (2 + 2 * 878.9 / 1110.1)
    assert 100 * shared - 1 < g.patches[0].lei < 100 * shared
    assert g.lost_m2 == 0


def test_infill_of_a_hole() -> None:
    g = compare(DONUT, BOX, T0, T1, utm_epsg=UTM)
    assert [p.growth_type for p in g.patches] == ["infill"]
    assert g.patches[0].lei == pytest.approx(100.0)
    assert g.added_m2 == pytest.approx(geodesic_area_m2(HOLE), rel=1e-6)


def test_leapfrog_patch_far_away() -> None:
    g = compare(BOX, MultiPolygon([BOX, FAR]), T0, T1, utm_epsg=UTM)
    assert [p.growth_type for p in g.patches] == ["leapfrog"]
    assert g.patches[0].lei == 0.0
    assert g.added_by_type_m2()["leapfrog"] == pytest.approx(geodesic_area_m2(FAR), rel=1e-9)


def test_lost_area_and_negative_growth() -> None:
    g = compare(BOX.union(EAST), BOX, T0, T1, utm_epsg=UTM)
    assert g.growth_m2 < 0
    assert g.lost_m2 == pytest.approx(geodesic_area_m2(EAST), rel=1e-6)
    assert g.added_m2 == 0 and g.patches == ()
    assert g.annual_rate_pct is not None and g.annual_rate_pct < 0


def test_added_minus_lost_is_growth() -> None:
    shifted = box(126.635, 37.925, 126.645, 37.935)
    g = compare(BOX, shifted, T0, T1, utm_epsg=UTM)
    # Not exact: a geodesic edge split at a new vertex encloses a slightly different area
    # (here ~5 m² in 1 km², a few parts per million).
    assert g.added_m2 - g.lost_m2 == pytest.approx(g.growth_m2, abs=1e-5 * g.end_area_m2)


def test_annual_rate_uses_exact_days() -> None:
    g = compare(
        BOX, BOX.union(EAST), parse_epoch("2004-04-15"), parse_epoch("2005-04-15"), utm_epsg=UTM
    )
    ratio = g.end_area_m2 / g.start_area_m2
    assert g.days == 365
    assert g.annual_rate_pct == pytest.approx(100 * (ratio ** (365.2425 / 365) - 1))


def test_growth_from_nothing_has_no_percentage() -> None:
    g = compare(MultiPolygon(), BOX, T0, T1, utm_epsg=UTM)
    assert g.growth_pct is None and g.annual_rate_pct is None
    assert [p.growth_type for p in g.patches] == ["leapfrog"]


def test_slivers_below_threshold_are_dropped() -> None:
    sliver = box(126.640, 37.925, 126.640000001, 37.935)  # ~1 mm wide
    g = compare(BOX, BOX.union(sliver), T0, T1, utm_epsg=UTM)
    assert g.patches == ()


@pytest.mark.parametrize(
    ("lei", "kind"),
    [(0.0, "leapfrog"), (1e-9, "extension"), (49.999, "extension"), (50.0, "infill")],
)
def test_lei_thresholds(lei: float, kind: str) -> None:
    assert classify_lei(lei) == kind


def test_lei_buffer_width_matters_only_at_corners() -> None:
    narrow = landscape_expansion_index(EAST, BOX, 32652, buffer_m=1.0)
    wide = landscape_expansion_index(EAST, BOX, 32652, buffer_m=50.0)
    assert 27.5 < narrow < 27.9 and wide < narrow


def test_indices_of_many_patches_equal_the_single_patch_form() -> None:
    """The array form (projected once, STRtree) gives the reference function's values."""
    old = dissolve([DONUT, FAR])
    patches = [HOLE, EAST, box(126.7, 37.9, 126.71, 37.91), FAR.buffer(0.001).difference(FAR)]
    many = landscape_expansion_indices(patches, old, 32652)
    one = [landscape_expansion_index(p, old, 32652) for p in patches]
    assert many.tolist() == pytest.approx(one, rel=1e-12, abs=1e-12)
    # The frame round FAR meets it on its inner edge only: less than half its ring.
    assert [classify_lei(x) for x in many] == ["infill", "extension", "leapfrog", "extension"]
    assert landscape_expansion_indices([], old, 32652).tolist() == []
    assert landscape_expansion_indices([HOLE], MultiPolygon(), 32652).tolist() == [0.0]


def test_compare_on_an_already_dissolved_footprint_keeps_it() -> None:
    """An epoch's dissolved footprint goes through compare() as is, and is measured once."""
    start = dissolve([BOX, FAR])
    g = compare(start, dissolve([BOX, EAST, FAR]), T0, T1, utm_epsg=UTM)
    assert dissolve([start]) is start
    assert g.start_area_m2 == geodesic_area_m2(start)
    assert g.added_m2 == pytest.approx(geodesic_area_m2(EAST), rel=1e-9)
