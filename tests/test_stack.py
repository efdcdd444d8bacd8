"""Single-band files stacked into one scene (io.stack), and STAC items of such files (io.stac)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pystac
import pytest
import rasterio
import shapely
from affine import Affine

from kaesong_geo.io.stac import read_stac_scenes
from kaesong_geo.io.stack import BandSource, stack_problem, stacked_scene, stacked_vrt
from tests.synthetic_scenes import make_scene

#: Sentinel-2 bands as Earth Search names them: (asset key, common name, pixel size).
S2_ASSETS = (("blue", "blue", 10), ("red", "red", 10), ("nir", "nir", 10), ("swir16", "swir16", 20))


def write_band_files(folder: Path, size: int = 400, seed: int = 0) -> dict[str, Path]:
    """Sentinel-2-like single-band uint16 files (digital numbers, no GDAL scale), SWIR1 at 20 m."""
    bands, transform, crs, _, _ = make_scene("sentinel2", size=size, seed=seed)
    by_name = dict(zip(["blue", "green", "red", "nir", "swir16"], bands, strict=True))
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for key, common, px in S2_ASSETS:
        values = by_name[common]
        if px == 20:  # the 20 m band: means of 2 x 2 pixels
            values = values.reshape(size // 2, 2, size // 2, 2).mean(axis=(1, 3))
        data = np.round(values * 10_000).astype("uint16")[None]
        path = folder / f"{key.upper()}.tif"
        profile = {"driver": "GTiff", "width": data.shape[2], "height": data.shape[1], "count": 1}
        t = transform * Affine.scale(px / 10)
        with rasterio.open(path, "w", dtype="uint16", crs=crs, transform=t, **profile) as dst:
            dst.write(data)
        out[key] = path
    return out


def test_bands_at_10_and_20_m_stack_on_the_10_m_grid_with_their_scales(tmp_path: Path) -> None:
    files = write_band_files(tmp_path / "tile", size=100)
    bands = [
        BandSource(files["red"], "red", scale=1e-4),
        BandSource(files["swir16"], "swir16", scale=1e-4, offset=-0.1, nodata=0),
    ]
    with stacked_scene(bands, "S2B 52SCG/2021") as vrt:
        assert vrt.name == "S2B_52SCG_2021.vrt"
        with rasterio.open(vrt) as src:
            assert (src.count, src.width, src.height, src.res) == (2, 100, 100, (10.0, 10.0))
            assert src.descriptions == ("red", "swir16")
            assert src.scales == (1e-4, 1e-4) and src.offsets == (0.0, -0.1)
            assert src.nodatavals == (None, 0.0)
            stacked = src.read()
    assert not vrt.exists() and not vrt.parent.exists()  # removed after the block
    with rasterio.open(files["red"]) as red, rasterio.open(files["swir16"]) as swir:
        assert np.array_equal(stacked[0], red.read(1))
        coarse = swir.read(1)
    # nearest neighbour: each 20 m pixel repeated over its four 10 m pixels, never blended
    assert np.array_equal(stacked[1], np.repeat(np.repeat(coarse, 2, axis=0), 2, axis=1))


def test_bands_that_do_not_make_one_scene_are_refused_with_a_reason(tmp_path: Path) -> None:
    files = write_band_files(tmp_path / "tile", size=100)
    red = BandSource(files["red"], "red")
    other = tmp_path / "other.tif"
    profile = {"driver": "GTiff", "width": 100, "height": 100, "count": 1}

    def write(path: Path, **kw: object) -> Path:
        options = {"dtype": "uint16", "crs": "EPSG:32652"} | kw
        with rasterio.open(path, "w", **profile, **options) as dst:  # type: ignore[arg-type]
            dst.write(np.ones((1, 100, 100), dtype=str(options["dtype"])))
        return path

    with rasterio.open(files["red"]) as src:
        t = src.transform
    cases = {
        "different CRSs": write(other, transform=t, crs="EPSG:32651"),
        "different data types": write(tmp_path / "f.tif", transform=t, dtype="float32"),
        "different extents": write(
            tmp_path / "shifted.tif", transform=t * Affine.translation(3, 0)
        ),
        "not north-up": write(tmp_path / "rot.tif", transform=t * Affine.rotation(10)),
    }
    for reason, path in cases.items():
        problem = stack_problem([red, BandSource(path, "nir")])
        assert problem is not None and reason in problem, (reason, problem)
    assert "is not a file" in str(stack_problem([red, BandSource(tmp_path / "no.tif", "nir")]))
    assert "named twice" in str(stack_problem([red, BandSource(files["nir"], "red")]))
    assert "has no band 2" in str(stack_problem([BandSource(files["red"], "red", band=2)]))
    with pytest.raises(ValueError, match="different CRSs"):
        stacked_vrt([red, BandSource(other, "nir")])


def _band_item(item_id: str, folder: Path, files: dict[str, Path]) -> pystac.Item:
    item = pystac.Item(
        id=item_id, geometry=None, bbox=None, datetime=dt.datetime(2021, 5, 14), properties={}
    )
    for key, common, _ in S2_ASSETS:
        asset = pystac.Asset(href=str(files[key]), media_type=pystac.MediaType.COG, roles=["data"])
        asset.extra_fields["eo:bands"] = [{"name": key.upper(), "common_name": common}]
        asset.extra_fields["raster:bands"] = [{"nodata": 0, "scale": 0.0001, "offset": 0}]
        item.add_asset(key, asset)
    scl = pystac.Asset(href=str(folder / "SCL.tif"), roles=["data"])  # names no band
    item.add_asset("scl", scl)
    return item


def test_an_item_of_band_files_is_a_scene_of_the_bands_the_index_needs(tmp_path: Path) -> None:
    files = write_band_files(tmp_path / "tile", size=100)
    cat = pystac.Catalog(id="s2", description="bands in files of their own")
    cat.add_item(_band_item("S2B_52SCG_20210514", tmp_path / "tile", files))
    missing = _band_item("S2B_52SCG_20210524", tmp_path / "tile", files)
    missing.assets["swir16"].href = str(tmp_path / "tile" / "gone.tif")
    missing.datetime = dt.datetime(2021, 5, 24)
    cat.add_item(missing)
    remote = _band_item("S2B_52SCG_20210603", tmp_path / "tile", files)
    remote.assets["nir"].href = "https://example.com/B08.tif"
    remote.datetime = dt.datetime(2021, 6, 3)
    cat.add_item(remote)
    cat.normalize_hrefs(str(tmp_path / "cat"))
    cat.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)
    scene, gone, web = read_stac_scenes(tmp_path / "cat" / "catalog.json")
    assert scene.problem is None and scene.date == "2021-05-14"
    assert scene.band_names == ("red", "nir", "swir16")  # what NDBI - NDVI uses; not blue
    assert [s.path for s in scene.sources] == [files["red"], files["nir"], files["swir16"]]
    assert {(s.scale, s.offset, s.nodata) for s in scene.sources} == {(1e-4, 0.0, 0.0)}
    assert scene.path is not None and scene.path.name == "S2B_52SCG_20210514.json"
    assert gone.problem == f"asset swir16 (swir16): {tmp_path / 'tile' / 'gone.tif'} is not a file"
    assert web.problem is not None and web.problem.startswith(
        "asset nir (nir) is remote (https://example.com/B08.tif): kaesong-geo reads local"
    )


def _s2_named_files(folder: Path) -> list[Path]:
    """Band files named as Sentinel-2's are (``..._B04_10m``), red, NIR, SWIR1."""
    files = write_band_files(folder / "raw", size=400, seed=0)
    out = []
    for key, band, res in (("red", "B04", 10), ("nir", "B08", 10), ("swir16", "B11", 20)):
        path = folder / f"T52SCG_20210514T020701_{band}_{res}m.tif"
        path.write_bytes(files[key].read_bytes())
        out.append(path)
    return out


def test_stack_writes_a_cog_that_extract_reads(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_extract import iou_utm

    files = _s2_named_files(tmp_path)
    out = tmp_path / "s2.tif"
    r = cli("stack", *map(str, files), "--output", str(out), "--scale", "0.0001")
    assert r.code == 0, r.err
    assert r.out.splitlines()[:4] == [
        f"band 1     B04      {files[0].name}",
        f"band 2     B08      {files[1].name}",
        f"band 3     B11      {files[2].name}",
        "scale      x 0.0001 + 0",
    ]
    assert "400 x 400 px, 10 m pixels, EPSG:32652" in r.out
    with rasterio.open(out) as src:
        assert src.driver == "GTiff" and src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert src.descriptions == ("B04", "B08", "B11") and src.scales == (1e-4,) * 3
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    r = cli("extract", str(out), "--output", str(tmp_path / "fp.geojson"), "--format", "json")
    assert r.code == 0, r.err
    fp = shapely.from_geojson((tmp_path / "fp.geojson").read_text())
    truth = make_scene("sentinel2", size=400, seed=0)[4]
    assert iou_utm(fp, truth) >= 0.85


def test_stack_refuses_bad_input_in_one_line_and_writes_nothing(  # type: ignore[no-untyped-def]
    cli, tmp_path: Path
) -> None:
    files = _s2_named_files(tmp_path)
    unnamed = tmp_path / "unnamed.tif"
    unnamed.write_bytes(files[0].read_bytes())
    other = tmp_path / "utm51_B08.tif"
    with rasterio.open(files[1]) as src:
        profile = src.profile | {"crs": "EPSG:32651"}
        data = src.read()
    with rasterio.open(other, "w", **profile) as dst:
        dst.write(data)
    out = tmp_path / "out.tif"
    cases = [
        ((str(files[0]), str(tmp_path / "gone.tif")), 1, f"{tmp_path / 'gone.tif'}: is not a file"),
        ((*map(str, files), "--bands", "red,nir"), 2,
         "--bands gives 2 names (red, nir) for 3 bands in 3 files"),
        ((str(files[0]), str(unnamed)), 1, f"{unnamed}: band 1 has no name"),
        ((str(files[0]), str(other)), 1, "bands B04 and B08 are in different CRSs"),
    ]  # fmt: skip
    for args, code, message in cases:
        r = cli("stack", *args, "--output", str(out))
        assert (r.code, r.out) == (code, ""), (args, r.err)
        assert r.err.startswith("kaesong-geo: error: ") and message in r.err, r.err
        assert len(r.err.splitlines()) == 1
        assert not out.exists()
    out.write_bytes(b"keep me")
    r = cli("stack", *map(str, files), "--output", str(out))
    assert r.code == 2 and "already exists; use --overwrite" in r.err
    assert out.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
