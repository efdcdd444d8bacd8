"""Reading footprint files in every supported format, and refusing bad ones."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import sqlite3
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, Polygon, box, mapping

from kaesong_geo.dates import parse_epoch
from kaesong_geo.errors import DataError, GeometryRepairedWarning
from kaesong_geo.io.datadir import resolve_data_dir
from kaesong_geo.io.footprints import inspect_footprints, load_footprints, read_footprint_file
from kaesong_geo.io.imagery import ImageryRecord
from kaesong_geo.io.validate import validate_data_dir
from kaesong_geo.measure import GEOD, geodesic_area_m2

from .common import (
    BOWTIE,
    BOX,
    DONUT,
    EAST,
    PROVENANCE,
    assert_refused,
    feature,
    kml_text,
    ring,
    write_geojson,
    write_kmz,
)
from .conftest import run_process

BOX_M2 = geodesic_area_m2(BOX)


def test_geojson_with_full_provenance(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "a.geojson", feature(DONUT, epoch="2011-03", name="x", area_uncertainty_pct=5)
    )
    [fp] = read_footprint_file(path)
    assert fp.date.label == "2011-03" and fp.method == "traced" and fp.uncertainty_m == 10
    assert fp.area_uncertainty_pct == 5 and fp.name == "x" and fp.feature == 1
    assert len(fp.geometry.interiors) == 1


def test_geopackage_in_utm_is_reprojected(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {"epoch": ["2012-05"], **{k: [v] for k, v in PROVENANCE.items()}}, geometry=[BOX], crs=4326
    )
    path = tmp_path / "utm.gpkg"
    gdf.to_crs(32652).to_file(path, driver="GPKG")
    [fp] = read_footprint_file(path)
    assert geodesic_area_m2(fp.geometry) == pytest.approx(BOX_M2, rel=1e-6)
    assert fp.geometry.bounds[0] == pytest.approx(BOX.bounds[0], abs=1e-7)


def test_kml_from_google_earth_uses_file_name_as_epoch(tmp_path: Path) -> None:
    path = tmp_path / "2012-10.kml"
    path.write_text(kml_text(ring(BOX), name="Complex Oct 2012"), encoding="utf-8")
    [fp] = read_footprint_file(path)
    assert fp.date.label == "2012-10"
    assert fp.name == "Complex Oct 2012"
    assert fp.note == "Traced in Google Earth Pro over historical imagery"
    assert fp.method == "traced" and fp.source == "2012-10.kml" and fp.uncertainty_m is None
    assert geodesic_area_m2(fp.geometry) == pytest.approx(BOX_M2, rel=1e-9)
    assert not fp.geometry.has_z


def test_kml_extended_data_epoch(tmp_path: Path) -> None:
    path = tmp_path / "digitized.kml"
    path.write_text(kml_text(ring(BOX), epoch="2013-09-16"), encoding="utf-8")
    [fp] = read_footprint_file(path)
    assert fp.date.label == "2013-09-16" and fp.date.precision == "day"


def test_kmz(tmp_path: Path) -> None:
    path = write_kmz(tmp_path / "2014-06.kmz", kml_text(ring(BOX)))
    [fp] = read_footprint_file(path)
    assert geodesic_area_m2(fp.geometry) == pytest.approx(BOX_M2, rel=1e-9)


def test_shapefile_without_prj_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "2015-01.shp"
    gpd.GeoDataFrame({"note": ["x"]}, geometry=[BOX], crs=4326).to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(DataError, match=r"2015-01\.shp: has no CRS; a Shapefile must declare one"):
        read_footprint_file(path)


def test_geojson_without_crs_is_wgs84_by_definition(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "2016-01.geojson", feature(BOX))
    assert "crs" not in json.loads(path.read_text())
    assert read_footprint_file(path)[0].date.label == "2016-01"


@pytest.mark.parametrize(
    ("geom", "message"),
    [
        (Point(126.63, 37.93), "feature 1 is a Point, not a polygon"),
        (LineString([(126.63, 37.93), (126.64, 37.93)]), "is a LineString, not a polygon"),
        (
            LineString(ring(BOX)),
            "is a closed line (a path), not a polygon; in Google Earth draw it with Add > Polygon",
        ),
        (None, "feature 1 has no geometry"),
    ],
)
def test_non_polygons_are_refused(tmp_path: Path, geom, message: str) -> None:
    path = write_geojson(tmp_path / "2011-03.geojson", feature(geom))
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_footprint_file(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "2011-03.geojson")
    with pytest.raises(DataError, match="has no features"):
        read_footprint_file(path)


def test_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "2011-03.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(DataError, match=r"2011-03\.geojson: cannot read as GeoJSON"):
        read_footprint_file(path)


def test_self_intersection_is_repaired_with_a_warning(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "2011-03.geojson", feature(BOWTIE, name="bow"))
    with pytest.warns(
        GeometryRepairedWarning, match=r"feature 1 \(bow\) was invalid \(Self-intersection"
    ):
        [fp] = read_footprint_file(path)
    assert fp.geometry.is_valid
    # The bow-tie repaired is two triangles: half the box.
    assert geodesic_area_m2(fp.geometry) == pytest.approx(BOX_M2 / 2, rel=1e-3)


def test_swapped_coordinates_are_detected(tmp_path: Path) -> None:
    swapped = box(37.925, 126.630, 37.935, 126.640)
    path = write_geojson(tmp_path / "2011-03.geojson", feature(swapped))
    with pytest.raises(DataError, match=r"coordinates look swapped \(lat, lon\)"):
        read_footprint_file(path)


def test_far_away_footprints_are_refused(tmp_path: Path) -> None:
    seoul = box(126.97, 37.56, 126.98, 37.57)
    path = write_geojson(tmp_path / "2011-03.geojson", feature(seoul))
    with pytest.raises(
        DataError,
        match=r"lies 5\d km from the reference point of Kaesong Industrial Complex "
        r"\(126\.6333, 37\.9333\), more than 20 km: wrong place or CRS\?$",
    ):
        read_footprint_file(path)


def test_projected_coordinates_without_crs_are_explained(tmp_path: Path) -> None:
    utm = box(292000, 4201000, 293000, 4202000)
    path = write_geojson(tmp_path / "2011-03.geojson", feature(utm))
    with pytest.raises(
        DataError, match=r"coordinates are not longitude/latitude .* is the CRS missing or wrong"
    ):
        read_footprint_file(path)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"epoch": "2011-13"}, "bad 'epoch': '2011-13' is not a valid date"),
        ({"epoch": "March 2011"}, "bad 'epoch': 'March 2011' is not an epoch date"),
        ({"method": "guessed"}, "unknown method 'guessed'"),
        ({"uncertainty_m": -5}, "'uncertainty_m' must be a non-negative number"),
        ({"uncertainty_m": "ten"}, "'uncertainty_m' is not a number"),
        ({"estimated": "maybe"}, "'estimated' must be true or false"),
    ],
)
def test_bad_properties(tmp_path: Path, props: dict, message: str) -> None:
    path = write_geojson(tmp_path / "x.geojson", feature(BOX, **{"epoch": "2011-03", **props}))
    with pytest.raises(DataError, match=message.replace("(", r"\(")):
        read_footprint_file(path)


def test_no_epoch_anywhere(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "complex.geojson", feature(BOX))
    with pytest.raises(DataError, match="has no 'epoch' property and the file name is not a date"):
        read_footprint_file(path)


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("2018-06-31", "day is out of range for month"),
        ("2018-13", "month must be in 1..12"),
    ],
)
def test_an_impossible_date_as_file_name_says_why(tmp_path: Path, name: str, why: str) -> None:
    path = write_geojson(tmp_path / f"{name}.geojson", feature(BOX))
    with pytest.raises(DataError, match=f"the file name '{name}' is not a valid date: {why}"):
        read_footprint_file(path)


def test_duplicate_epoch_across_files(empty_data_dir: Path) -> None:
    b = empty_data_dir / "boundaries"
    write_geojson(b / "2011-03.geojson", feature(BOX))
    (b / "b.kml").write_text(kml_text(ring(BOX), epoch="2011-03"), encoding="utf-8")
    with pytest.raises(
        DataError, match=r"b\.kml: epoch 2011-03 is already defined in .*2011-03\.geojson"
    ):
        load_footprints(empty_data_dir)


def test_labels_on_the_same_day_are_duplicates(empty_data_dir: Path) -> None:
    b = empty_data_dir / "boundaries"
    write_geojson(b / "2011-03.geojson", feature(BOX))
    write_geojson(b / "2011-03-15.geojson", feature(BOX))
    with pytest.raises(DataError, match="falls on the same day"):
        load_footprints(empty_data_dir)


def test_every_problem_is_collected(empty_data_dir: Path) -> None:
    b = empty_data_dir / "boundaries"
    write_geojson(b / "2011-03.geojson", feature(Point(126.63, 37.93)), feature(BOX, epoch="bad"))
    write_geojson(b / "2012-03.geojson", feature(BOX, epoch="2012-03"))
    (b / "notes.txt").write_text("not skipped silently")
    epochs, files, problems = inspect_footprints(empty_data_dir)
    assert [e.label for e in epochs] == ["2012-03"]
    assert len(files) == 2
    assert [p.message.split(" ", 2)[:2] for p in problems] == [
        ["has", "an"],
        ["feature", "1"],
        ["feature", "2"],
    ]
    assert problems[0].path.endswith("notes.txt")
    with pytest.raises(DataError, match=r"\(and 2 more problems; run 'kaesong-geo validate'\)"):
        load_footprints(empty_data_dir)


def test_several_epochs_in_one_geopackage(empty_data_dir: Path) -> None:
    gdf = gpd.GeoDataFrame(
        {
            "epoch": ["2011-03", "2012-03", "2012-03"],
            "class": ["developed", "developed", "under construction"],
        },
        geometry=[BOX, BOX, box(126.64, 37.925, 126.645, 37.935)],
        crs=4326,
    )
    gdf.to_file(empty_data_dir / "boundaries" / "all.gpkg", driver="GPKG")
    epochs = load_footprints(empty_data_dir)
    assert [(e.label, len(e.footprints)) for e in epochs] == [("2011-03", 1), ("2012-03", 2)]
    assert set(epochs[1].category_geometries()) == {"developed", "under construction"}


# --- one set of checks: validate, growth, map and report all refuse (exit 1, one line) -----

SITE_LON, SITE_LAT = 126.6333, 37.9333


def _boundary(data_dir: Path, name: str = "2011-03.geojson") -> Path:
    return data_dir / "boundaries" / name


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"name": "Complex", "reference_area_m2": round(BOX_M2 / 11), "area_uncertainty_pct": 5},
            f"feature 1 (Complex) has area {BOX_M2:,.0f} m², +1000.0% from its reference "
            f"{round(BOX_M2 / 11):,.0f} m² (more than the 5% recorded uncertainty)",
        ),
        (
            {"reference_area_m2": round(BOX_M2 * 1.2)},
            f"feature 1 has area {BOX_M2:,.0f} m², -16.7% from its reference "
            f"{round(BOX_M2 * 1.2):,.0f} m² (more than the 10% default uncertainty)",
        ),
        ({"reference_area_m2": 0}, "feature 1: 'reference_area_m2' must be positive, got 0"),
        (
            {"area_uncertainty_pct": 1e308},
            "feature 1: 'area_uncertainty_pct' must be at most 1,000, got 1e+308",
        ),
        (
            {"uncertainty_m": 250_000},
            "feature 1: 'uncertainty_m' must be at most 100,000, got 250000",
        ),
    ],
)
def test_bad_footprint_is_refused_by_every_command(
    cli, data_dir: Path, props: dict, message: str
) -> None:
    path = write_geojson(_boundary(data_dir), feature(BOX, **props))
    assert_refused(cli, data_dir, f"{path}: {message}")


def test_area_within_the_default_tolerance_is_accepted(cli, data_dir: Path) -> None:
    write_geojson(_boundary(data_dir), feature(BOX, reference_area_m2=round(BOX_M2 * 1.05)))
    assert cli("growth", "--data-dir", str(data_dir)).code == 0


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_vertex_is_refused(cli, data_dir: Path, bad: float) -> None:
    doc = feature(BOX)
    doc["geometry"] = json.loads(json.dumps(doc["geometry"]))
    doc["geometry"]["coordinates"][0][2][0] = bad
    path = write_geojson(_boundary(data_dir), doc)  # json writes NaN / Infinity; GDAL reads them
    assert_refused(
        cli,
        data_dir,
        f"{path}: feature 1 has a non-finite coordinate (NaN or infinity) at vertex 3",
    )


def test_infinite_property_is_refused(cli, data_dir: Path) -> None:
    path = write_geojson(_boundary(data_dir), feature(BOX, uncertainty_m=math.inf))
    assert_refused(
        cli, data_dir, f"{path}: feature 1: 'uncertainty_m' must be a finite number, got inf"
    )


def test_sliver_centred_on_the_site_is_refused_by_its_extent(cli, data_dir: Path) -> None:
    # 400 km long, centred on the reference point: its centroid is on the site.
    sliver = box(SITE_LON - 2.275, SITE_LAT - 0.001, SITE_LON + 2.275, SITE_LAT + 0.001)
    assert sliver.centroid.distance(Point(SITE_LON, SITE_LAT)) < 1e-9
    path = write_geojson(_boundary(data_dir), feature(sliver))
    assert_refused(
        cli,
        data_dir,
        f"{path}: feature 1 reaches 200 km from the reference point of Kaesong Industrial "
        "Complex (126.6333, 37.9333; site.toml [point]) at vertex 1 ",
    )


def test_one_mistyped_vertex_is_refused(tmp_path: Path) -> None:
    coords = ring(BOX)
    coords[2] = (coords[2][0] + 0.5, coords[2][1])  # 126.63 typed as 127.13: 44 km east
    path = write_geojson(tmp_path / "2011-03.geojson", feature(Polygon(coords)))
    with pytest.raises(DataError, match=r"reaches 4\d km .* at vertex 3 \(127\.13000, 37\.93500\)"):
        read_footprint_file(path)


@given(
    dx=st.floats(-0.15, 0.15),
    dy=st.floats(-0.15, 0.15),
    size=st.floats(0.001, 0.3),
)
@settings(max_examples=40, deadline=None)
def test_accepted_footprints_lie_wholly_within_the_distance(
    tmp_path_factory: pytest.TempPathFactory, dx: float, dy: float, size: float
) -> None:
    """Invariant: a footprint is accepted iff every vertex is within 20 km of the site."""
    geom = box(SITE_LON + dx, SITE_LAT + dy, SITE_LON + dx + size, SITE_LAT + dy + size)
    path = write_geojson(tmp_path_factory.mktemp("h") / "2011-03.geojson", feature(geom))
    lons, lats = zip(*ring(geom), strict=True)
    _, _, dist = GEOD.inv([SITE_LON] * len(lons), [SITE_LAT] * len(lats), lons, lats)
    inside = max(dist) <= 20_000
    try:
        read_footprint_file(path)
        accepted = True
    except DataError:
        accepted = False
    assert accepted == inside


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("2011-03.kml.txt", "has an unsupported suffix '.txt' (read: .geojson, "),
        ("2011-03.csv", "has an unsupported suffix '.csv' (read: .geojson, "),
        ("README", "has an unsupported suffix '(none)' (read: "),
        ("2011-03.dbf", "has an unsupported suffix '.dbf'"),  # a sidecar of no .shp
    ],
)
def test_unsupported_file_in_boundaries_is_named(
    cli, data_dir: Path, name: str, message: str
) -> None:
    path = _boundary(data_dir, name)
    path.write_text("x", encoding="utf-8")
    assert_refused(cli, data_dir, f"{path}: {message}")


def test_dangling_symlink_and_folder_are_named(cli, data_dir: Path) -> None:
    link = _boundary(data_dir, "2011-03.geojson")
    link.symlink_to(data_dir / "nowhere.geojson")
    assert_refused(
        cli, data_dir, f"{link}: is a dangling symbolic link (to {data_dir / 'nowhere.geojson'})"
    )
    link.unlink()
    folder = _boundary(data_dir, "old")
    folder.mkdir()
    assert_refused(cli, data_dir, f"{folder}: is a folder, not a footprint file; move it")


def test_fifo_is_named_never_opened(data_dir: Path, tmp_path: Path) -> None:
    """A real process: reading a FIFO would block until the timeout."""
    fifo = _boundary(data_dir, "2011-03.geojson")
    os.mkfifo(fifo)
    for command in ("validate", "growth"):
        r = run_process(command, "--data-dir", str(data_dir))
        assert r.returncode == 1, r.stderr
        expected = f"{fifo}: is a FIFO, not a footprint file; move it elsewhere, or hide it"
        assert expected in (r.stdout if command == "validate" else r.stderr)
    r = run_process("map", "--data-dir", str(data_dir), "-o", str(tmp_path / "m.html"))
    assert r.returncode == 1 and r.stderr.startswith(f"kaesong-geo: error: {fifo}: is a FIFO")
    assert not (tmp_path / "m.html").exists()


def test_hidden_files_and_shapefile_sidecars_are_fine(cli, empty_data_dir: Path) -> None:
    b = empty_data_dir / "boundaries"
    gpd.GeoDataFrame({"epoch": ["2011-03"]}, geometry=[BOX], crs=4326).to_file(b / "x.shp")
    assert {p.suffix for p in b.iterdir()} >= {".shp", ".dbf", ".shx", ".prj"}
    (b / ".DS_Store").write_bytes(b"\0")
    (b / "x.qmd").write_text("<qgis/>", encoding="utf-8")
    r = cli("validate", "--data-dir", str(empty_data_dir))
    assert r.code == 0, r.out
    assert "1 epoch (2011-03), 1 footprint," in r.out


def _gdf(epoch: str = "2011-03") -> gpd.GeoDataFrame:
    props = {k: [v] for k, v in PROVENANCE.items()}
    return gpd.GeoDataFrame({"epoch": [epoch], **props}, geometry=[BOX], crs=4326)


def test_geoparquet(cli, empty_data_dir: Path) -> None:
    _gdf().to_crs(32652).to_parquet(empty_data_dir / "boundaries" / "a.parquet")
    r = cli("growth", "--data-dir", str(empty_data_dir), "--format", "json")
    assert r.code == 0, r.err
    [epoch] = json.loads(r.out)["epochs"]
    assert epoch["epoch"] == "2011-03"
    assert epoch["area_m2"] == pytest.approx(BOX_M2, rel=1e-6)


@pytest.mark.parametrize("name", ["2011-03.shp.zip", "2011-03.zip"])
def test_zipped_shapefile(cli, empty_data_dir: Path, tmp_path: Path, name: str) -> None:
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[BOX], crs=4326).to_file(tmp_path / "complex.shp")
    with zipfile.ZipFile(empty_data_dir / "boundaries" / name, "w") as zf:
        for part in tmp_path.glob("complex.*"):
            zf.write(part, part.name)
    r = cli("growth", "--data-dir", str(empty_data_dir), "--format", "json")
    assert r.code == 0, r.err
    [epoch] = json.loads(r.out)["epochs"]
    assert epoch["epoch"] == "2011-03"  # from the file name, .shp.zip or .zip stripped
    assert epoch["area_m2"] == pytest.approx(BOX_M2, abs=0.1)


def test_corrupt_zip_is_named(cli, data_dir: Path) -> None:
    path = _boundary(data_dir, "2011-03.zip")
    path.write_bytes(b"PK\x03\x04 not really")
    assert_refused(cli, data_dir, f"{path}: cannot read as zipped Shapefile: ", ("growth",))


# --- valid input accepted --------------------------------------------------------------


def test_day_precision_epoch_that_gdal_reads_as_a_datetime(cli, empty_data_dir: Path) -> None:
    b = empty_data_dir / "boundaries"
    write_geojson(b / "a.geojson", feature(BOX, epoch="2011-03-07"))
    write_geojson(b / "b.geojson", feature(EAST, epoch="2012-03"))
    gdf = _gdf().assign(epoch=[dt.date(2013, 9, 16)])
    gdf.to_file(b / "c.gpkg", driver="GPKG")  # a GeoPackage DATE field
    r = cli("growth", "--data-dir", str(empty_data_dir), "--format", "json")
    assert r.code == 0, r.err
    got = [(e["epoch"], e["date_precision"]) for e in json.loads(r.out)["epochs"]]
    assert got == [("2011-03-07", "day"), ("2012-03", "month"), ("2013-09-16", "day")]


def test_data_dir_with_only_boundaries_validates(cli, tmp_path: Path) -> None:
    root = tmp_path / "only"
    (root / "boundaries").mkdir(parents=True)
    write_geojson(root / "boundaries" / "2011-03.geojson", feature(BOX))
    r = cli("validate", "--data-dir", str(root))
    assert r.code == 0, r.out
    assert "0 observations, 0 images; 0 errors, 0 warnings" in r.out
    assert cli("growth", "--data-dir", str(root)).code == 0


def test_tilde_in_the_library(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    monkeypatch.setenv("HOME", str(data_dir.parent))
    assert resolve_data_dir("~/data") == data_dir
    assert resolve_data_dir(env={"KAESONG_GEO_DATA": "~/data"}) == data_dir
    assert [e.label for e in load_footprints(Path("~/data").expanduser())][-1] == "2009-09"
    assert validate_data_dir("~/data").ok


def test_duplicate_problem_is_reported_once(cli, empty_data_dir: Path) -> None:
    b = empty_data_dir / "boundaries"
    write_geojson(b / "2011-03.geojson", feature(BOX))
    # A second file repeating the epoch in two features said so twice before.
    second = write_geojson(b / "b.geojson", *[feature(g, epoch="2011-03") for g in (BOX, EAST)])
    r = cli("validate", "--data-dir", str(empty_data_dir))
    assert r.code == 1
    assert r.out.count("is already defined in") == 1, r.out
    assert "1 error, 0 warnings" in r.out
    r = cli("growth", "--data-dir", str(empty_data_dir))
    assert r.err == (
        f"kaesong-geo: error: {second}: epoch 2011-03 is already defined in "
        f"{b / '2011-03.geojson'} (one epoch, one file)\n"
    )


def test_growth_counts_the_errors_validate_lists(cli, data_dir: Path) -> None:
    """One set of checks: growth's first error and its count are validate's."""
    b = data_dir / "boundaries"
    write_geojson(b / "2011-03.geojson", feature(BOX, reference_area_m2=1000))
    write_geojson(b / "2012-03.geojson", feature(BOX, area_uncertainty_pct=5000))
    (b / "2013-03.kml.txt").write_text("x", encoding="utf-8")
    with (data_dir / "imagery" / "catalog.csv").open("a", encoding="utf-8") as fh:
        fh.write("2011-03,x,nan,no,,src,\n")
    r = cli("validate", "--data-dir", str(data_dir))
    errors = [line for line in r.out.splitlines() if line.startswith("error: ")]
    assert len(errors) == 4 and "4 errors" in r.out
    r = cli("growth", "--data-dir", str(data_dir))
    first = errors[0].removeprefix("error: ")
    assert r.err == (
        f"kaesong-geo: error: {first} (and 3 more problems; run 'kaesong-geo validate')\n"
    )


# --- Shapefile's cut field names, NaN properties, file name vs epoch, zips (issue #6) -------

# The pilot complex's third vertex mistyped: 37.9284653 -> 37.9834653 (10.8 times the area).
MISTYPED_2004 = (126.6329064, 37.9834653)
_NUMBERS = ("reference_area_m2", "area_uncertainty_pct", "uncertainty_m")


def _numbers(fps: list) -> list[tuple]:
    return [(f.name, f.date.label, *(getattr(f, n) for n in _NUMBERS)) for f in fps]


def _to_shapefile(geojson: Path, target: Path) -> Path:
    """Write ``geojson`` as ``target`` (.shp, or .shp.zip holding it) as GDAL does."""
    gdf = gpd.read_file(geojson)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # names cut, 'source' cut to 254 characters
        if target.name.endswith(".shp.zip"):
            folder = target.parent / f".{target.name}.parts"
            folder.mkdir()
            gdf.to_file(folder / "trace.shp")
        else:
            gdf.to_file(target)
    assert any("Normalized/laundered field name" in str(w.message) for w in caught)
    if target.name.endswith(".shp.zip"):
        with zipfile.ZipFile(target, "w") as zf:
            for part in sorted(folder.iterdir()):
                zf.write(part, part.name)
                part.unlink()
        folder.rmdir()
    return target


def test_gdal_cuts_the_long_names_to_these(tmp_path: Path) -> None:
    path = _to_shapefile(resolve_data_dir() / "boundaries" / "2004-04.geojson", tmp_path / "a.shp")
    fields = list(pyogrio.read_info(path)["fields"])
    assert {"reference_", "area_uncer", "uncertaint"} <= set(fields)
    assert not set(_NUMBERS) & set(fields)


@pytest.mark.parametrize("suffix", [".shp", ".shp.zip"])
@pytest.mark.parametrize("epoch", ["2004-04", "2006-01", "2009-09"])
def test_shapefile_of_a_shipped_geojson_reads_like_it(
    data_dir: Path, tmp_path: Path, epoch: str, suffix: str
) -> None:
    geojson = data_dir / "boundaries" / f"{epoch}.geojson"
    shp = _to_shapefile(geojson, tmp_path / f"{epoch}{suffix}")
    expected = read_footprint_file(geojson)
    got = read_footprint_file(shp)
    assert _numbers(got) == _numbers(expected)
    assert all(n is not None for n in _numbers(got)[0])  # not lost
    for a, b in zip(got, expected, strict=True):
        assert geodesic_area_m2(a.geometry) == pytest.approx(geodesic_area_m2(b.geometry), 1e-9)


def test_growth_from_shapefiles_is_the_growth_from_geojson(cli, data_dir: Path) -> None:
    r = cli("growth", "--data-dir", str(data_dir), "--format", "json")
    before = json.loads(r.out)["epochs"]
    for geojson in sorted((data_dir / "boundaries").glob("*.geojson")):
        _to_shapefile(geojson, geojson.with_suffix(".shp"))
        geojson.unlink()
    r = cli("growth", "--data-dir", str(data_dir), "--format", "json")
    assert r.code == 0, r.err
    after = json.loads(r.out)["epochs"]
    keys = ("epoch", "area_m2", "area_uncertainty_m2", "reference_area_m2", "growth_pct")
    assert [[e[k] for k in keys] for e in after] == [[e[k] for k in keys] for e in before]
    assert after[0]["area_uncertainty_m2"] == 9256.1  # 10 % of 92,561.5 m², from 'area_uncer'


@pytest.mark.parametrize("suffix", [".shp", ".shp.zip"])
def test_mistyped_vertex_in_a_shapefile_is_refused(
    cli, data_dir: Path, tmp_path: Path, suffix: str
) -> None:
    geojson = data_dir / "boundaries" / "2004-04.geojson"
    doc = json.loads(geojson.read_text(encoding="utf-8"))
    doc["features"][0]["geometry"]["coordinates"][0][2] = list(MISTYPED_2004)
    mistyped = tmp_path / "2004-04.geojson"
    mistyped.write_text(json.dumps(doc), encoding="utf-8")
    geojson.unlink()
    shp = _to_shapefile(mistyped, data_dir / "boundaries" / f"2004-04{suffix}")
    assert_refused(
        cli,
        data_dir,
        f"{shp}: feature 1 (Pilot complex (시범단지)) has area 997,330 m², +977.5% from its "
        "reference 92,562 m² (more than the 10% recorded uncertainty)",
    )


def test_cut_name_beside_the_full_name_is_refused(cli, data_dir: Path) -> None:
    path = _boundary(data_dir, "2011-03.gpkg")
    _gdf().assign(reference_area_m2=[BOX_M2], reference_=[BOX_M2 * 2]).to_file(path)
    assert_refused(
        cli,
        data_dir,
        f"{path}: has two columns for 'reference_area_m2': 'reference_area_m2' and "
        "'reference_' (keep one)",
    )


def test_only_gdals_exact_cut_names_are_read(tmp_path: Path) -> None:
    path = tmp_path / "2011-03.gpkg"
    _gdf().assign(referenc_1=[1.0], area_unc=[1e9], uncertain=[1e9]).to_file(path)
    [fp] = read_footprint_file(path)
    assert (fp.reference_area_m2, fp.area_uncertainty_pct, fp.uncertainty_m) == (None, None, 10)


@pytest.mark.parametrize("prop", _NUMBERS)
def test_nan_property_is_refused_not_read_as_missing(cli, data_dir: Path, prop: str) -> None:
    path = data_dir / "boundaries" / "2004-04.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["properties"][prop] = math.nan
    path.write_text(json.dumps(doc), encoding="utf-8")  # a JSON NaN literal, which GDAL reads
    assert "NaN" in path.read_text(encoding="utf-8")
    assert_refused(
        cli,
        data_dir,
        f"{path}: feature 1 (Pilot complex (시범단지)): '{prop}' must be a finite number, got nan",
    )


def test_nan_reference_with_a_mistyped_vertex_is_refused(cli, data_dir: Path) -> None:
    """Before, the NaN switched the area check off and the wrong area was reported."""
    path = data_dir / "boundaries" / "2004-04.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["geometry"]["coordinates"][0][2] = list(MISTYPED_2004)
    doc["features"][0]["properties"]["reference_area_m2"] = math.nan
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert_refused(
        cli, data_dir, f"{path}: feature 1 (Pilot complex (시범단지)): 'reference_area_m2' must be"
    )


def test_nan_text_in_a_dbf_is_refused(cli, data_dir: Path) -> None:
    b = data_dir / "boundaries"
    shp = _to_shapefile(b / "2004-04.geojson", b / "2004-04.shp")
    (b / "2004-04.geojson").unlink()
    dbf = shp.with_suffix(".dbf")
    raw = dbf.read_bytes()
    assert raw.count(b"92562.0") == 1  # the 'reference_' field, right-aligned text
    dbf.write_bytes(raw.replace(b"92562.0", b"    nan"))
    assert_refused(
        cli,
        data_dir,
        f"{shp}: feature 1 (Pilot complex (시범단지)): 'reference_area_m2' must be a finite "
        "number, got nan",
    )


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".fgb"])
def test_null_property_is_missing(tmp_path: Path, suffix: str) -> None:
    """A null (JSON null; NULL in a GeoPackage, Shapefile, FlatGeobuf field) is allowed."""
    gdf = _gdf().assign(reference_area_m2=[None], area_uncertainty_pct=[5.0], uncertainty_m=[None])
    gdf = gdf.astype({"reference_area_m2": float, "uncertainty_m": float})
    path = tmp_path / f"2011-03{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the Shapefile's cut names
        gdf.to_file(path)
    [fp] = read_footprint_file(path)
    assert (fp.reference_area_m2, fp.area_uncertainty_pct, fp.uncertainty_m) == (None, 5, None)


def test_file_name_and_epoch_property_must_agree(cli, data_dir: Path) -> None:
    b = data_dir / "boundaries"
    renamed = b / "2011-03.geojson"
    (b / "2009-09.geojson").rename(renamed)
    assert_refused(
        cli,
        data_dir,
        f"{renamed}: file name says 2011-03 but feature 1 (Phase 1) has epoch 2009-09; "
        "rename the file or fix the property",
    )


def test_month_file_name_and_day_epoch_are_different_epochs(cli, data_dir: Path) -> None:
    path = _boundary(data_dir, "2011-03.kml")
    path.write_text(kml_text(ring(BOX), name="Complex", epoch="2011-03-07"), encoding="utf-8")
    assert_refused(
        cli,
        data_dir,
        f"{path}: file name says 2011-03 but feature 1 (Complex) has epoch 2011-03-07 (a year, "
        "a month and a day in it are different epochs); rename the file or fix the property",
    )


def test_file_named_by_date_with_that_epoch_or_none(cli, empty_data_dir: Path) -> None:
    b = empty_data_dir / "boundaries"
    write_geojson(b / "2011-03.geojson", feature(BOX, epoch="2011-03"), feature(EAST))
    (b / "2013-09-16.kml").write_text(kml_text(ring(BOX), epoch="2013-09-16"), encoding="utf-8")
    write_geojson(b / "all.geojson", feature(BOX, epoch="2014"), feature(BOX, epoch="2015-06"))
    r = cli("growth", "--data-dir", str(empty_data_dir), "--format", "json")
    assert r.code == 0, r.err
    got = [(e["epoch"], e["n_polygons"]) for e in json.loads(r.out)["epochs"]]
    assert got == [("2011-03", 1), ("2013-09-16", 1), ("2014", 1), ("2015-06", 1)]


def test_impossible_epoch_date_names_the_property(cli, data_dir: Path) -> None:
    """GDAL read 2011-02-30 as a date and failed ("day is out of range for month")."""
    path = write_geojson(_boundary(data_dir, "tracing.geojson"), feature(BOX, epoch="2011-02-30"))
    assert_refused(
        cli,
        data_dir,
        f"{path}: feature 1 has a bad 'epoch': '2011-02-30' is not a valid date: "
        "day is out of range for month",
    )


def test_day_epoch_in_geojson_is_read_as_text_not_shifted(tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "t.geojson", feature(BOX, epoch="2011-03-07"))
    [fp] = read_footprint_file(path)
    assert (fp.date.label, fp.date.precision) == ("2011-03-07", "day")


@pytest.mark.parametrize("folder", ["", "folder/", "a/b/"])
def test_shapefile_in_a_folder_of_the_zip_is_read(
    cli, empty_data_dir: Path, tmp_path: Path, folder: str
) -> None:
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[BOX], crs=4326).to_file(tmp_path / "trace.shp")
    with zipfile.ZipFile(empty_data_dir / "boundaries" / "2011-03.zip", "w") as zf:
        for part in sorted(tmp_path.glob("trace.*")):
            zf.write(part, folder + part.name)
            zf.writestr(f"__MACOSX/{folder}._{part.name}", b"\0\5\26\7 Mac OS X resource")
    r = cli("growth", "--data-dir", str(empty_data_dir), "--format", "json")
    assert r.code == 0, r.err
    [epoch] = json.loads(r.out)["epochs"]
    assert epoch["epoch"] == "2011-03"
    assert epoch["area_m2"] == pytest.approx(BOX_M2, abs=0.1)


def test_zip_without_a_shapefile_is_named(cli, data_dir: Path) -> None:
    path = _boundary(data_dir, "2011-03.zip")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("notes/readme.txt", "the tracing is elsewhere")
    assert_refused(
        cli,
        data_dir,
        f"{path}: cannot read as zipped Shapefile: holds no .shp file (found: notes/readme.txt)",
    )


def _gpkg_with_epoch_column(path: Path, sql_type: str, value: str) -> Path:
    """A GeoPackage whose 'epoch' column is declared ``sql_type`` and holds ``value`` as stored."""
    _gdf().drop(columns="epoch").to_file(path, driver="GPKG", spatial_index=False)
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute(f"ALTER TABLE {path.stem} ADD COLUMN epoch {sql_type}")
        con.execute(f"UPDATE {path.stem} SET epoch = ?", (value,))
        con.commit()
    assert pyogrio.read_info(path)["dtypes"][-1].startswith("datetime64")  # GDAL sees a date
    return path


def test_impossible_date_in_a_geopackage_date_field_is_named(cli, data_dir: Path) -> None:
    """Through Arrow GDAL made 2011-02-30 into 2011-03-02 without a word."""
    path = _gpkg_with_epoch_column(_boundary(data_dir, "tracing.gpkg"), "DATE", "2011-02-30")
    assert_refused(
        cli,
        data_dir,
        f"{path}: feature 1 has a bad 'epoch': '2011-02-30' is not a valid date: "
        "day is out of range for month",
    )


@pytest.mark.parametrize(
    ("sql_type", "value"),
    [
        ("DATE", "2011-03-07"),
        ("DATETIME", "2011-03-07T05:00:00.000+09:00"),  # 2011-03-06 in UTC: the date as written
        ("DATETIME", "2011-03-07T23:30:00Z"),
    ],
)
def test_geopackage_date_fields_are_day_epochs(tmp_path: Path, sql_type: str, value: str) -> None:
    [fp] = read_footprint_file(_gpkg_with_epoch_column(tmp_path / "t.gpkg", sql_type, value))
    assert (fp.date.label, fp.date.precision) == ("2011-03-07", "day")


def test_datetime_text_in_geojson_is_a_day_epoch(tmp_path: Path) -> None:
    """What geopandas writes for a datetime column: '2011-03-07T00:00:00'."""
    gdf = _gdf().assign(epoch=[dt.datetime(2011, 3, 7)])
    gdf.to_file(tmp_path / "t.geojson")
    assert '"epoch": "2011-03-07T00:00:00"' in (tmp_path / "t.geojson").read_text()
    [fp] = read_footprint_file(tmp_path / "t.geojson")
    assert (fp.date.label, fp.date.precision) == ("2011-03-07", "day")


def test_two_columns_differing_in_case_are_refused(tmp_path: Path) -> None:
    """Names are case-insensitive: 'epoch' and 'EPOCH' used to be one silently."""
    path = write_geojson(tmp_path / "t.geojson", feature(BOX, epoch="2011-03", EPOCH="2012-03"))
    with pytest.raises(DataError, match="has two columns for 'epoch': 'epoch' and 'EPOCH'"):
        read_footprint_file(path)


_GEOMS = {
    "box": BOX,
    "east": EAST,
    "bowtie": BOWTIE,  # repaired, with a warning
    "far": box(127.5, 37.9, 127.51, 37.91),  # ~77 km away
    "swapped": box(37.925, 126.63, 37.935, 126.64),
    "line": LineString([(126.63, 37.925), (126.64, 37.93)]),
    "none": None,
}
_VALUES = {
    "method": [None, "traced", " Extracted ", "guessed"],
    "uncertainty_m": [None, 5, "12.5", -1, "x"],
    "epoch": [None, "2011-03", "2011-03-07", "2011-02-30"],
    "estimated": [None, True, "yes", "maybe"],
    "reference_area_m2": [None, BOX_M2, 2 * BOX_M2],
    "name": [None, "", " hall ", 7],
    "source": [None, "  ", "survey"],
    "note": [None, "a note"],
    "description": [None, "from KML"],
    "imagery": [None, "img-a", "img-b", "img-c", "img-z"],
}
# a: of 2011-03 with an uncertainty, b: of 2011-03-07 without; c: of 2012; z: not catalogued.
_CATALOG = {
    image_id: ImageryRecord(parse_epoch(date), "test", None, False, "", "test", "", image_id, unc)
    for image_id, date, unc in (
        ("img-a", "2011-03", 4.0),
        ("img-b", "2011-03-07", None),
        ("img-c", "2012", 2.0),
    )
}
# How many of the first values of each property pass (the rest are refused).
_SOUND = {
    "method": 3,
    "uncertainty_m": 3,
    "epoch": 2,
    "estimated": 3,
    "reference_area_m2": 1,
    "imagery": 2,
}


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(["2011-03.geojson", "digitized.geojson"]),
    st.lists(
        st.one_of(
            st.tuples(  # anything
                st.sampled_from(sorted(_GEOMS)),
                st.fixed_dictionaries({k: st.sampled_from(v) for k, v in _VALUES.items()}),
            ),
            st.tuples(  # sound: the values that pass
                st.sampled_from(["box", "east"]),
                st.fixed_dictionaries(
                    {k: st.sampled_from(v[: _SOUND.get(k, len(v))]) for k, v in _VALUES.items()}
                ),
            ),
        ),
        min_size=1,
        max_size=12,
    ),
)
def test_features_read_at_once_as_one_by_one(name: str, rows: list[Any]) -> None:
    """Reading a layer column by column gives what checking each feature alone gives.

    The reference is the per-feature check (``_footprint``), which names every problem:
    the same footprints (every field), the same problems, in feature order.
    """
    import tempfile

    from kaesong_geo.io import footprints as fpmod
    from kaesong_geo.io.footprints import inspect_footprint_file

    with tempfile.TemporaryDirectory() as tmp:
        features = []
        for geom_key, props in rows:
            geom = _GEOMS[geom_key]
            features.append(
                {
                    "type": "Feature",
                    "properties": {k: v for k, v in props.items() if v is not None},
                    "geometry": None if geom is None else mapping(geom),
                }
            )
        if not any(f["properties"] for f in features):
            features[0]["properties"]["class"] = "developed"
        path = write_geojson(Path(tmp) / name, *features)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = inspect_footprint_file(path, imagery=_CATALOG)
            expected = fpmod.FileResult(str(path))
            layers, error = fpmod._read_layers(path)
            assert error is None
            stem = fpmod.parse_epoch(name[:7]) if name.startswith("2011") else None
            columns, problem = fpmod._property_columns(layers[0].columns)
            assert problem is None
            for i, geom in enumerate(layers[0].geometries):
                props = {p: layers[0].columns[c][i] for p, c in columns.items()}
                fp = fpmod._footprint(geom, props, i + 1, expected, stem, fpmod.KAESONG, _CATALOG)
                if fp is not None:
                    expected.footprints.append(fp)
    assert got.problems == expected.problems
    assert got.footprints == expected.footprints
    assert [f.geometry.wkb for f in got.footprints] == [f.geometry.wkb for f in expected.footprints]


def test_a_file_changed_since_it_was_read_is_read_again(tmp_path: Path) -> None:
    # files read before are kept by their identity (inode, size, mtime): a file written over
    # in place, or replaced by a rename, must never come back as it was
    path = write_geojson(tmp_path / "a.geojson", feature(BOX, epoch="2011-03"))
    [first] = read_footprint_file(path)
    assert read_footprint_file(path)[0].geometry.equals(first.geometry)  # kept
    write_geojson(path, feature(DONUT, epoch="2011-03"))  # in place
    [second] = read_footprint_file(path)
    assert len(second.geometry.interiors) == 1
    other = write_geojson(tmp_path / "b.geojson", feature(BOX, epoch="2009-09"))
    os.replace(other, path)  # replaced: another inode
    [third] = read_footprint_file(path)
    assert third.date.label == "2009-09" and third.geometry.equals(first.geometry)


@settings(max_examples=60, deadline=None)
@given(
    distance_km=st.floats(0.0, 25.0),
    bearing=st.floats(0.0, 360.0),
    size_km=st.floats(0.01, 8.0),
)
def test_the_quick_radius_check_agrees_with_every_vertex(
    distance_km: float, bearing: float, size_km: float
) -> None:
    # a footprint's box whose corners lie well within the radius spares the distance of
    # every vertex; near the radius (and beyond), every vertex is measured: the same answer
    import numpy as np
    import shapely

    from kaesong_geo.io.footprints import _clean_geometries
    from kaesong_geo.site import KAESONG

    lon, lat, _ = GEOD.fwd(KAESONG.lon, KAESONG.lat, bearing, distance_km * 1000)
    shape = Point(lon, lat).buffer(size_km / 111.0, 64)  # many vertices, a round outline
    geoms = np.array([shape, box(lon, lat, lon + size_km / 80, lat + size_km / 111)], dtype=object)
    coords, owner = shapely.get_coordinates(geoms, return_index=True)
    _, _, metres = GEOD.inv(
        np.full(len(coords), KAESONG.lon), np.full(len(coords), KAESONG.lat), *coords.T
    )
    every = np.array(
        [bool((metres[owner == i] <= KAESONG.max_distance_km * 1000).all()) for i in range(2)]
    )
    assert _clean_geometries(geoms, KAESONG).tolist() == every.tolist()


def test_a_footprints_sidecars_or_journal_changed_are_read_again(tmp_path: Path) -> None:
    # a Shapefile's .prj or .dbf replaced, a GeoPackage edited in WAL mode with QGIS's
    # connection still open (the .gpkg itself untouched), a file written over with its
    # modification time set back: none may come back as it was read before (trial 12)
    import sqlite3

    shp = tmp_path / "2009-09.shp"
    gpd.GeoDataFrame({"epoch": ["2009-09"]}, geometry=[BOX], crs=4326).to_file(shp)
    [first] = read_footprint_file(shp)
    far = gpd.GeoDataFrame({"epoch": ["2009-09"]}, geometry=[BOX], crs=3857)
    far.to_file(tmp_path / "other.shp")
    (tmp_path / "other.prj").replace(shp.with_suffix(".prj"))  # now Web Mercator metres
    with pytest.raises(DataError, match="km from the reference point"):
        read_footprint_file(shp)
    gpkg = tmp_path / "2006-01.gpkg"
    gpd.GeoDataFrame({"epoch": ["2006-01"]}, geometry=[BOX], crs=4326).to_file(gpkg)
    with contextlib.closing(sqlite3.connect(gpkg)) as con:
        con.execute("PRAGMA journal_mode=WAL")
    assert len(read_footprint_file(gpkg)) == 1
    con = sqlite3.connect(gpkg)  # an editing session, left open
    try:
        table = next(iter(con.execute("select table_name from gpkg_contents")))[0]
        before = gpkg.stat()
        con.execute(f'delete from "{table}"')
        con.commit()
        assert (gpkg.stat().st_size, gpkg.stat().st_mtime_ns) == (
            before.st_size, before.st_mtime_ns
        )  # fmt: skip
        with pytest.raises(DataError, match="has no features"):
            read_footprint_file(gpkg)
    finally:
        con.close()
    path = write_geojson(tmp_path / "2011-03.geojson", feature(BOX, epoch="2011-03"))
    assert read_footprint_file(path)[0].geometry.equals(first.geometry)
    stat = path.stat()
    text = path.read_text().replace("126.6", "126.7")  # 8.8 km east, the same size
    path.write_text(text)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # as touch -r would
    assert path.stat().st_size == stat.st_size
    assert not read_footprint_file(path)[0].geometry.equals(first.geometry)
