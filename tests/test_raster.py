"""Reading imagery for the map: at the size the map needs, placed where the image lies."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.control import GroundControlPoint
from rasterio.io import DatasetReader
from rasterio.transform import from_origin

from kaesong_geo.errors import DataError
from kaesong_geo.io.raster import read_overlay

X0, Y0 = 288_000.0, 4_204_000.0  # UTM 52N, over the complex


def _image(path: Path, size: int, *, gcps: bool = False) -> Path:
    """A size² uint8 image, 0 (nodata) except a bright square in the north-west quarter."""
    data = np.full((size, size), 40, dtype="uint8")
    q = size // 4
    data[q // 2 : q // 2 + q, q // 2 : q // 2 + q] = 250
    data[:, -size // 8 :] = 0  # an eastern strip of nodata: the mask matters
    pixel = 4000.0 / size
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 1, "dtype": "uint8"}
    profile.update(nodata=0, tiled=True, blockxsize=256, blockysize=256)
    if not gcps:
        profile.update(crs="EPSG:32652", transform=from_origin(X0, Y0, pixel, pixel))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(data, 1)
            if gcps:
                points = [
                    GroundControlPoint(row=r, col=c, x=X0 + c * pixel, y=Y0 - r * pixel)
                    for r, c in ((0, 0), (0, size), (size, 0), (size, size))
                ]
                dst.gcps = (points, rasterio.crs.CRS.from_epsg(32652))
    return path


def _png_band(png: bytes, band: int) -> np.ndarray:
    with warnings.catch_warnings(), rasterio.MemoryFile(io.BytesIO(png)) as mem:
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with mem.open() as src:
            return src.read(band)


def _bright_centre(png: bytes) -> tuple[float, float]:
    """Centre of the bright square, as fractions of the PNG's width and height."""
    band = _png_band(png, 1)
    rows, cols = np.nonzero(band > 200)
    return cols.mean() / band.shape[1], rows.mean() / band.shape[0]


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, object]]:
    """Record the out_shape of every band and mask read."""
    calls: list[tuple[str, object]] = []
    read, mask = DatasetReader.read, DatasetReader.dataset_mask

    def spy_read(self, *args, **kwargs):
        calls.append(("read", kwargs.get("out_shape")))
        return read(self, *args, **kwargs)

    def spy_mask(self, *args, **kwargs):
        calls.append(("mask", kwargs.get("out_shape")))
        return mask(self, *args, **kwargs)

    monkeypatch.setattr(DatasetReader, "read", spy_read)
    monkeypatch.setattr(DatasetReader, "dataset_mask", spy_mask)
    return calls


@pytest.mark.parametrize("gcps", [False, True])
def test_large_image_is_read_decimated_band_and_mask(
    tmp_path: Path, reads: list, gcps: bool
) -> None:
    path = _image(tmp_path / "big.tif", 4096, gcps=gcps)
    ov = read_overlay(path, max_size=256, progress=False)
    assert max(ov.width, ov.height) == 256
    assert [kind for kind, _ in reads] == ["read", "mask"]
    for _, shape in reads:
        # About twice the output resolution: ~500² of the 4096² pixels, never all of them.
        assert shape is not None and 400 < shape[0] < 700 and shape == (shape[0], shape[0])


def test_small_image_is_read_at_its_own_resolution(tmp_path: Path, reads: list) -> None:
    path = _image(tmp_path / "small.tif", 200)
    read_overlay(path, progress=False)
    assert [shape for _, shape in reads] == [(200, 200), (200, 200)]


@pytest.mark.parametrize("gcps", [False, True])
def test_decimated_overlay_shows_the_image_where_the_full_one_does(
    tmp_path: Path, gcps: bool
) -> None:
    path = _image(tmp_path / "img.tif", 2048, gcps=gcps)
    full = read_overlay(path, max_size=4096, progress=False)  # no decimation
    small = read_overlay(path, max_size=200, progress=False)  # factor ~6
    for a, b in zip(full.bounds, small.bounds, strict=True):
        assert a == pytest.approx(b, abs=2e-3)  # degrees; one output pixel ~ 1.3e-4
    fx, fy = _bright_centre(full.png)
    sx, sy = _bright_centre(small.png)
    assert (fx, fy) == pytest.approx((sx, sy), abs=0.01)
    assert 0.15 < fx < 0.3 and 0.15 < fy < 0.3


def test_nodata_stays_transparent_when_decimated(tmp_path: Path) -> None:
    ov = read_overlay(_image(tmp_path / "img.tif", 2048), max_size=200, progress=False)
    alpha = _png_band(ov.png, 4)
    opaque = (alpha > 0).mean()
    assert 0.75 < opaque < 0.9  # the eastern eighth (plus warp margins) is transparent


def test_vrt_to_the_network_is_refused_by_read_overlay(tmp_path: Path) -> None:
    vrt = tmp_path / "remote.vrt"
    vrt.write_text(
        '<VRTDataset rasterXSize="1" rasterYSize="1"><VRTRasterBand band="1"><SimpleSource>'
        "<SourceFilename>/vsicurl/https://example.com/a.tif</SourceFilename>"
        "</SimpleSource></VRTRasterBand></VRTDataset>",
        encoding="utf-8",
    )
    with pytest.raises(DataError, match=r"remote\.vrt: refers to '/vsicurl/https://example"):
        read_overlay(vrt)
