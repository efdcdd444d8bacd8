"""io.footprint_import: a footprint file as users bring it, made into one epoch's GeoJSON.

Every input is a real file in its real format, written in tmp_path (geopandas/GDAL) or
shipped (tests/data/google_earth); the output bytes are written into a data directory and
read back by the same readers every command uses.
"""

from __future__ import annotations

import json
import math
import shutil
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely.geometry import Polygon, box, shape

from kaesong_geo.dates import parse_epoch
from kaesong_geo.errors import (
    DataError,
    GeometryRepairedWarning,
    PlacemarksSkippedWarning,
    UsageError,
)
from kaesong_geo.io.footprint_import import ImportedFootprints, import_footprints, layer_names
from kaesong_geo.io.footprints import load_footprints, read_footprint_file
from kaesong_geo.io.imagery import ImageryRecord
from kaesong_geo.measure import GEOD, geodesic_area_m2
from kaesong_geo.site import KAESONG

from .common import BOWTIE, BOX, EAST, FAR, LAT0, LON0, MALICIOUS

GE = Path(__file__).parent / "data" / "google_earth"
HALL = Polygon(
    [(126.6301, 37.9251), (126.6342, 37.9248), (126.6365, 37.9262), (126.6357, 37.9289),
     (126.6322, 37.9297), (126.6296, 37.9281), (126.6301, 37.9251)]
)  # fmt: skip


def _frame(*geoms: Any, crs: Any = 4326, **columns: list[Any]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(columns, geometry=list(geoms), crs=crs)


def _written_back(out: ImportedFootprints, tmp_path: Path, label: str) -> list[Any]:
    """The output stored in a data directory, read by load_footprints as every command does."""
    root = tmp_path / "workspace"
    (root / "boundaries").mkdir(parents=True, exist_ok=True)
    (root / "boundaries" / f"{label}.geojson").write_bytes(out.geojson)
    (epoch,) = load_footprints(root)
    return list(epoch.footprints)


def _same(read: list[Any], imported: list[Any]) -> None:
    assert len(read) == len(imported)
    for a, b in zip(read, imported, strict=True):
        assert shapely.equals_exact(a.geometry, b.geometry, tolerance=0)
        for attr in ("date", "category", "name", "source", "method", "uncertainty_m",
                     "area_uncertainty_pct", "estimated", "reference_area_m2", "note",
                     "imagery"):  # fmt: skip
            assert getattr(a, attr) == getattr(b, attr), attr


# --- Google Earth -----------------------------------------------------------------------


def test_google_earth_kml_is_imported_with_its_pin_and_path_skipped(tmp_path: Path) -> None:
    kml = GE / "Kaesong 2013.kml"
    with pytest.warns(PlacemarksSkippedWarning, match="pushpin 'Gate' \\(Point\\)") as caught:
        out = import_footprints(kml, "2013-06", KAESONG)
    assert len(caught) == 1
    assert out.skipped == ["path 'Road' (LineString)", "pushpin 'Gate' (Point)"]
    assert out.layer is None  # every folder read
    assert [(fp.name, fp.source, fp.method, fp.uncertainty_m) for fp in out.footprints] == [
        ("Phase 1 factory zone", "traced in Kaesong 2013.kml", "traced", None),
        ("Housing block", "traced in Kaesong 2013.kml", "traced", None),
    ]
    assert out.footprints[0].note.startswith("Traced on Google Earth historical imagery")
    assert all(fp.file == str(kml) for fp in out.footprints)
    doc = json.loads(out.geojson)
    assert set(doc) == {"type", "features"}  # RFC 7946: no crs member
    props = doc["features"][1]["properties"]
    # Google Earth's own fields (styleUrl, tessellate, icon, ...) are dropped.
    assert props == {
        "epoch": "2013-06", "class": "developed", "name": "Housing block",
        "source": "traced in Kaesong 2013.kml", "method": "traced", "estimated": False,
    }  # fmt: skip
    _same(_written_back(out, tmp_path, "2013-06"), out.footprints)


def test_google_earth_kmz_is_imported(tmp_path: Path) -> None:
    with pytest.warns(PlacemarksSkippedWarning, match="the Point of MultiGeometry 'Substation'"):
        out = import_footprints(GE / "Kaesong 2013 substation.kmz", "2013-06-20", KAESONG)
    assert [fp.name for fp in out.footprints] == [
        "Phase 1 factory zone", "Housing block", "Substation",
    ]  # fmt: skip
    assert {fp.date.label for fp in out.footprints} == {"2013-06-20"}
    _same(_written_back(out, tmp_path, "2013-06-20"), out.footprints)


def test_output_is_rfc7946_with_seven_decimals_and_counter_clockwise_rings(
    tmp_path: Path,
) -> None:
    clockwise = Polygon([(126.63, 37.925), (126.63123456789, 37.935), (126.64, 37.925)])
    assert not clockwise.exterior.is_ccw
    donut = box(126.62, 37.92, 126.625, 37.925).difference(box(126.621, 37.921, 126.622, 37.922))
    path = tmp_path / "traced.geojson"
    _frame(clockwise, donut).to_file(path)
    out = import_footprints(path, "2013-06", KAESONG)
    features = json.loads(out.geojson)["features"]
    first = features[0]["geometry"]["coordinates"][0]
    assert [126.6312346, 37.935] in first
    assert Polygon(first).exterior.is_ccw
    outer, inner = (Polygon(r) for r in features[1]["geometry"]["coordinates"])
    assert outer.exterior.is_ccw and not inner.exterior.is_ccw  # holes clockwise
    assert out.geojson.endswith(b"]}\n") and b"NaN" not in out.geojson
    numbers = [
        repr(float(v))
        for f in features
        for v in shapely.get_coordinates(shape(f["geometry"])).ravel()
    ]
    assert max(len(n.split(".")[1]) for n in numbers) == 7


# --- formats ----------------------------------------------------------------------------


def _write(kind: str, frame: gpd.GeoDataFrame, tmp_path: Path) -> Path:
    if kind == "gpkg":
        path = tmp_path / "traced.gpkg"
        frame.to_file(path, layer="zones")
    elif kind == "shp.zip":
        folder = tmp_path / "shp"
        folder.mkdir()
        with warnings.catch_warnings():  # names cut to 10 characters: read back as such
            warnings.simplefilter("ignore", UserWarning)
            frame.to_file(folder / "zones.shp")
        path = tmp_path / "traced.shp.zip"
        with zipfile.ZipFile(path, "w") as zf:
            for part in sorted(folder.iterdir()):
                zf.write(part, f"traced/{part.name}")
    elif kind == "parquet":
        path = tmp_path / "traced.parquet"
        frame.to_parquet(path)
    elif kind == "fgb":
        path = tmp_path / "traced.fgb"
        frame.to_file(path, driver="FlatGeobuf")
    else:
        path = tmp_path / "traced.geojson"
        frame.to_file(path, driver="GeoJSON")
    return path


@pytest.mark.parametrize("kind", ["gpkg", "shp.zip", "parquet", "fgb", "geojson"])
def test_every_format_is_imported(kind: str, tmp_path: Path) -> None:
    frame = _frame(HALL, EAST, name=["Hall", "East"], note=[MALICIOUS, "x"], owner=["me", "you"])
    path = _write(kind, frame, tmp_path)
    out = import_footprints(path, "2013", KAESONG, source="Maxar 2013-05 via GE", method="traced")
    by_name = {fp.name: fp for fp in out.footprints}  # FlatGeobuf orders by its index
    assert sorted(by_name) == ["East", "Hall"]
    assert by_name["Hall"].note == MALICIOUS  # as text, escaped where shown
    assert {fp.source for fp in out.footprints} == {"Maxar 2013-05 via GE"}
    for name, geom in (("Hall", HALL), ("East", EAST)):
        area = geodesic_area_m2(by_name[name].geometry)
        assert area == pytest.approx(geodesic_area_m2(geom), rel=1e-9)
    for feature in json.loads(out.geojson)["features"]:
        assert "owner" not in feature["properties"]
    _same(_written_back(out, tmp_path, "2013"), out.footprints)


def test_description_becomes_the_note(tmp_path: Path) -> None:
    path = _write("gpkg", _frame(HALL, description=["From QGIS"], note=[None]), tmp_path)
    out = import_footprints(path, "2013", KAESONG)
    props = json.loads(out.geojson)["features"][0]["properties"]
    assert props["note"] == "From QGIS" and "description" not in props


def test_utm_geopackage_is_reprojected(tmp_path: Path) -> None:
    to_utm = Transformer.from_crs(4326, 32652, always_xy=True)
    utm = shapely.transform(HALL, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])))
    assert utm.bounds[0] > 280_000  # metres, not degrees
    path = tmp_path / "traced.gpkg"
    _frame(utm, crs=32652, name=["Hall"]).to_file(path, layer="hall")
    out = import_footprints(path, "2013-06", KAESONG)
    assert out.layer == "hall"
    (fp,) = out.footprints
    assert geodesic_area_m2(fp.geometry) == pytest.approx(geodesic_area_m2(HALL), rel=1e-6)
    back = np.asarray(shape(json.loads(out.geojson)["features"][0]["geometry"]).exterior.coords)
    assert np.abs(back - np.asarray(HALL.exterior.coords)).max() <= 1e-7


def test_geopackage_layer_is_chosen(tmp_path: Path) -> None:
    path = tmp_path / "qgis.gpkg"
    _frame(BOX, name=["Box"]).to_file(path, layer="2013 zones")
    _frame(FAR, name=["Far"]).to_file(path, layer="2014 zones")
    _frame(EAST, name=["East"]).to_file(path, layer="scratch")
    assert layer_names(path) == ["2013 zones", "2014 zones", "scratch"]
    out = import_footprints(path, "2014", KAESONG, layer="2014 zones")
    assert out.layer == "2014 zones" and [fp.name for fp in out.footprints] == ["Far"]


def test_qgis_style_table_is_not_a_layer(tmp_path: Path) -> None:
    """QGIS may save a layer's style in the GeoPackage: a table without geometry."""
    import pandas as pd
    import pyogrio

    path = tmp_path / "qgis.gpkg"
    _frame(HALL, name=["Hall"]).to_file(path, layer="zones")
    styles = pd.DataFrame({"f_table_name": ["zones"], "styleQML": ["<qgis/>"]})
    pyogrio.write_dataframe(styles, path, layer="layer_styles")
    assert [str(name) for name, _ in pyogrio.list_layers(path)] == ["zones", "layer_styles"]
    out = import_footprints(path, "2013", KAESONG)
    assert out.layer == "zones" and [fp.name for fp in out.footprints] == ["Hall"]


def test_geopackage_with_several_layers_and_none_chosen_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "qgis.gpkg"
    for name, geom in (("a", BOX), ("b", EAST), ("c", FAR)):
        _frame(geom).to_file(path, layer=name)
    with pytest.raises(UsageError) as err:
        import_footprints(path, "2013", KAESONG)
    assert str(err.value) == f"{path}: has 3 layers: a, b, c; choose one with --layer"
    with pytest.raises(UsageError) as err:
        import_footprints(path, "2013", KAESONG, layer="d")
    assert str(err.value) == f"{path}: has no layer 'd' (its layers: a, b, c)"
    assert err.value.exit_code == 2  # a choice of the command line


def test_layer_for_a_file_without_layers_is_refused(tmp_path: Path) -> None:
    path = _write("parquet", _frame(BOX), tmp_path)
    with pytest.raises(UsageError, match=r"traced\.parquet: has no layers to choose from"):
        import_footprints(path, "2013", KAESONG, layer="zones")


# --- epoch and provenance ---------------------------------------------------------------


def test_provenance_overrides_the_features_own(tmp_path: Path) -> None:
    path = tmp_path / "traced.gpkg"
    _frame(
        HALL, EAST,
        source=["old notes", None], method=["extracted", None], uncertainty_m=[50.0, None],
        imagery=["nowhere", None],
    ).to_file(path)  # fmt: skip
    catalog = {
        "ge-2013-06": ImageryRecord(
            parse_epoch("2013-06-20"), "Google Earth", 0.5, False, "", "GE", "", "ge-2013-06", 4.0
        )
    }
    out = import_footprints(
        path, "2013-06", KAESONG, source="Maxar via Google Earth Pro", method="reconstructed",
        uncertainty_m=3.5, imagery="ge-2013-06", catalog=catalog,
    )  # fmt: skip
    assert {(fp.source, fp.method, fp.uncertainty_m, fp.imagery) for fp in out.footprints} == {
        ("Maxar via Google Earth Pro", "reconstructed", 3.5, "ge-2013-06")
    }
    # Without overrides: each feature's own, else the defaults; the image's uncertainty.
    path2 = tmp_path / "own.gpkg"
    _frame(HALL, EAST, source=["old notes", None], method=["extracted", None]).to_file(path2)
    own = import_footprints(path2, "2013-06", KAESONG, imagery="ge-2013-06", catalog=catalog)
    assert [(fp.source, fp.method, fp.uncertainty_m) for fp in own.footprints] == [
        ("old notes", "extracted", 4.0),
        ("traced in own.gpkg", "traced", 4.0),
    ]
    assert json.loads(own.geojson)["features"][1]["properties"]["imagery"] == "ge-2013-06"
    _same(read_footprint_file_in(tmp_path, own, "2013-06", catalog), own.footprints)


def read_footprint_file_in(
    tmp_path: Path, out: ImportedFootprints, label: str, catalog: dict[str, ImageryRecord]
) -> list[Any]:
    """The output as a data directory will hold it: the GeoJSON and the catalogue's row."""
    root = tmp_path / "ws"
    (root / "boundaries").mkdir(parents=True)
    (root / "imagery").mkdir()
    (root / "imagery" / "catalog.csv").write_text(
        "id,date,provider,resolution_m,redistributable,file,source,note,uncertainty_m\n"
        + "".join(
            f"{k},{r.date.label},{r.provider},0.5,no,,GE,,{r.uncertainty_m}\n"
            for k, r in catalog.items()
        ),
        encoding="utf-8",
    )
    target = root / "boundaries" / f"{label}.geojson"
    target.write_bytes(out.geojson)
    return read_footprint_file(target)


def test_imagery_of_another_epoch_is_refused(tmp_path: Path) -> None:
    path = _write("gpkg", _frame(HALL, name=["Hall"]), tmp_path)
    catalog = {
        "ge-2011": ImageryRecord(parse_epoch("2011-03"), "GE", None, False, "", "", "", "ge-2011")
    }
    with pytest.raises(DataError) as err:
        import_footprints(path, "2013-06", KAESONG, imagery="ge-2011", catalog=catalog)
    assert str(err.value).startswith(
        f"{path}: feature 1 (Hall) names imagery 'ge-2011' of 2011-03, not of its epoch 2013-06"
    )
    with pytest.raises(DataError, match=r"names imagery 'ge-2013', which imagery/catalog\.csv"):
        import_footprints(path, "2013-06", KAESONG, imagery="ge-2013")


def test_feature_of_another_epoch_is_refused(tmp_path: Path) -> None:
    path = _write(
        "gpkg", _frame(HALL, EAST, name=["Hall", "East"], epoch=["2013-06", "2011-03"]), tmp_path
    )
    with pytest.raises(DataError) as err:
        import_footprints(path, "2013-06", KAESONG)
    assert str(err.value) == (
        f"{path}: feature 2 (East) has epoch 2011-03, not 2013-06 as given; "
        "fix its 'epoch' property or the date given"
    )
    with pytest.raises(DataError, match=r"has epoch 2013-06-20, not 2013-06 as given \(a year"):
        import_footprints(
            _write("geojson", _frame(HALL, epoch=["2013-06-20"]), tmp_path), "2013-06", KAESONG
        )


def test_the_file_name_is_not_read_as_the_epoch(tmp_path: Path) -> None:
    path = tmp_path / "2011-03.geojson"
    _frame(HALL).to_file(path, driver="GeoJSON")
    out = import_footprints(path, "2013-06", KAESONG)
    assert out.footprints[0].date.label == "2013-06"


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("2013-13", "cannot be added as epoch '2013-13': '2013-13' is not a valid date"),
        ("June 2013", "cannot be added as epoch 'June 2013'"),
    ],
)
def test_bad_epoch_label_is_refused(label: str, message: str, tmp_path: Path) -> None:
    path = _write("geojson", _frame(HALL), tmp_path)
    with pytest.raises(DataError) as err:
        import_footprints(path, label, KAESONG)
    assert str(err.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "guessed"}, "method 'guessed' is not one of reconstructed, traced, extracted"),
        ({"uncertainty_m": -1.0}, "'uncertainty_m' must be a non-negative number, got -1.0"),
        ({"uncertainty_m": math.nan}, "'uncertainty_m' must be a finite number, got nan"),
    ],
)
def test_bad_provenance_is_refused(kwargs: dict[str, Any], message: str, tmp_path: Path) -> None:
    path = _write("geojson", _frame(HALL), tmp_path)
    with pytest.raises(DataError) as err:
        import_footprints(path, "2013", KAESONG, **kwargs)
    assert str(err.value) == f"{path}: {message}"


# --- refusals ---------------------------------------------------------------------------


def test_file_beyond_the_site_is_refused_naming_the_input(tmp_path: Path) -> None:
    far = box(127.50, 37.50, 127.51, 37.51)  # ~90 km away
    path = _write("gpkg", _frame(HALL, far, name=["Hall", "Elsewhere"]), tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(DataError) as err:
        import_footprints(path, "2013", KAESONG)
    message = str(err.value)
    assert message.startswith(f"{path}: feature 2 (Elsewhere) lies ")
    assert "more than 20 km: wrong place or CRS?" in message and "\n" not in message
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_missing_unsupported_and_unreadable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nothing\.kml: does not exist$"):
        import_footprints(tmp_path / "nothing.kml", "2013", KAESONG)
    with pytest.raises(DataError, match=r"tracing\.csv: has an unsupported suffix '\.csv'"):
        (tmp_path / "tracing.csv").write_text("lon,lat\n", encoding="utf-8")
        import_footprints(tmp_path / "tracing.csv", "2013", KAESONG)
    broken = tmp_path / "broken.kml"
    broken.write_text("<kml><Document><Placemark>", encoding="utf-8")
    with pytest.raises(DataError, match=r"broken\.kml: cannot read as KML"):
        import_footprints(broken, "2013", KAESONG)
    with pytest.raises(DataError, match=r": is not a file$"):
        import_footprints(tmp_path, "2013", KAESONG)


def test_kml_of_only_a_pushpin_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pin.kml"
    path.write_text(
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Gate</name>'
        "<Point><coordinates>126.6335,37.9225,0</coordinates></Point></Placemark></Document></kml>",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        import_footprints(path, "2013", KAESONG)
    assert str(err.value) == f"{path}: feature 1 (Gate) is a Point, not a polygon"


def test_repair_warns_once_and_the_repaired_polygon_is_written(tmp_path: Path) -> None:
    path = _write("gpkg", _frame(BOWTIE, name=["bow"]), tmp_path)
    with pytest.warns(GeometryRepairedWarning, match=r"feature 1 \(bow\) was invalid") as caught:
        out = import_footprints(path, "2013", KAESONG)
    assert len(caught) == 1
    assert str(caught[0].message).startswith(str(path))
    (fp,) = out.footprints
    assert fp.geometry.is_valid
    assert geodesic_area_m2(fp.geometry) == pytest.approx(geodesic_area_m2(BOX) / 2, rel=1e-3)
    _same(_written_back(out, tmp_path, "2013"), out.footprints)


# --- invariant --------------------------------------------------------------------------


def _star(draw: st.DrawFn) -> Polygon:
    """A random star-shaped polygon (valid) of 8-20 vertices near the site, 7 decimals."""
    n = draw(st.integers(8, 20))
    cx = LON0 + draw(st.floats(-0.03, 0.03))
    cy = LAT0 + draw(st.floats(-0.03, 0.03))
    radii = draw(st.lists(st.floats(0.3, 1.0), min_size=n, max_size=n))
    size = draw(st.floats(0.0005, 0.01))
    angles = np.linspace(0, 2 * np.pi, n, endpoint=False)
    xs = np.round(cx + size * np.asarray(radii) * np.cos(angles), 7)
    ys = np.round(cy + size * np.asarray(radii) * np.sin(angles), 7)
    return Polygon(np.column_stack([xs, ys]))


@st.composite
def _stars(draw: st.DrawFn) -> Polygon:
    return _star(draw)


@settings(max_examples=25, deadline=None)
@given(polygon=_stars(), kind=st.sampled_from(["gpkg", "kml", "fgb"]))
def test_import_then_read_keeps_the_geodesic_area(
    polygon: Polygon, kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """7-decimal coordinates survive any format, the import and the read: area within 1e-9."""
    if not polygon.is_valid:  # two vertices rounded onto each other: not what is tested
        return
    folder = tmp_path_factory.mktemp("star")
    if kind == "kml":
        coords = " ".join(f"{x:.7f},{y:.7f},0" for x, y in polygon.exterior.coords)
        path = folder / "star.kml"
        path.write_text(
            '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>Star</name>'
            f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}</coordinates>"
            "</LinearRing></outerBoundaryIs></Polygon></Placemark></Document></kml>",
            encoding="utf-8",
        )
    else:
        path = _write(kind, _frame(polygon, name=["Star"]), folder)
    out = import_footprints(path, "2013-06", KAESONG)
    expected = geodesic_area_m2(polygon)
    (fp,) = out.footprints
    assert geodesic_area_m2(fp.geometry) == pytest.approx(expected, rel=1e-9)
    (read,) = _written_back(out, folder, "2013-06")
    assert geodesic_area_m2(read.geometry) == pytest.approx(expected, rel=1e-9)


def test_google_earth_digits_rounded_to_seven_decimals_move_the_area_within_bound(
    tmp_path: Path,
) -> None:
    """Google Earth writes 15 significant digits; the output keeps 7 decimals (1e-7°).

    Each vertex moves at most half of 1e-7° (5.6 mm of latitude, less of longitude), so the
    area moves by at most the perimeter times 5.6 mm: 1e-5 relative for the 0.1 km² block.
    """
    root = tmp_path / "data"
    (root / "boundaries").mkdir(parents=True)
    shutil.copyfile(GE / "Kaesong 2013.kml", root / "boundaries" / "2013-06.kml")
    with pytest.warns(PlacemarksSkippedWarning):
        (epoch,) = load_footprints(root)
    with pytest.warns(PlacemarksSkippedWarning):
        out = import_footprints(GE / "Kaesong 2013.kml", "2013-06", KAESONG)
    for direct, imported in zip(epoch.footprints, out.footprints, strict=True):
        perimeter_m = GEOD.geometry_length(direct.geometry)
        change = abs(geodesic_area_m2(imported.geometry) - geodesic_area_m2(direct.geometry))
        assert 0 < change <= perimeter_m * 0.0056
