"""``kaesong-geo extract``: a footprint from a scene, to a file and/or an epoch (issue #9 §1)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import rasterio
from affine import Affine
from PIL import Image
from shapely import union_all
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.io.workspace import make_workspace
from kaesong_geo.measure import geodesic_area_m2, to_utm
from tests.synthetic_scenes import make_scene, write_scene_file

from .conftest import run_process, tree_digest

UTM = 32652
EPOCH = "2021-06"
SIZE = {"rgb": 400, "sentinel2": 300}


def iou(a: BaseGeometry, b: BaseGeometry) -> float:
    ua, ub = to_utm(a, UTM), to_utm(b, UTM)
    return float(ua.intersection(ub).area / ua.union(ub).area)


def read_footprint(path: Path) -> tuple[BaseGeometry, dict[str, object]]:
    """The union of a footprint file's polygons and its first feature's properties."""
    frame = pyogrio.read_dataframe(path)
    props = {k: v for k, v in frame.iloc[0].items() if k != "geometry"}
    return union_all(list(frame.geometry)), props


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, BaseGeometry]]:
    """An RGB and a Sentinel-2 scene (GeoTIFF, named bands) with their true footprints."""
    folder = tmp_path_factory.mktemp("scenes")
    out = {}
    for kind, size in SIZE.items():
        path = folder / f"{kind}_{EPOCH}.tif"
        out[kind] = (path, write_scene_file(path, kind, size=size))  # type: ignore[arg-type]
    return out


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


# -- what it finds ------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".kml"])
@pytest.mark.parametrize("kind", ["rgb", "sentinel2"])
def test_the_output_file_matches_the_truth(
    cli, scenes, tmp_path: Path, kind: str, suffix: str
) -> None:
    scene, truth = scenes[kind]
    out = tmp_path / f"zone{suffix}"
    r = cli("extract", str(scene), "--output", str(out))
    assert r.code == 0, r.err
    geom, props = read_footprint(out)
    assert iou(geom, truth) >= 0.85
    assert props["method"] == "extracted"
    assert str(props["source"]).startswith(f"extracted from {scene.name} (")
    index = "rgb-texture" if kind == "rgb" else "ndbi-ndvi"
    assert f"index      {index}, Otsu threshold " in r.out
    pixel = "4 m" if kind == "rgb" else "10 m"
    assert f"{pixel} pixels" in r.out
    area_km2 = geodesic_area_m2(geom) / 1e6
    assert f"1 polygon, {area_km2:,.3f} km² (geodesic, WGS 84)" in r.out
    assert f"wrote {out} (" in r.err


def test_json_summary_has_the_figures(cli, scenes, tmp_path: Path) -> None:
    scene, _ = scenes["sentinel2"]
    out = tmp_path / "zone.geojson"
    r = cli("extract", str(scene), "-o", str(out), "--format", "json", "--min-patch-m2", "8000")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    geom, _ = read_footprint(out)
    assert data["index"] == "ndbi-ndvi"
    assert data["pixel_m"] == 10.0
    assert data["parts"] == len(getattr(geom, "geoms", [geom]))
    assert data["area_m2"] == pytest.approx(geodesic_area_m2(geom), abs=1)
    assert data["parameters"]["min_patch_m2"] == 8000.0
    assert data["output"] == str(out) and data["epoch"] is None
    assert data["warnings"] == []  # a clean scene: nothing suspect
    assert data["threshold"] == pytest.approx(data["parameters"]["threshold"])


def test_bands_name_a_file_without_band_names(cli, tmp_path: Path) -> None:
    bands, transform, crs, names, truth = make_scene("sentinel2", size=300)
    scene = _tif(tmp_path / "unnamed.tif", bands, transform, crs)
    out = tmp_path / "zone.geojson"
    r = cli("extract", str(scene), "--bands", ",".join(names), "-o", str(out))
    assert r.code == 0, r.err
    assert iou(read_footprint(out)[0], truth) >= 0.85


# -- as an epoch ----------------------------------------------------------------------------------
def test_epoch_is_added_and_accepted_by_growth_list_and_validate(
    cli, scenes, ws: Path, tmp_path: Path
) -> None:
    scene, truth = scenes["sentinel2"]
    out = tmp_path / "zone.kml"
    r = cli("extract", str(scene), "--epoch", EPOCH, "--data-dir", str(ws), "-o", str(out))
    assert r.code == 0, r.err
    assert f"added epoch {EPOCH} in {ws}" in r.out
    assert "  scene      imagery/" in r.out  # the scene, clipped, as the epoch's image
    assert f", extracted from {EPOCH}-{scene.stem}\n" in r.out and "--traced-on" not in r.out
    fp = json.loads((ws / "boundaries" / f"{EPOCH}.geojson").read_text())
    props = fp["features"][0]["properties"]
    assert props["method"] == "extracted" and props["uncertainty_m"] == 10.0
    assert scene.name in props["source"] and "ndbi-ndvi index" in props["source"]
    assert iou(shape(fp["features"][0]["geometry"]), truth) >= 0.85
    assert read_footprint(out)[1]["epoch"] == EPOCH  # the file names the epoch too

    listed = cli("epochs", "list", "--data-dir", str(ws), "--format", "json")
    assert listed.code == 0, listed.err
    row = next(e for e in json.loads(listed.out) if e["epoch"] == EPOCH)
    assert row["methods"] == ["extracted"]
    assert any(scene.name in s for s in row["sources"])
    assert len(row["imagery"]) == 1
    growth = cli("growth", "--data-dir", str(ws), "--format", "json")
    assert growth.code == 0, growth.err
    assert EPOCH in growth.out
    checked = cli("validate", "--data-dir", str(ws))
    assert checked.code == 0, checked.out + checked.err


def test_no_imagery_adds_the_footprint_only(cli, scenes, ws: Path) -> None:
    scene, _ = scenes["rgb"]
    r = cli(
        "extract", str(scene), "--epoch", EPOCH, "--data-dir", str(ws), "--no-imagery",
        "--format", "json",
    )  # fmt: skip
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["epoch"] == EPOCH and data["imagery"] == [] and data["output"] is None
    assert data["footprint_file"] == f"boundaries/{EPOCH}.geojson"
    assert not any(p.suffix == ".tif" for p in (ws / "imagery").iterdir())  # no image kept
    # ... but the catalogue names the scene, without a file, and the footprint names that row
    with open(ws / "imagery" / "catalog.csv", encoding="utf-8", newline="") as fh:
        (row,) = [r for r in csv.DictReader(fh) if r["date"] == EPOCH]
    assert row["file"] == "" and row["source"] == str(scene.absolute())
    assert row["note"].startswith(f"scene {scene.name} not kept in the workspace (--no-imagery)")
    assert row["resolution_m"] == "4" and row["id"] == f"{EPOCH}-{scene.stem}"
    fp = json.loads((ws / "boundaries" / f"{EPOCH}.geojson").read_text())
    assert fp["features"][0]["properties"]["imagery"] == row["id"]
    checked = cli("validate", "--data-dir", str(ws), "--strict")
    assert checked.code == 0, checked.out + checked.err
    assert "0 errors, 0 warnings" in checked.out
    # the table says so
    again = cli("extract", str(scene), "--epoch", EPOCH, "--data-dir", str(ws), "--no-imagery",
                "--replace")  # fmt: skip
    assert again.code == 0, again.err
    assert f"extracted from {row['id']}\n" in again.out  # the footprint still names the row
    with open(ws / "imagery" / "catalog.csv", encoding="utf-8", newline="") as fh:
        assert [r for r in csv.DictReader(fh) if r["date"] == EPOCH] == [row]  # not twice


def test_footprint_only_epochs_add_still_asks_for_its_imagery(cli, scenes, ws: Path) -> None:
    # without a scene to name, 'epochs add --footprint' records no imagery: validate says so
    scene, _ = scenes["rgb"]
    out = ws.parent / "zone.geojson"
    assert cli("extract", str(scene), "-o", str(out)).code == 0
    assert cli("epochs", "add", EPOCH, "--footprint", str(out), "--data-dir", str(ws)).code == 0
    checked = cli("validate", "--data-dir", str(ws), "--strict")
    assert checked.code == 1
    assert f"epoch {EPOCH} has no entry (say which imagery it comes from)" in checked.out


def test_the_workspace_image_keeps_scales_and_band_names(cli, ws: Path, tmp_path: Path) -> None:
    # a Sentinel-2 L2A-like scene (uint16 digital numbers, scale 1e-4, bands named): its clip in
    # imagery/ means the same, so it can be extracted again as it is, with the same result
    scene = tmp_path / "s2_dn.tif"
    truth = write_scene_file(scene, "sentinel2", size=300, dtype="uint16")
    r = cli("extract", str(scene), "--epoch", EPOCH, "--data-dir", str(ws), "--format", "json")
    assert r.code == 0, r.err
    (image,) = json.loads(r.out)["imagery"]
    clip = ws / image
    with rasterio.open(scene) as src, rasterio.open(clip) as out:
        assert out.dtypes == src.dtypes == ("uint16",) * 5
        assert out.descriptions == src.descriptions == ("B02", "B03", "B04", "B08", "B11")
        assert out.scales == src.scales == (1e-4,) * 5
        assert out.offsets == src.offsets
        assert out.colorinterp == src.colorinterp
    out_file = tmp_path / "again.geojson"
    again = cli("extract", str(clip), "-o", str(out_file))
    assert again.code == 0, again.err
    assert "bands B02, B03, B04, B08, B11" in again.out
    first = shape(json.loads((ws / "boundaries" / f"{EPOCH}.geojson").read_text())
                  ["features"][0]["geometry"])  # fmt: skip
    assert iou(read_footprint(out_file)[0], first) >= 0.99
    assert iou(read_footprint(out_file)[0], truth) >= 0.85


def test_an_existing_epoch_needs_replace(cli, scenes, ws: Path) -> None:
    rgb, _ = scenes["rgb"]
    s2, _ = scenes["sentinel2"]
    assert cli("extract", str(rgb), "--epoch", EPOCH, "--data-dir", str(ws)).code == 0
    before = tree_digest(ws)
    r = cli("extract", str(s2), "--epoch", EPOCH, "--data-dir", str(ws))
    assert r.code == 2
    assert f"epoch {EPOCH} exists ({EPOCH}.geojson); give --replace" in r.err
    assert tree_digest(ws) == before
    r = cli(
        "extract", str(s2), "--epoch", EPOCH, "--data-dir", str(ws), "--replace", "--no-imagery"
    )
    assert r.code == 0, r.err
    assert f"replaced epoch {EPOCH}" in r.out
    source = json.loads((ws / "boundaries" / f"{EPOCH}.geojson").read_text())
    assert s2.name in source["features"][0]["properties"]["source"]


def test_a_kml_output_re_imports_with_epochs_add(cli, scenes, ws: Path, tmp_path: Path) -> None:
    scene, truth = scenes["rgb"]
    out = tmp_path / "for-google-earth.kml"
    assert cli("extract", str(scene), "-o", str(out)).code == 0
    text = out.read_text()
    assert "<name>extracted footprint (" in text and "<description>Proposed by" in text
    r = cli("epochs", "add", EPOCH, "--footprint", str(out), "--data-dir", str(ws))
    assert r.code == 0, r.err
    fp = json.loads((ws / "boundaries" / f"{EPOCH}.geojson").read_text())
    props = fp["features"][0]["properties"]
    assert props["method"] == "extracted" and scene.name in props["source"]
    assert props["note"].startswith("Proposed by an unsupervised classification")
    assert iou(shape(fp["features"][0]["geometry"]), truth) >= 0.85


# -- refusals: one line, exit code, nothing written ----------------------------------------------
def _tif(path: Path, bands: np.ndarray, transform: Affine, crs: str, **kw: object) -> Path:
    profile = {"driver": "GTiff", "width": bands.shape[2], "height": bands.shape[1]}
    with rasterio.open(
        path, "w", **profile, count=bands.shape[0], dtype=str(bands.dtype), crs=crs,
        transform=transform, **kw,
    ) as dst:  # fmt: skip
        dst.write(bands)
    return path


def _png(folder: Path) -> Path:
    rgb, *_ = make_scene("rgb", size=120)
    path = folder / "screenshot.png"
    Image.fromarray((np.moveaxis(rgb, 0, -1) * 400).clip(0, 255).astype("uint8")).save(path)
    return path


def _jpeg(folder: Path) -> Path:
    path = folder / "photo.jpg"
    Image.open(_png(folder)).convert("RGB").save(path)
    return path


def _geographic(folder: Path) -> Path:
    bands, *_ = make_scene("sentinel2", size=100)
    path = _tif(
        folder / "wgs84.tif", bands.astype("float32"),
        Affine(0.0001, 0, 126.62, 0, -0.0001, 37.94), "EPSG:4326",
    )  # fmt: skip
    with rasterio.open(path, "r+") as dst:
        dst.descriptions = ("B02", "B03", "B04", "B08", "B11")
    return path


def _unnamed(folder: Path) -> Path:
    bands, transform, crs, *_ = make_scene("sentinel2", size=100)
    return _tif(folder / "unnamed.tif", bands.astype("float32"), transform, crs)


def _one_band(folder: Path) -> Path:
    bands, transform, crs, *_ = make_scene("sentinel2", size=100)
    return _tif(folder / "grey.tif", bands[3:4].astype("float32"), transform, crs)


def _landsat_dn(folder: Path) -> Path:
    bands, transform, crs, names, _ = make_scene("landsat", size=100)
    dn = np.round((bands + 0.2) / 0.0000275).astype("uint16")  # Collection 2 L2, no scales
    path = _tif(folder / "LC08_dn.tif", dn, transform, crs)
    with rasterio.open(path, "r+") as dst:
        dst.descriptions = tuple(names)
    return path


def _far(folder: Path) -> Path:
    bands, transform, crs, names, _ = make_scene("sentinel2", size=100)
    far = Affine(transform.a, 0, transform.c + 60_000, 0, transform.e, transform.f + 60_000)
    path = _tif(folder / "far.tif", bands.astype("float32"), far, crs)
    with rasterio.open(path, "r+") as dst:
        dst.descriptions = tuple(names)
    return path


def _fields_only(folder: Path) -> Path:
    """One field with 5 % noise over the site's point: nothing built-up."""
    _, transform, crs, names, _ = make_scene("sentinel2", size=200)
    rng = np.random.default_rng(0)
    field = np.array([0.04, 0.09, 0.05, 0.36, 0.18])[:, None, None]
    calm = field * (1 + 0.05 * rng.standard_normal((1, 200, 200)))
    path = _tif(folder / "fields.tif", calm.astype("float32"), transform, crs)
    with rasterio.open(path, "r+") as dst:
        dst.descriptions = tuple(names)
    return path


def _scene_of(kind: str) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / f"{kind}.tif"
        write_scene_file(path, kind, size=120)  # type: ignore[arg-type]
        return path

    return make


BAD = [
    ("missing file", lambda d: d / "nope.tif", [], 2, r"nope\.tif: does not exist$"),
    ("png", _png, [], 1, r"screenshot\.png: is not georeferenced \(no CRS\): extract needs"),
    ("jpeg", _jpeg, [], 1, r"photo\.jpg: is not georeferenced"),
    ("geographic", _geographic, [], 1,
     r"wgs84\.tif: is in a geographic CRS \(EPSG:4326, degrees\).*gdalwarp -t_srs EPSG:32652"),
    ("unnamed bands", _unnamed, [], 1,
     r"unnamed\.tif: its 5 bands have no names: name them with --bands"),
    ("one band", _one_band, [], 1,
     r"grey\.tif: has 1 band; the built-up index needs red, NIR and SWIR1, or red, green and "
     r"blue, in one file: stack band files into one first \(kaesong-geo stack "),
    ("one name for 5 bands", _scene_of("sentinel2"), ["--bands", "B04"], 2,
     r"sentinel2\.tif: 1 band name given \(B04\) for 5 bands$"),
    ("wrong --bands", _scene_of("sentinel2"), ["--bands", "B02,B03,B04"], 2,
     r"sentinel2\.tif: 3 band names given \(B02, B03, B04\) for 5 bands"),
    ("landsat DN", _landsat_dn, [], 1,
     r"LC08_dn\.tif: red, NIR and SWIR1 must be reflectance in 0\.\.1, got values up to \d+: "
     r"scale the digital numbers"),
    ("far scene", _far, [], 1, r"far\.tif: covers .* nowhere near the site 'Kaesong"),
    ("nothing built-up", _fields_only, [], 1,
     r"fields\.tif: no built-up area found within the site"),
    ("future epoch", _scene_of("rgb"), ["--epoch", "2099-01"], 2,
     r"--epoch '2099-01' is in the future \(today is "),
    ("bad epoch", _scene_of("rgb"), ["--epoch", "2021-13"], 2, r"--epoch '2021-13': "),
    ("unknown suffix", _scene_of("rgb"), ["-o", "{tmp}/zone.shp"], 2,
     r"zone\.shp: unknown suffix '\.shp': write \.geojson, \.json, \.gpkg, \.kml"),
    ("output folder missing", _scene_of("rgb"), ["-o", "{tmp}/missing/zone.kml"], 2,
     r"zone\.kml: output folder '.*missing' does not exist"),
    ("output folder is a file", _scene_of("rgb"), ["-o", "{tmp}/in/rgb.tif/zone.kml"], 2,
     r"zone\.kml: output folder '.*in/rgb\.tif' is a file, not a folder$"),
    ("neither output nor epoch", _scene_of("rgb"), ["--data-dir", "{ws}"], 2,
     r"nothing to do: give --output FILE, --epoch DATE, or both"),
    ("output in the workspace", _scene_of("rgb"), ["-o", "{ws}/boundaries/z.geojson"], 2,
     r"z\.geojson: is inside the data directory .*: choose another folder"),
    ("replace without epoch", _scene_of("rgb"), ["-o", "{tmp}/z.kml", "--replace"], 2,
     r"--replace describe the epoch added: give --epoch DATE"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("make", "extra", "code", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_input_is_one_line_and_changes_nothing(
    cli, ws: Path, tmp_path: Path, make, extra: list[str], code: int, message: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    scene = make(folder)
    args = [a.format(tmp=tmp_path, ws=ws) for a in extra]
    if "-o" not in args and "--data-dir" not in args:
        args += ["-o", str(tmp_path / "zone.geojson")]
    if "--epoch" not in args and "--data-dir" not in args and "--replace" not in args:
        args += ["--epoch", EPOCH]
    if "--data-dir" not in args:
        args += ["--data-dir", str(ws)]
    before, inputs = tree_digest(ws), tree_digest(folder)
    r = cli("extract", str(scene), *args)
    assert r.code == code, r.err
    assert r.out == ""
    lines = r.err.splitlines()
    assert len(lines) == 1, r.err
    assert lines[0].startswith("kaesong-geo: error: ")
    assert re.search(message, lines[0]), lines[0]
    assert tree_digest(ws) == before
    assert tree_digest(folder) == inputs
    assert not (tmp_path / "zone.geojson").exists()


def test_an_existing_output_is_kept(cli, scenes, tmp_path: Path) -> None:
    scene, _ = scenes["rgb"]
    out = tmp_path / "zone.gpkg"
    out.write_bytes(b"mine")
    r = cli("extract", str(scene), "-o", str(out))
    assert r.code == 2
    assert (
        r.err.strip() == f"kaesong-geo: error: {out}: already exists; use --overwrite to replace it"
    )
    assert out.read_bytes() == b"mine"
    r = cli("extract", str(scene), "-o", str(out), "--overwrite")
    assert r.code == 0, r.err
    assert read_footprint(out)[1]["method"] == "extracted"


def test_epoch_with_the_bundled_data_is_refused(cli, scenes, tmp_path: Path) -> None:
    scene, _ = scenes["rgb"]
    before = tree_digest(bundled_data_dir())
    r = cli("extract", str(scene), "--epoch", EPOCH, "-o", str(tmp_path / "z.geojson"))
    assert r.code == 2
    assert "is the bundled data, which kaesong-geo never changes; make a workspace" in r.err
    assert tree_digest(bundled_data_dir()) == before
    assert not (tmp_path / "z.geojson").exists()


def test_an_overlapping_epoch_is_refused_before_reading(cli, scenes, ws: Path) -> None:
    scene, _ = scenes["rgb"]
    before = tree_digest(ws)
    r = cli("extract", str(scene), "--epoch", "2009-09-14", "--data-dir", str(ws))
    assert r.code == 2, r.err
    assert "--epoch 2009-09-14 overlaps epoch 2009-09 (2009-09-14 lies within 2009-09)" in r.err
    assert tree_digest(ws) == before


def test_a_failed_epoch_writes_no_output_either(cli, scenes, ws: Path, tmp_path: Path) -> None:
    """The scene is already the image of another epoch: refused by add_epoch, after extraction."""
    scene, _ = scenes["rgb"]
    assert cli("extract", str(scene), "--epoch", EPOCH, "--data-dir", str(ws)).code == 0
    out = tmp_path / "zone.geojson"
    before = tree_digest(ws)
    r = cli("extract", str(scene), "--epoch", "2020-06", "--data-dir", str(ws), "-o", str(out))
    assert r.code == 2, r.err
    assert r.err.count("\n") == 1 and "is already in the workspace as imagery/" in r.err
    assert tree_digest(ws) == before
    assert not out.exists()


def test_the_installed_command_exits_with_one_line(scenes, tmp_path: Path) -> None:
    png = _png(tmp_path)
    p = run_process("extract", str(png), "-o", str(tmp_path / "z.kml"))
    assert p.returncode == 1
    assert p.stdout == ""
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr
    assert "is not georeferenced" in p.stderr
    scene, _ = scenes["sentinel2"]
    p = run_process("extract", str(scene), "-o", str(tmp_path / "z.kml"))
    assert p.returncode == 0, p.stderr
    assert "ndbi-ndvi" in p.stdout and (tmp_path / "z.kml").is_file()


# -- the library function ---------------------------------------------------------------------
@pytest.mark.parametrize("name", ["zone.geojson", "zone.JSON", "zone.gpkg", "zone.kml"])
def test_write_extraction_by_suffix_atomically(scenes, tmp_path: Path, name: str) -> None:
    from kaesong_geo.errors import OutputExistsError
    from kaesong_geo.io.extraction_file import write_extraction
    from kaesong_geo.io.scene_extract import extract_scene

    scene, truth = scenes["sentinel2"]
    result = extract_scene(scene)
    out = tmp_path / name
    size = write_extraction(result, out, epoch=EPOCH)
    assert size == out.stat().st_size
    geom, props = read_footprint(out)
    assert props["epoch"] == EPOCH and iou(geom, truth) >= 0.85
    with pytest.raises(OutputExistsError, match="already exists; use --overwrite"):
        write_extraction(result, out)
    assert write_extraction(result, out, overwrite=True) == out.stat().st_size
    assert read_footprint(out)[1].get("epoch") in (None, "")  # no epoch given this time
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary file left


def test_output_inside_another_data_directory_is_refused(cli, scenes, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # no --data-dir (the bundled data): a workspace elsewhere is protected all the same
    scene, _ = scenes["rgb"]
    other = make_workspace(tmp_path / "other")
    before = tree_digest(other)
    r = cli("extract", str(scene), "-o", str(other / "boundaries" / "x.geojson"))
    assert r.code == 2
    assert re.search(r"x\.geojson: is inside the data directory '.*other'", r.err), r.err
    assert tree_digest(other) == before


def test_replace_keeps_the_epochs_image_and_its_link(cli, ws: Path, scenes) -> None:  # type: ignore[no-untyped-def]
    # re-extracting an epoch with other settings (the warning's advice) must not trip over
    # the scene already catalogued, nor drop the footprint's link to it
    scene, _ = scenes["rgb"]
    assert cli("extract", str(scene), "--epoch", EPOCH, "--data-dir", str(ws)).code == 0
    imagery = tree_digest(ws / "imagery")
    for extra in ([], ["--no-imagery"]):
        r = cli("extract", str(scene), "--epoch", EPOCH, "--data-dir", str(ws), "--replace",
                "--opening-m", "12", *extra)  # fmt: skip
        assert r.code == 0, r.err
        doc = json.loads((ws / "boundaries" / f"{EPOCH}.geojson").read_text())
        assert doc["features"][0]["properties"]["imagery"]
        assert tree_digest(ws / "imagery") == imagery
    assert cli("validate", "--data-dir", str(ws)).code == 0
