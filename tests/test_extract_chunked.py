"""Extraction in chunks (issue #9): the same footprint as the whole raster, polygon for polygon."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import pytest
import rasterio
from affine import Affine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasterio.enums import ColorInterp

from kaesong_geo.errors import DataError, UsageError
from kaesong_geo.extract import extract_footprint, local_reach_px
from kaesong_geo.extract_chunked import extract_chunked
from kaesong_geo.io.scene_extract import extract_scene
from kaesong_geo.site import KAESONG
from tests.synthetic_scenes import Kind, make_scene, write_scene_file
from tests.test_extract import iou_utm

#: Chunkings (rows, cols): square, oblong and ragged, one whose last chunk is narrower than
#: the overlap (Dask then rechunks; offsets must come from the result's chunks).
CHUNKINGS = [(128, 128), (97, 151), (300, 45), (395, 395)]


def _same(a: object, b: object) -> bool:
    return bool(a.equals_exact(b, 0.0))  # type: ignore[attr-defined]


@pytest.mark.parametrize("chunks", CHUNKINGS, ids=lambda c: f"{c[0]}x{c[1]}")
@pytest.mark.parametrize("kind", ["rgb", "sentinel2", "landsat"])
def test_chunked_extraction_is_identical_to_the_whole_raster(
    kind: Kind, chunks: tuple[int, int]
) -> None:
    bands, transform, crs, names, truth = make_scene(kind, seed=1)
    bands = bands.astype(np.float64)
    whole = extract_footprint(bands, transform, crs, names, KAESONG)
    lazy = da.from_array(bands, chunks=(len(names), *chunks))
    chunked = extract_chunked(lazy, transform, crs, names, KAESONG, scheduler="threads")
    assert _same(chunked.geometry, whole.geometry)
    assert chunked.threshold == whole.threshold
    assert chunked.parameters == whole.parameters
    assert iou_utm(chunked.geometry, truth) >= 0.85


def test_a_sampled_threshold_and_nodata_are_the_same_in_chunks() -> None:
    # a scene larger than the sample (threshold from windows) with a nodata stripe (RGB fill)
    bands, transform, crs, names, _ = make_scene("rgb", seed=2)
    bands = bands.astype(np.float64)
    bands[:, 40:60, :] = np.nan
    bands[:, :, 380:] = np.nan
    kwargs = {"sample": 70_000, "seed": 4}
    whole = extract_footprint(bands, transform, crs, names, KAESONG, **kwargs)
    for chunks in [(100, 100), (256, 64)]:
        lazy = da.from_array(bands, chunks=(3, *chunks))
        chunked = extract_chunked(lazy, transform, crs, names, KAESONG, scheduler="sync", **kwargs)
        assert _same(chunked.geometry, whole.geometry)
        assert chunked.threshold == whole.threshold
    assert whole.parameters["unknown_px"] == int(np.isnan(bands).any(axis=0).sum())


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    kind=st.sampled_from(["rgb", "sentinel2"]),
    rows=st.integers(16, 200),
    cols=st.integers(16, 200),
    min_patch_m2=st.sampled_from([100.0, 5000.0]),
)
def test_any_chunking_gives_the_whole_raster_footprint(
    seed: int, kind: Kind, rows: int, cols: int, min_patch_m2: float
) -> None:
    bands, transform, crs, names, _ = make_scene(kind, size=200, seed=seed)
    bands = bands.astype(np.float64)
    whole = extract_footprint(bands, transform, crs, names, KAESONG, min_patch_m2=min_patch_m2)
    lazy = da.from_array(bands, chunks=(len(names), rows, cols))
    chunked = extract_chunked(
        lazy, transform, crs, names, KAESONG, scheduler="sync", min_patch_m2=min_patch_m2
    )
    assert _same(chunked.geometry, whole.geometry)


@pytest.mark.parametrize("radius_km", [0.4, 0.6])
@pytest.mark.parametrize("outline", [False, True])
def test_parts_beyond_the_site_left_unfinished_change_nothing(
    radius_km: float, outline: bool
) -> None:
    # a site smaller than a scene speckled with textured patches: the chunks' tasks skip
    # the parts wholly beyond where the site can keep one (keep_region); the footprint is
    # still the whole raster's, its patches near the edge of the site included
    import dataclasses
    from unittest import mock

    from scipy import ndimage
    from shapely.geometry import Point

    import kaesong_geo.extract as extract
    from kaesong_geo.measure import from_utm

    _, transform, crs, names, _ = make_scene("rgb", seed=5)
    rng = np.random.default_rng(7)
    smooth = ndimage.gaussian_filter(rng.normal(size=(400, 400)), 3.0)
    patches = smooth > np.quantile(smooth, 0.8)
    bands = np.full((3, 400, 400), 0.3) + rng.normal(0, 0.005, (3, 400, 400))
    bands[:, patches] += rng.normal(0, 0.15, (3, int(patches.sum())))
    site = dataclasses.replace(KAESONG, max_distance_km=radius_km)
    if outline:
        x, y = transform * (200, 200)
        zone = from_utm(Point(x, y).buffer(radius_km * 500), 32652)
        site = dataclasses.replace(site, outline=zone, outline_margin_km=radius_km)
    whole = extract_footprint(bands, transform, crs, names, site, min_patch_m2=300.0)
    skipped = []
    may_keep = extract.KeepRegion.may_keep

    def counted(region: extract.KeepRegion, bounds: np.ndarray) -> np.ndarray:
        kept = may_keep(region, bounds)
        skipped.append(int((~kept).sum()))
        return kept

    lazy = da.from_array(bands, chunks=(3, 64, 64))
    with mock.patch.object(extract.KeepRegion, "may_keep", counted):
        chunked = extract_chunked(
            lazy, transform, crs, names, site, scheduler="sync", min_patch_m2=300.0
        )
    assert sum(skipped) > 0  # some parts were left unfinished
    assert len(whole.geometry.geoms) >= 5
    assert _same(chunked.geometry, whole.geometry)


def test_the_overlap_covers_every_neighbourhood_step() -> None:
    # one pixel less overlap than local_reach_px (8 px here: opening and closing of 2 px
    # each) and some chunking differs from the whole raster: the overlap is not too generous
    import kaesong_geo.extract_chunked as chunked_module

    bands, transform, crs, names, _ = make_scene("sentinel2", size=200, seed=3)
    bands = bands.astype(np.float64)
    whole = extract_footprint(bands, transform, crs, names, KAESONG, min_patch_m2=100.0)
    reach = local_reach_px(names, 10.0)
    assert reach == 8
    original = chunked_module.local_reach_px
    try:
        chunked_module.local_reach_px = lambda *a, **k: reach - 1  # type: ignore[assignment]
        differs = [
            not _same(
                extract_chunked(
                    da.from_array(bands, chunks=(5, c, c)), transform, crs, names, KAESONG,
                    scheduler="sync", min_patch_m2=100.0,
                ).geometry,
                whole.geometry,
            )
            for c in (23, 37, 50)
        ]  # fmt: skip
    finally:
        chunked_module.local_reach_px = original
    assert any(differs)


@pytest.mark.parametrize(("kind", "dtype"), [("rgb", "uint8"), ("sentinel2", "uint16")])
def test_a_scene_file_read_in_chunks_gives_the_in_memory_footprint(
    tmp_path: Path, kind: Kind, dtype: str
) -> None:
    path = tmp_path / f"{kind}.tif"
    truth = write_scene_file(path, kind, size=400, seed=0, tile_px=128, dtype=dtype)
    with rasterio.open(path) as src:
        scales = np.asarray(src.scales)[:, None, None]
        bands = src.read(masked=True).astype(np.float64).filled(np.nan) * scales
        transform, crs = src.transform, src.crs.to_string()
    result = extract_scene(path, KAESONG, chunk_px=128, progress=False)
    whole = extract_footprint(bands, transform, crs, list(result.band_names), KAESONG)
    assert _same(result.extraction.geometry, whole.geometry)
    assert iou_utm(result.extraction.geometry, truth) >= 0.85
    assert (result.width, result.height, result.crs) == (400, 400, "EPSG:32652")


def test_nodata_and_an_alpha_band_are_unknown_pixels(tmp_path: Path) -> None:
    bands, transform, crs, _, truth = make_scene("rgb", seed=0)
    data = np.round(bands / bands.max() * 254).astype("uint8") + 1
    data[:, :30, :] = 0  # nodata rows along the top
    alpha = np.full((1, *data.shape[1:]), 255, dtype="uint8")
    alpha[:, :, :25] = 0  # transparent columns on the left
    path = tmp_path / "rgba.tif"
    profile = {"driver": "GTiff", "width": 400, "height": 400, "count": 4, "dtype": "uint8"}
    with rasterio.open(path, "w", crs=crs, transform=transform, nodata=0, **profile) as dst:
        dst.write(np.concatenate([data, alpha]))
        dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue, ColorInterp.alpha]
    result = extract_scene(path, KAESONG, chunk_px=128, progress=False)
    assert result.band_names == ("red", "green", "blue")
    assert result.extraction.parameters["unknown_px"] == 30 * 400 + 25 * 370
    assert iou_utm(result.extraction.geometry, truth) >= 0.85


def test_the_progress_bar_goes_to_standard_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s2.tif"
    write_scene_file(path, "sentinel2", size=300)
    extract_scene(path, KAESONG, chunk_px=128, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "extract s2.tif" in err and "100%" in err


def test_unusable_scene_files_give_one_line(tmp_path: Path) -> None:
    path = tmp_path / "unnamed.tif"
    profile = {"driver": "GTiff", "width": 64, "height": 64, "count": 3, "dtype": "float32"}
    transform = make_scene("landsat", size=64)[1]
    with rasterio.open(path, "w", crs="EPSG:32652", transform=transform, **profile) as dst:
        dst.write(np.zeros((3, 64, 64), dtype="float32"))
    with pytest.raises(DataError, match=r"unnamed\.tif: its 3 bands have no names: name them"):
        extract_scene(path, KAESONG)
    with pytest.raises(UsageError, match=r"unnamed\.tif: 4 band names given \(a, b, c, d\) for 3"):
        extract_scene(path, KAESONG, band_names=["a", "b", "c", "d"])
    with pytest.raises(DataError, match=r"unnamed\.tif: bands B4, B5, B7 have neither"):
        extract_scene(path, KAESONG, band_names=["B4", "B5", "B7"])
    with pytest.raises(UsageError, match="at least 64 pixels"):
        extract_scene(path, KAESONG, chunk_px=16)
    two = tmp_path / "two.tif"
    with rasterio.open(
        two, "w", crs="EPSG:32652", transform=transform, **profile | {"count": 2}
    ) as dst:
        dst.write(np.zeros((2, 64, 64), dtype="float32"))
    with pytest.raises(
        DataError, match=r"two\.tif: has 2 bands; the built-up index needs red, NIR"
    ):
        extract_scene(two, KAESONG, band_names=["red", "nir"])
    geographic = tmp_path / "lonlat.tif"
    with rasterio.open(
        geographic, "w", crs="EPSG:4326",
        transform=rasterio.transform.from_origin(126.6, 37.95, 1e-4, 1e-4), **profile,
    ) as dst:  # fmt: skip
        dst.write(np.zeros((3, 64, 64), dtype="float32"))
    with pytest.raises(DataError, match=r"lonlat\.tif: the scene's CRS \(EPSG:4326\) is not proj"):
        extract_scene(geographic, KAESONG, band_names=["red", "nir", "swir1"])
    with pytest.raises(DataError, match=r"missing\.tif: cannot be read: No such file"):
        extract_scene(tmp_path / "missing.tif", KAESONG)


def test_a_web_mercator_scene_is_measured_in_ground_metres(tmp_path: Path) -> None:
    # QGIS exports of web tiles are in EPSG:3857, whose "metre" is 0.79 m at 38° N: the
    # pixel size, minimum patch and clean-up radii must be in ground metres
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    path = tmp_path / "s2.tif"
    truth = write_scene_file(path, "sentinel2", size=400, seed=0)
    mercator = tmp_path / "s2-3857.tif"
    with rasterio.open(path) as src:
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:3857", src.width, src.height, *src.bounds, resolution=12.68
        )
        profile = {**src.profile, "crs": "EPSG:3857", "transform": transform}
        profile.update(width=width, height=height)
        with rasterio.open(mercator, "w", **profile) as dst:
            for band in range(1, src.count + 1):
                reproject(
                    rasterio.band(src, band), rasterio.band(dst, band),
                    resampling=Resampling.nearest,
                )  # fmt: skip
            dst.descriptions = src.descriptions
    result = extract_scene(mercator, KAESONG, progress=False)
    assert result.extraction.pixel_m == pytest.approx(10.0, abs=0.05)
    assert iou_utm(result.extraction.geometry, truth) >= 0.85


def test_a_black_border_without_a_nodata_value_is_nodata(tmp_path: Path) -> None:
    # gdalwarp without -dstnodata leaves black (0 in every band) around a warped scene: with
    # no nodata value and no alpha band, that black is nodata, not a flat bright "roof"
    bands, transform, crs, _, truth = make_scene("rgb", seed=0)
    data = np.round(bands / bands.max() * 254).astype("uint8") + 1
    data[:, :80, :] = 0
    data[:, :, :80] = 0
    path = tmp_path / "warped.tif"
    profile = {"driver": "GTiff", "width": 400, "height": 400, "count": 3, "dtype": "uint8"}
    with rasterio.open(path, "w", crs=crs, transform=transform, **profile) as dst:
        dst.write(data)
        dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
    result = extract_scene(path, KAESONG, chunk_px=128, progress=False)
    assert result.extraction.parameters["unknown_px"] == 80 * 400 + 80 * 320
    assert iou_utm(result.extraction.geometry, truth) >= 0.85


@pytest.mark.parametrize("chunk_px", [64, 97, 400])
def test_compiled_and_numpy_extractions_of_a_file_are_the_same(
    tmp_path: Path, chunk_px: int
) -> None:
    # a black border (found by the compiled kernel as it reads), chunks thinner than the ring
    # strips are wide, and a chunk for the whole scene: the compiled classes, the compiled
    # tracer and the parts finished in the tasks give the NumPy/GEOS footprint, exactly
    bands, transform, crs, _, truth = make_scene("rgb", seed=3)
    data = np.round(bands / bands.max() * 254).astype("uint8") + 1
    data[:, :50, :] = 0
    path = tmp_path / "scene.tif"
    profile = {"driver": "GTiff", "width": 400, "height": 400, "count": 3, "dtype": "uint8"}
    with rasterio.open(path, "w", crs=crs, transform=transform, **profile) as dst:
        dst.write(data)
        dst.colorinterp = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
    compiled, plain = (
        extract_scene(path, KAESONG, chunk_px=chunk_px, progress=False, compiled=flag)
        for flag in (True, False)
    )
    assert _same(compiled.extraction.geometry, plain.extraction.geometry)
    assert compiled.extraction.parameters == plain.extraction.parameters
    assert compiled.extraction.parameters["unknown_px"] == 50 * 400
    assert iou_utm(compiled.extraction.geometry, truth) >= 0.85


def test_a_polygon_across_the_whole_scene_is_flagged(tmp_path: Path) -> None:
    # a 60 m concrete runway across a Sentinel-2 scene survives the 20 m opening: the
    # footprint is kept (a proposal) but flagged, with the option that removes it
    from kaesong_geo.errors import SuspectExtractionWarning

    bands, transform, crs, names, _ = make_scene("sentinel2", seed=0)
    bands[:, 300:306, :] = np.array([0.18, 0.19, 0.20, 0.23, 0.30])[:, None, None]
    path = tmp_path / "runway.tif"
    profile = {"driver": "GTiff", "width": 400, "height": 400, "count": 5, "dtype": "float32"}
    with rasterio.open(path, "w", crs=crs, transform=transform, **profile) as dst:
        dst.write(bands)
        dst.descriptions = tuple(names)
    with pytest.warns(
        SuspectExtractionWarning,
        match=r"runway\.tif: a built-up polygon of .* "
        r"runs across the area classified \(4,000 m of 4,000 m\).*now 20 m",
    ):
        flagged = extract_scene(path, KAESONG, progress=False)
    assert len(flagged.extraction.warnings) == 1
    clean = extract_scene(path, KAESONG, opening_m=40.0, progress=False)
    assert clean.extraction.warnings == ()


@pytest.mark.parametrize(("kind", "dtype"), [("rgb", "uint8"), ("sentinel2", "uint16")])
def test_a_scene_read_through_its_windows_or_rioxarray_gives_the_same_footprint(
    tmp_path: Path, kind: Kind, dtype: str
) -> None:
    # extract_scene reads each chunk in its own task (SceneWindows); a rioxarray Dask array
    # of the same file, handed to extract_chunked, must give the same polygons
    import rioxarray

    from kaesong_geo.io.scene_extract import SceneWindows, _scene_array

    path = tmp_path / f"{kind}.tif"
    write_scene_file(path, kind, size=400, seed=3, tile_px=128, dtype=dtype)
    with rasterio.open(path) as src:
        windows, prepare = _scene_array(src, path, 150)
        transform, crs = src.transform, src.crs.to_string()
        names = list(src.descriptions) if all(src.descriptions) else ["red", "green", "blue"]
    lazy = rioxarray.open_rasterio(path, chunks={"band": -1, "y": 150, "x": 150}, lock=False).data
    by_windows = extract_chunked(windows, transform, crs, names, KAESONG, prepare=prepare)
    by_rioxarray = extract_chunked(lazy, transform, crs, names, KAESONG, prepare=prepare)
    windows.close()
    assert _same(by_windows.geometry, by_rioxarray.geometry)
    assert by_windows.threshold == by_rioxarray.threshold
    assert not by_windows.geometry.is_empty
    assert isinstance(windows, SceneWindows) and windows.chunks[1] == (150, 150, 100)


def test_scene_windows_pickle_as_their_path_and_read_the_same(tmp_path: Path) -> None:
    # a dask.distributed worker gets the reader pickled and opens the file itself
    import pickle
    import threading

    from kaesong_geo.io.scene_extract import SceneWindows

    path = tmp_path / "rgb.tif"
    write_scene_file(path, "rgb", size=200, seed=1, dtype="uint8")
    scene = SceneWindows(path, 64)
    first = scene.read(10, 70, 120, 200)
    copy = pickle.loads(pickle.dumps(scene))
    seen: list[np.ndarray] = []
    thread = threading.Thread(target=lambda: seen.append(copy.read(10, 70, 120, 200)))
    thread.start()
    thread.join()
    with rasterio.open(path) as src:
        expected = src.read(window=((10, 70), (120, 200)))
    assert np.array_equal(first, expected) and np.array_equal(seen[0], expected)
    assert copy.shape == scene.shape == (3, 200, 200)
    assert copy.chunks == ((3,), (64, 64, 64, 8), (64, 64, 64, 8))
    assert len(copy._open) == 1  # the other thread's own handle
    copy.close()
    scene.close()
    assert copy._open == [] and scene._open == []


def test_extracting_a_small_scene_imports_neither_xarray_nor_distributed_nor_numba(
    tmp_path: Path,
) -> None:
    # pandas, pyarrow and xarray (through a Dask array) and distributed (through Dask's look
    # for a client) are about 140 MB of a 500 MB budget that a scene's extraction never
    # uses; numba (90 MB, 0.35 s to load) pays only on a large window or when asked for
    import subprocess
    import sys

    path = tmp_path / "rgb.tif"
    write_scene_file(path, "rgb", size=200, seed=1, dtype="uint8")
    code = (
        "import sys\n"
        "import kaesong_geo.extract_chunked as chunked\n"
        "from kaesong_geo.io.scene_extract import extract_scene\n"
        "from kaesong_geo.site import KAESONG\n"
        "def loaded():\n"
        "    return sorted(m for m in ('xarray', 'pandas', 'distributed', 'dask.array', 'numba')"
        " if m in sys.modules)\n"
        f"a = extract_scene({str(path)!r}, KAESONG, chunk_px=64, progress=False)\n"
        "print(loaded())\n"
        "chunked.COMPILED_FROM_PX = 200 * 200  # this scene's window is now large\n"
        f"b = extract_scene({str(path)!r}, KAESONG, chunk_px=64, progress=False)\n"
        "print(loaded(), a.extraction.geometry.equals_exact(b.extraction.geometry, 0))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.splitlines() == ["[]", "['numba'] True"], done.stdout + done.stderr


@pytest.mark.parametrize("compress", ["jpeg", "deflate"])
def test_a_files_internal_mask_is_nodata(tmp_path: Path, compress: str) -> None:
    # a JPEG-compressed COG carries its nodata as GDAL's per-dataset mask, not as a value:
    # what lies under the mask (here a bright, textured strip that reads as built-up) must
    # be unknown, not classified
    bands, transform, crs, _, truth = make_scene("rgb", seed=0)
    data = np.round(bands / bands.max() * 254).astype("uint8") + 1
    noise = np.random.default_rng(5).integers(0, 255, (3, 400, 40), dtype="uint8")
    data[:, :, 360:] = noise  # under the mask: rubbish
    mask = np.full((400, 400), 255, dtype="uint8")
    mask[:, 360:] = 0
    path = tmp_path / "masked.tif"
    profile = {
        "driver": "GTiff", "width": 400, "height": 400, "count": 3, "dtype": "uint8",
        "tiled": True, "blockxsize": 128, "blockysize": 128, "compress": compress,
    }  # fmt: skip
    with (
        rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True),
        rasterio.open(path, "w", crs=crs, transform=transform, **profile) as dst,
    ):
        dst.write(data)
        dst.write_mask(mask)
    result = extract_scene(path, KAESONG, chunk_px=128, progress=False)
    assert result.band_names == ("red", "green", "blue")
    assert result.extraction.parameters["unknown_px"] == 400 * 40
    from kaesong_geo.measure import to_utm

    x_masked = transform.c + 360 * transform.a  # the strip's western edge, in UTM
    footprint = result.extraction.geometry
    assert iou_utm(footprint, truth) >= 0.85
    assert to_utm(footprint, 32652).bounds[2] <= x_masked + 0.01


def test_a_scene_extracted_on_a_distributed_cluster_is_the_same(tmp_path: Path) -> None:
    # the chunks' tasks carry the reader pickled (its path): each worker process opens the
    # file itself; the footprint is the one the local threads give
    import logging

    import distributed

    path = tmp_path / "rgb.tif"
    write_scene_file(path, "rgb", size=400, seed=2, tile_px=128, dtype="uint8")
    local = extract_scene(path, KAESONG, chunk_px=128, progress=False)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
            silence_logs=logging.CRITICAL, local_directory=str(tmp_path / "dask"),
        ) as cluster,
        distributed.Client(cluster) as client,
    ):  # fmt: skip
        remote = extract_scene(path, KAESONG, chunk_px=128, progress=False, scheduler=client)
        workers = client.run(lambda: "kaesong_geo.io.scene_extract" in __import__("sys").modules)
    assert _same(remote.extraction.geometry, local.extraction.geometry)
    assert not local.extraction.geometry.is_empty
    assert any(workers.values())  # the reads ran on the workers


def test_a_mostly_nodata_scene_is_sampled_until_its_valid_pixels_are(tmp_path: Path) -> None:
    # 60 % of the scene nodata (a JPEG scene's pixels, as decoded): the first round of sample
    # windows found too few valid ones, none on the zone, and Otsu split fields alone
    # (an independent trial: 9.7-11.3 km² "built-up" against 0.54 km²); more rounds are
    # read until the sample holds enough valid pixels, and the threshold is the valid part's
    from unittest import mock

    import kaesong_geo.extract as extract

    source = tmp_path / "rgb.tif"
    write_scene_file(source, "rgb", size=1500, seed=1, dtype="uint8")
    with rasterio.open(source) as src:
        profile = {k: v for k, v in src.profile.items() if k not in ("compress", "nodata")}
    jpeg = tmp_path / "jpeg.tif"
    with (
        rasterio.open(source) as src,
        rasterio.open(
            jpeg, "w", **profile | {"compress": "jpeg", "photometric": "ycbcr", "tiled": True}
        ) as dst,
    ):
        dst.write(src.read())
    with rasterio.open(jpeg) as src:
        decoded = src.read()
        transform = src.transform
    holed = tmp_path / "holed.tif"
    data = decoded.copy()
    data[:, :, :900] = 0
    with rasterio.open(holed, "w", **profile | {"nodata": 0}) as dst:
        dst.write(data)
    crop = tmp_path / "crop.tif"
    with rasterio.open(
        crop, "w", **profile | {"width": 600, "transform": transform * Affine.translation(900, 0)}
    ) as dst:
        dst.write(decoded[:, :, 900:])
    whole = extract_scene(crop, KAESONG, progress=False).extraction
    masked = extract_scene(holed, KAESONG, chunk_px=256, progress=False).extraction
    assert masked.threshold == pytest.approx(whole.threshold, rel=0.02)
    assert masked.geometry.area == pytest.approx(whole.geometry.area, rel=0.02)
    from kaesong_geo.errors import SuspectExtractionWarning

    with (
        mock.patch.object(extract, "SAMPLE_ROUNDS", 1),  # the first round alone, as before
        pytest.warns(SuspectExtractionWarning, match="runs across the area classified"),
    ):
        before = extract_scene(holed, KAESONG, chunk_px=256, progress=False).extraction
    assert before.threshold < 0.6 * whole.threshold  # what the trial saw
