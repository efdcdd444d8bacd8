"""Footprint extraction from one scene (issue #9): synthetic scenes with a known truth."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import ndimage
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from kaesong_geo.extract import (
    built_up_index,
    clean_mask,
    extract_footprint,
    index_overlap_px,
    keep_within,
    merge_parts,
    otsu_threshold,
    pixel_polygons,
    polygonize,
    polygons_in_crs,
)
from kaesong_geo.measure import from_utm, to_utm
from kaesong_geo.site import KAESONG
from tests.synthetic_scenes import CENTER_X, CENTER_Y, Kind, make_scene

UTM = 32652


def iou_utm(a: BaseGeometry, b: BaseGeometry) -> float:
    ua, ub = to_utm(a, UTM), to_utm(b, UTM)
    return float(ua.intersection(ub).area / ua.union(ub).area)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind", ["rgb", "landsat", "sentinel2"])
def test_extracted_footprint_matches_the_truth(kind: Kind, seed: int) -> None:
    bands, transform, crs, names, truth = make_scene(kind, seed=seed)
    result = extract_footprint(bands, transform, crs, names, KAESONG)
    assert iou_utm(result.geometry, truth) >= 0.85
    assert result.geometry.is_valid
    assert len(result.geometry.geoms) == 1  # roads, stray bare patches, cloud edges all dropped
    assert result.index_name == ("rgb-texture" if kind == "rgb" else "ndbi-ndvi")
    assert result.parameters["threshold"] == result.threshold
    assert result.pixel_m == {"rgb": 4.0, "landsat": 30.0, "sentinel2": 10.0}[kind]


def _cloud_centre_wgs84(kind: Kind, size: int = 400) -> BaseGeometry:
    pixel = {"rgb": 4.0, "landsat": 30.0, "sentinel2": 10.0}[kind]
    x = CENTER_X - size * pixel / 2 + 0.10 * size * pixel
    y = CENTER_Y + size * pixel / 2 - 0.12 * size * pixel
    return from_utm(Point(x, y).buffer(0.1 * size * pixel), UTM)


@pytest.mark.parametrize("kind", ["landsat", "sentinel2"])
def test_the_cloud_is_left_out_of_a_multispectral_footprint(kind: Kind) -> None:
    bands, transform, crs, names, truth = make_scene(kind, seed=0)
    cloud = _cloud_centre_wgs84(kind)
    result = extract_footprint(bands, transform, crs, names, KAESONG)
    assert not result.geometry.intersects(cloud)
    assert result.parameters["unknown_px"] > 0
    # without the cloud test, the thin cloud over the fields is taken for built-up ground
    naive = extract_footprint(bands, transform, crs, names, KAESONG, cloud_reflectance=2.0)
    assert naive.geometry.intersects(cloud)
    assert iou_utm(naive.geometry, truth) < 0.85


def test_the_cloud_is_left_out_of_an_rgb_footprint() -> None:
    bands, transform, crs, names, _ = make_scene("rgb", seed=0)
    result = extract_footprint(bands, transform, crs, names, KAESONG)
    assert not result.geometry.intersects(_cloud_centre_wgs84("rgb"))


def test_nodata_is_never_built_up() -> None:
    bands, transform, crs, names, _ = make_scene("sentinel2", seed=1)
    bands[:, :, :200] = np.nan  # the west half of the scene has no data
    result = extract_footprint(bands, transform, crs, names, KAESONG)
    west = to_utm(result.geometry, UTM).bounds[0]
    assert west >= transform.c + 200 * 10.0 - 1e-6
    assert result.geometry.area > 0


def test_an_all_nodata_scene_is_refused() -> None:
    bands, transform, crs, names, _ = make_scene("landsat", size=64)
    bands[:] = np.nan
    with pytest.raises(ValueError, match="no valid pixel"):
        extract_footprint(bands, transform, crs, names, KAESONG)


def test_a_uniform_scene_is_refused() -> None:
    bands = np.full((3, 32, 32), 0.2)
    transform = Affine(10, 0, CENTER_X, 0, -10, CENTER_Y)
    with pytest.raises(ValueError, match="nothing to separate"):
        extract_footprint(bands, transform, "EPSG:32652", ["B4", "B5", "B6"], KAESONG)


@pytest.mark.parametrize(
    "names",
    [["B4", "B5"], ["nir", "swir1", "green"], ["B08", "B11", "B02", "B03"], ["x", "y", "z"]],
)
def test_a_band_set_without_the_needed_bands_is_refused(names: list[str]) -> None:
    bands = np.zeros((len(names), 8, 8))
    with pytest.raises(ValueError, match=r"have neither red, NIR and SWIR1 .* nor red, green"):
        built_up_index(bands, names)


def test_bands_and_names_must_agree() -> None:
    with pytest.raises(ValueError, match="3 bands but 2 band names"):
        built_up_index(np.zeros((3, 4, 4)), ["red", "green"])
    with pytest.raises(ValueError, match="must be 3-D"):
        built_up_index(np.zeros((4, 4)), ["red"])


def test_a_geographic_crs_is_refused() -> None:
    bands, _, _, names, _ = make_scene("sentinel2", size=32)
    with pytest.raises(ValueError, match=r"EPSG:4326\) is not projected in metres"):
        extract_footprint(
            bands, Affine(1e-4, 0, 126.6, 0, -1e-4, 37.9), "EPSG:4326", names, KAESONG
        )


def test_band_names_are_case_blind_and_order_free() -> None:
    bands, transform, crs, names, truth = make_scene("sentinel2", seed=2)
    order = [4, 2, 0, 3, 1]
    result = extract_footprint(
        bands[order], transform, crs, [names[i].lower() for i in order], KAESONG
    )
    assert iou_utm(result.geometry, truth) >= 0.85


def test_the_threshold_is_reproducible_and_sampled() -> None:
    rng = np.random.default_rng(5)
    index = np.r_[rng.normal(-1, 0.1, 30_000), rng.normal(0, 0.1, 20_000)]
    full = otsu_threshold(index, sample=len(index))
    sampled = otsu_threshold(index, sample=5_000, seed=3)
    assert sampled == otsu_threshold(index, sample=5_000, seed=3)
    assert -0.8 < full < -0.2
    assert abs(sampled - full) < 0.05


def test_keep_within_an_outline() -> None:
    inside = box(126.630, 37.930, 126.632, 37.932)
    straddling = box(126.639, 37.930, 126.645, 37.932)
    outside = box(126.660, 37.930, 126.662, 37.932)
    site = dataclasses.replace(KAESONG, outline=box(126.625, 37.925, 126.640, 37.940))
    kept = keep_within([inside, MultiPolygon([straddling, outside])], site)
    assert kept == [inside, straddling]
    # without an outline: everything within the site's radius (20 km)
    assert len(keep_within([inside, straddling, outside], KAESONG)) == 3


def _blobs(seed: int, size: int, density: float) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(size=(size, size))
    smooth = ndimage.gaussian_filter(noise, sigma=2.0)
    return np.asarray(smooth > np.quantile(smooth, 1 - density))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(16, 72),
    density=st.floats(0.05, 0.7),
    min_patch_px=st.integers(1, 40),
    erode_px=st.integers(0, 2),
)
def test_extracted_parts_are_valid_inside_the_scene_and_large_enough(
    seed: int, size: int, density: float, min_patch_px: int, erode_px: int
) -> None:
    pixel = 10.0
    transform = Affine(pixel, 0, CENTER_X, 0, -pixel, CENTER_Y)
    min_patch_m2 = min_patch_px * pixel * pixel
    mask = clean_mask(_blobs(seed, size, density), pixel, min_patch_m2, erode_px=erode_px)
    polys = polygonize(mask, transform, "EPSG:32652", min_area_m2=min_patch_m2)
    scene = box(CENTER_X, CENTER_Y - size * pixel, CENTER_X + size * pixel, CENTER_Y)
    for poly in polys:
        assert poly.is_valid
        utm = to_utm(poly, UTM)
        assert scene.buffer(1e-3).contains(utm)
        assert utm.area >= min_patch_m2 * (1 - 1e-6)
    assert shapely.union_all(polys).is_valid if polys else True


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(8, 64),
    density=st.floats(0.05, 0.9),
    split=st.tuples(st.floats(0.1, 0.9), st.floats(0.1, 0.9)),
)
def test_polygons_of_chunks_merge_into_the_whole_raster_polygons(
    seed: int, size: int, density: float, split: tuple[float, float]
) -> None:
    transform = Affine(10, 0, CENTER_X, 0, -10, CENTER_Y)
    mask = _blobs(seed, size, density)
    r, c = int(split[0] * size), int(split[1] * size)
    parts = []
    for r0, r1 in ((0, r), (r, size)):
        for c0, c1 in ((0, c), (c, size)):
            chunk_transform = transform * Affine.translation(c0, r0)
            parts += polygons_in_crs(mask[r0:r1, c0:c1], chunk_transform)
    merged = merge_parts(parts)
    whole = merge_parts(polygons_in_crs(mask, transform))
    assert merged.symmetric_difference(whole).area == 0
    assert len(merged.geoms) == len(whole.geoms)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    density=st.floats(0.0, 1.0),
    offset=st.tuples(st.integers(0, 5000), st.integers(0, 5000)),
)
def test_pixel_polygons_are_gdals_polygons(
    seed: int, shape: tuple[int, int], density: float, offset: tuple[int, int]
) -> None:
    # salt-and-pepper masks: every corner case of 4-connectivity (pixels touching at a
    # corner, holes touching their shell at a corner, holes within holes)
    mask = np.random.default_rng(seed).random(shape) < density
    ours = pixel_polygons(mask, *offset)
    gdal = polygons_in_crs(mask, Affine.translation(offset[1], offset[0]))
    assert all(p.is_valid for p in ours)
    assert sorted(p.area for p in ours) == sorted(p.area for p in gdal)  # patch by patch
    assert sorted(len(p.interiors) for p in ours) == sorted(len(p.interiors) for p in gdal)
    union = shapely.union_all(ours) if ours else MultiPolygon()
    assert union.symmetric_difference(merge_parts(gdal)).area == 0
    assert union.area == mask.sum()


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    density=st.floats(0.0, 1.0),
    min_px=st.integers(2, 30),
)
def test_speckled_masks_lose_their_small_patches_as_pixels_with_the_same_polygons(
    seed: int, shape: tuple[int, int], density: float, min_px: int
) -> None:
    # a speckled mask has its small patches removed as pixels before it is traced: the
    # polygons must be those the tracer keeps when it drops them itself
    from unittest import mock

    import kaesong_geo.extract as extract

    mask = np.random.default_rng(seed).random(shape) < density
    with mock.patch.object(extract, "DENSE_RUNS_PX", 10**9):  # every mask speckled
        as_pixels = pixel_polygons(mask, 7, 3, min_px=min_px)
    with mock.patch.object(extract, "DENSE_RUNS_PX", 0):  # none
        traced = pixel_polygons(mask, 7, 3, min_px=min_px)
    key = [shapely.normalize(p).wkb for p in traced]
    assert sorted(shapely.normalize(p).wkb for p in as_pixels) == sorted(key)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(2, 40),
    density=st.floats(0.0, 1.0),
    split=st.tuples(st.floats(0.05, 0.95), st.floats(0.05, 0.95)),
)
def test_noded_chunk_polygons_merge_as_a_coverage_into_the_whole_masks(
    seed: int, size: int, density: float, split: tuple[float, float]
) -> None:
    # pieces traced with noded borders in 2 x 2 chunks: GEOS's coverage union (never the
    # full union, which is made to fail here) gives the whole mask's polygons
    from unittest import mock

    from kaesong_geo.extract import merge_at_seams

    mask = np.random.default_rng(seed).random((size, size)) < density
    r, c = max(1, int(split[0] * size)), max(1, int(split[1] * size))
    pieces = [
        p
        for r0, r1 in ((0, r), (r, size))
        for c0, c1 in ((0, c), (c, size))
        for p in pixel_polygons(mask[r0:r1, c0:c1], r0, c0, noded=True)
    ]
    with mock.patch.object(shapely, "union_all", side_effect=AssertionError("full union")):
        merged = merge_at_seams(pieces, [r], [c], noded=True)
    whole = pixel_polygons(mask)
    assert sorted(p.area for p in merged) == sorted(p.area for p in whole)
    union = shapely.union_all(merged) if merged else MultiPolygon()
    assert union.symmetric_difference(shapely.union_all(whole)).area == 0 if whole else not merged


def test_pixel_polygons_leave_out_small_patches_inside_only() -> None:
    mask = np.zeros((12, 12), bool)
    mask[0:2, 0:2] = True  # 4 px on the edge
    mask[5:7, 5:7] = True  # 4 px inside
    mask[4:10, 9:12] = True  # 18 px on the right edge
    areas = sorted(p.area for p in pixel_polygons(mask, min_px=5))
    assert areas == [4.0, 18.0]
    assert sorted(p.area for p in pixel_polygons(mask)) == [4.0, 4.0, 18.0]
    assert pixel_polygons(np.zeros((3, 0), bool)) == []
    assert pixel_polygons(np.zeros((3, 3), bool)) == []


def test_the_rgb_index_needs_an_overlap_for_chunks() -> None:
    bands, *_ = make_scene("rgb", size=96, seed=4)
    names = ["red", "green", "blue"]
    depth = index_overlap_px(names)
    whole = built_up_index(bands, names)
    inner = built_up_index(bands[:, 20 - depth : 60 + depth, 20 - depth : 60 + depth], names)
    np.testing.assert_allclose(inner[depth:-depth, depth:-depth], whole[20:60, 20:60])
    too_little = built_up_index(bands[:, 18:62, 18:62], names)
    assert not np.allclose(too_little[2:-2, 2:-2], whole[20:60, 20:60])


@pytest.mark.parametrize("kind", ["landsat", "sentinel2"])
def test_a_cloud_over_the_zone_hides_part_of_it_and_adds_nothing(kind: Kind) -> None:
    # the cloud centred on the zone's east edge: what it hides is unknown, never built-up
    bands, transform, crs, names, truth = make_scene(kind, seed=1, cloud_at=(0.46, 0.70))
    result = extract_footprint(bands, transform, crs, names, KAESONG)
    found, true = to_utm(result.geometry, UTM), to_utm(truth, UTM)
    assert found.difference(true).area <= 0.01 * true.area
    assert 0.6 * true.area < found.area < 0.97 * true.area
    assert np.isnan(built_up_index(bands, names)[184, 280])  # the cloud's centre: unknown


def test_digital_numbers_are_refused_where_reflectance_is_needed() -> None:
    bands, transform, crs, names, _ = make_scene("landsat", size=64)
    with pytest.raises(ValueError, match=r"must be reflectance in 0\.\.1, got values up to \d+"):
        extract_footprint((bands + 0.2) / 0.0000275, transform, crs, names, KAESONG)
    # RGB brightness may be in any unit (8-bit here): the texture index is scale-free
    rgb, transform, crs, names, truth = make_scene("rgb", seed=0)
    result = extract_footprint(rgb * 255, transform, crs, names, KAESONG)
    assert iou_utm(result.geometry, truth) >= 0.85


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(16, 72),
    density=st.floats(0.05, 0.7),
    min_px=st.integers(1, 40),
    erode_px=st.integers(0, 2),
    groups=st.integers(1, 4),
)
def test_parts_finished_one_by_one_give_the_whole_multipolygons_footprint(
    seed: int, size: int, density: float, min_px: int, erode_px: int, groups: int
) -> None:
    # a chunked extraction finishes each whole part where it is complete (in any task, in
    # any grouping); the footprint must be the one of the parts put in canonical form,
    # eroded and simplified as one multipolygon (parts meet at most at a corner)
    from kaesong_geo.extract import finish_parts, footprint_from_pieces, polygons_of

    mask = _blobs(seed, size, density) | (np.random.default_rng(seed).random((size, size)) < 0.05)
    parts = pixel_polygons(mask)
    transform = Affine(3, 0, CENTER_X, 0, -3, CENTER_Y)
    crs = "EPSG:32652"
    polys = [
        Polygon(p.exterior, [h for h in p.interiors if Polygon(h).area >= min_px])
        for p in parts
        if p.area >= min_px
    ]
    canonical = shapely.normalize(shapely.simplify(MultiPolygon(polys), 0.0))
    if erode_px:
        eroded = shapely.buffer(canonical, -erode_px, join_style="mitre")
        big = [p for p in polygons_of(eroded) if p.area >= min_px]
        canonical = shapely.normalize(shapely.simplify(MultiPolygon(big), 0.0))
    whole = footprint_from_pieces(polygons_of(canonical), transform, crs, None, min_px=min_px)
    which = np.random.default_rng(seed).integers(0, groups, len(parts))
    pieces = [
        p
        for g in range(groups)
        for p in finish_parts(
            [q for q, k in zip(parts, which, strict=True) if k == g], min_px, erode_px
        )
    ]
    assert footprint_from_pieces(pieces, transform, crs, None, min_px=min_px).equals_exact(
        whole, 0.0
    )
