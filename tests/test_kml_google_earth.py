"""KML and KMZ as Google Earth Pro 7.3 saves them: folders, styles, pushpins and paths.

The fixtures in tests/data/google_earth/ are written as Google Earth Pro writes them (XML
header, kml/gx/kml/atom namespaces, Style and StyleMap normal/highlight pairs, nested
Folders, Placemarks with styleUrl, tessellated Polygons with ``lon,lat,0`` coordinates, a
LookAt on the pushpin; the KMZ a zip of doc.kml and files/gate.png).
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from pyproj import Geod

from kaesong_geo.errors import DataError, PlacemarksSkippedWarning
from kaesong_geo.io.footprints import inspect_footprint_file, load_footprints
from kaesong_geo.io.validate import validate_data_dir
from kaesong_geo.measure import geodesic_area_m2

from .conftest import tree_digest

DATA = Path(__file__).parent / "data" / "google_earth"
KML = DATA / "Kaesong 2013.kml"
KMZ = DATA / "Kaesong 2013 substation.kmz"
NS = {"kml": "http://www.opengis.net/kml/2.2"}
SKIPPED_KML = (
    "skipped 2 placemarks that are not polygons: path 'Road' (LineString), pushpin 'Gate' (Point)"
)
WGS84 = Geod(ellps="WGS84")


def _ring_area(text: str) -> float:
    """Geodesic area (m², unsigned) of a KML coordinates string, computed here by pyproj."""
    points = [tuple(float(v) for v in token.split(",")[:2]) for token in text.split()]
    area, _ = WGS84.polygon_area_perimeter([p[0] for p in points], [p[1] for p in points])
    return abs(area)


def _polygon_areas(kml: bytes) -> dict[str, float]:
    """Placemark name -> geodesic area of its polygons (outer minus inner rings)."""
    root = ET.fromstring(kml)
    areas: dict[str, float] = {}
    for placemark in root.iter(f"{{{NS['kml']}}}Placemark"):
        name = placemark.findtext("kml:name", namespaces=NS) or ""
        for polygon in placemark.iter(f"{{{NS['kml']}}}Polygon"):
            outer = polygon.findtext("kml:outerBoundaryIs/kml:LinearRing/kml:coordinates", "", NS)
            inner = [
                ring.text or ""
                for ring in polygon.findall(
                    "kml:innerBoundaryIs/kml:LinearRing/kml:coordinates", NS
                )
            ]
            area = _ring_area(outer) - sum(_ring_area(text) for text in inner)
            areas[name] = areas.get(name, 0.0) + area
    return areas


def _data_dir(tmp_path: Path, source: Path, name: str) -> Path:
    root = tmp_path / "data"
    (root / "boundaries").mkdir(parents=True)
    shutil.copyfile(source, root / "boundaries" / name)
    return root


def test_fixtures_are_as_google_earth_writes_them() -> None:
    """The fixtures hold what the tests claim: folders, styles, a hole, a pin, a path."""
    text = KML.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns=')
    for tag in ("<StyleMap", "<key>highlight</key>", "<styleUrl>#m_ylw-pushpin</styleUrl>",
                "<tessellate>1</tessellate>", "<innerBoundaryIs>", "<gx:drawOrder>",
                "<Point>", "<LineString>"):  # fmt: skip
        assert tag in text
    assert text.count("<Folder>") == 3
    with zipfile.ZipFile(KMZ) as zf:
        assert zf.namelist() == ["doc.kml", "files/gate.png"]
        assert b"<MultiGeometry>" in zf.read("doc.kml")


def test_google_earth_kml_keeps_polygons_and_names_what_it_skips(tmp_path: Path) -> None:
    root = _data_dir(tmp_path, KML, "2013-06.kml")
    before = tree_digest(root)
    with pytest.warns(PlacemarksSkippedWarning) as caught:
        epochs = load_footprints(root)
    assert len(caught) == 1  # one warning per file
    assert str(caught[0].message) == f"{root / 'boundaries' / '2013-06.kml'}: {SKIPPED_KML}"
    (epoch,) = epochs
    assert epoch.label == "2013-06"
    by_name = {fp.name: fp for fp in epoch.footprints}
    assert sorted(by_name) == ["Housing block", "Phase 1 factory zone"]
    assert len(by_name["Housing block"].geometry.interiors) == 1  # the courtyard
    assert by_name["Phase 1 factory zone"].note.startswith("Traced on Google Earth")
    expected = _polygon_areas(KML.read_bytes())
    for name, fp in by_name.items():
        assert geodesic_area_m2(fp.geometry) == pytest.approx(expected[name], rel=1e-6)
    # The two polygons are apart: the epoch's area is their sum.
    assert geodesic_area_m2(epoch.geometry) == pytest.approx(sum(expected.values()), rel=1e-6)
    assert tree_digest(root) == before


def test_google_earth_kmz_keeps_the_polygon_of_a_multigeometry(tmp_path: Path) -> None:
    root = _data_dir(tmp_path, KMZ, "2013-06.kmz")
    with pytest.warns(PlacemarksSkippedWarning) as caught:
        (epoch,) = load_footprints(root)
    assert len(caught) == 1
    assert str(caught[0].message).endswith(
        f"{SKIPPED_KML}; and the Point of MultiGeometry 'Substation' (its polygon kept)"
    )
    with zipfile.ZipFile(KMZ) as zf:
        expected = _polygon_areas(zf.read("doc.kml"))
    by_name = {fp.name: fp for fp in epoch.footprints}
    assert sorted(by_name) == sorted(expected) == [
        "Housing block", "Phase 1 factory zone", "Substation",
    ]  # fmt: skip
    assert by_name["Substation"].geometry.geom_type == "Polygon"
    for name, fp in by_name.items():
        assert geodesic_area_m2(fp.geometry) == pytest.approx(expected[name], rel=1e-6)


def test_validate_lists_skipped_placemarks_as_a_warning(tmp_path: Path) -> None:
    root = _data_dir(tmp_path, KML, "2013-06.kml")
    result = validate_data_dir(root)
    assert result.ok and not result.errors
    skipped = [p for p in result.warnings if p.code == "skipped"]
    assert [p.message for p in skipped] == [SKIPPED_KML]


@pytest.mark.filterwarnings("default::kaesong_geo.errors.PlacemarksSkippedWarning")
def test_cli_growth_and_validate_report_the_skipped_placemarks(cli, tmp_path: Path) -> None:
    root = _data_dir(tmp_path, KML, "2013-06.kml")
    before = tree_digest(root)
    growth = cli("growth", "--data-dir", str(root), "--format", "json")
    assert growth.code == 0, growth.err
    assert growth.err.count("kaesong-geo: warning: ") == 1 and SKIPPED_KML in growth.err
    assert [w for w in json.loads(growth.out)["warnings"] if SKIPPED_KML in w] != []
    validate = cli("validate", "--data-dir", str(root))
    assert validate.code == 0 and SKIPPED_KML in validate.out
    assert tree_digest(root) == before


def _ge_document(*placemarks: str) -> str:
    body = "\n".join(placemarks)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">'
        f"\n<Document>\n\t<name>pins.kml</name>\n\t<Folder>\n\t\t<name>Notes</name>\n{body}\n"
        "\t</Folder>\n</Document>\n</kml>\n"
    )


PIN = (
    "<Placemark><name>Gate</name><Point><coordinates>126.6335,37.9225,0</coordinates>"
    "</Point></Placemark>"
)
PATH = (
    "<Placemark><name>Road</name><LineString><tessellate>1</tessellate><coordinates>"
    "126.620,37.918,0 126.630,37.922,0 126.649,37.926,0 </coordinates></LineString></Placemark>"
)
CLOSED_PATH = (
    "<Placemark><name>Outline</name><LineString><tessellate>1</tessellate><coordinates>"
    "126.630,37.925,0 126.640,37.925,0 126.640,37.935,0 126.630,37.925,0 </coordinates>"
    "</LineString></Placemark>"
)


def test_kml_of_only_pins_and_paths_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "data"
    (root / "boundaries").mkdir(parents=True)
    (root / "boundaries" / "2013-06.kml").write_text(_ge_document(PIN, PATH), encoding="utf-8")
    before = tree_digest(root)
    with pytest.raises(DataError, match=r"2013-06\.kml: feature 1 \(Gate\) is a Point, not a"):
        load_footprints(root)
    assert tree_digest(root) == before


def test_closed_path_beside_polygons_is_still_refused_with_the_hint(tmp_path: Path) -> None:
    """A closed path was meant as a polygon: never skipped silently, even beside polygons."""
    text = KML.read_text(encoding="utf-8").replace(
        "\t\t<Folder>\n\t\t\t<name>Landmarks</name>\n",
        f"\t\t<Folder>\n\t\t\t<name>Landmarks</name>\n{CLOSED_PATH}\n",
    )
    path = tmp_path / "2013-06.kml"
    path.write_text(text, encoding="utf-8")
    result = inspect_footprint_file(path)
    errors = [p.message for p in result.problems if p.severity == "error"]
    assert errors == [
        "feature 4 (Outline) is a closed line (a path), not a polygon; "
        "in Google Earth draw it with Add > Polygon"
    ]
    assert result.skipped == ["path 'Road' (LineString)", "pushpin 'Gate' (Point)"]


def test_other_formats_do_not_skip_points(tmp_path: Path) -> None:
    """Skipping is for Google Earth's files only: a point in a GeoJSON stays an error."""
    from shapely.geometry import Point

    from .common import BOX, feature, write_geojson

    path = write_geojson(
        tmp_path / "2013-06.geojson", feature(BOX), feature(Point(126.63, 37.93), name="Gate")
    )
    result = inspect_footprint_file(path)
    assert [p.message for p in result.problems if p.severity == "error"] == [
        "feature 2 (Gate) is a Point, not a polygon"
    ]
    assert result.skipped == []
