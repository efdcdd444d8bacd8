"""``kaesong-geo extract-series``: a STAC catalog of generated scenes, extracted on Dask (#9)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import rasterio
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from kaesong_geo.errors import DataError
from kaesong_geo.io.epochs import list_epochs
from kaesong_geo.io.series import _plan, extract_series, failure_reason
from kaesong_geo.io.stac import CatalogScene, read_stac_scenes
from kaesong_geo.io.workspace import make_workspace
from kaesong_geo.measure import to_utm
from tests.conftest import tree_digest
from tests.synthetic_scenes import write_scene_file

pystac = pytest.importorskip("pystac")
distributed = pytest.importorskip("distributed")

UTM = 32652
#: (item id, date, scene size in px, seed); scene-3 is written truncated.
SCENES = [
    ("scene-0", dt.datetime(2019, 4, 2, 2, 10), 200, 0),
    ("scene-1", dt.datetime(2019, 9, 14, 2, 10), 220, 1),
    ("scene-2", dt.datetime(2020, 5, 8, 2, 10), 240, 2),
    ("scene-3", dt.datetime(2020, 10, 30, 2, 10), 250, 3),
    ("scene-4", dt.datetime(2021, 6, 3, 2, 10), 280, 4),
    ("scene-5", dt.datetime(2022, 3, 21, 2, 10), 300, 5),
]
CORRUPT = "scene-3"
EO_BANDS = [("B02", "blue"), ("B03", "green"), ("B04", "red"), ("B08", "nir"), ("B11", "swir16")]


def iou(a: BaseGeometry, b: BaseGeometry) -> float:
    ua, ub = to_utm(a, UTM), to_utm(b, UTM)
    return float(ua.intersection(ub).area / ua.union(ub).area)


def _item(item_id: str, when: dt.datetime, href: str, **kw: object) -> object:
    from pystac.extensions.eo import Band, EOExtension

    item = pystac.Item(id=item_id, geometry=None, bbox=None, datetime=when, properties={}, **kw)
    item.add_asset(
        "image", pystac.Asset(href=href, media_type=pystac.MediaType.GEOTIFF, roles=["data"])
    )
    EOExtension.ext(item.assets["image"], add_if_missing=True).bands = [
        Band.create(name=n, common_name=c) for n, c in EO_BANDS
    ]
    return item


def _save(cat: object, folder: Path) -> Path:
    cat.normalize_hrefs(str(folder))  # type: ignore[attr-defined]
    cat.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)  # type: ignore[attr-defined]
    return folder / "catalog.json"


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, BaseGeometry]]:
    """A self-contained STAC catalog of 6 scenes (each beside its item, relative hrefs), one
    truncated; and the truth of each good scene by epoch."""
    root = tmp_path_factory.mktemp("stac") / "cat"
    cat = pystac.Catalog(id="kaesong-scenes", description="generated Sentinel-2 scenes")
    truths: dict[str, BaseGeometry] = {}
    for item_id, when, size, seed in SCENES:
        (root / item_id).mkdir(parents=True)
        tif = root / item_id / f"{item_id}.tif"
        truth = write_scene_file(tif, "sentinel2", size=size, seed=seed, tile_px=128)
        if item_id == CORRUPT:
            tif.write_bytes(tif.read_bytes()[:3000])
        else:
            truths[when.date().isoformat()] = truth
        cat.add_item(_item(item_id, when, f"./{item_id}.tif"))
    return _save(cat, root), truths


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a 2-worker LocalCluster (processes, one thread each)."""
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit="1GiB",
        dashboard_address=":0",
        silence_logs=logging.CRITICAL,
        local_directory=str(tmp_path_factory.mktemp("dask")),
    ) as cluster:
        yield cluster.scheduler_address


def _footprints(ws: Path) -> dict[str, BaseGeometry]:
    out = {}
    for path in sorted((ws / "boundaries").glob("20[12]*.geojson")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert {f["properties"]["method"] for f in doc["features"]} == {"extracted"}
        out[path.stem] = shapely.union_all([shape(f["geometry"]) for f in doc["features"]])
    return out


def _check_added(ws: Path, truths: dict[str, BaseGeometry]) -> None:
    found = _footprints(ws)
    assert sorted(found) == sorted(truths)
    for date, geom in found.items():
        assert iou(geom, truths[date]) >= 0.85, date
    listed = {e.label: e for e in list_epochs(ws)}
    for date in truths:
        assert listed[date].methods == ("extracted",)


def test_a_series_on_a_named_scheduler(cli, series, scheduler: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    catalog, truths = series
    ws = make_workspace(tmp_path / "ws")
    args = ["extract-series", str(catalog), "--data-dir", str(ws), "--scheduler", scheduler]
    r = cli(*args, "--workers", "2", "--format", "json")
    assert r.code == 1, r.err
    doc = json.loads(r.out)
    assert doc["cluster"] == scheduler and doc["workers"] == 2
    assert (doc["added"], doc["skipped"], doc["failed"]) == (5, 0, 1)
    by_id = {s["id"]: s for s in doc["scenes"]}
    assert [s["id"] for s in doc["scenes"]] == [s[0] for s in SCENES]  # the catalog's order
    bad = by_id[CORRUPT]
    assert bad["status"] == "failed" and bad["epoch"] == "2020-10-30"
    assert f"{CORRUPT}.tif" in bad["message"] and "\n" not in bad["message"]
    assert all(s["area_m2"] > 1e5 for s in doc["scenes"] if s["status"] == "added")
    # the failure on standard error: one line naming the item, its day and the file
    errors = [line for line in r.err.splitlines() if "error" in line]
    assert errors == [f"kaesong-geo: error: scene {CORRUPT} (2020-10-30): {bad['message']}"]
    _check_added(ws, truths)
    assert (ws / "imagery" / "2019-04-02-scene-0.tif").is_file()  # the scene, clipped
    assert cli("validate", "--data-dir", str(ws)).code == 0

    # again: the epochs are there already, so nothing changes (the corrupt scene still fails)
    before = tree_digest(ws)
    r = cli(*args)
    assert r.code == 1
    assert tree_digest(ws) == before
    assert r.out.count("already in the workspace (--replace to extract it again)") == 5
    assert "5 skipped, 1 failed" in r.out

    # --replace: the footprints are extracted again and replaced, the images kept
    r = cli(*args, "--replace", "--format", "json")
    assert r.code == 1, r.err
    doc = json.loads(r.out)
    assert [s["replaced"] for s in doc["scenes"]] == [True, True, True, False, True, True]
    after = tree_digest(ws)
    assert {k for k in after if after[k] != before.get(k)} <= {
        f"boundaries/{d}.geojson" for d in truths
    }
    assert {k for k in after if k.startswith("imagery/")} == {
        k for k in before if k.startswith("imagery/")
    }
    _check_added(ws, truths)
    assert cli("validate", "--data-dir", str(ws)).code == 0
    for date in truths:  # each replaced footprint still names the image it was drawn from
        doc = json.loads((ws / "boundaries" / f"{date}.geojson").read_text())
        assert doc["features"][0]["properties"].get("imagery"), date


def test_a_series_on_a_local_cluster(cli, series, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    catalog, truths = series
    ws = make_workspace(tmp_path / "ws")
    imagery = tree_digest(ws / "imagery")
    r = cli("extract-series", str(catalog.parent), "--data-dir", str(ws), "--workers", "2",
            "--no-imagery")  # fmt: skip
    assert r.code == 1, r.err
    assert "on local cluster (2 workers)" in r.out
    assert "5 added, 0 skipped, 1 failed" in r.out
    rows = {line.split()[2]: line.split() for line in r.out.splitlines() if "  scene-" in line}
    assert [rows[i][0] for i, *_ in SCENES] == ["added"] * 3 + ["failed"] + ["added"] * 2
    assert rows["scene-0"][1] == "2019-04-02"
    (line,) = r.err.splitlines()  # no log of the cluster, no bar (not a terminal)
    assert line.startswith(f"kaesong-geo: error: scene {CORRUPT} (2020-10-30): ")
    _check_added(ws, truths)
    # --no-imagery: the footprints only, each scene named in a catalogue row without a file
    assert {k for k in tree_digest(ws / "imagery") if k != "catalog.csv"} == set(imagery) - {
        "catalog.csv"
    }
    with open(ws / "imagery" / "catalog.csv", encoding="utf-8", newline="") as fh:
        rows = {row["date"]: row for row in csv.DictReader(fh) if row["date"] in truths}
    assert sorted(rows) == sorted(truths)
    for item_id, when, *_ in SCENES:
        date = when.date().isoformat()
        if item_id == CORRUPT:
            continue
        row = rows[date]
        scene = catalog.parent / item_id / f"{item_id}.tif"
        assert row["file"] == "" and row["id"] == f"{date}-{item_id}"
        assert row["source"] == f"{scene} (STAC item {item_id} of {catalog.parent.name})"
        assert "not kept in the workspace (--no-imagery)" in row["note"]
        doc = json.loads((ws / "boundaries" / f"{date}.geojson").read_text(encoding="utf-8"))
        assert doc["features"][0]["properties"]["imagery"] == row["id"]
    checked = cli("validate", "--data-dir", str(ws), "--strict")
    assert checked.code == 0, checked.out + checked.err


def _fields_only(path: Path) -> None:
    """A Sentinel-2-like scene of fields and noise at the site: nothing built-up in it."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(7)
    field = np.array([0.04, 0.09, 0.05, 0.36, 0.18], dtype="float32")[:, None, None]
    bands = field + rng.normal(0, 0.01, size=(5, 200, 200)).astype("float32")
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=5,
                       dtype="float32", crs=f"EPSG:{UTM}",
                       transform=from_origin(291_000, 4_202_000, 10, 10)) as dst:  # fmt: skip
        dst.write(bands)


def test_scenes_refused_when_added_are_reported_and_nothing_written(  # type: ignore[no-untyped-def]
    cli, series, scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog, _ = series
    good = str(catalog.parent / "scene-0" / "scene-0.tif")
    _fields_only(tmp_path / "fields.tif")
    cat = pystac.Catalog(id="refused", description="scenes the workspace refuses")
    cat.add_item(_item("future", dt.datetime(2099, 1, 1), good))
    cat.add_item(_item("overlap", dt.datetime(2009, 9, 15), good))  # the workspace has 2009-09
    cat.add_item(_item("fields", dt.datetime(2018, 5, 1), str(tmp_path / "fields.tif")))
    refused = _save(cat, tmp_path / "cat")
    ws = make_workspace(tmp_path / "ws")
    before = tree_digest(ws)
    r = cli("extract-series", str(refused), "--data-dir", str(ws), "--scheduler", scheduler,
            "--format", "json")  # fmt: skip
    assert r.code == 1
    future, overlap, fields = json.loads(r.out)["scenes"]
    assert "DATE '2099-01-01' is in the future" in future["message"]
    assert "DATE 2009-09-15 overlaps epoch 2009-09" in overlap["message"]
    assert fields["message"] == (
        "fields.tif: no built-up area found within the site (index ndbi-ndvi, threshold "
        f"{fields['message'].split('threshold ')[1].split(')')[0]}); is the site in the scene?"
    )
    assert {s["status"] for s in (future, overlap, fields)} == {"failed"}
    assert r.err.count("kaesong-geo: error: scene ") == 3
    assert tree_digest(ws) == before
    # the library, with a progress bar: on standard error, never on standard output
    result = extract_series(refused, ws, scheduler=scheduler, progress=True)
    assert [s.status for s in result.scenes] == ["failed"] * 3 and not result.ok
    out, err = capsys.readouterr()
    assert out == "" and "scenes: 100%" in err and "3/3" in err
    assert tree_digest(ws) == before


def _stack(path: Path, seed: int, names: tuple[str, ...] | None = None) -> None:
    """A Sentinel-2 scene (B02 B03 B04 B08 B11) as a stack written without band names (as
    gdal_merge -separate leaves it), or with ``names`` as its band descriptions."""
    import rasterio

    from tests.synthetic_scenes import make_scene

    bands, transform, crs, _, _ = make_scene("sentinel2", size=200, seed=seed)
    with rasterio.open(path, "w", driver="GTiff", width=200, height=200, count=5,
                       dtype="float32", crs=crs, transform=transform) as dst:  # fmt: skip
        dst.write(bands)
        if names:
            dst.descriptions = names


def _unnamed_item(item_id: str, when: dt.datetime, href: str) -> object:
    """An item whose asset has no eo:bands."""
    item = pystac.Item(id=item_id, geometry=None, bbox=None, datetime=when, properties={})
    item.add_asset(
        "image", pystac.Asset(href=href, media_type=pystac.MediaType.GEOTIFF, roles=["data"])
    )
    return item


def _bands_in(ws: Path, date: str) -> str:
    """The band names an epoch's footprint says it was extracted with."""
    doc = json.loads((ws / "boundaries" / f"{date}.geojson").read_text(encoding="utf-8"))
    return str(doc["features"][0]["properties"]["source"]).split(", bands ")[1].split(")")[0]


def test_bands_name_the_scenes_that_stac_and_the_file_leave_unnamed(  # type: ignore[no-untyped-def]
    cli, scheduler: str, tmp_path: Path
) -> None:
    for name, seed in (("bare", 0), ("described", 1), ("eo", 2)):
        _stack(tmp_path / f"{name}.tif", seed, ("B02", "B03", "B04", "B08", "B11")
               if name == "described" else None)  # fmt: skip
    lone = pystac.Catalog(id="lone", description="one stack without band names")
    lone.add_item(_unnamed_item("bare", dt.datetime(2019, 4, 2), str(tmp_path / "bare.tif")))
    lone_catalog = _save(lone, tmp_path / "lone")
    ws = make_workspace(tmp_path / "ws")
    before = tree_digest(ws)
    # unnamed by STAC and by the file: the item is named with both ways to fix it
    r = cli("extract-series", str(lone_catalog), "--data-dir", str(ws), "--scheduler", scheduler)
    assert r.code == 1
    (line,) = r.err.splitlines()
    assert line == (
        f"kaesong-geo: error: scene bare (2019-04-02): {tmp_path / 'bare.tif'}: has 5 bands and "
        "no band names in STAC item bare (eo:bands) or in the file (band descriptions): name "
        "them in the item's asset (eo:bands), or give extract-series --bands NAMES for every "
        "scene without them (e.g. --bands B02,B03,B04,B08,B11)"
    )
    assert "0 added, 0 skipped, 1 failed" in r.out
    assert tree_digest(ws) == before

    # --bands names that one; the file's descriptions and the item's eo:bands win elsewhere
    cat = pystac.Catalog(id="mixed", description="stacks named three ways")
    cat.add_item(_unnamed_item("bare", dt.datetime(2019, 4, 2), str(tmp_path / "bare.tif")))
    cat.add_item(
        _unnamed_item("described", dt.datetime(2020, 5, 8), str(tmp_path / "described.tif"))
    )
    cat.add_item(_item("eo", dt.datetime(2021, 6, 3), str(tmp_path / "eo.tif")))
    catalog = _save(cat, tmp_path / "mixed")
    args = ["extract-series", str(catalog), "--data-dir", str(ws), "--scheduler", scheduler]
    # one name too few: said, for that scene only
    r = cli(*args, "--bands", "B02,B03,B04,B08", "--format", "json")
    assert r.code == 1
    bare, described, eo = json.loads(r.out)["scenes"]
    assert (bare["status"], described["status"], eo["status"]) == ("failed", "added", "added")
    assert bare["message"] == (
        f"{tmp_path / 'bare.tif'}: has 5 bands and no band names in STAC item bare (eo:bands) "
        "or in the file (band descriptions), and --bands gives 4 names (B02, B03, B04, B08): "
        "give one name per band, or name them in the item's eo:bands"
    )
    assert _bands_in(ws, "2020-05-08") == "B02, B03, B04, B08, B11"
    assert _bands_in(ws, "2021-06-03") == "blue, green, red, nir, swir16"
    r = cli(*args, "--bands", "blue, green, red, nir, swir16")
    assert r.code == 0, r.err
    assert "1 added, 2 skipped, 0 failed" in r.out
    assert _bands_in(ws, "2019-04-02") == "blue, green, red, nir, swir16"
    assert cli("validate", "--data-dir", str(ws)).code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"{not json", "is not JSON (line 1): not a STAC catalog"),
        (b'{"type": "FeatureCollection", "features": []}', "is not a STAC catalog, collection"),
        (
            b'{"type": "Catalog", "stac_version": "1.1.0", "id": "x"}',
            "is not a readable STAC catalog: no field 'links'",
        ),
        (
            b'{"type": "Catalog", "stac_version": "1.1.0", "id": "x", "description": "d", '
            b'"links": [{"rel": "item", "href": "./gone/gone.json"}]}',
            "is not a readable STAC catalog: HREF: '",
        ),
        (
            b'{"type": "Catalog", "stac_version": "1.1.0", "id": "x", "description": "d", '
            b'"links": []}',
            "has no items: a series needs at least one scene",
        ),
    ],
    ids=["missing", "not-json", "not-stac", "no-links", "broken-link", "no-items"],
)
def test_a_bad_catalog_is_refused_naming_it(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path, content: bytes | None, message: str
) -> None:
    ws = make_workspace(tmp_path / "ws")
    before = tree_digest(ws)
    catalog = tmp_path / "catalog.json"
    if content is not None:
        catalog.write_bytes(content)
    r = cli("extract-series", str(catalog), "--data-dir", str(ws))
    assert r.code == 1
    assert r.out == ""
    assert r.err.startswith(f"kaesong-geo: error: {catalog}: {message}")
    assert len(r.err.splitlines()) == 1
    assert tree_digest(ws) == before


def test_items_that_cannot_be_extracted_are_reported_without_a_cluster(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path
) -> None:
    cat = pystac.Catalog(id="remote", description="scenes on the web")
    cat.add_item(_item("web", dt.datetime(2021, 5, 1), "https://example.com/s2.tif"))
    several = _item("bands", dt.datetime(2021, 6, 1), "./red.tif")
    several.add_asset("nir", pystac.Asset(href="./nir.tif", roles=["data"]))  # type: ignore[attr-defined]
    cat.add_item(several)
    catalog = _save(cat, tmp_path / "cat")
    ws = make_workspace(tmp_path / "ws")
    before = tree_digest(ws)
    r = cli("extract-series", str(catalog), "--data-dir", str(ws), "--format", "json")
    assert r.code == 1
    doc = json.loads(r.out)
    assert doc["workers"] == 0 and doc["cluster"] is None  # no cluster was started
    web, bands = doc["scenes"]
    assert web["message"].startswith("asset image is remote (https://example.com/s2.tif)")
    assert "no network" in web["message"]
    # several data assets are stacked, but only from files that are there
    assert (
        bands["message"]
        == f"asset image (red): {catalog.parent / 'bands' / 'red.tif'} is not a file"
    )
    assert r.err.count("kaesong-geo: error: scene ") == 2
    assert tree_digest(ws) == before


def test_read_stac_scenes_dates_bands_and_paths(tmp_path: Path) -> None:
    col = pystac.Collection(
        id="c",
        description="d",
        extent=pystac.Extent(
            pystac.SpatialExtent([[126.5, 37.8, 126.8, 38.0]]),
            pystac.TemporalExtent([[dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), None]]),
        ),
    )
    # a range (no datetime), late in the day east of UTC: the day is the UTC one
    start = dt.datetime(2020, 7, 2, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    item = pystac.Item(
        id="ranged",
        geometry=None,
        bbox=None,
        datetime=None,
        properties={},
        start_datetime=start,
        end_datetime=start + dt.timedelta(hours=1),
    )
    item.add_asset("thumb", pystac.Asset(href="t.png", media_type="image/png", roles=["thumbnail"]))
    item.add_asset("scene", pystac.Asset(href=str(tmp_path / "s.tif"), media_type="image/tiff"))
    item.properties["eo:bands"] = [{"name": "b1", "common_name": "red"}, {"name": "b2"}]
    col.add_item(item)
    col.normalize_hrefs(str(tmp_path / "col"))
    col.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    (scene,) = read_stac_scenes(tmp_path / "col")  # the folder: its collection.json
    assert scene == CatalogScene("ranged", "2020-07-01", tmp_path / "s.tif", ("red", "b2"),
                                 asset="scene")  # fmt: skip


def test_plan_skips_existing_epochs_and_refuses_a_second_scene_of_a_day() -> None:
    a = CatalogScene("a", "2021-05-01", Path("/x/a.tif"))
    b = CatalogScene("b", "2021-05-01", Path("/x/b.tif"))
    c = CatalogScene("c", "2021-06-01", Path("/x/c.tif"))
    d = CatalogScene("d", None, None, problem="no datetime nor start_datetime")
    decided, todo = _plan([a, b, c, d], existing={"2021-06-01"}, replace=False)
    assert todo == [0]
    assert decided[1].status == "failed" and "same day as item a" in decided[1].message
    assert decided[2].status == "skipped"
    assert decided[3].message == "no datetime nor start_datetime"
    assert _plan([a, c], existing={"2021-06-01"}, replace=True)[1] == [0, 1]


def test_scheduler_errors(cli, series, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    catalog, _ = series
    ws = make_workspace(tmp_path / "ws")
    before = tree_digest(ws)
    base = ["extract-series", str(catalog), "--data-dir", str(ws)]
    r = cli(*base, "--scheduler", "localhost")
    assert r.code == 2
    assert r.err.startswith("kaesong-geo: error: --scheduler localhost: missing port number")
    r = cli(*base, "--scheduler", "tcp://127.0.0.1:9", "--timeout", "0.5")
    assert r.code == 1
    assert r.err.startswith(
        "kaesong-geo: error: cannot reach the Dask scheduler at tcp://127.0.0.1:9 within 0.5 s"
    )
    assert len(r.err.splitlines()) == 1
    assert tree_digest(ws) == before


def test_usage_errors_and_a_missing_dependency(  # type: ignore[no-untyped-def]
    cli, series, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog, _ = series
    r = cli("extract-series", str(catalog))  # the bundled data
    assert r.code == 2 and "bundled data" in r.err
    r = cli("extract-series", str(catalog), "--data-dir", str(tmp_path / "nowhere"))
    assert r.code == 2 and "does not exist" in r.err
    assert cli("extract-series", str(catalog), "--workers", "0").code == 2
    ws = make_workspace(tmp_path / "ws")
    monkeypatch.setitem(sys.modules, "distributed", None)
    r = cli("extract-series", str(catalog), "--data-dir", str(ws))
    assert r.code == 1
    assert r.err == (
        "kaesong-geo: error: extract-series needs the Python package 'distributed', which is "
        'not installed (pip install "kaesong-geo[scale]")\n'
    )


def test_a_catalog_that_moved_keeps_working(series, tmp_path: Path) -> None:
    """Relative hrefs: a copied self-contained catalog points at its own copies."""
    catalog, _ = series
    copy = tmp_path / "copy"
    shutil.copytree(catalog.parent, copy)
    scenes = read_stac_scenes(copy / "catalog.json")
    assert [s.path for s in scenes] == [copy / i / f"{i}.tif" for i, *_ in SCENES]
    assert {s.band_names for s in scenes} == {tuple(c for _, c in EO_BANDS)}
    assert [s.date for s in scenes] == [w.date().isoformat() for _, w, *_ in SCENES]


@given(st.text(), st.sampled_from([Exception, ValueError, OSError, DataError]))
def test_a_failure_is_always_one_line(text: str, kind: type[Exception]) -> None:
    for exc in (kind(text), Exception(f"RasterioIOError({text!r})")):
        reason = failure_reason(exc)
        assert reason and len(reason.splitlines()) == 1
        assert " ".join(text.split()) in reason


def test_images_made_on_the_workers_are_those_epochs_add_makes(  # type: ignore[no-untyped-def]
    cli, series, scheduler: str, tmp_path: Path
) -> None:
    """The COG a worker clips is byte for byte the one ``epochs add --imagery`` writes."""
    catalog, _ = series
    ws = make_workspace(tmp_path / "ws")
    r = cli("extract-series", str(catalog), "--data-dir", str(ws), "--scheduler", scheduler)
    assert r.code == 1 and "5 added, 0 skipped, 1 failed" in r.out
    with open(ws / "imagery" / "catalog.csv", encoding="utf-8", newline="") as fh:
        rows = {row["date"]: row for row in csv.DictReader(fh) if row["file"]}
    assert len(rows) == 5
    for item_id, when, *_ in SCENES:
        date = when.date().isoformat()
        if item_id == CORRUPT:
            continue
        row = rows[date]
        assert row["file"] == f"{date}-{item_id}.tif"
        assert row["source"] == f"{item_id}.tif (STAC item {item_id} of catalog.json)"
        # the same epoch, by hand, into a workspace as the series found it
        by_hand = make_workspace(tmp_path / f"by-hand-{item_id}")
        fp = tmp_path / f"{item_id}.geojson"
        shutil.copy(ws / "boundaries" / f"{date}.geojson", fp)
        r = cli("epochs", "add", date, "--data-dir", str(by_hand), "--footprint", str(fp),
                "--imagery", str(catalog.parent / item_id / f"{item_id}.tif"),
                "--image-source", row["source"], "--source", "by hand")  # fmt: skip
        assert r.code == 0, r.err
        made = (by_hand / "imagery" / row["file"]).read_bytes()
        assert (ws / "imagery" / row["file"]).read_bytes() == made, item_id
        with open(by_hand / "imagery" / "catalog.csv", encoding="utf-8", newline="") as fh:
            (hand_row,) = [x for x in csv.DictReader(fh) if x["date"] == date]
        assert hand_row == row


def test_gdal_encodes_with_the_workers_threads(scheduler: str) -> None:
    # a worker of one thread clips with one GDAL thread, not every CPU of the machine (several
    # workers would oversubscribe it); outside a worker, every CPU
    from kaesong_geo.io.scene import cog_options

    with distributed.Client(scheduler) as client:
        on_worker = client.submit(cog_options, pure=False).result()
    assert on_worker["NUM_THREADS"] == "1"
    assert cog_options()["NUM_THREADS"] == "ALL_CPUS"
    assert {k: v for k, v in on_worker.items() if k != "NUM_THREADS"} == {
        k: v for k, v in cog_options().items() if k != "NUM_THREADS"
    }


def _sigint_blocked() -> bool:
    import signal

    return signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])


def _sigint_default() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def terminal_sigint() -> Iterator[None]:
    """SIGINT handled as in a terminal, even when the tests run where it is ignored.

    A shell's background job (a CI runner may start the tests so) inherits SIGINT ignored,
    and the command then rightly leaves it alone: these tests are about Ctrl-C in a terminal.
    """
    import signal

    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


@pytest.mark.usefixtures("terminal_sigint")
def test_local_workers_leave_ctrl_c_to_the_command() -> None:
    # Ctrl-C reaches every process of the terminal's group: the local cluster's workers start
    # with SIGINT blocked (else each printed a traceback), the command handles it; its handler
    # and signal mask are put back
    import signal

    from kaesong_geo.io.series import _local_client

    before = signal.getsignal(signal.SIGINT)
    with _local_client(2) as client:
        blocked = client.run(_sigint_blocked)
        assert signal.getsignal(signal.SIGINT) is before and not _sigint_blocked()
    assert list(blocked.values()) == [True, True]


@pytest.mark.usefixtures("terminal_sigint")
def test_ctrl_c_while_the_local_cluster_starts_is_raised_once_it_is_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # it was lost (SIGINT ignored meanwhile): the series went on and wrote the workspace
    import os
    import signal

    from kaesong_geo.io import series

    started = []

    class Interrupted(distributed.LocalCluster):  # type: ignore[misc]
        def __init__(self, **kwargs: object) -> None:
            os.kill(os.getpid(), signal.SIGINT)  # as the cluster starts
            super().__init__(**kwargs)
            started.append(self)

    monkeypatch.setattr(distributed, "LocalCluster", Interrupted)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt), series._local_client(1):
        pytest.fail("not interrupted")  # pragma: no cover
    (cluster,) = started  # started whole, then closed
    assert cluster.status.name == "closed" and not cluster.workers
    assert signal.getsignal(signal.SIGINT) is before and not _sigint_blocked()


def test_ctrl_c_in_a_terminal_while_the_cluster_starts(series, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # the whole process group interrupted as the local cluster starts: one line, exit 130,
    # the workspace as it was (no traceback from a worker, no leak warning)
    import os
    import signal
    import subprocess
    import time

    from tests.conftest import kaesong_geo_command

    catalog, _ = series
    ws = make_workspace(tmp_path / "ws")
    before = tree_digest(ws)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "KAESONG_GEO_DATA"}
    env["TMPDIR"] = str(scratch)
    command = kaesong_geo_command("extract-series", str(catalog), "--data-dir", str(ws))
    proc = subprocess.Popen(
        [*command, "--workers", "2"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
        preexec_fn=_sigint_default,  # as a terminal starts it, even from a background job
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not any(scratch.glob("kaesong-geo-dask-*")) and proc.poll() is None:
        assert time.monotonic() < deadline, "the local cluster never started"
        time.sleep(0.005)  # polling for the cluster's scratch folder, not a timing
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert (proc.returncode, out, err) == (130, "", "kaesong-geo: interrupted\n")
    assert tree_digest(ws) == before


def test_items_with_a_file_per_band_are_stacked_on_the_workers(  # type: ignore[no-untyped-def]
    cli, scheduler: str, tmp_path: Path
) -> None:
    # Sentinel-2 as STAC serves it: a file per band (SWIR1 at 20 m), digital numbers scaled
    # by raster:bands, a classification asset that names no band; stacked on the worker
    from tests.synthetic_scenes import make_scene
    from tests.test_stack import _band_item, write_band_files

    cat = pystac.Catalog(id="s2", description="band files")
    truths = {}
    for seed, day in ((0, 14), (1, 24), (2, 30)):
        folder = tmp_path / "tiles" / f"S2B_{day}"
        files = write_band_files(folder, size=400, seed=seed)
        item = _band_item(f"S2B_52SCG_202105{day}", folder, files)
        item.datetime = dt.datetime(2021, 5, day)
        if day == 30:  # digital numbers with no scale anywhere
            for asset in item.assets.values():
                asset.extra_fields.pop("raster:bands", None)
        else:
            truths[f"2021-05-{day}"] = make_scene("sentinel2", size=400, seed=seed)[4]
        cat.add_item(item)
    catalog = _save(cat, tmp_path / "cat")
    ws = make_workspace(tmp_path / "ws")
    args = ["extract-series", str(catalog), "--data-dir", str(ws), "--scheduler", scheduler]
    r = cli(*args, "--format", "json")
    assert r.code == 1, r.err
    doc = json.loads(r.out)
    assert (doc["added"], doc["failed"]) == (2, 1)
    unscaled = doc["scenes"][2]["message"]  # names the item, not the stack (a temporary file)
    item_file = catalog.parent / "S2B_52SCG_20210530" / "S2B_52SCG_20210530.json"
    assert unscaled.startswith(f"{item_file}: red, NIR and SWIR1 must be reflectance in 0..1")
    assert unscaled.endswith(
        "give each band asset a raster:bands scale and offset (Sentinel-2 "
        "L2A from baseline 04.00: scale 0.0001, offset -0.1; Landsat "
        "Collection 2 surface reflectance: scale 0.0000275, offset -0.2)"
    )
    for date, truth in truths.items():
        fp = json.loads((ws / "boundaries" / f"{date}.geojson").read_text(encoding="utf-8"))
        props = fp["features"][0]["properties"]
        assert props["method"] == "extracted"
        assert props["source"].startswith(f"extracted from S2B_52SCG_{date.replace('-', '')}.json")
        assert "bands red, nir, swir16" in props["source"]
        geom = shapely.union_all([shape(f["geometry"]) for f in fp["features"]])
        assert iou(geom, truth) >= 0.85, date
    # the image kept is the stack, clipped: three named, scaled bands on the 10 m grid
    (image,) = sorted((ws / "imagery").glob("2021-05-14-*.tif"))
    with rasterio.open(image) as src:
        assert src.descriptions == ("red", "nir", "swir16") and src.res == (10.0, 10.0)
        assert src.scales == (1e-4, 1e-4, 1e-4)
        assert src.colorinterp[0] == rasterio.enums.ColorInterp.red
    with open(ws / "imagery" / "catalog.csv", newline="", encoding="utf-8") as fh:
        notes = {row["file"]: row["note"] for row in csv.DictReader(fh)}
    assert notes[image.name].startswith(
        "bands of STAC item S2B_52SCG_20210514 stacked and clipped to the site ("
    )
    assert cli("validate", "--data-dir", str(ws), "--strict").code == 0
    r = cli(*args, "--replace")  # the summary says how many of those added replaced one
    assert r.code == 1
    assert r.out.rstrip().endswith("2 added (2 of them replaced), 0 skipped, 1 failed")
    assert not list(Path(tempfile.gettempdir()).glob("kaesong-geo-stack-*/S2B_52SCG_*.vrt"))
