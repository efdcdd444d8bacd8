"""A footprint names the image it was traced on (``imagery`` = an id of imagery/catalog.csv)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

from kaesong_geo.io.footprints import load_footprints

from .common import BOX, EAST, assert_refused, feature, write_geojson

BUNDLED_IDS = "ge-2004-04, ge-2006-01, ge-2009-09, sda-2002-11-25, sda-2004-11-22"


def _add_images(data_dir: Path, *rows: tuple[str, str, str]) -> Path:
    """Add ``(date, id, uncertainty_m)`` rows and an ``uncertainty_m`` column to the catalogue."""
    catalog = data_dir / "imagery" / "catalog.csv"
    with catalog.open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    fields = [*table[0].keys(), "uncertainty_m"]
    for date, image_id, uncertainty in rows:
        table.append(
            {
                "date": date,
                "provider": "Google Earth historical imagery",
                "resolution_m": "",
                "redistributable": "no",
                "file": "",
                "source": "test fixture",
                "note": "",
                "id": image_id,
                "uncertainty_m": uncertainty,
            }
        )
    with catalog.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    return catalog


def _epoch_file(data_dir: Path, *features: dict[str, object]) -> Path:
    return write_geojson(data_dir / "boundaries" / "2013-06.geojson", *features)


def test_geojson_footprint_takes_its_images_uncertainty_and_names_it(cli, data_dir: Path) -> None:
    _add_images(data_dir, ("2013-06-20", "ge-2013-06-20", "4"))
    path = _epoch_file(
        data_dir,
        feature(BOX, name="west", imagery="ge-2013-06-20", uncertainty_m=None),
        feature(EAST, name="east", imagery="ge-2013-06-20", uncertainty_m=25),
    )
    r = cli("growth", "--data-dir", str(data_dir), "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    [epoch] = [e for e in data["epochs"] if e["epoch"] == "2013-06"]
    assert [(f["name"], f["imagery"], f["uncertainty_m"]) for f in epoch["footprints"]] == [
        ("west", "ge-2013-06-20", 4.0),  # the image's
        ("east", "ge-2013-06-20", 25),  # its own
    ]
    assert [(i["date"], i["id"], i["uncertainty_m"]) for i in epoch["imagery"]] == [
        ("2013-06-20", "ge-2013-06-20", 4.0)
    ]
    # The map's popups and the report's footprint table name the image too.
    from kaesong_geo.maps.build import make_map
    from kaesong_geo.maps.htmlreport import make_report

    from .test_maps import config_of

    config = config_of(make_map(data_dir))
    [popup_epoch] = [e for e in config["epochs"] if e["label"] == "2013-06"]
    rows = [dict(f["rows"]) for f in popup_epoch["features"]]
    assert [r["Traced on image (imagery/catalog.csv id)"] for r in rows] == ["ge-2013-06-20"] * 2
    assert '<td class="text">ge-2013-06-20</td>' in make_report(data_dir)
    others = [
        f["imagery"] for e in data["epochs"] if e["epoch"] != "2013-06" for f in e["footprints"]
    ]
    assert others == [None] * len(others)
    [note] = [n for n in data["notes"] if "catalogued imagery" in n]
    assert (
        "2013-06: 2 of 2 on ge-2013-06-20 (Google Earth historical imagery, 2013-06-20, ±4 m)"
        in note
    )
    v = cli("validate", "--data-dir", str(data_dir))
    assert v.code == 0, v.out
    assert f"{path}: feature 1 (west) lacks provenance" not in v.out


def test_geopackage_footprints_name_images(data_dir: Path) -> None:
    """Many features (read by column), an image without uncertainty, one naming none."""
    _add_images(data_dir, ("2013-06", "ge-2013-06", ""), ("2013-06-02", "ge-2013-06-02", "3.5"))
    n = 40
    geoms = [box(126.63 + 0.001 * i, 37.925, 126.6305 + 0.001 * i, 37.9255) for i in range(n)]
    images = ["ge-2013-06-02"] * (n - 2) + ["ge-2013-06", None]
    frame = gpd.GeoDataFrame(
        {
            "epoch": ["2013-06"] * n,
            "method": ["traced"] * n,
            "source": ["t"] * n,
            "imagery": images,
        },
        geometry=geoms,
        crs=4326,
    )
    frame.to_file(data_dir / "boundaries" / "2013-06.gpkg", engine="pyogrio")
    [epoch] = [e for e in load_footprints(data_dir) if e.label == "2013-06"]
    got = [(fp.feature, fp.imagery, fp.uncertainty_m) for fp in epoch.footprints]
    assert got == [
        *((i + 1, "ge-2013-06-02", 3.5) for i in range(n - 2)),
        (n - 1, "ge-2013-06", None),  # the image records no uncertainty: unchanged
        (n, None, None),
    ]


def test_unknown_image_is_refused(cli, data_dir: Path) -> None:
    path = _epoch_file(
        data_dir, feature(BOX, name="west"), feature(EAST, name="east", imagery="ge-2013-07")
    )
    assert_refused(
        cli,
        data_dir,
        f"{path}: feature 2 (east) names imagery 'ge-2013-07', which imagery/catalog.csv does "
        f"not list (known ids: {BUNDLED_IDS})",
    )


def test_image_of_another_epoch_is_refused(cli, data_dir: Path) -> None:
    _add_images(data_dir, ("2013", "ge-2013", ""))
    path = _epoch_file(data_dir, feature(BOX, imagery="ge-2009-09"))
    assert_refused(
        cli,
        data_dir,
        f"{path}: feature 1 names imagery 'ge-2009-09' of 2009-09, not of its epoch 2013-06: "
        "trace each epoch on an image of it, or fix the id",
    )
    _epoch_file(data_dir, feature(BOX, imagery="ge-2013"))  # a year is not the month
    assert_refused(
        cli,
        data_dir,
        f"{path}: feature 1 names imagery 'ge-2013' of 2013, not of its epoch 2013-06",
        ("validate", "growth"),
    )


def test_footprint_outside_a_data_directory_knows_no_image(tmp_path: Path) -> None:
    from kaesong_geo.io.footprints import inspect_footprint_file

    path = write_geojson(tmp_path / "2013-06.geojson", feature(BOX, imagery="ge-2013-06"))
    [problem] = inspect_footprint_file(path).problems
    assert problem.message == (
        "feature 1 names imagery 'ge-2013-06', which imagery/catalog.csv does not list "
        "(known ids: none)"
    )


def test_catalogue_ids_are_unique_and_plain(cli, data_dir: Path) -> None:
    catalog = _add_images(data_dir, ("2013-06", "ge-2009-09", ""))
    assert_refused(
        cli,
        data_dir,
        f"{catalog}: line 7: id 'ge-2009-09' is already used on line 6",
        ("validate",),
    )
    catalog = _add_images(data_dir)
    text = catalog.read_text().replace("ge-2009-09", "ge 2009/09")
    catalog.write_text(text)
    assert_refused(
        cli,
        data_dir,
        f"{catalog}: line 6: id 'ge 2009/09' must be letters, digits, '.', '_' or '-'",
        ("validate", "growth"),
    )


def test_catalogue_uncertainty_is_a_sane_number(cli, data_dir: Path) -> None:
    catalog = _add_images(data_dir, ("2013-06", "ge-2013-06", "-3"))
    assert_refused(
        cli,
        data_dir,
        f"{catalog}: line 7: uncertainty_m must be a finite number of metres, 0 to 100,000, "
        "got '-3'",
        ("validate", "growth"),
    )
    catalog.write_text(catalog.read_text().replace(",-3\n", ",nan\n"))
    assert_refused(
        cli,
        data_dir,
        f"{catalog}: line 7: uncertainty_m must be a finite number of metres",
        ("validate",),
    )


def test_unknown_image_points_to_a_refused_catalogue_row(cli, data_dir: Path) -> None:
    """The row naming the image was refused (a negative uncertainty): say so, not only 'unknown'."""
    _add_images(data_dir, ("2013-06-20", "ge-2013-06", "-4"))
    path = _epoch_file(data_dir, feature(BOX, name="west", imagery="ge-2013-06"))
    assert_refused(
        cli,
        data_dir,
        f"{path}: feature 1 (west) names imagery 'ge-2013-06', which imagery/catalog.csv does "
        f"not list (known ids: {BUNDLED_IDS}; rows of imagery/catalog.csv were refused: fix "
        "those first)",
    )


def test_unknown_image_in_a_catalogue_without_ids_says_so(cli, data_dir: Path) -> None:
    catalog = data_dir / "imagery" / "catalog.csv"
    with catalog.open(encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    fields = [k for k in table[0] if k not in ("id", "uncertainty_m")]
    with catalog.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
    path = _epoch_file(data_dir, feature(BOX, name="west", imagery="ge-2013-06"))
    assert_refused(
        cli,
        data_dir,
        f"{path}: feature 1 (west) names imagery 'ge-2013-06', which imagery/catalog.csv does "
        "not list (known ids: none; it has no id column: add one, see the README)",
    )
