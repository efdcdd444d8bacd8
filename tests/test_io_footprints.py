"""Reading footprint files in every supported format, and refusing bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import LineString, Point, box

from kaesong_geo.errors import DataError, GeometryRepairedWarning
from kaesong_geo.io.footprints import inspect_footprints, load_footprints, read_footprint_file
from kaesong_geo.measure import geodesic_area_m2

from .common import (
    BOWTIE,
    BOX,
    DONUT,
    PROVENANCE,
    feature,
    kml_text,
    ring,
    write_geojson,
    write_kmz,
)

BOX_M2 = geodesic_area_m2(BOX)


def test_geojson_with_full_provenance(tmp_path: Path) -> None:
    path = write_geojson(
        tmp_path / "a.geojson", feature(DONUT, epoch="2011-03", name="x", area_uncertainty_pct=5)
    )
    [fp] = read_footprint_file(path)
    assert fp.epoch.label == "2011-03" and fp.method == "traced" and fp.uncertainty_m == 10
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
    assert fp.epoch.label == "2012-10"
    assert fp.name == "Complex Oct 2012"
    assert fp.note == "Traced in Google Earth Pro over historical imagery"
    assert fp.method == "traced" and fp.source == "2012-10.kml" and fp.uncertainty_m is None
    assert geodesic_area_m2(fp.geometry) == pytest.approx(BOX_M2, rel=1e-9)
    assert not fp.geometry.has_z


def test_kml_extended_data_epoch(tmp_path: Path) -> None:
    path = tmp_path / "digitized.kml"
    path.write_text(kml_text(ring(BOX), epoch="2013-09-16"), encoding="utf-8")
    [fp] = read_footprint_file(path)
    assert fp.epoch.label == "2013-09-16" and fp.epoch.precision == "day"


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
    assert read_footprint_file(path)[0].epoch.label == "2016-01"


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
        DataError, match=r"lies 5\d km from the Kaesong Industrial Complex \(more than 20 km\)"
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
    assert set(epochs[1].class_geometries()) == {"developed", "under construction"}
