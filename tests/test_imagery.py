"""The imagery catalogue and its images: opened by every command, offline, inside imagery/."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest
import rasterio

from kaesong_geo.io.raster import network_problem, offline_env

from .common import add_imagery, assert_refused, write_geotiff


def _catalogue(
    data_dir: Path, file: str, *, resolution: str = "10", epoch: str = "2009-09"
) -> Path:
    """Append a row naming ``file`` (line 7 of the bundled catalogue); return the catalogue."""
    catalog = data_dir / "imagery" / "catalog.csv"
    with catalog.open("a", encoding="utf-8") as fh:
        fh.write(f"{epoch},Test scene,{resolution},yes,{file},test fixture,\n")
    return catalog


def _vrt(source: str, relative: bool = False) -> str:
    return (
        '<VRTDataset rasterXSize="200" rasterYSize="150">'
        "<SRS>EPSG:32652</SRS><GeoTransform>290500, 10, 0, 4202200, 0, -10</GeoTransform>"
        '<VRTRasterBand dataType="Byte" band="1"><SimpleSource>'
        f'<SourceFilename relativeToVRT="{int(relative)}">{source}</SourceFilename>'
        "<SourceBand>1</SourceBand></SimpleSource></VRTRasterBand></VRTDataset>"
    )


def test_good_images_pass_and_are_counted(cli, data_dir: Path) -> None:
    add_imagery(data_dir, "2009-09")
    write_geotiff(data_dir / "imagery" / "gcps.tif", crs=None, gcps=True)
    _catalogue(data_dir, "gcps.tif", epoch="2006-01")
    (data_dir / "imagery" / "local.vrt").write_text(_vrt("scene.tif", relative=True))
    _catalogue(data_dir, "local.vrt", epoch="2004-04")
    r = cli("validate", "--data-dir", str(data_dir))
    assert r.code == 0, r.out
    assert "8 images; 0 errors" in r.out


def test_image_without_crs_or_gcps(cli, data_dir: Path) -> None:
    tif = write_geotiff(data_dir / "imagery" / "plain.tif", crs=None)
    catalog = _catalogue(data_dir, "plain.tif")
    assert_refused(
        cli,
        data_dir,
        f"{tif}: has neither a CRS nor ground control points; georeference it first "
        f"({catalog} line 7)",
    )


def test_image_of_another_place(cli, data_dir: Path) -> None:
    # The same grid numbers in UTM zone 31N instead of 52N: southern Spain, not Kaesong.
    tif = write_geotiff(data_dir / "imagery" / "elsewhere.tif", crs="EPSG:32631")
    _catalogue(data_dir, "elsewhere.tif")
    assert_refused(
        cli,
        data_dir,
        f"{tif}: covers lon 0.6",
    )
    r = cli("growth", "--data-dir", str(data_dir))
    assert ", not the Kaesong Industrial Complex at 126.633, 37.9333 nor any footprint" in r.err


def test_image_covering_a_footprint_but_not_the_reference_point(cli, data_dir: Path) -> None:
    # 2 km south-west of the reference point, overlapping the 2009-09 footprint.
    write_geotiff(data_dir / "imagery" / "corner.tif")
    _catalogue(data_dir, "corner.tif")
    assert cli("validate", "--data-dir", str(data_dir)).code == 0


@pytest.mark.parametrize(
    ("file", "message"),
    [
        ("../boundaries/2004-04.geojson", "may not contain '..' (it must stay inside"),
        ("/etc/hostname", "must be a path relative to"),
        ("/vsicurl/https://example.com/a.tif", "must be a path relative to"),
        ("https://example.com/a.tif", "must be a path relative to"),
        ("missing.tif", "is not in"),
    ],
)
def test_catalogued_path_must_stay_inside_imagery(
    cli, data_dir: Path, file: str, message: str
) -> None:
    catalog = _catalogue(data_dir, file)
    assert_refused(cli, data_dir, f"{catalog}: line 7: file {file!r} {message}")


def test_symlink_leading_out_of_imagery(cli, data_dir: Path, tmp_path: Path) -> None:
    outside = write_geotiff(tmp_path / "outside.tif")
    (data_dir / "imagery" / "inside.tif").symlink_to(outside)
    catalog = _catalogue(data_dir, "inside.tif")
    assert_refused(
        cli, data_dir, f"{catalog}: line 7: file 'inside.tif' leads out of {data_dir / 'imagery'}"
    )


@pytest.mark.parametrize(
    "source",
    [
        "/vsicurl/https://example.com/a.tif",
        "http://example.com/a.tif",
        "/vsis3/bucket/a.tif",
        "ftp://example.com/a.tif",
        "/vsizip//vsicurl/https://example.com/a.zip/a.tif",
    ],
)
def test_vrt_pointing_at_the_network_is_refused(cli, data_dir: Path, source: str) -> None:
    vrt = data_dir / "imagery" / "remote.vrt"
    vrt.write_text(_vrt(source), encoding="utf-8")
    _catalogue(data_dir, "remote.vrt")
    assert_refused(
        cli,
        data_dir,
        f"{vrt}: refers to {source!r} over the network; GDAL may read local files only",
    )


def test_vrt_leading_out_of_imagery_or_to_a_service_is_refused(
    cli, data_dir: Path, tmp_path: Path
) -> None:
    outside = write_geotiff(tmp_path / "outside.tif")
    vrt = data_dir / "imagery" / "out.vrt"
    vrt.write_text(_vrt(str(outside)), encoding="utf-8")
    _catalogue(data_dir, "out.vrt")
    assert_refused(cli, data_dir, f"{vrt}: refers to {str(outside)!r}, outside ")
    # A local file that is itself a web-service description (GDAL's WMS driver).
    wms = data_dir / "imagery" / "tiles.xml"
    wms.write_text(
        "<GDAL_WMS><Service name='TMS'><ServerUrl>https://tile.example.com/${z}/${x}/${y}.png"
        "</ServerUrl></Service></GDAL_WMS>",
        encoding="utf-8",
    )
    vrt.write_text(_vrt("tiles.xml", relative=True), encoding="utf-8")
    assert_refused(
        cli, data_dir, f"{vrt}: refers to 'tiles.xml', which is an XML service description"
    )


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "ten"])
def test_non_finite_resolution(cli, data_dir: Path, value: str) -> None:
    catalog = _catalogue(data_dir, "", resolution=value)
    assert_refused(cli, data_dir, f"{catalog}: line 7: resolution_m ", ("validate", "growth"))


class _Counter(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(404)
        self.end_headers()

    do_HEAD = do_GET  # noqa: N815 - http.server's name

    def log_message(self, *args: object) -> None:
        pass


def test_offline_env_makes_no_request() -> None:
    """GDAL's /vsicurl/ reaches a local server normally, and not inside offline_env."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"/vsicurl/http://127.0.0.1:{server.server_port}/scene.tif"
    try:
        with offline_env(), pytest.raises(rasterio.errors.RasterioIOError):
            rasterio.open(url)
        assert _Counter.hits == 0
        with rasterio.Env(), pytest.raises(rasterio.errors.RasterioIOError):
            rasterio.open(url)
        assert _Counter.hits > 0  # the same open without it does reach the server
    finally:
        server.shutdown()


def test_network_problem_of_plain_files(tmp_path: Path) -> None:
    assert network_problem(write_geotiff(tmp_path / "a.tif"), tmp_path) is None
    (tmp_path / "b.vrt").write_text(_vrt("a.tif", relative=True), encoding="utf-8")
    assert network_problem(tmp_path / "b.vrt", tmp_path) is None
    (tmp_path / "c.vrt").write_text(_vrt("b.vrt", relative=True), encoding="utf-8")
    assert network_problem(tmp_path / "c.vrt", tmp_path) is None
    (tmp_path / "d.vrt").write_text(_vrt("/vsicurl/http://x/a.tif"), encoding="utf-8")
    (tmp_path / "e.vrt").write_text(_vrt("d.vrt", relative=True), encoding="utf-8")
    assert network_problem(tmp_path / "e.vrt", tmp_path) == (
        "refers to 'd.vrt', which refers to '/vsicurl/http://x/a.tif' over the network; "
        "GDAL may read local files only"
    )


def test_vrt_source_relative_to_the_working_directory_is_refused(tmp_path: Path) -> None:
    write_geotiff(tmp_path / "a.tif")
    (tmp_path / "cwd.vrt").write_text(_vrt("a.tif", relative=False), encoding="utf-8")
    assert network_problem(tmp_path / "cwd.vrt", tmp_path) == (
        "refers to 'a.tif' without relativeToVRT=\"1\"; refused"
    )


def test_vrt_in_a_subfolder_reading_elsewhere_in_imagery_maps_as_it_validates(
    cli, data_dir: Path, tmp_path: Path
) -> None:
    """map checks a VRT against the whole imagery/ folder, as validate does, not its own."""
    add_imagery(data_dir, "2009-09")  # imagery/scene.tif
    (data_dir / "imagery" / "vrts").mkdir()
    (data_dir / "imagery" / "vrts" / "sub.vrt").write_text(_vrt("../scene.tif", relative=True))
    _catalogue(data_dir, "vrts/sub.vrt", epoch="2004-04")
    assert cli("validate", "--data-dir", str(data_dir)).code == 0
    r = cli("map", "--data-dir", str(data_dir), "-o", str(tmp_path / "m.html"))
    assert r.code == 0, r.err
    from .test_maps import config_of

    shown = {image["epoch"] for image in config_of((tmp_path / "m.html").read_text())["imagery"]}
    assert shown == {"2004-04", "2009-09"}


def test_catalogue_saved_by_excel_with_a_bom_is_read(cli, data_dir: Path) -> None:
    catalog = data_dir / "imagery" / "catalog.csv"
    catalog.write_bytes(b"\xef\xbb\xbf" + catalog.read_bytes().replace(b"\n", b"\r\n"))
    r = cli("validate", "--data-dir", str(data_dir))
    assert r.code == 0 and "5 images" in r.out, r.out


def test_empty_catalogue_says_it_is_empty(cli, data_dir: Path) -> None:
    (data_dir / "imagery" / "catalog.csv").write_text("")
    assert_refused(
        cli,
        data_dir,
        f"{data_dir / 'imagery' / 'catalog.csv'}: is empty; expected a header with the columns "
        "date, provider, resolution_m, redistributable, file, source, note",
    )


def test_a_refused_image_does_not_also_claim_its_epoch_is_uncatalogued(cli, data_dir: Path) -> None:
    write_geotiff(data_dir / "imagery" / "plain.tif", crs=None)
    _catalogue(data_dir, "plain.tif")
    r = cli("validate", "--data-dir", str(data_dir))
    assert r.code == 1 and "has neither a CRS nor ground control points" in r.out
    assert "has no entry" not in r.out
