"""Scenes clipped and screenshots warped into Cloud Optimized GeoTIFFs (kaesong_geo.io.scene)."""

from __future__ import annotations

import math
import sysconfig
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import rasterio.shutil
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod, Transformer
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.enums import ColorInterp
from rasterio.transform import Affine, from_origin
from rasterio.windows import Window
from shapely.geometry import box

from kaesong_geo.errors import DataError
from kaesong_geo.gcp import GCP, fit_gcps
from kaesong_geo.io.scene import (
    DEFAULT_MARGIN_KM,
    NO_GEOREFERENCE,
    SceneInfo,
    clip_region,
    write_scene,
    write_screenshot,
)
from kaesong_geo.site import KAESONG, Site

TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32652", always_xy=True)
SX, SY = TO_UTM.transform(KAESONG.lon, KAESONG.lat)  # the site's point in UTM 52N
# A 530 m x 440 m box of the complex, round the site's point (within the test scenes).
REGION = (126.629, 37.930, 126.635, 37.934)
TAGS = {"date": "2013-06-20", "source": "test scene", "licence": "CC0 test data"}


def _pattern(count: int, height: int, width: int, dtype: str = "uint8") -> np.ndarray:
    """Structured content (stripes, a gradient, a checker): no two windows alike."""
    yy, xx = np.mgrid[0:height, 0:width]
    bands = [
        (xx * 7 + yy * 3) % 251,
        (xx // 16 + yy // 16) % 2 * 120 + (yy % 97),
        (xx * yy // 64) % 239,
        np.full_like(xx, 200),
    ]
    return np.stack(bands[:count]).astype(dtype)


def _raster(
    path: Path,
    *,
    crs: str | None = "EPSG:32652",
    transform: Affine | None = None,
    size: tuple[int, int] = (2000, 1600),
    count: int = 3,
    driver: str = "GTiff",
    nodata: float | None = None,
    data: np.ndarray | None = None,
    **extra: Any,
) -> Path:
    width, height = size
    if transform is None:  # 0.5 m pixels, the site's point in the middle
        transform = from_origin(SX - width / 4, SY + height / 4, 0.5, 0.5)
    profile: dict[str, Any] = {
        "driver": driver,
        "width": width,
        "height": height,
        "count": count,
        "dtype": "uint8",
        "nodata": nodata,
        **extra,
    }
    if crs is not None:
        profile.update(crs=crs, transform=transform)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(_pattern(count, height, width) if data is None else data)
    return path


def _assert_cog(path: Path) -> None:
    with rasterio.open(path) as src:
        assert src.driver == "GTiff"
        assert src.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        assert src.profile["tiled"] and src.block_shapes[0] == (512, 512)
        assert src.overviews(1), "no overviews"


def _assert_same_window(info: SceneInfo, source: Path) -> None:
    """The COG holds the source's pixels unchanged, on the source's grid."""
    with rasterio.open(source) as src, rasterio.open(info.path) as out:
        col, row = ~src.transform * (out.transform.c, out.transform.f)
        assert abs(col - round(col)) < 1e-6 and abs(row - round(row)) < 1e-6  # on the grid
        assert out.transform.a == pytest.approx(src.transform.a, rel=1e-12)
        assert out.transform.e == pytest.approx(src.transform.e, rel=1e-12)
        window = Window(round(col), round(row), out.width, out.height)
        assert np.array_equal(out.read(), src.read(window=window))
        assert out.crs == src.crs


def _assert_snapped_around(info: SceneInfo, region: tuple[float, float, float, float]) -> None:
    """The COG covers the region, and by less than one pixel more on each side."""
    with rasterio.open(info.path) as out:
        x0, y0, x1, y1 = rasterio.warp.transform_bounds(
            "EPSG:4326", out.crs, *region, densify_pts=21
        )
        b = out.bounds
        px, py = out.transform.a, -out.transform.e
        assert b.left <= x0 + 1e-9 and x0 - b.left < px
        assert b.right >= x1 - 1e-9 and b.right - x1 < px
        assert b.bottom <= y0 + 1e-9 and y0 - b.bottom < py
        assert b.top >= y1 - 1e-9 and b.top - y1 < py


# --- scenes ---------------------------------------------------------------------------------


def test_a_utm_scene_is_clipped_to_a_cog_with_the_same_pixels(tmp_path: Path) -> None:
    src = _raster(tmp_path / "scene.tif", tiled=True, compress="deflate")
    info = write_scene(
        src, tmp_path / "clip.tif", site=KAESONG, region=REGION, tags=TAGS, progress=False
    )
    _assert_cog(info.path)
    _assert_same_window(info, src)
    _assert_snapped_around(info, REGION)
    assert (info.count, info.dtype, info.crs, info.resolution_m) == (3, "uint8", "EPSG:32652", 0.5)
    assert 1000 < info.width < 1200 and 850 < info.height < 1000  # 530 m x 440 m at 0.5 m
    assert info.overviews == (2, 4)
    assert {k: info.tags[k] for k in TAGS} == TAGS
    w, s, e, n = info.bounds_lonlat
    assert w <= REGION[0] and s <= REGION[1] and e >= REGION[2] and n >= REGION[3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.tif", "scene.tif"]


@pytest.mark.parametrize(
    ("crs", "transform", "metres_per_pixel"),
    [
        # 1e-5° is ~0.88 m east-west and ~1.11 m north-south at 37.93°N.
        ("EPSG:4326", from_origin(126.620, 37.940, 1e-5, 1e-5), (0.878 + 1.110) / 2),
        # Web Mercator's metres are 1/cos(lat) too long: 1 "m" is 0.789 m on the ground.
        ("EPSG:3857", from_origin(14_095_700, 4_571_000, 1.0, 1.0), math.cos(math.radians(37.93))),
    ],
)
def test_a_scene_is_clipped_in_its_own_crs(
    tmp_path: Path, crs: str, transform: Affine, metres_per_pixel: float
) -> None:
    src = _raster(tmp_path / "scene.tif", crs=crs, transform=transform, size=(2500, 2500))
    info = write_scene(
        src, tmp_path / "clip.tif", site=KAESONG, region=REGION, tags=TAGS, progress=False
    )
    _assert_cog(info.path)
    _assert_same_window(info, src)  # no resampling: still the source's CRS and grid
    _assert_snapped_around(info, REGION)
    assert info.crs == crs
    assert info.resolution_m == pytest.approx(metres_per_pixel, rel=0.01)


def test_a_jpeg2000_scene(tmp_path: Path) -> None:
    with rasterio.Env() as env:
        if "JP2OpenJPEG" not in env.drivers():
            pytest.skip("GDAL has no JPEG2000 driver")
    tif = _raster(tmp_path / "scene.tif", size=(1200, 1000))
    jp2 = tmp_path / "scene.jp2"
    rasterio.shutil.copy(
        tif,
        jp2,
        driver="JP2OpenJPEG",
        REVERSIBLE="YES",
        QUALITY="100",
        BLOCKXSIZE="256",
        BLOCKYSIZE="256",
    )  # fmt: skip  (tiled: an untiled codestream is decoded whole for every block read)
    info = write_scene(jp2, tmp_path / "clip.tif", site=KAESONG, region=REGION, tags=TAGS)
    _assert_cog(info.path)
    _assert_same_window(info, jp2)
    with rasterio.open(jp2) as j, rasterio.open(tif) as t:
        assert np.array_equal(j.read(), t.read())  # lossless: the clip equals the GeoTIFF's too


def test_nodata_and_alpha_are_kept(tmp_path: Path) -> None:
    data = _pattern(4, 1600, 2000)
    data[3] = 255
    data[3, :, :900] = 0  # the western part transparent
    rgba = _raster(tmp_path / "rgba.tif", count=4, data=data, photometric="RGB", alpha="YES")
    info = write_scene(rgba, tmp_path / "a.tif", site=KAESONG, region=REGION, tags=TAGS)
    with rasterio.open(info.path) as out:
        assert out.colorinterp[3] == ColorInterp.alpha
        mask = out.dataset_mask()
        assert mask.min() == 0 and mask.max() == 255
    _assert_same_window(info, rgba)

    grey = _pattern(1, 1600, 2000)
    grey[0, :, :900] = 0
    single = _raster(tmp_path / "grey.tif", count=1, nodata=0, data=grey)
    info = write_scene(single, tmp_path / "g.tif", site=KAESONG, region=REGION, tags=TAGS)
    with rasterio.open(info.path) as out:
        assert out.nodata == 0 and out.dataset_mask().min() == 0
    _assert_same_window(info, single)


def test_an_internal_mask_is_kept(tmp_path: Path) -> None:
    src = _raster(tmp_path / "masked.tif", tiled=True)
    with rasterio.open(src, "r+") as ds:
        mask = np.full((ds.height, ds.width), 255, dtype="uint8")
        mask[:, :900] = 0  # the western part masked, as a GDAL internal mask (no nodata, alpha)
        ds.write_mask(mask)
    info = write_scene(src, tmp_path / "clip.tif", site=KAESONG, region=REGION, tags=TAGS)
    _assert_same_window(info, src)
    with rasterio.open(src) as s, rasterio.open(info.path) as out:
        assert out.nodata is None and out.count == 3
        col, row = (round(v) for v in ~s.transform * (out.transform.c, out.transform.f))
        expected = s.dataset_mask(window=Window(col, row, out.width, out.height))
        got = out.dataset_mask()
    assert got.min() == 0 and np.array_equal(got, expected)


def test_band_names_units_scales_and_offsets_are_kept(tmp_path: Path) -> None:
    # what the pixels mean travels with them: a clip of digital numbers is still reflectance
    src = _raster(tmp_path / "dn.tif", count=3, nodata=0)
    with rasterio.open(src, "r+") as ds:
        ds.descriptions = ("B04 <red>", "B08 & nir", "")
        ds.units = ("reflectance", "", "")
        ds.scales = (1e-4, 2e-4, 1.0)
        ds.offsets = (-0.1, 0.0, 0.0)
    info = write_scene(src, tmp_path / "clip.tif", site=KAESONG, region=REGION, tags=TAGS)
    _assert_same_window(info, src)
    with rasterio.open(src) as s, rasterio.open(info.path) as out:
        assert out.descriptions == s.descriptions == ("B04 <red>", "B08 & nir", None)
        assert out.units == s.units
        assert out.scales == s.scales and out.offsets == s.offsets
        assert out.nodatavals == s.nodatavals and out.colorinterp == s.colorinterp


def test_a_scene_covering_part_of_the_region_gives_that_part(tmp_path: Path) -> None:
    # Only the eastern 200 m of the region (its west edge is 126.629°).
    x, _ = TO_UTM.transform(126.633, 37.932)
    src = _raster(tmp_path / "east.tif", transform=from_origin(x, SY + 500, 0.5, 0.5))
    info = write_scene(src, tmp_path / "clip.tif", site=KAESONG, region=REGION, tags=TAGS)
    _assert_same_window(info, src)
    assert info.bounds_lonlat[0] > REGION[0] + 0.003


def test_progress_bar_counts_the_cog_drivers_stages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _raster(tmp_path / "scene.tif")
    write_scene(src, tmp_path / "clip.tif", site=KAESONG, region=REGION, tags=TAGS, progress=True)
    err = capsys.readouterr().err
    assert "writing clip.tif" in err and "2/2" in err


def test_tags_are_written_as_given(tmp_path: Path) -> None:
    tags = {"note": 'a <b> & "c" é', "licence": "CC BY 4.0"}
    src = _raster(tmp_path / "scene.tif")
    info = write_scene(src, tmp_path / "clip.tif", site=KAESONG, region=REGION, tags=tags)
    assert {k: info.tags[k] for k in tags} == tags


# --- refusals -------------------------------------------------------------------------------


def _refused(call: Callable[[], object], dst: Path, *needles: str) -> None:
    before = sorted(p.name for p in dst.parent.iterdir())
    with pytest.raises(DataError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    for needle in needles:
        assert needle in message
    assert not dst.exists()
    assert sorted(p.name for p in dst.parent.iterdir()) == before  # no temporary file left


def _scene_call(src: Path, dst: Path, region: tuple[float, float, float, float] = REGION):
    return lambda: write_scene(src, dst, site=KAESONG, region=region, tags=TAGS, progress=False)


def test_refused_without_georeference(tmp_path: Path) -> None:
    src = _raster(tmp_path / "plain.tif", crs=None)
    _refused(
        _scene_call(src, tmp_path / "out.tif"), tmp_path / "out.tif", f"{src}: {NO_GEOREFERENCE}"
    )
    assert "epochs add DATE --image FILE --gcps FILE.points" in NO_GEOREFERENCE


def test_refused_with_a_crs_but_no_geotransform(tmp_path: Path) -> None:
    png = _raster(tmp_path / "shot.png", crs=None, driver="PNG", size=(300, 200))
    (tmp_path / "shot.png.aux.xml").write_text(
        f"<PAMDataset><SRS>{CRS.from_epsg(32652).to_wkt()}</SRS></PAMDataset>"
    )
    _refused(
        _scene_call(png, tmp_path / "out.tif"),
        tmp_path / "out.tif",
        f"{png}: has a CRS but no geotransform (no world file such as shot.pgw beside it)",
        "--gcps FILE.points",
    )


def test_refused_when_georeferenced_by_gcps_only(tmp_path: Path) -> None:
    src = _raster(tmp_path / "gcps.tif", crs=None, size=(400, 400))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        ds = rasterio.open(src, "r+")
    with ds:
        ds.gcps = (
            [
                GroundControlPoint(row=r, col=c, x=SX + c, y=SY - r)
                for r, c in ((0, 0), (0, 400), (400, 0), (400, 400))
            ],
            CRS.from_epsg(32652),
        )
    _refused(
        _scene_call(src, tmp_path / "out.tif"),
        tmp_path / "out.tif",
        "is georeferenced by 4 ground control points, not a geotransform",
    )


def test_refused_when_it_does_not_cover_the_region(tmp_path: Path) -> None:
    # The same numbers in UTM zone 31N: Spain, not Kaesong.
    src = _raster(tmp_path / "spain.tif", crs="EPSG:32631")
    _refused(
        _scene_call(src, tmp_path / "out.tif"),
        tmp_path / "out.tif",
        f"{src}: covers lon ",
        "not the Kaesong Industrial Complex region lon 126.6290..126.6350, lat 37.9300..37.9340",
    )


def test_refused_when_the_clip_is_all_nodata(tmp_path: Path) -> None:
    data = _pattern(3, 1600, 2000)
    data[:, :, :800] = 0  # the region is in the western part
    src = _raster(tmp_path / "half.tif", nodata=0, data=data)
    region = (126.629, 37.930, 126.630, 37.931)
    _refused(_scene_call(src, tmp_path / "out.tif", region), tmp_path / "out.tif", "has no data")


def test_refused_when_not_a_raster(tmp_path: Path) -> None:
    bad = tmp_path / "notes.tif"
    bad.write_text("not an image\n")
    _refused(_scene_call(bad, tmp_path / "out.tif"), tmp_path / "out.tif", f"{bad}: cannot read")


def test_a_failure_while_writing_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = _raster(tmp_path / "scene.tif")
    (tmp_path / "out.tif").write_bytes(b"the previous scene")

    def broken(*args: object, **kwargs: object) -> None:
        Path(str(args[1])).write_bytes(b"half a COG")
        raise OSError("disk full")

    monkeypatch.setattr(rasterio.shutil, "copy", broken)
    with pytest.raises(OSError, match="disk full"):
        write_scene(src, tmp_path / "out.tif", site=KAESONG, region=REGION, tags=TAGS)
    assert (tmp_path / "out.tif").read_bytes() == b"the previous scene"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.tif", "scene.tif"]


# --- a real raster, not made by the test ----------------------------------------------------

REAL_TIFF = Path(sysconfig.get_paths()["stdlib"]) / "test" / "imghdrdata" / "python.tiff"


@pytest.mark.skipif(not REAL_TIFF.is_file(), reason="CPython's test data is not installed")
def test_a_real_tiff_without_georeference_is_refused(tmp_path: Path) -> None:
    """CPython's own test TIFF (16 x 16 RGBA, no georeference): refused with the hint."""
    _refused(
        _scene_call(REAL_TIFF, tmp_path / "out.tif"),
        tmp_path / "out.tif",
        f"{REAL_TIFF}: {NO_GEOREFERENCE}",
    )


# --- screenshots ----------------------------------------------------------------------------

# A 1,200 x 900 screenshot of the complex at about 1 m per pixel, rotated 3° (as test_gcp.py).
LON0, LAT0 = 126.625, 37.945
DX, DY = 1.14e-5, -0.90e-5
ANGLE = math.radians(3.0)
SHOT_W, SHOT_H = 1200, 900


def affine(px: float, py: float) -> tuple[float, float]:
    x = px * math.cos(ANGLE) - py * math.sin(ANGLE)
    y = px * math.sin(ANGLE) + py * math.cos(ANGLE)
    return LON0 + x * DX, LAT0 + y * DY


def curved(px: float, py: float) -> tuple[float, float]:
    """The affine plus a smooth bend of up to about 15 m at the corners."""
    lon, lat = affine(px, py)
    u, v = (px - 600) / 600, (py - 450) / 450
    return lon + 1.6e-4 * u * v, lat + 0.9e-4 * (u * u - 0.5)


# Landmarks: 7 x 7 squares of distinct colours at these pixels (top-left corners).
LANDMARKS = [(150, 120), (1000, 100), (600, 450), (200, 760), (1050, 780), (420, 300), (800, 620)]
COLOURS = [(250, 10, 10), (10, 250, 10), (10, 10, 250), (250, 250, 10), (250, 10, 250),
           (10, 250, 250), (250, 250, 250)]  # fmt: skip


def _screenshot(path: Path, alpha: bool = False) -> Path:
    """A grey-brown screenshot with coloured landmark squares (PNG, no georeference)."""
    yy, xx = np.mgrid[0:SHOT_H, 0:SHOT_W]
    base = (90 + (xx // 40 + yy // 40) % 2 * 30).astype("uint8")
    rgb = np.stack([base, base, base - 20])
    for (c, r), colour in zip(LANDMARKS, COLOURS, strict=True):
        for b in range(3):
            rgb[b, r : r + 7, c : c + 7] = colour[b]
    data = rgb
    if alpha:
        a = np.full((1, SHOT_H, SHOT_W), 255, dtype="uint8")
        a[0, :, :100] = 0  # a transparent western strip (a screenshot's side panel)
        data = np.concatenate([rgb, a])
    return _raster(path, crs=None, driver="PNG", size=(SHOT_W, SHOT_H), count=len(data), data=data)


def _gcps(truth: Callable[[float, float], tuple[float, float]], n: int = 5) -> list[GCP]:
    pts = [(c, r) for c in np.linspace(40, 1160, n) for r in np.linspace(30, 870, n)]
    return [GCP(float(c), float(r), *truth(c, r)) for c, r in pts]


def _landmark_errors_m(
    info: SceneInfo, truth: Callable[[float, float], tuple[float, float]]
) -> list[float]:
    """How far (m) each landmark lands in the COG from where ``truth`` puts it."""
    with rasterio.open(info.path) as out:
        data = out.read()
        t = out.transform
    errors = []
    for (c, r), colour in zip(LANDMARKS, COLOURS, strict=True):
        near = np.all(np.abs(data[:3].astype(int) - np.array(colour)[:, None, None]) < 40, axis=0)
        near &= data[3] > 0
        rows, cols = np.nonzero(near)
        assert rows.size > 10, f"landmark {colour} not found"
        x, y = t * (cols.mean() + 0.5, rows.mean() + 0.5)
        tx, ty = TO_UTM.transform(*truth(c + 3.5, r + 3.5))  # the square's centre
        errors.append(math.hypot(x - tx, y - ty))
    return errors


@pytest.mark.parametrize("transform", ["poly1", "poly2", "poly3", "tps"])
def test_an_affine_screenshot_lands_within_a_pixel(tmp_path: Path, transform: str) -> None:
    fit = fit_gcps(_gcps(affine), transform)  # type: ignore[arg-type]
    info = write_screenshot(
        _screenshot(tmp_path / "shot.png"), fit, tmp_path / "shot.tif",
        site=KAESONG, tags=TAGS, progress=False,
    )  # fmt: skip
    _assert_cog(info.path)
    assert info.crs == "EPSG:32652" and info.count == 4
    assert 0.95 < info.resolution_m < 1.1  # the screenshot's own ~1 m
    with rasterio.open(info.path) as out:
        assert out.colorinterp[3] == ColorInterp.alpha
        assert abs(out.transform.a) == pytest.approx(abs(out.transform.e))  # square pixels
        assert not out.gcps[0]  # georeferenced by the warp, not by GCPs
    # Within half a pixel (~0.5 m): a half-pixel slip (corner vs centre) would be 0.7 m.
    assert max(_landmark_errors_m(info, affine)) < 0.5
    assert info.tags["gcp_transform"] == transform and info.tags["gcp_points"] == "25"
    assert float(info.tags["gcp_rmse_m"]) < 0.01 and info.tags["date"] == "2013-06-20"
    for key in ("gcp_rmse_px", "gcp_loo_rmse_m", "gcp_loo_rmse_px", "gcp_worst"):
        assert info.tags[key]


def test_a_curved_screenshot_needs_the_transform_that_fits(tmp_path: Path) -> None:
    shot = _screenshot(tmp_path / "shot.png")
    worst = {}
    for transform in ("poly1", "poly2", "poly3", "tps"):
        fit = fit_gcps(_gcps(curved), transform)  # type: ignore[arg-type]
        info = write_screenshot(
            shot, fit, tmp_path / f"{transform}.tif", site=KAESONG, tags=TAGS, progress=False
        )
        worst[transform] = max(_landmark_errors_m(info, curved))
    assert worst["poly2"] < 0.5 and worst["poly3"] < 0.5  # the bend is quadratic: exact
    assert worst["tps"] < 1.2  # the spline interpolates between the points (measured 0.8 m)
    assert worst["poly1"] > 4.0  # an affine cannot follow the bend


def test_alpha_becomes_the_mask_and_outside_is_transparent(tmp_path: Path) -> None:
    fit = fit_gcps(_gcps(affine), "poly1")
    info = write_screenshot(
        _screenshot(tmp_path / "shot.png", alpha=True), fit, tmp_path / "shot.tif",
        site=KAESONG, tags=TAGS,
    )  # fmt: skip
    with rasterio.open(info.path) as out:
        alpha = out.read(4)
        t = out.transform
    # Rotated 3°: the corners of the output grid lie outside the image.
    assert alpha[0, 0] == 0 and alpha[-1, -1] == 0
    # A point in the transparent strip (column 50) is transparent; column 600 is not.
    for px, expected in ((50, 0), (600, 255)):
        x, y = TO_UTM.transform(*affine(px, 450))
        col, row = ~t * (x, y)
        assert alpha[int(row), int(col)] == expected
    # About the image's area is opaque (1,100 x 900 pixels of ~1 m²).
    opaque_m2 = (alpha > 0).sum() * info.resolution_m**2
    assert opaque_m2 == pytest.approx(1100 * 900 * 1.03 * 1.0, rel=0.06)


def test_a_palette_screenshot_is_warped_in_colour(tmp_path: Path) -> None:
    """An 8-bit PNG (palette): its colours are warped, not its palette indices."""
    rgb = _screenshot(tmp_path / "rgb.png")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(rgb) as src:
            data = src.read()
    colours = sorted({tuple(int(v) for v in p) for p in data.reshape(3, -1).T})
    assert len(colours) < 256
    index = {c: k for k, c in enumerate(colours)}
    lut = np.zeros((256, 256, 256), dtype=np.uint8)
    for c, k in index.items():
        lut[c] = k
    indices = lut[data[0], data[1], data[2]][None]
    tif = _raster(tmp_path / "pal.tif", crs=None, size=(SHOT_W, SHOT_H), count=1, data=indices)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(tif, "r+") as ds:
            ds.write_colormap(1, {k: (*c, 255) for c, k in index.items()})
        pal = tmp_path / "pal.png"
        rasterio.shutil.copy(tif, pal, driver="PNG")  # the palette inside the PNG (PLTE)
        with rasterio.open(pal) as ds:
            assert ds.colorinterp[0] == ColorInterp.palette
    assert not (tmp_path / "pal.png.aux.xml").exists()
    fit = fit_gcps(_gcps(affine), "poly1")
    info = write_screenshot(pal, fit, tmp_path / "warped.tif", site=KAESONG, tags=TAGS)
    assert info.count == 4
    assert max(_landmark_errors_m(info, affine)) < 0.5


def test_a_screenshot_placed_far_from_the_site_is_refused(tmp_path: Path) -> None:
    far = [GCP(g.px, g.py, g.lon + 2.0, g.lat) for g in _gcps(affine)]
    fit = fit_gcps(far, "poly1")
    shot = _screenshot(tmp_path / "shot.png")
    dst = tmp_path / "shot.tif"
    _refused(
        lambda: write_screenshot(shot, fit, dst, site=KAESONG, tags=TAGS),
        dst,
        f"{shot}: is placed by its ground control points at lon 128.",
        "not within 20 km of the Kaesong Industrial Complex",
    )


def test_a_screenshot_too_large_to_read_whole_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kaesong_geo.io.scene as scene

    monkeypatch.setattr(scene, "MAX_SCREENSHOT_PIXELS", 1_000_000)
    shot = _screenshot(tmp_path / "shot.png")  # 1.08 million pixels
    fit = fit_gcps(_gcps(affine), "poly1")
    dst = tmp_path / "shot.tif"
    _refused(
        lambda: write_screenshot(shot, fit, dst, site=KAESONG, tags=TAGS),
        dst,
        f"{shot}: is 1,200 x 900 pixels; screenshots above 1 million pixels are not warped",
    )


def test_a_screenshot_that_is_not_an_image_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "shot.png"
    bad.write_bytes(b"\x89PNG but not really")
    dst = tmp_path / "shot.tif"
    fit = fit_gcps(_gcps(affine), "poly1")
    _refused(
        lambda: write_screenshot(bad, fit, dst, site=KAESONG, tags=TAGS), dst, f"{bad}: cannot read"
    )


def _grace_hopper() -> Path | None:
    try:
        from matplotlib import cbook

        path = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    except Exception:
        return None
    return path if path.is_file() else None


@pytest.mark.skipif(_grace_hopper() is None, reason="matplotlib's sample data is not installed")
def test_a_real_jpeg_is_warped_where_its_gcps_say(tmp_path: Path) -> None:
    """matplotlib's sample photograph (512 x 600 JPEG), placed by four corner GCPs at ~2 m."""
    photo = _grace_hopper()
    assert photo is not None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(photo) as src:
            width, height = src.width, src.height
            pixels = src.read()
    x0, y0 = SX - 500, SY + 600

    def truth(px: float, py: float) -> tuple[float, float]:
        lon, lat = TO_UTM.transform(x0 + 2 * px, y0 - 2 * py, direction="INVERSE")
        return float(lon), float(lat)

    corners = [(0, 0), (width, 0), (0, height), (width, height), (width / 2, height / 3)]
    fit = fit_gcps([GCP(c, r, *truth(c, r)) for c, r in corners], "poly1")
    info = write_screenshot(photo, fit, tmp_path / "photo.tif", site=KAESONG, tags=TAGS)
    assert info.resolution_m == pytest.approx(2.0, rel=0.001)
    with rasterio.open(info.path) as out:
        # The photograph's pixel (col 300, row 200) is found at its place in the COG.
        x, y = TO_UTM.transform(*truth(300.5, 200.5))
        col, row = ~out.transform * (x, y)
        got = out.read(window=Window(int(col), int(row), 1, 1))[:3, 0, 0].astype(int)
    assert np.abs(got - pixels[:, 200, 300].astype(int)).max() <= 12


# --- clip_region ----------------------------------------------------------------------------


GEOD = Geod(ellps="WGS84")


def _span_m(w: float, s: float, e: float, n: float) -> tuple[float, float]:
    """East-west (along the southern edge) and north-south size of a lon/lat box, metres."""
    return GEOD.inv(w, s, e, s)[2], GEOD.inv(w, s, w, n)[2]


def test_clip_region_without_footprints_or_outline_is_a_square_round_the_point() -> None:
    w, s, e, n = clip_region(KAESONG, [], margin_km=DEFAULT_MARGIN_KM)
    assert w < KAESONG.lon < e and s < KAESONG.lat < n
    assert (e + w) / 2 == pytest.approx(KAESONG.lon) and (n + s) / 2 == pytest.approx(KAESONG.lat)
    assert _span_m(w, s, e, n) == pytest.approx((2000, 2000), abs=2)


def test_clip_region_uses_the_outline_when_there_is_no_footprint() -> None:
    import dataclasses

    outline = box(126.60, 37.90, 126.66, 37.95)
    site = dataclasses.replace(KAESONG, outline=outline)
    assert clip_region(site, [], margin_km=0.0) == pytest.approx(outline.bounds, abs=1e-12)
    w, _, _, n = clip_region(site, [], margin_km=1.0)
    assert GEOD.inv(w, 37.95, 126.60, 37.95)[2] == pytest.approx(1000, abs=2)
    assert GEOD.inv(126.6, n, 126.6, 37.95)[2] == pytest.approx(1000, abs=2)
    # A footprint, when there is one, decides instead of the outline.
    assert clip_region(site, [box(126.63, 37.93, 126.64, 37.94)], 0.0) == pytest.approx(
        (126.63, 37.93, 126.64, 37.94)
    )


def test_clip_region_never_reaches_beyond_the_radius() -> None:
    small = Site.at("Small zone", 126.6333, 37.9333, radius_km=2)
    w, s, e, n = clip_region(small, [box(126.60, 37.90, 126.70, 37.96)], margin_km=5)
    assert _span_m(w, s, e, n) == pytest.approx((4000, 4000), abs=5)
    assert (e + w) / 2 == pytest.approx(small.lon) and (n + s) / 2 == pytest.approx(small.lat)


@given(
    dx=st.floats(-0.1, 0.1),
    dy=st.floats(-0.1, 0.1),
    size=st.floats(0.0, 0.05),
    margin=st.floats(0.0, 3.0),
)
@settings(max_examples=60, deadline=None)
def test_clip_region_holds_the_footprints_and_their_margin(
    dx: float, dy: float, size: float, margin: float
) -> None:
    """The box holds the footprint and ``margin`` km round it, except beyond the radius."""
    lon, lat = KAESONG.lon + dx, KAESONG.lat + dy
    footprint = box(lon, lat, lon + size, lat + size)
    w, s, e, n = clip_region(KAESONG, [footprint], margin_km=margin)
    assert w < e and s < n
    m, r = margin * 1000, KAESONG.radius_km * 1000
    # Each edge lies the margin beyond the footprint, or at the radius from the point.
    for edge, inner, centre in ((w, lon, KAESONG.lon), (e, lon + size, KAESONG.lon)):
        beyond = GEOD.inv(edge, n, inner, n)[2]
        at_radius = GEOD.inv(edge, KAESONG.lat, centre, KAESONG.lat)[2]
        assert abs(beyond - m) < 2 or abs(at_radius - r) < 2
    for edge, inner in ((s, lat), (n, lat + size)):
        beyond = GEOD.inv(lon, edge, lon, inner)[2]
        at_radius = GEOD.inv(lon, edge, lon, KAESONG.lat)[2]
        assert abs(beyond - m) < 2 or abs(at_radius - r) < 2
