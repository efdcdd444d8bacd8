"""Footprints near the antimeridian, and what the distance check says about the site's point.

A footprint across ±180° may be written with longitudes beyond 180°, wrapped to -179.99...
(as QGIS saves it) or split at 180° into a MultiPolygon (as RFC 7946 asks): each is read as
one continuous footprint around the site's longitude. The distance check's messages name the
reference point and where it comes from (``site.toml``, or Kaesong assumed without one).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box

from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.io.footprints import _unwrap, load_footprints
from kaesong_geo.maps.build import _around, decode_shapes, make_map
from kaesong_geo.measure import geodesic_area_m2
from kaesong_geo.site import KAESONG, Site

from .common import assert_refused, feature, write_geojson
from .conftest import tree_digest
from .test_map_shapes import raw_config

LON, LAT = 179.999, -16.5
RASON_LON, RASON_LAT = 130.3, 42.3


def square(lon: float, lat: float, side_m: float, epsg: int = 32760) -> Polygon:
    """A square of ``side_m`` in the UTM zone, centred on the point; longitudes continuous."""
    to_utm = Transformer.from_crs(4326, epsg, always_xy=True)
    back = Transformer.from_crs(epsg, 4326, always_xy=True)
    x, y = to_utm.transform(lon, lat)
    h = side_m / 2
    corners = [back.transform(a, b) for a, b in ((x - h, y - h), (x + h, y - h), (x + h, y + h))]
    corners.append(back.transform(x - h, y + h))
    return Polygon([(a + 360 if a < lon - 180 else a, b) for a, b in corners])


def wrapped(geom: Any) -> Any:
    """``geom`` with every longitude in -180..180, as QGIS writes it."""
    return shapely.transform(
        geom, lambda xy: np.column_stack([(xy[:, 0] + 180) % 360 - 180, xy[:, 1]])
    )


def split(geom: Polygon) -> MultiPolygon:
    """``geom`` split at 180°, the eastern part written at -180..., as RFC 7946 asks."""
    west = geom.intersection(box(170, -90, 180, 90))
    east = shapely.transform(geom.intersection(box(180, -90, 190, 90)), lambda xy: xy - [360, 0])
    return MultiPolygon([west, east])


SQUARE = square(LON, LAT, 1000)  # crosses 180° at about a third of its width
LAYOUTS = {"over180": SQUARE, "wrapped": wrapped(SQUARE), "split": split(SQUARE)}


def init(cli: Any, path: Path, name: str, lon: float, lat: float, radius_km: float) -> Path:
    r = cli(
        "init", str(path), "--site", name, "--lon", repr(lon), "--lat", repr(lat),
        "--radius-km", repr(radius_km),
    )  # fmt: skip
    assert r.code == 0, r.err
    (path / "boundaries").mkdir(exist_ok=True)
    return path


@pytest.fixture
def am_dir(cli: Any, tmp_path: Path) -> Path:
    """A site at 179.999°E with a first epoch, a 500 m square west of it (all below 180°)."""
    root = init(cli, tmp_path / "am", "Antimeridian test zone", LON, LAT, 10)
    write_geojson(root / "boundaries" / "2015-06.geojson", feature(square(179.99, LAT, 500)))
    return root


def test_the_layouts_are_what_they_say() -> None:
    over, wrap, parts = (shapely.get_coordinates(g)[:, 0] for g in LAYOUTS.values())
    assert over.max() > 180 and wrap.max() <= 180 and wrap.min() < -179.99
    assert parts.max() == 180 and parts.min() == -180 and len(LAYOUTS["split"].geoms) == 2


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_footprint_across_the_antimeridian_is_read_whole(
    cli: Any, am_dir: Path, layout: str
) -> None:
    write_geojson(am_dir / "boundaries" / "2020-06.geojson", feature(LAYOUTS[layout]))
    before = tree_digest(am_dir)
    r = cli("validate", "--data-dir", str(am_dir))
    assert r.code == 0, r.out
    r = cli("growth", "--data-dir", str(am_dir), "--format", "json")
    assert r.code == 0, r.err
    report = json.loads(r.out)
    last = report["epochs"][-1]
    assert last["area_m2"] == pytest.approx(geodesic_area_m2(SQUARE), rel=1e-6)
    assert 0.99e6 < last["area_m2"] < 1.0e6  # 0.998 km²: the UTM square, measured on WGS 84
    assert last["n_polygons"] == 1 and last["n_holes"] == 0  # the split's parts dissolved
    assert abs(last["utm_diff_pct"]) < 0.2  # zone 60S's scale 3° from its meridian: +0.17%
    assert report["intervals"][0]["growth_m2"] == pytest.approx(
        last["area_m2"] - report["epochs"][0]["area_m2"], abs=1.0
    )
    [_, epoch] = load_footprints(am_dir)
    minx, _, maxx, _ = epoch.geometry.bounds
    assert minx > 179.99 and maxx < 180.01  # continuous around the site, not around the globe
    # The map draws it where it is, not as a line from -180 to 180.
    config = raw_config(make_map(am_dir))
    for drawn in decode_shapes(config["shapes"]):
        xs = [x for polygon in drawn["coordinates"] for ring in polygon for x, _ in ring]
        assert min(xs) > 179.98 and max(xs) < 180.01, xs
    (south, west), (north, east) = config["bounds"]  # the view fitted on the footprints
    assert 179.98 < west < LON < east < 180.01 and south < LAT < north
    assert tree_digest(am_dir) == before


@pytest.mark.parametrize("suffix", [".gpkg", ".fgb"])
def test_a_footprint_in_utm_across_the_antimeridian_is_read_whole(
    cli: Any, am_dir: Path, suffix: str
) -> None:
    # Traced in UTM 60S (as in QGIS on a UTM image): reprojected to WGS 84, it comes wrapped.
    import geopandas as gpd

    utm = shapely.transform(
        SQUARE,
        lambda xy: np.column_stack(
            Transformer.from_crs(4326, 32760, always_xy=True).transform(xy[:, 0], xy[:, 1])
        ),
    )
    path = am_dir / "boundaries" / f"2020-06{suffix}"
    gpd.GeoDataFrame(
        {"name": ["utm"], "method": ["traced"], "source": ["x"], "uncertainty_m": [5.0]},
        geometry=[utm],
        crs="EPSG:32760",
    ).to_file(path)
    r = cli("growth", "--data-dir", str(am_dir), "--format", "json")
    assert r.code == 0, r.err
    last = json.loads(r.out)["epochs"][-1]
    assert last["area_m2"] == pytest.approx(geodesic_area_m2(SQUARE), rel=1e-6)
    assert last["area_utm_m2"] == pytest.approx(1e6, rel=1e-6)  # the square as traced
    [_, epoch] = load_footprints(am_dir)
    minx, _, maxx, _ = epoch.geometry.bounds
    assert minx > 179.99 and maxx < 180.01


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_epochs_on_both_sides_of_the_antimeridian_are_compared_in_place(
    cli: Any, tmp_path: Path, layout: str
) -> None:
    # The first epoch lies wholly east of 180° (written at -179.99...), inside the second.
    root = init(cli, tmp_path / "am", "Antimeridian test zone", LON, LAT, 10)
    inner = square(180.0015, LAT, 200)
    assert inner.bounds[0] > 180 and inner.within(SQUARE)
    write_geojson(root / "boundaries" / "2015-06.geojson", feature(wrapped(inner)))
    write_geojson(root / "boundaries" / "2020-06.geojson", feature(LAYOUTS[layout]))
    r = cli("growth", "--data-dir", str(root), "--format", "json")
    assert r.code == 0, r.err
    [interval] = json.loads(r.out)["intervals"]
    assert interval["lost_m2"] == 0
    assert interval["added_m2"] == pytest.approx(
        geodesic_area_m2(SQUARE) - geodesic_area_m2(inner), rel=1e-6
    )


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_footprint_across_the_antimeridian_far_from_its_site_is_refused(
    cli: Any, tmp_path: Path, layout: str
) -> None:
    # The same square, but the site 60 km west: the unwrapped square is checked as a whole.
    root = init(cli, tmp_path / "west", "West zone", 179.4, LAT, 10)
    path = write_geojson(root / "boundaries" / "2020-06.geojson", feature(LAYOUTS[layout]))
    assert_refused(
        cli,
        root,
        f"{path}: feature 1 lies 64 km from the reference point of West zone "
        "(179.4, -16.5; site.toml [point]), more than 10 km: wrong place or CRS, "
        "or a wrong point in site.toml?",
        ("validate", "growth"),
    )


def write_scene(path: Path, lon: float, lat: float, side_m: float = 3000.0) -> Path:
    """A 300 x 300 RGB GeoTIFF in UTM 60S, ``side_m`` across, centred on the point."""
    import rasterio
    from rasterio.transform import from_origin

    x, y = Transformer.from_crs(4326, 32760, always_xy=True).transform(lon, lat)
    size = 300
    yy, xx = np.mgrid[0:size, 0:size]
    rgb = np.stack([xx * 255 // size, yy * 255 // size, np.full_like(xx, 90)]).astype("uint8")
    res = side_m / size
    with rasterio.open(
        path, "w", driver="GTiff", width=size, height=size, count=3, dtype="uint8",
        crs="EPSG:32760", transform=from_origin(x - side_m / 2, y + side_m / 2, res, res),
    ) as dst:  # fmt: skip
        dst.write(rgb)
    return path


def test_an_image_across_the_antimeridian_is_placed_at_its_site(cli: Any, am_dir: Path) -> None:
    from kaesong_geo.io.raster import read_overlay

    write_geojson(am_dir / "boundaries" / "2020-06.geojson", feature(LAYOUTS["split"]))
    (am_dir / "imagery").mkdir(exist_ok=True)
    write_scene(am_dir / "imagery" / "scene.tif", LON, LAT)
    catalog = am_dir / "imagery" / "catalog.csv"
    catalog.write_text(
        "date,provider,resolution_m,redistributable,file,source,note\n"
        "2020-06,Test scene,10,yes,scene.tif,test fixture,\n",
        encoding="utf-8",
    )
    before = tree_digest(am_dir)
    r = cli("validate", "--data-dir", str(am_dir))
    assert r.code == 0 and "1 image;" in r.out, r.out
    overlay = read_overlay(am_dir / "imagery" / "scene.tif")
    (south, west), (north, east) = overlay.bounds
    assert 179.98 < west < LON < east < 180.02 and south < LAT < north
    # 3 km each way (at 16.5°S a degree of longitude is 106.7 km, of latitude 110.6 km).
    assert (east - west) * 106.7 == pytest.approx(3.0, rel=0.02)
    assert (north - south) * 110.6 == pytest.approx(3.0, rel=0.02)
    assert overlay.width == pytest.approx(overlay.height, rel=0.05)
    config = raw_config(make_map(am_dir))
    [image] = config["imagery"]
    assert image["bounds"] == [list(overlay.bounds[0]), list(overlay.bounds[1])]
    assert tree_digest(am_dir) == before


def test_an_image_across_the_antimeridian_elsewhere_is_refused(cli: Any, am_dir: Path) -> None:
    (am_dir / "imagery").mkdir(exist_ok=True)
    write_scene(am_dir / "imagery" / "scene.tif", LON, -17.5)  # 110 km south
    (am_dir / "imagery" / "catalog.csv").write_text(
        "date,provider,resolution_m,redistributable,file,source,note\n"
        "2015-06,Test scene,10,yes,scene.tif,test fixture,\n",
        encoding="utf-8",
    )
    before = tree_digest(am_dir)
    r = cli("validate", "--data-dir", str(am_dir))
    assert r.code == 1
    assert re.search(
        r"scene\.tif: covers lon 179\.98\d\d\.\.-179\.98\d\d, lat -17\.51\d\d\.\.-17\.48\d\d, "
        r"not the Antimeridian test zone at 179\.999, -16\.5 nor any footprint",
        r.out,
    ), r.out
    assert tree_digest(am_dir) == before


def test_sites_far_from_the_antimeridian_are_not_moved() -> None:
    epochs = load_footprints(bundled_data_dir())
    geoms = [fp.geometry for epoch in epochs for fp in epoch.footprints]
    assert all(_unwrap(g, KAESONG) is g for g in geoms)
    array = np.asarray(geoms, dtype=object)
    assert _around(array, KAESONG.lon) is array


@pytest.mark.parametrize("command", ["growth", "map"])
def test_bundled_outputs_are_byte_identical_without_the_antimeridian_code(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """The bundled JSON and map, with and without unwrapping: the same bytes."""
    from kaesong_geo.io import footprints
    from kaesong_geo.maps import build

    def run(name: str) -> bytes:
        out = tmp_path / name
        args = ["--format", "json"] if command == "growth" else ["--self-contained"]
        r = cli(command, "--data-dir", str(bundled_data_dir()), *args, "-o", str(out))
        assert r.code == 0, r.err
        # Folium names its elements with random ids; nothing else may differ.
        return re.sub(rb"[0-9a-f]{32}", b"ID", out.read_bytes())

    with_code = run("with")
    monkeypatch.setattr(footprints, "_unwrap", lambda geom, site: geom)
    monkeypatch.setattr(build, "_around", lambda geoms, lon: geoms)
    assert run("without") == with_code


@given(
    site_lon=st.floats(-180, 180),
    site_lat=st.floats(-70, 70),
    dx_km=st.floats(-5, 5),
    dy_km=st.floats(-5, 5),
    side_km=st.floats(0.01, 3),
)
@settings(max_examples=60, deadline=None)
def test_any_wrapped_footprint_unwraps_to_the_continuous_one(
    site_lon: float, site_lat: float, dx_km: float, dy_km: float, side_km: float
) -> None:
    site = Site.at("Zone", site_lon, site_lat, radius_km=20)
    kx = 111.32 * math.cos(math.radians(site_lat))
    x0, y0 = site_lon + dx_km / kx, site_lat + dy_km / 111.32
    continuous = box(x0, y0, x0 + side_km / kx, y0 + side_km / 111.32)
    written = wrapped(continuous)
    unwrapped = _unwrap(written, site)
    assert unwrapped.geom_type == "Polygon"
    got, want = shapely.get_coordinates(unwrapped), shapely.get_coordinates(continuous)
    turn = round((got[0, 0] - want[0, 0]) / 360) * 360.0  # a site at ±180 may take either
    assert np.allclose(got - [turn, 0], want, rtol=0, atol=1e-9)
    assert (np.abs(got[:, 0] - site_lon) <= 180).all()
    if (np.abs(shapely.get_coordinates(written)[:, 0] - site_lon) <= 180).all():
        assert unwrapped is written  # nothing to move: the very same geometry


def test_a_sign_slip_in_site_toml_is_named(cli: Any, tmp_path: Path) -> None:
    # Durban is at 29.61 S; site.toml says 29.61 N.
    root = init(cli, tmp_path / "dtp", "Dube TradePort", 31.11, 29.61, 10)
    path = write_geojson(
        root / "boundaries" / "2012-01.geojson", feature(box(31.10, -29.62, 31.12, -29.60))
    )
    assert_refused(
        cli,
        root,
        f"{path}: feature 1 lies 6,554 km from the reference point of Dube TradePort "
        "(31.11, 29.61; site.toml [point]), more than 10 km: wrong place or CRS, "
        "or a wrong point in site.toml?",
    )


def test_a_swapped_point_in_site_toml_is_named(cli: Any, tmp_path: Path) -> None:
    root = init(cli, tmp_path / "dtp", "Dube TradePort", -29.61, 31.11, 10)
    path = write_geojson(
        root / "boundaries" / "2012-01.geojson", feature(box(31.10, -29.62, 31.12, -29.60))
    )
    assert_refused(
        cli,
        root,
        f"{path}: feature 1 coordinates look swapped (lat, lon) against the reference point "
        "of Dube TradePort (-29.61, 31.11; site.toml [point]): x=31.1100, y=-29.6100; write "
        "longitude first (if every footprint says so, swap lon and lat in site.toml)",
    )


def test_a_folder_without_site_toml_says_kaesong_is_assumed(cli: Any, empty_data_dir: Path) -> None:
    rason = box(RASON_LON - 0.01, RASON_LAT - 0.01, RASON_LON + 0.01, RASON_LAT + 0.01)
    path = write_geojson(empty_data_dir / "boundaries" / "2010-06.geojson", feature(rason))
    assert_refused(
        cli,
        empty_data_dir,
        f"{path}: feature 1 lies 577 km from the reference point of Kaesong Industrial Complex "
        "(126.6333, 37.9333: no site.toml, Kaesong assumed; run kaesong-geo init DIR --site "
        "NAME --lon LON --lat LAT), more than 20 km: wrong place or CRS?",
    )


def test_a_distance_below_the_radius_is_not_rounded_away(cli: Any, tmp_path: Path) -> None:
    root = init(cli, tmp_path / "small", "Rason", RASON_LON, RASON_LAT, 0.5)
    sq = square(RASON_LON, RASON_LAT, 1000, epsg=32652)  # its corners 0.71 km from the point
    path = write_geojson(root / "boundaries" / "2010-06.geojson", feature(sq))
    lon, lat = sq.exterior.coords[0]
    assert_refused(
        cli,
        root,
        f"{path}: feature 1 reaches 0.71 km from the reference point of Rason "
        f"({RASON_LON}, {RASON_LAT}; site.toml [point]) at vertex 1 ({lon:.5f}, {lat:.5f}), "
        "more than 0.5 km: a mistyped vertex, or the wrong place?",
        ("validate", "growth"),
    )


@pytest.mark.parametrize(
    ("typed", "km"), [(131.3, "82"), (130.03, "22"), (13.03, "8,732"), (130.25, "4.2")]
)
def test_a_mistyped_vertex_is_named_whatever_its_distance(
    cli: Any, tmp_path: Path, typed: float, km: str
) -> None:
    radius = 3 if typed == 130.25 else 20
    root = init(cli, tmp_path / "rason", "Rason", RASON_LON, RASON_LAT, radius)
    coords = [(130.295, 42.295), (130.305, 42.295), (130.305, 42.305), (130.295, 42.305)]
    coords[2] = (typed, coords[2][1])  # 130.305 mistyped
    path = write_geojson(root / "boundaries" / "2020-06.geojson", feature(Polygon(coords)))
    assert_refused(
        cli,
        root,
        f"{path}: feature 1 reaches {km} km from the reference point of Rason "
        f"({RASON_LON}, {RASON_LAT}; site.toml [point]) at vertex 3 ({typed:.5f}, 42.30500), "
        f"more than {radius} km: a mistyped vertex, or the wrong place?",
        ("validate", "growth"),
    )


def test_a_swapped_footprint_near_the_antimeridian_is_named_as_written(
    cli: Any, am_dir: Path
) -> None:
    swapped = shapely.transform(wrapped(SQUARE), lambda xy: xy[:, ::-1])
    path = write_geojson(am_dir / "boundaries" / "2020-06.geojson", feature(swapped))
    c = swapped.centroid
    assert_refused(
        cli,
        am_dir,
        f"{path}: feature 1 coordinates look swapped (lat, lon) against the reference point "
        f"of Antimeridian test zone (179.999, -16.5; site.toml [point]): x={c.x:.4f}, "
        f"y={c.y:.4f}; write longitude first (if every footprint says so, swap lon and lat "
        "in site.toml)",
        ("validate", "growth"),
    )


def test_sites_either_side_of_180_are_drawn_side_by_side(
    cli: Any, am_dir: Path, tmp_path: Path
) -> None:
    """Two zones 16 km apart across 180° (Fiji): one view, not the two ends of the world."""
    east = init(cli, tmp_path / "east", "East of 180 zone", -179.9, LAT, 10)
    write_geojson(east / "boundaries" / "2016-06.geojson", feature(square(-179.9, LAT, 600, 32701)))
    config = raw_config(make_map([am_dir, east]))
    (_, w0), (_, e0) = config["sites"][0]["bounds"]
    (_, w1), (_, e1) = config["sites"][1]["bounds"]
    assert 179.9 < w0 < e0 < 180.1 and 180.0 < w1 < e1 < 180.2  # east of 180, drawn beyond it
    (_, west), (_, far_east) = config["bounds"]
    assert far_east - west < 0.3  # the view spans 30 km, not 360°
    xs = [x for ring_x in _drawn_longitudes(config) for x in ring_x]
    assert min(xs) > 179.8 and max(xs) < 180.2
    # Apart from 180°, nothing moves: Rason beside Kaesong is drawn where it is.
    rason = init(cli, tmp_path / "rason", "Rason test zone", RASON_LON, RASON_LAT, 10)
    write_geojson(
        rason / "boundaries" / "2016-06.geojson", feature(box(130.29, 42.29, 130.31, 42.31))
    )
    config = raw_config(make_map([bundled_data_dir(), rason]))
    assert config["sites"][1]["bounds"] == [[42.29, 130.29], [42.31, 130.31]]


def _drawn_longitudes(config: dict[str, Any]) -> list[list[float]]:
    """The longitudes of every shape the page draws, shape by shape."""
    return [
        [x for polygon in shape["coordinates"] for ring in polygon for x, _ in ring]
        for shape in decode_shapes(config["shapes"])
    ]
