"""``kaesong-geo compare`` and :mod:`kaesong_geo.footprint_compare`: known squares, real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import shapely
from hypothesis import example, given
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from kaesong_geo.footprint_compare import compare_footprints, hausdorff_m
from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.measure import from_utm
from tests.common import feature, kml_text, ring, write_geojson
from tests.conftest import run_process, tree_digest

UTM = 32652
X0, Y0 = 292_000.0, 4_198_000.0  # UTM 52N, at the complex


def utm_square(dx: float = 0.0, dy: float = 0.0, side: float = 1000.0) -> Polygon:
    """A UTM square ``side`` metres wide, ``(dx, dy)`` from the reference corner, in lon/lat."""
    g = from_utm(box(X0 + dx, Y0 + dy, X0 + dx + side, Y0 + dy + side), UTM)
    assert isinstance(g, Polygon)
    return g


def square_file(path: Path, dx: float = 0.0, dy: float = 0.0, side: float = 1000.0) -> Path:
    return write_geojson(path, feature(utm_square(dx, dy, side)))


# -- the pure comparison ----------------------------------------------------------------------


def test_squares_offset_100_m_have_iou_900_over_1100_and_hausdorff_100_m() -> None:
    c = compare_footprints(utm_square(), utm_square(dx=100), UTM)
    assert c.iou == pytest.approx(900 / 1100, abs=1e-3)
    assert c.hausdorff_m == pytest.approx(100.0, abs=0.5)
    assert c.intersection_m2 == pytest.approx(900_000, rel=2e-3)  # UTM scale ~0.9997 here
    assert c.union_m2 == pytest.approx(1_100_000, rel=2e-3)
    assert c.sym_diff_m2 == pytest.approx(c.union_m2 - c.intersection_m2, rel=1e-9)
    assert c.area_diff_pct == pytest.approx(0.0, abs=0.01)
    assert c.note == ""


def test_identical_footprints_have_iou_1_and_hausdorff_0() -> None:
    c = compare_footprints(utm_square(), utm_square(), UTM)
    assert c.iou == 1.0
    assert c.hausdorff_m == pytest.approx(0.0, abs=1e-6)
    assert c.sym_diff_m2 == 0.0 and c.area_diff_m2 == 0.0


def test_disjoint_footprints_have_iou_0_and_hausdorff_the_gap_to_the_far_corner() -> None:
    c = compare_footprints(utm_square(), utm_square(dx=3000), UTM)
    assert c.iou == 0.0 and c.intersection_m2 == 0.0
    assert c.union_m2 == pytest.approx(c.area_a_m2 + c.area_b_m2)
    assert c.hausdorff_m == pytest.approx(3000.0, abs=0.5)  # a corner to the other's edge


def test_hausdorff_between_vertices_is_found_within_half_a_metre() -> None:
    # Every vertex of each lies on the other's outline: shapely's vertex-based figure is 0, yet
    # the middle of the long box's edges is 400 m from the two end squares.
    long_box = box(0, 0, 1000, 100)
    ends = box(0, 0, 100, 100).union(box(900, 0, 1000, 100))
    assert shapely.hausdorff_distance(long_box, ends) == 0.0
    assert hausdorff_m(long_box, ends) == pytest.approx(400.0, abs=0.5)
    assert hausdorff_m(ends, long_box) == pytest.approx(400.0, abs=0.5)


def test_a_hole_counts_in_the_outline() -> None:
    donut = box(0, 0, 1000, 1000).difference(box(400, 400, 600, 600))
    assert hausdorff_m(donut, box(0, 0, 1000, 1000)) == pytest.approx(400.0, abs=0.5)


@pytest.mark.parametrize(
    ("a", "b", "note"),
    [
        (Polygon(), utm_square(), "footprint A is empty: no Hausdorff distance, no difference"),
        (utm_square(), MultiPolygon(), "footprint B is empty: no Hausdorff distance"),
        (Polygon(), Polygon(), "both footprints are empty"),
    ],
)
def test_an_empty_footprint_gives_no_figure_it_cannot_and_says_so(
    a: Polygon, b: Polygon, note: str
) -> None:
    c = compare_footprints(a, b, UTM)
    assert c.hausdorff_m is None
    assert c.note.startswith(note)
    assert c.iou == (None if a.is_empty and b.is_empty else 0.0)
    assert (c.area_diff_pct is None) == a.is_empty


offsets = st.integers(-1500, 1500).map(float)
sides = st.integers(1, 2000).map(float)


@given(offsets, offsets, sides, offsets, offsets, sides)
@example(0.0, 0.0, 1000.0, 0.0, 0.0, 1000.0)
@example(0.0, 0.0, 1000.0, 100.0, 0.0, 1000.0)
def test_iou_is_symmetric_bounded_and_1_only_for_the_same_footprint(
    ax: float, ay: float, aside: float, bx: float, by: float, bside: float
) -> None:
    a, b = utm_square(ax, ay, aside), utm_square(bx, by, bside)
    ab, ba = compare_footprints(a, b, UTM), compare_footprints(b, a, UTM)
    assert ab.iou is not None and ba.iou is not None
    assert 0.0 <= ab.iou <= 1.0
    assert ab.iou == pytest.approx(ba.iou, abs=1e-9)
    same = (ax, ay, aside) == (bx, by, bside)
    assert (ab.iou > 1 - 1e-9) == same
    assert ab.hausdorff_m is not None and ba.hausdorff_m is not None
    assert ab.hausdorff_m >= 0.0
    assert ab.hausdorff_m == pytest.approx(ba.hausdorff_m, abs=0.5)
    assert (ab.hausdorff_m < 0.5) == same
    # The closed form for two axis-aligned squares: the largest gap between matching edges,
    # or a corner to the other's outline when one square lies inside the other.
    pa, pb = box(ax, ay, ax + aside, ay + aside), box(bx, by, bx + bside, by + bside)
    exact = shapely.hausdorff_distance(pa, pb, densify=0.001)
    assert ab.hausdorff_m == pytest.approx(exact, abs=0.5)
    assert ab.area_diff_m2 == pytest.approx(-ba.area_diff_m2)


# -- the command ------------------------------------------------------------------------------


def test_bundled_epochs_2006_and_2009(cli) -> None:
    data = bundled_data_dir()
    before = tree_digest(data)
    r = cli("compare", f"{data}:2006-01", f"{data}:2009-09", "--format", "json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["schema_version"] == 1 and out["utm_epsg"] == UTM
    assert out["a"] == f"{data}:2006-01"
    # 2006-01 lies within 2009-09: the intersection is A, the union B.
    assert out["intersection_m2"] == pytest.approx(out["area_a_m2"], rel=1e-5)
    assert out["union_m2"] == pytest.approx(out["area_b_m2"], rel=1e-5)
    assert out["iou"] == pytest.approx(out["area_a_m2"] / out["area_b_m2"], rel=1e-5)
    assert out["iou"] == pytest.approx(0.5287, abs=1e-4)
    assert out["hausdorff_m"] == pytest.approx(741.6, abs=0.5)
    assert tree_digest(data) == before


def test_table_names_every_figure_with_its_unit(cli) -> None:
    data = bundled_data_dir()
    r = cli("compare", f"{data}:2006-01", str(data / "boundaries" / "2009-09.geojson"))
    assert r.code == 0, r.err
    for line in ("area A (m²)", "intersection / union (IoU)", "Hausdorff distance (m)"):
        assert line in r.out
    assert "0.5287" in r.out and "741.6" in r.out and "EPSG:32652" in r.out


def test_a_kml_against_a_geojson_of_the_same_square(cli, tmp_path: Path) -> None:
    kml = tmp_path / "traced.kml"
    kml.write_text(kml_text(ring(utm_square())), encoding="utf-8")
    geojson = square_file(tmp_path / "theirs.geojson", dx=100)
    r = cli("compare", str(kml), str(geojson), "--format", "json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["iou"] == pytest.approx(900 / 1100, abs=1e-3)
    assert out["hausdorff_m"] == pytest.approx(100.0, abs=0.5)
    same = cli("compare", str(kml), str(kml), "--format", "json")
    assert json.loads(same.out)["iou"] == 1.0


def test_two_files_far_from_kaesong_are_measured_in_their_own_utm_zone(cli, tmp_path: Path) -> None:
    durban = box(31.00, -29.87, 31.01, -29.86)
    a = write_geojson(tmp_path / "a.geojson", feature(durban))
    b = write_geojson(tmp_path / "b.geojson", feature(box(31.00, -29.87, 31.011, -29.86)))
    r = cli("compare", str(a), str(b), "--format", "json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["utm_epsg"] == 32736
    assert out["hausdorff_m"] == pytest.approx(0.001 * 96_600, rel=0.02)  # 0.001° of lon there


def test_a_file_with_a_colon_in_its_name_is_a_file(cli, tmp_path: Path) -> None:
    a = square_file(tmp_path / "plan:v2.geojson")
    r = cli("compare", str(a), str(a), "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["iou"] == 1.0


def test_output_file_and_data_dir_unchanged(cli, data_dir: Path, tmp_path: Path) -> None:
    before = tree_digest(data_dir)
    target = tmp_path / "compare.json"
    r = cli(
        "compare", f"{data_dir}:2004-04", f"{data_dir}:2009-09", "-f", "json", "-o", str(target)
    )
    assert r.code == 0, r.err
    assert json.loads(target.read_text(encoding="utf-8"))["iou"] > 0
    again = cli("compare", f"{data_dir}:2004-04", f"{data_dir}:2009-09", "-o", str(target))
    assert again.code == 2 and "exists" in again.err
    inside = cli("compare", f"{data_dir}:2004-04", f"{data_dir}:2009-09", "-o", str(data_dir / "x"))
    assert inside.code == 2
    assert tree_digest(data_dir) == before


@pytest.mark.parametrize(
    ("a", "code", "message"),
    [
        (
            "missing.geojson",
            2,
            "missing.geojson: does not exist (give a footprint file or",
        ),
        ("DATA:2007", 2, "no epoch 2007 (epochs: 2004-04, 2006-01, 2009-09)"),
        ("DATA:2006-13", 2, "'2006-13' is not an epoch (YYYY, YYYY-MM or YYYY-MM-DD)"),
        ("DATA", 2, "is a directory; to compare one of its epochs write DATA_DIR:EPOCH"),
        ("broken.geojson", 1, "broken.geojson: cannot read as GeoJSON"),
        ("several.geojson", 2, "holds footprints of 2 epochs (2004-04, 2009-09); compare one"),
    ],
)
def test_bad_inputs_are_one_line_with_the_exit_code(
    cli, data_dir: Path, tmp_path: Path, a: str, code: int, message: str
) -> None:
    (tmp_path / "broken.geojson").write_text('{"type": "FeatureCollection", "feat', "utf-8")
    write_geojson(
        tmp_path / "several.geojson",
        feature(utm_square(), epoch="2004-04"),
        feature(utm_square(dx=100), epoch="2009-09"),
    )
    before = tree_digest(data_dir)
    arg = str(data_dir) + a[4:] if a.startswith("DATA") else str(tmp_path / a)
    r = cli("compare", arg, f"{data_dir}:2009-09")
    assert r.code == code
    assert message in r.err
    assert r.err.count("\n") == 1 and "Traceback" not in r.err
    assert r.out == ""
    assert tree_digest(data_dir) == before


def test_a_directory_without_boundaries_is_not_a_data_directory(cli, tmp_path: Path) -> None:
    (tmp_path / "notdata").mkdir()
    a = square_file(tmp_path / "a.geojson")
    r = cli("compare", str(a), f"{tmp_path / 'notdata'}:2009-09")
    assert r.code == 1
    assert "no 'boundaries/' folder" in r.err


def test_a_footprint_of_a_data_directory_is_checked_against_its_site(
    cli, data_dir: Path, tmp_path: Path
) -> None:
    far = write_geojson(tmp_path / "far.geojson", feature(box(31.00, -29.87, 31.01, -29.86)))
    r = cli("compare", str(far), f"{data_dir}:2009-09")
    assert r.code == 1
    assert "far.geojson" in r.err and "km from the reference point" in r.err


def test_files_of_a_copied_data_directory_are_read_with_its_site(
    cli, data_dir: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "2009-09.geojson"
    shutil.copy(data_dir / "boundaries" / "2009-09.geojson", copy)
    r = cli("compare", str(data_dir / "boundaries" / "2009-09.geojson"), str(copy), "-f", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["iou"] == 1.0


@pytest.mark.filterwarnings("always::kaesong_geo.errors.PlacemarksSkippedWarning")
def test_google_earth_files_as_saved_their_pushpins_skipped_with_a_warning(cli) -> None:
    ge = Path(__file__).parent / "data" / "google_earth"
    r = cli("compare", str(ge / "Kaesong 2013 substation.kmz"), str(ge / "Kaesong 2013.kml"))
    assert r.code == 0, r.err
    # The KMZ is the KML plus a substation: B lies within A.
    assert "intersection / union (IoU)" in r.out and "0.9409" in r.out
    assert r.err.count("skipped 2 placemarks that are not polygons") == 2


def test_a_real_process_exits_2_on_a_missing_file_with_one_line(tmp_path: Path) -> None:
    a = square_file(tmp_path / "a.geojson")
    r = run_process("compare", str(a), str(tmp_path / "b.geojson"))
    assert r.returncode == 2
    assert r.stderr == f"kaesong-geo: error: {tmp_path / 'b.geojson'}: does not exist " + (
        "(give a footprint file or DATA_DIR:EPOCH)\n"
    )
    ok = run_process("compare", str(a), str(a), "--format", "json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["iou"] == 1.0
