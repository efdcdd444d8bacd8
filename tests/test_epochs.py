"""``kaesong-geo epochs``: add, list and remove epochs of a workspace, all or nothing."""

from __future__ import annotations

import csv
import json
import math
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import Polygon, shape

from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.io.transaction import TXN_DIR
from kaesong_geo.io.workspace import make_workspace
from kaesong_geo.measure import geodesic_area_m2

from .conftest import kaesong_geo_command, tree_digest

# An irregular outline of 12 vertices north-east of the bundled phase 1 (about 0.9 km²).
RING = [
    (126.6452, 37.9301), (126.6521, 37.9298), (126.6569, 37.9312), (126.6581, 37.9344),
    (126.6560, 37.9371), (126.6512, 37.9380), (126.6488, 37.9369), (126.6461, 37.9372),
    (126.6437, 37.9355), (126.6441, 37.9331), (126.6430, 37.9317), (126.6452, 37.9301),
]  # fmt: skip
UTM52 = "EPSG:32652"
# The scene: 4,000 x 3,000 px at 2 m (8 x 6 km), UTM 52N, over the complex.
SCENE_ORIGIN = (287_000.0, 4_204_000.0)
SCENE_RES = 2.0


def _footprint(path: Path, ring: list[tuple[float, float]] = RING, **props: object) -> Path:
    feature = {
        "type": "Feature",
        "properties": {"name": "Phase 2 works", **props},
        "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
    }
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    return path


def _scene(path: Path, width: int = 4000, height: int = 3000) -> Path:
    """A 3-band UTM 52N GeoTIFF with blocks and roads (structured, not noise)."""
    yy, xx = np.mgrid[0:height, 0:width]
    base = ((xx // 60 + yy // 60) % 2 * 60 + 80).astype(np.uint8)
    roads = ((xx % 400) < 8) | ((yy % 300) < 8)
    bands = np.stack([base, base // 2 + 40, base // 3 + 60])
    bands[:, roads] = 220
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=3,
        dtype="uint8",
        crs=UTM52,
        transform=from_origin(*SCENE_ORIGIN, SCENE_RES, SCENE_RES),
        tiled=True,
        compress="deflate",
    ) as dst:
        dst.write(bands)
    return path


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A workspace: a copy of the bundled data made by init."""
    return make_workspace(tmp_path / "ws")


def _catalog(ws: Path) -> list[dict[str, str]]:
    with open(ws / "imagery" / "catalog.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


# -- refusals that touch nothing ----------------------------------------------------------------
def test_the_bundled_data_is_never_written(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = tree_digest(bundled_data_dir())
    r = cli("epochs", "add", "2013-06", "--footprint", str(_footprint(tmp_path / "f.geojson")))
    assert r.code == 2
    assert "bundled data" in r.err and "kaesong-geo init" in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert tree_digest(bundled_data_dir()) == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["2013-13", "--footprint", "F"], "month must be in 1..12"),
        (["2999-01", "--footprint", "F"], "is in the future"),
        (["0999", "--footprint", "F"], "is before 1900"),
        (["2013-06"], "nothing to add"),
        (["2013-06", "--gcps", "F"], "--image FILE"),
        (["2013-06", "--layer", "x", "--imagery", "F"], "give --footprint"),
        (["2013-06", "--footprint", "missing.geojson"], "does not exist"),
        (["2013-06", "--gcp", "1,2,3"], "PX,PY,LON,LAT"),
        (["2013-06", "--transform", "poly4"], "invalid choice"),
        (["2009-09", "--footprint", "F"], "give --replace"),
    ],
)
def test_bad_usage_exits_2_and_changes_nothing(
    cli, ws: Path, tmp_path: Path, args: list[str], expected: str
) -> None:  # type: ignore[no-untyped-def]
    f = str(_footprint(tmp_path / "f.geojson"))
    args = [f if a == "F" else a for a in args]
    before = tree_digest(ws)
    r = cli("epochs", "add", *args, "--data-dir", str(ws))
    assert r.code == 2, r.err
    assert expected in r.err
    assert "Traceback" not in r.err
    assert tree_digest(ws) == before


# -- footprints ---------------------------------------------------------------------------------
def test_add_a_footprint_and_every_command_picks_it_up(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = _footprint(tmp_path / "traced.geojson")
    r = cli(
        "epochs", "add", "2013-06", "--footprint", str(f), "--data-dir", str(ws),
        "--source", "traced in Google Earth Pro, image of 2013-06-20", "--uncertainty-m", "5",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "added epoch 2013-06" in r.out and "boundaries/2013-06.geojson" in r.out
    truth = geodesic_area_m2(Polygon(RING))
    written = json.loads((ws / "boundaries" / "2013-06.geojson").read_text())
    props = written["features"][0]["properties"]
    assert props["epoch"] == "2013-06" and props["uncertainty_m"] == 5
    assert props["source"].startswith("traced in Google Earth Pro")
    assert math.isclose(
        geodesic_area_m2(shape(written["features"][0]["geometry"])), truth, rel_tol=1e-6
    )

    listing = json.loads(cli("epochs", "list", "--format", "json", "--data-dir", str(ws)).out)
    assert [e["epoch"] for e in listing] == ["2004-04", "2006-01", "2009-09", "2013-06"]
    assert math.isclose(listing[-1]["area_m2"], truth, rel_tol=1e-6)

    growth = cli("growth", "--format", "json", "--data-dir", str(ws))
    assert growth.code == 0, growth.err
    epochs = json.loads(growth.out)["epochs"]
    assert epochs[-1]["epoch"] == "2013-06"
    assert math.isclose(epochs[-1]["area_m2"], truth, rel_tol=1e-6)
    out = tmp_path / "map.html"
    assert cli("map", "--data-dir", str(ws), "--output", str(out)).code == 0
    assert "2013-06" in out.read_text()


def test_replace_swaps_the_footprint_file(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = _footprint(tmp_path / "2009.geojson", source="retraced", method="traced")
    r = cli("epochs", "add", "2009-09", "--footprint", str(f), "--replace", "--data-dir", str(ws))
    assert r.code == 0, r.err
    assert "replaced epoch 2009-09" in r.out
    props = json.loads((ws / "boundaries" / "2009-09.geojson").read_text())["features"][0]
    assert props["properties"]["source"] == "retraced"


def test_a_footprint_beyond_the_site_is_refused_and_nothing_written(
    cli, ws: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    far = [(x + 1.0, y) for x, y in RING]  # 88 km east
    before = tree_digest(ws)
    r = cli(
        "epochs",
        "add",
        "2013-06",
        "--footprint",
        str(_footprint(tmp_path / "far.geojson", far)),
        "--data-dir",
        str(ws),
    )
    assert r.code == 1
    assert "far.geojson" in r.err and "km" in r.err
    assert tree_digest(ws) == before


# -- scenes -------------------------------------------------------------------------------------
def test_add_a_scene_as_cog_with_a_catalogue_row(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scene = _scene(tmp_path / "WV2 scene 2013.tif")
    f = _footprint(tmp_path / "traced.geojson")
    r = cli(
        "epochs", "add", "2013-06-20", "--footprint", str(f), "--imagery", str(scene),
        "--source", "WorldView-2 via a licence", "--licence", "internal use", "--data-dir", str(ws),
    )  # fmt: skip
    assert r.code == 0, r.err
    row = _catalog(ws)[-1]
    assert row["date"] == "2013-06-20" and row["file"].endswith(".tif")
    assert row["id"] and float(row["resolution_m"]) == pytest.approx(2.0, rel=0.01)
    cog = ws / "imagery" / row["file"]
    with rasterio.open(cog) as src:
        assert src.crs.to_epsg() == 32652
        assert src.overviews(1)
        assert src.tags()["LICENCE"] == "internal use"
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
    fp = json.loads((ws / "boundaries" / "2013-06-20.geojson").read_text())["features"][0]
    assert fp["properties"]["imagery"] == row["id"]
    out = tmp_path / "map.html"
    assert cli("map", "--data-dir", str(ws), "--output", str(out)).code == 0
    assert "leaflet-image-layer" in out.read_text() or "data:image/png;base64" in out.read_text()


def test_a_scene_that_misses_the_site_is_refused(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    far = tmp_path / "far.tif"
    with rasterio.open(
        far, "w", driver="GTiff", width=50, height=50, count=1, dtype="uint8",
        crs=UTM52, transform=from_origin(500_000, 4_500_000, 10, 10),
    ) as dst:  # fmt: skip
        dst.write(np.full((1, 50, 50), 7, np.uint8))
    before = tree_digest(ws)
    r = cli("epochs", "add", "2013-06", "--imagery", str(far), "--data-dir", str(ws))
    assert r.code == 1, r.err
    assert "far.tif" in r.err
    assert tree_digest(ws) == before


def test_a_failure_while_writing_the_scene_leaves_the_workspace_as_it_was(
    cli, ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from kaesong_geo.io import scene

    real = scene.write_scene

    def half_then_fail(src: Path, dst: Path, **kw: object) -> object:
        real(src, dst, **kw)  # type: ignore[arg-type]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(scene, "write_scene", half_then_fail)
    before = tree_digest(ws)
    r = cli(
        "epochs", "add", "2013-06", "--imagery", str(_scene(tmp_path / "s.tif")),
        "--footprint", str(_footprint(tmp_path / "f.geojson")), "--data-dir", str(ws),
    )  # fmt: skip
    assert r.code == 1
    assert tree_digest(ws) == before


def test_a_killed_add_is_undone_by_the_next_command(ws: Path, tmp_path: Path) -> None:
    """SIGKILL while the COG is being written; the next command rolls back; then it works."""
    scene = _scene(tmp_path / "big.tif", 6000, 6000)
    f = _footprint(tmp_path / "f.geojson")
    before = tree_digest(ws)
    cmd = kaesong_geo_command(
        "epochs", "add", "2013-06", "--imagery", str(scene), "--footprint", str(f),
        "--data-dir", str(ws),
    )  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any((ws / TXN_DIR).rglob("*.tif")):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert (ws / TXN_DIR).exists()
    listed = subprocess.run(
        kaesong_geo_command("epochs", "list", "--data-dir", str(ws)),
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert tree_digest(ws) == before
    assert "2013-06" not in listed.stdout


# -- remove -------------------------------------------------------------------------------------
def test_remove_lists_then_removes_with_yes(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli(
        "epochs", "add", "2013-06", "--footprint", str(_footprint(tmp_path / "f.geojson")),
        "--imagery", str(_scene(tmp_path / "s.tif")), "--data-dir", str(ws),
    ).code == 0  # fmt: skip
    image = ws / "imagery" / _catalog(ws)[-1]["file"]
    before = tree_digest(ws)
    r = cli("epochs", "remove", "2013-06", "--data-dir", str(ws))
    assert r.code == 2 and "--yes" in r.err
    assert "boundaries/2013-06.geojson" in r.out and image.name in r.out
    assert tree_digest(ws) == before
    r = cli("epochs", "remove", "2013-06", "--yes", "--data-dir", str(ws))
    assert r.code == 0, r.err
    assert not (ws / "boundaries" / "2013-06.geojson").exists() and not image.exists()
    assert [row["date"] for row in _catalog(ws)][-1] == "2009-09"
    assert tree_digest(ws) == {
        k: v for k, v in tree_digest(make_workspace(tmp_path / "fresh")).items()
    }


def test_remove_an_unknown_epoch_or_from_the_bundled_data(cli, ws: Path) -> None:  # type: ignore[no-untyped-def]
    r = cli("epochs", "remove", "2013-06", "--yes", "--data-dir", str(ws))
    assert r.code == 2 and "no epoch 2013-06" in r.err and "2009-09" in r.err
    r = cli("epochs", "remove", "2009-09", "--yes")
    assert r.code == 2 and "bundled data" in r.err


def test_list_on_an_empty_workspace(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kaesong_geo.site import Site

    ws = make_workspace(tmp_path / "durban", Site.at("Durban test zone", 31.03, -29.86))
    r = cli("epochs", "list", "--data-dir", str(ws))
    assert r.code == 0, r.err
    assert "no epochs yet" in r.out


# -- screenshots with ground control points -----------------------------------------------------
SHOT_X0, SHOT_Y0, SHOT_RES = 292_800.0, 4_201_600.0, 1.5  # affine truth of the screenshot


def _screenshot(
    tmp_path: Path, misclick_px: float = 0.0, west_m: float = 0.0, variant: int = 0
) -> tuple[Path, Path]:
    """A 600 x 400 PNG (1.5 m/px, north up) and a QGIS .points file (UTM 52N, #CRS line)."""
    from PIL import Image
    from pyproj import CRS

    yy, xx = np.mgrid[0:400, 0:600]
    rgb = np.stack([(xx * 7) % 256, (yy * 5) % 256, ((xx + yy) * 3 + variant) % 256], axis=-1)
    png = tmp_path / "Screen Shot 2013-06-20.png"
    Image.fromarray(rgb.astype(np.uint8)).save(png)
    pixels = [
        (20, 20),
        (580, 30),
        (300, 200),
        (40, 380),
        (560, 370),
        (150, 120),
        (450, 300),
        (300, 30),
    ]
    lines = [
        "#CRS: " + CRS.from_epsg(32652).to_wkt(),
        "mapX,mapY,sourceX,sourceY,enable,dX,dY,residual",
    ]
    for k, (px, py) in enumerate(pixels):
        mx, my = SHOT_X0 - west_m + px * SHOT_RES, SHOT_Y0 - py * SHOT_RES
        if k == 2:
            px += misclick_px
        lines.append(f"{mx:.3f},{my:.3f},{px},{-py},1,0,0,0")
    points = tmp_path / "Screen Shot 2013-06-20.png.points"
    points.write_text("\n".join(lines) + "\n")
    return png, points


def test_add_a_screenshot_with_a_qgis_points_file(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png, points = _screenshot(tmp_path)
    f = _footprint(tmp_path / "traced.geojson")
    r = cli(
        "epochs", "add", "2013-06", "--image", str(png), "--gcps", str(points),
        "--footprint", str(f), "--data-dir", str(ws),
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "8 ground control points, poly1" in r.out and "leave-one-out" in r.out
    row = _catalog(ws)[-1]
    assert "georeferenced from a screenshot with 8 ground control points (poly1)" in row["note"]
    # exact affine: leave-one-out error ~0, so the uncertainty is the 1.5 m pixel
    assert float(row["uncertainty_m"]) == pytest.approx(SHOT_RES, abs=0.02)
    assert "positional uncertainty 1.50 m" in row["note"]
    with rasterio.open(ws / "imagery" / row["file"]) as src:
        assert src.crs.to_epsg() == 32652 and not src.gcps[0]  # georeferenced by the warp
        assert src.res[0] == pytest.approx(SHOT_RES, rel=0.01)
        # pixel (300, 200) of the screenshot is at its UTM place within half a pixel
        x, y = SHOT_X0 + 300.5 * SHOT_RES, SHOT_Y0 - 200.5 * SHOT_RES
        col, rowi = ~src.transform * (x, y)
        value = src.read(window=((int(rowi), int(rowi) + 1), (int(col), int(col) + 1)))[:3, 0, 0]
        assert list(value) == [(300 * 7) % 256, (200 * 5) % 256, (500 * 3) % 256]
    fp = json.loads((ws / "boundaries" / "2013-06.geojson").read_text())["features"][0]
    assert fp["properties"]["imagery"] == row["id"]
    assert fp["properties"]["uncertainty_m"] == pytest.approx(float(row["uncertainty_m"]))


def test_a_misclicked_gcp_is_refused_unless_forced(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png, points = _screenshot(tmp_path, misclick_px=30)
    before = tree_digest(ws)
    r = cli(
        "epochs",
        "add",
        "2013-06",
        "--image",
        str(png),
        "--gcps",
        str(points),
        "--data-dir",
        str(ws),
    )
    assert r.code == 1
    assert "point 3 (pixel 330, 200)" in r.err and "--force" in r.err and points.name in r.err
    assert tree_digest(ws) == before
    r = cli(
        "epochs",
        "add",
        "2013-06",
        "--image",
        str(png),
        "--gcps",
        str(points),
        "--force",
        "--data-dir",
        str(ws),
    )
    assert r.code == 0, r.err
    assert "<- worst" in r.out
    row = _catalog(ws)[-1]
    assert "(forced)" in row["note"] and float(row["uncertainty_m"]) > 10


def test_too_few_gcps_to_measure_the_error(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png, _ = _screenshot(tmp_path)
    from pyproj import Transformer

    to_lonlat = Transformer.from_crs(32652, 4326, always_xy=True)
    gcps = []
    for px, py in [(20, 20), (580, 30), (40, 380)]:
        lon, lat = to_lonlat.transform(SHOT_X0 + px * SHOT_RES, SHOT_Y0 - py * SHOT_RES)
        gcps += ["--gcp", f"{px},{py},{lon},{lat}"]
    before = tree_digest(ws)
    r = cli("epochs", "add", "2013-06", "--image", str(png), *gcps, "--data-dir", str(ws))
    assert r.code == 1 and "cannot be measured" in r.err and "at least 4" in r.err
    assert tree_digest(ws) == before
    r = cli("epochs", "add", "2013-06", "--image", str(png), *gcps[:4], "--data-dir", str(ws))
    assert r.code == 1 and "poly1 needs at least 3" in r.err
    r = cli(
        "epochs",
        "add",
        "2013-06",
        "--image",
        str(png),
        *gcps,
        "--transform",
        "poly2",
        "--data-dir",
        str(ws),
    )
    assert r.code == 1 and "poly2 needs at least 6" in r.err
    assert tree_digest(ws) == before


def test_a_screenshot_placed_beside_the_site_is_refused_naming_it(
    cli, ws: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    png, points = _screenshot(tmp_path, west_m=6000)  # GCPs of another place, 6 km west
    before = tree_digest(ws)
    r = cli(
        "epochs",
        "add",
        "2013-06",
        "--image",
        str(png),
        "--gcps",
        str(points),
        "--data-dir",
        str(ws),
    )
    assert r.code == 1
    assert r.err.startswith(f"kaesong-geo: error: {png}: covers lon")
    assert "catalog.csv" not in r.err and "nothing was added" in r.err
    assert tree_digest(ws) == before


@pytest.mark.filterwarnings("default::kaesong_geo.errors.InputSlipWarning")
def test_images_added_to_an_existing_epoch_and_a_date_slip_warned(
    cli, ws: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    scene = _scene(tmp_path / "WV2 20130620.tif")
    r = cli("epochs", "add", "2009-09", "--imagery", str(scene), "--data-dir", str(ws))
    assert r.code == 0, r.err
    assert r.out.startswith("added 1 image to epoch 2009-09")
    assert "its name says 2013-06-20, which is not of epoch 2009-09; is DATE right?" in r.err
    assert _catalog(ws)[-1]["date"] == "2009-09"
    other = _scene(tmp_path / "other.tif", 4000, 2990)
    r = cli("epochs", "add", "2014-05", "--imagery", str(other), "--data-dir", str(ws))
    assert r.code == 0, r.err
    assert "catalogued 1 image of 2014-05" in r.out and "no footprint for 2014-05 yet" in r.out


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_interrupted_add_rolls_back_at_once(ws: Path, tmp_path: Path, sig: int) -> None:
    """Ctrl-C or SIGTERM while the COG is written: exit 130/143, the workspace as it was."""
    scene = _scene(tmp_path / "big.tif", 6000, 6000)
    before = tree_digest(ws)
    cmd = kaesong_geo_command(
        "epochs", "add", "2013-06", "--imagery", str(scene), "--data-dir", str(ws)
    )  # fmt: skip
    # A shell runs background jobs with SIGINT ignored, and children inherit that (CI scripts
    # started with '&' do): give the command the default dispositions a terminal gives it.
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in (signal.SIGINT, sig)],
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any((ws / TXN_DIR).rglob("*.tif")):
        time.sleep(0.02)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + sig, err
    assert b"Traceback" not in err
    assert tree_digest(ws) == before  # no hidden folder left either


def test_a_relative_data_dir_from_inside_the_workspace(
    cli, ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """Users run it from the workspace's parent or inside it: --data-dir ws, --data-dir ."""
    f = _footprint(tmp_path / "f.geojson")
    monkeypatch.chdir(ws.parent)
    assert cli("epochs", "add", "2013-06", "--footprint", str(f), "--data-dir", ws.name).code == 0
    r = cli("epochs", "add", "2013-06", "--footprint", str(f), "--replace", "--data-dir", ws.name)
    assert r.code == 0, r.err
    monkeypatch.chdir(ws)
    r = cli("epochs", "remove", "2013-06", "--yes", "--data-dir", ".")
    assert r.code == 0, r.err
    assert "boundaries/2013-06.geojson" in r.out
    assert not (ws / "boundaries" / "2013-06.geojson").exists()


@pytest.mark.filterwarnings("default::kaesong_geo.errors.InputSlipWarning")
def test_traced_on_says_which_image_the_footprint_was_traced_on(
    cli, ws: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    f = _footprint(tmp_path / "traced in GE.geojson")

    def common(variant: int) -> list[str]:
        folder = tmp_path / str(variant)
        folder.mkdir()
        png, points = _screenshot(folder, variant=variant)
        return ["--image", str(png), "--gcps", str(points), "--footprint", str(f)]

    r = cli("epochs", "add", "2013-06", *common(0), "--traced-on", "none", "--data-dir", str(ws))
    assert r.code == 0, r.err
    fp = json.loads((ws / "boundaries" / "2013-06.geojson").read_text())["features"][0]
    assert "imagery" not in fp["properties"] or fp["properties"]["imagery"] is None
    r = cli("epochs", "add", "2013-07", *common(1), "--traced-on", "nope", "--data-dir", str(ws))
    assert r.code == 2 and "--traced-on 'nope'" in r.err and "ge-2009-09" in r.err
    png = Path(common(2)[1])
    r = cli("epochs", "add", "2013-08", "--image", str(png), "--gcps", str(png) + ".points",
            "--footprint", str(f), "--traced-on", png.name, "--data-dir", str(ws))  # fmt: skip
    assert r.code == 0, r.err
    fp = json.loads((ws / "boundaries" / "2013-08.geojson").read_text())["features"][0]
    assert fp["properties"]["imagery"] == _catalog(ws)[-1]["id"]


def test_images_without_a_footprint_are_listed_and_removable(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = tree_digest(ws)
    assert (
        cli(
            "epochs",
            "add",
            "2014-05",
            "--imagery",
            str(_scene(tmp_path / "s.tif")),
            "--data-dir",
            str(ws),
        ).code
        == 0
    )
    listing = json.loads(cli("epochs", "list", "--format", "json", "--data-dir", str(ws)).out)
    assert listing[-1]["epoch"] == "2014-05" and listing[-1]["area_m2"] is None
    assert listing[-1]["flags"] == ["no footprint"]
    assert (
        "2014-05  no footprint yet, images only" in cli("epochs", "list", "--data-dir", str(ws)).out
    )
    r = cli("epochs", "remove", "2014-05", "--yes", "--data-dir", str(ws))
    assert r.code == 0, r.err
    assert r.out.startswith("removed images of 2014-05")
    assert tree_digest(ws) == before | {
        "imagery/catalog.csv": tree_digest(ws)["imagery/catalog.csv"]
    }  # the catalogue gained the uncertainty_m column on the way; every other file as before
    assert [row["date"] for row in _catalog(ws)][-1] == "2009-09"


def test_remove_one_image_but_not_one_a_footprint_was_traced_on(
    cli, ws: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    a, b = _scene(tmp_path / "a.tif"), _scene(tmp_path / "b.tif", 4000, 2900)
    f = _footprint(tmp_path / "f.geojson")
    r = cli(
        "epochs",
        "add",
        "2013-06",
        "--imagery",
        str(a),
        "--footprint",
        str(f),
        "--data-dir",
        str(ws),
    )
    assert r.code == 0, r.err
    assert cli("epochs", "add", "2013-06", "--imagery", str(b), "--data-dir", str(ws)).code == 0
    ids = [row["id"] for row in _catalog(ws)[-2:]]
    before = tree_digest(ws)
    r = cli("epochs", "remove", "2013-06", "--image", ids[0], "--yes", "--data-dir", str(ws))
    assert r.code == 1 and "traced on it" in r.err and "nothing was removed" in r.err
    assert tree_digest(ws) == before
    r = cli("epochs", "remove", "2013-06", "--image", ids[1], "--yes", "--data-dir", str(ws))
    assert r.code == 0, r.err
    assert [row["id"] for row in _catalog(ws)][-1] == ids[0]
    assert (ws / "boundaries" / "2013-06.geojson").exists()
    r = cli("epochs", "remove", "2013-06", "--image", "nope", "--yes", "--data-dir", str(ws))
    assert r.code == 2 and "no image 'nope'" in r.err


def test_a_catalogue_with_windows_line_ends_keeps_them(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    catalog = ws / "imagery" / "catalog.csv"
    catalog.write_bytes(catalog.read_bytes().replace(b"\n", b"\r\n"))
    r = cli(
        "epochs",
        "add",
        "2013-06",
        "--imagery",
        str(_scene(tmp_path / "s.tif")),
        "--data-dir",
        str(ws),
    )
    assert r.code == 0, r.err
    raw = catalog.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") == len(_catalog(ws)) + 1


def test_the_same_image_twice_is_refused(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    scene = _scene(tmp_path / "s.tif")
    copy = tmp_path / "copy of s.tif"
    copy.write_bytes(scene.read_bytes())
    r = cli(
        "epochs",
        "add",
        "2013-06",
        "--imagery",
        str(scene),
        "--imagery",
        str(copy),
        "--data-dir",
        str(ws),
    )
    assert r.code == 2 and "is given twice" in r.err
    assert cli("epochs", "add", "2013-06", "--imagery", str(scene), "--data-dir", str(ws)).code == 0
    before = tree_digest(ws)
    r = cli("epochs", "add", "2013-06", "--imagery", str(copy), "--data-dir", str(ws))
    assert r.code == 2
    assert "is already in the workspace as imagery/2013-06-s.tif (of 2013-06)" in r.err
    assert "epochs remove 2013-06 --image 2013-06-s" in r.err
    assert tree_digest(ws) == before


def test_a_folder_that_cannot_be_written_is_one_line(
    cli, ws: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """As a read-only imagery/ does (root ignores chmod in CI, so the refusal is simulated)."""
    from kaesong_geo.io import transaction

    real = os.replace

    def refuse(src: object, dst: object) -> None:
        if "imagery" in str(dst) and TXN_DIR not in str(dst):
            raise PermissionError(13, "Permission denied", str(src), None, str(dst))
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(transaction.os, "replace", refuse)
    before = tree_digest(ws)
    r = cli(
        "epochs", "add", "2013-06", "--imagery", str(_scene(tmp_path / "s.tif")),
        "--footprint", str(_footprint(tmp_path / "f.geojson")), "--data-dir", str(ws),
    )  # fmt: skip
    assert r.code == 1, r.err
    assert r.err.strip() == (
        f"kaesong-geo: error: {ws / 'imagery'}: cannot write to the workspace: Permission "
        "denied; nothing was changed"
    )
    assert tree_digest(ws) == before


def test_gcps_off_the_screenshot_are_named(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    png, points = _screenshot(tmp_path)
    lines = points.read_text().splitlines()
    mx, my, sx, sy, *rest = lines[4].split(",")
    lines[4] = ",".join([mx, my, str(float(sx) + 5000), sy, *rest])  # another image's pixel
    points.write_text("\n".join(lines) + "\n")
    before = tree_digest(ws)
    r = cli(
        "epochs",
        "add",
        "2013-06",
        "--image",
        str(png),
        "--gcps",
        str(points),
        "--data-dir",
        str(ws),
    )
    assert r.code == 1
    assert f"{points}: point 3: pixel 5300, 200 is outside the 600 x 400 image" in r.err
    assert tree_digest(ws) == before


@pytest.mark.filterwarnings("default::kaesong_geo.errors.InputSlipWarning")
@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_a_georeferenced_image_given_as_a_screenshot_is_warned(
    cli, ws: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    png, points = _screenshot(tmp_path)
    tif = tmp_path / "shot.tif"
    with rasterio.open(png) as src, rasterio.open(
        tif, "w", driver="GTiff", width=src.width, height=src.height, count=3, dtype="uint8",
        crs=UTM52, transform=from_origin(SHOT_X0, SHOT_Y0, SHOT_RES, SHOT_RES),
    ) as dst:  # fmt: skip
        dst.write(src.read())
    r = cli(
        "epochs",
        "add",
        "2013-06",
        "--image",
        str(tif),
        "--gcps",
        str(points),
        "--data-dir",
        str(ws),
    )
    assert r.code == 0, r.err
    assert "has a georeference of its own" in r.err and "--imagery" in r.err


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_a_png_with_a_world_file_but_no_crs_says_so(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    Image.fromarray(np.zeros((50, 50, 3), np.uint8)).save(tmp_path / "scene.png")
    (tmp_path / "scene.pgw").write_text("2\n0\n0\n-2\n292000\n4201000\n")
    (tmp_path / "scene.prj").write_text(rasterio.crs.CRS.from_epsg(32652).to_wkt())
    before = tree_digest(ws)
    r = cli(
        "epochs", "add", "2013-06", "--imagery", str(tmp_path / "scene.png"), "--data-dir", str(ws)
    )
    assert r.code == 1
    assert "has a geotransform (a world file) but no CRS" in r.err and ".aux.xml" in r.err
    assert tree_digest(ws) == before


def test_an_epoch_overlapping_another_is_refused(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    f = _footprint(tmp_path / "f.geojson")
    assert cli("epochs", "add", "2013-06", "--footprint", str(f), "--data-dir", str(ws)).code == 0
    before = tree_digest(ws)
    for date, message in (
        ("2013-06-20", "DATE 2013-06-20 overlaps epoch 2013-06 (2013-06-20 lies within 2013-06)"),
        ("2013", "DATE 2013 overlaps epoch 2013-06 (2013-06 lies within 2013)"),
    ):
        r = cli("epochs", "add", date, "--footprint", str(f), "--data-dir", str(ws))
        assert r.code == 2 and message in r.err
        r = cli(
            "epochs",
            "add",
            date,
            "--imagery",
            str(_scene(tmp_path / "s.tif")),
            "--data-dir",
            str(ws),
        )
        assert r.code == 2 and "overlaps epoch 2013-06" in r.err
    assert tree_digest(ws) == before


def test_remove_leaves_an_image_another_epoch_claims(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Hand-made overlapping epochs (2013 and 2013-06): removing 2013 keeps 2013-06's image."""
    f = _footprint(tmp_path / "f.geojson")
    assert (
        cli(
            "epochs",
            "add",
            "2013-06",
            "--footprint",
            str(f),
            "--imagery",
            str(_scene(tmp_path / "s.tif")),
            "--data-dir",
            str(ws),
        ).code
        == 0
    )
    (ws / "boundaries" / "2013.geojson").write_text(
        (ws / "boundaries" / "2013-06.geojson")
        .read_text()
        .replace('"2013-06"', '"2013"')
        .replace('"imagery": "2013-06-s", ', "")
    )
    image = ws / "imagery" / _catalog(ws)[-1]["file"]
    r = cli("epochs", "remove", "2013", "--yes", "--data-dir", str(ws))
    assert r.code == 0, r.err
    assert image.exists() and not (ws / "boundaries" / "2013.geojson").exists()


def test_source_is_the_footprints_and_image_source_the_images(
    cli, ws: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    r = cli(
        "epochs", "add", "2013-06", "--footprint", str(_footprint(tmp_path / "f.geojson")),
        "--imagery", str(_scene(tmp_path / "s.tif")), "--source", "traced in Google Earth Pro",
        "--image-source", "WorldView-2, licensed", "--data-dir", str(ws),
    )  # fmt: skip
    assert r.code == 0, r.err
    fp = json.loads((ws / "boundaries" / "2013-06.geojson").read_text())["features"][0]
    assert fp["properties"]["source"] == "traced in Google Earth Pro"
    assert _catalog(ws)[-1]["source"] == "WorldView-2, licensed"
    r = cli(
        "epochs",
        "add",
        "2014-05",
        "--imagery",
        str(_scene(tmp_path / "t.tif", 4000, 2990)),
        "--source",
        "Maxar",
        "--data-dir",
        str(ws),
    )
    assert r.code == 0 and _catalog(ws)[-1]["source"] == "Maxar"  # no footprint: --source is theirs


def test_a_cog_of_the_workspace_is_not_added_again(cli, ws: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert (
        cli(
            "epochs",
            "add",
            "2013-06",
            "--imagery",
            str(_scene(tmp_path / "s.tif")),
            "--data-dir",
            str(ws),
        ).code
        == 0
    )
    cog = ws / "imagery" / _catalog(ws)[-1]["file"]
    r = cli("epochs", "add", "2014-02", "--imagery", str(cog), "--data-dir", str(ws))
    assert r.code == 2 and "is already in this workspace's imagery/" in r.err
    outside = tmp_path / "exported.tif"
    outside.write_bytes(cog.read_bytes())  # copied out, then brought back
    r = cli("epochs", "add", "2014-02", "--imagery", str(outside), "--data-dir", str(ws))
    assert r.code == 2 and f"is already in the workspace as imagery/{cog.name}" in r.err


def test_hints_quote_paths_and_names_keep_apart(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ws = make_workspace(tmp_path / "new ws")
    a, b = _scene(tmp_path / "위성.tif"), _scene(tmp_path / "장면.tif", 4000, 2990)
    r = cli(
        "epochs", "add", "2013-06", "--imagery", str(a), "--imagery", str(b), "--data-dir", str(ws)
    )
    assert r.code == 0, r.err
    assert f"--data-dir '{ws}'" in r.out
    ids = [row["id"] for row in _catalog(ws)[-2:]]
    assert ids[0] != ids[1] and all(i.startswith("2013-06-image-") for i in ids)


def test_a_scene_reference_is_catalogued_once_and_only_for_an_epoch_without_a_row(
    ws: Path, tmp_path: Path
) -> None:
    from dataclasses import replace

    from kaesong_geo.io.epochs import SceneReference, add_epoch
    from kaesong_geo.io.validate import validate_data_dir

    fp = _footprint(tmp_path / "zone.geojson")
    ref = SceneReference("s3://bucket/S2_2021-06.tif", "S2_2021-06.tif", 10.0)
    known: dict[str, Any] = {"source": "extracted", "method": "extracted", "uncertainty_m": 10.0}
    # an epoch with a catalogue row already (2009-09: Google Earth): nothing added to it
    before = _catalog(ws)
    added = add_epoch(ws, "2009-09", footprint=fp, replace_epoch=True, scene_reference=ref, **known)  # type: ignore[arg-type]
    assert added.referenced is None and _catalog(ws) == before
    # a new epoch: one row without a file, named by the footprint, and validate --strict is ok
    added = add_epoch(
        ws, "2021-06", footprint=fp, scene_reference=ref, licence="CC BY 4.0", **known
    )
    assert added.referenced == "2021-06-S2_2021-06" and added.images == ()
    (row,) = [r for r in _catalog(ws) if r["date"] == "2021-06"]
    assert (row["file"], row["source"], row["resolution_m"], row["id"]) == (
        "", "s3://bucket/S2_2021-06.tif", "10", "2021-06-S2_2021-06"
    )  # fmt: skip
    assert row["note"].endswith("extracted from it; licence: CC BY 4.0")
    assert [f.imagery for f in added.footprints] == ["2021-06-S2_2021-06"]
    assert "imagery/catalog.csv" in added.changes
    checked = validate_data_dir(ws, strict=True)
    assert [p.message for p in checked.problems if p.severity != "info"] == []
    # --traced-on none: the row is still made, but the footprint does not name it
    other = add_epoch(
        ws, "2021-07", footprint=_footprint(tmp_path / "z2.geojson"), traced_on_given="none",
        scene_reference=replace(ref, source="/data/S2_2021-07.tif", name="S2_2021-07.tif"),
        **known,
    )  # fmt: skip
    assert [f.imagery for f in other.footprints] == [None]
    assert other.referenced == "2021-07-S2_2021-07"
