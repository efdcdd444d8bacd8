"""Images that are not (fully) georeferenced: a clear one-line message, never an internal error."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS

from kaesong_geo.errors import DataError
from kaesong_geo.io.imagery import check_image
from kaesong_geo.io.raster import GDAL_CACHE_MB, offline_env, read_overlay

from .common import assert_refused

# A QGIS Georeferencer .points file as QGIS 3 writes it (sourceY negative).
POINTS = (
    '#CRS: GEOGCRS["WGS 84",ID["EPSG",4326]]\n'
    "mapX,mapY,sourceX,sourceY,enable,dX,dY,residual\n"
    "126.625,37.945,10,-10,1,0,0,0\n"
    "126.635,37.945,900,-10,1,0,0,0\n"
    "126.625,37.938,10,-700,1,0,0,0\n"
    "126.635,37.938,900,-700,1,0,0,0\n"
)


def _png(path: Path, srs: str | None = None) -> Path:
    """A 300 x 200 RGB PNG screenshot; with an .aux.xml giving ``srs`` but no world file."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(
            path, "w", driver="PNG", width=300, height=200, count=3, dtype="uint8"
        ) as dst:
            dst.write(np.full((3, 200, 300), 120, dtype="uint8"))
    if srs is not None:
        wkt = CRS.from_string(srs).to_wkt()
        path.with_name(path.name + ".aux.xml").write_text(
            f"<PAMDataset><SRS>{wkt}</SRS></PAMDataset>"
        )
    return path


def _catalogue(data_dir: Path, file: str) -> Path:
    catalog = data_dir / "imagery" / "catalog.csv"
    with catalog.open("a", encoding="utf-8") as fh:
        fh.write(f"2009-09,Screenshot,1,no,{file},test fixture,\n")
    return catalog


def test_a_screenshot_with_a_points_file_is_told_how_to_add_it(cli, data_dir: Path) -> None:
    png = _png(data_dir / "imagery" / "shot.png")
    (data_dir / "imagery" / "shot.png.points").write_text(POINTS)
    catalog = _catalogue(data_dir, "shot.png")
    assert_refused(
        cli,
        data_dir,
        f"{png}: has neither a CRS nor ground control points; the QGIS Georeferencer file "
        "shot.png.points beside it is not read here: add the screenshot with kaesong-geo "
        f"epochs add DATE --image shot.png --gcps shot.png.points ({catalog} line 7)",
    )


def test_a_points_file_named_without_the_image_extension_is_found(tmp_path: Path) -> None:
    png = _png(tmp_path / "shot.png")
    (tmp_path / "shot.points").write_text(POINTS)
    message = check_image(png, tmp_path)
    assert message is not None
    assert "--image shot.png --gcps shot.points" in message


def test_without_a_points_file_the_message_is_unchanged(tmp_path: Path) -> None:
    png = _png(tmp_path / "shot.png")
    assert check_image(png, tmp_path) == (
        "has neither a CRS nor ground control points; georeference it first"
    )


@pytest.mark.parametrize("srs", ["EPSG:32652", "EPSG:4326"])
def test_a_crs_without_a_geotransform_is_one_line(cli, data_dir: Path, srs: str) -> None:
    """A PNG whose .aux.xml gives an SRS but no world file: no internal error, no wrong place."""
    png = _png(data_dir / "imagery" / "shot.png", srs)
    catalog = _catalogue(data_dir, "shot.png")
    assert_refused(
        cli,
        data_dir,
        f"{png}: has a CRS but no geotransform (no world file such as shot.pgw beside it); "
        "georeference it, or for a screenshot give ground control points: epochs add DATE "
        f"--image FILE --gcps FILE.points ({catalog} line 7)",
    )


def test_read_overlay_refuses_a_crs_without_a_geotransform(tmp_path: Path) -> None:
    png = _png(tmp_path / "shot.png", "EPSG:32652")
    with pytest.raises(DataError, match=r"shot\.png: has a CRS but no geotransform"):
        read_overlay(png)


def test_a_world_file_makes_it_georeferenced(tmp_path: Path) -> None:
    """The same PNG with its world file is placed, not refused."""
    png = _png(tmp_path / "shot.png", "EPSG:32652")
    (tmp_path / "shot.pgw").write_text("10\n0\n0\n-10\n290505\n4202195\n")
    assert check_image(png, tmp_path) is None
    assert read_overlay(png).width > 0


def test_gdal_block_cache_is_the_documented_size() -> None:
    """rasterio takes GDAL_CACHEMAX in bytes: 64 would be a 64-byte cache."""
    from rasterio._env import get_gdal_config

    with offline_env():
        assert get_gdal_config("GDAL_CACHEMAX") == GDAL_CACHE_MB * 1024 * 1024


def test_an_image_changed_or_given_a_sidecar_is_opened_again(tmp_path: Path) -> None:
    # the extents of images checked before are kept by the identity of the file and of the
    # files beside it: a screenshot given its .aux.xml, or a GeoTIFF written over, is not
    # judged as it was
    png = _png(tmp_path / "shot.png")
    bare = check_image(png, tmp_path)
    assert "neither a CRS nor ground control points" in (bare or "")
    (tmp_path / "sub").mkdir()
    other = _png(tmp_path / "sub" / "shot.png", srs="EPSG:4326")
    aux = other.with_name(other.name + ".aux.xml")
    png.with_name(png.name + ".aux.xml").write_bytes(aux.read_bytes())  # the picture untouched
    assert check_image(png, tmp_path) != bare
    tif = tmp_path / "scene.tif"
    for west in (126.6, 10.0):  # over the site, then far away, written over in place
        profile = {"driver": "GTiff", "width": 10, "height": 10, "count": 1, "dtype": "uint8"}
        transform = rasterio.transform.from_origin(west, 37.95, 0.005, 0.005)
        with rasterio.open(tif, "w", crs="EPSG:4326", transform=transform, **profile) as dst:
            dst.write(np.zeros((1, 10, 10), dtype="uint8"))
        found = check_image(tif, tmp_path)
        assert (found is None) == (west > 100), found
