"""Shared test geometries and file writers (plain constants, as in shapely's tests)."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

from shapely.geometry import Polygon, box, mapping

# A 0.01° x 0.01° box at the complex, and neighbours built from it.
LON0, LAT0 = 126.630, 37.925
BOX = box(LON0, LAT0, LON0 + 0.01, LAT0 + 0.01)
EAST = box(LON0 + 0.01, LAT0, LON0 + 0.02, LAT0 + 0.01)  # shares BOX's east edge
FAR = box(LON0 + 0.03, LAT0 + 0.03, LON0 + 0.035, LAT0 + 0.035)  # separate, ~3 km away
HOLE = box(LON0 + 0.004, LAT0 + 0.004, LON0 + 0.006, LAT0 + 0.006)
DONUT = BOX.difference(HOLE)
BOWTIE = Polygon(
    [(LON0, LAT0), (LON0 + 0.01, LAT0 + 0.01), (LON0 + 0.01, LAT0), (LON0, LAT0 + 0.01)]
)

PROVENANCE = {
    "class": "developed",
    "source": "test fixture",
    "method": "traced",
    "uncertainty_m": 10,
    "estimated": False,
    "note": "",
}


def feature(geom: Any, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {**PROVENANCE, **props},
        "geometry": mapping(geom) if geom is not None else None,
    }


def write_geojson(
    path: Path, *features: dict[str, Any], extra: dict[str, Any] | None = None
) -> Path:
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": list(features)}
    if extra:
        doc.update(extra)
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def kml_text(
    coords: list[tuple[float, float]], name: str = "Complex", epoch: str | None = None
) -> str:
    """A Google Earth Pro style KML document with one polygon placemark (with altitudes)."""
    ring = " ".join(f"{x},{y},0" for x, y in coords)
    extended = (
        f'<ExtendedData><Data name="epoch"><value>{epoch}</value></Data></ExtendedData>'
        if epoch
        else ""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:gx="http://www.google.com/kml/ext/2.2">
<Document>
  <name>kaesong.kml</name>
  <Folder><name>Footprints</name>
  <Placemark>
    <name>{name}</name>
    <description>Traced in Google Earth Pro over historical imagery</description>
    {extended}
    <Polygon><tessellate>1</tessellate><outerBoundaryIs><LinearRing>
      <coordinates>{ring}</coordinates>
    </LinearRing></outerBoundaryIs></Polygon>
  </Placemark>
  </Folder>
</Document>
</kml>
"""


def write_kmz(path: Path, kml: str) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc.kml", kml)
    return path


def ring(geom: Polygon) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in geom.exterior.coords]


MALICIOUS = "<img src=x onerror=alert(1)>"


def write_geotiff(path: Path, *, crs: str | None = "EPSG:32652", gcps: bool = False) -> Path:
    """A 200 x 150 RGB GeoTIFF over the complex (UTM 52N, 10 m pixels), with a gradient."""
    import numpy as np
    import rasterio
    from rasterio.control import GroundControlPoint
    from rasterio.transform import from_origin

    width, height = 200, 150
    x0, y0 = 290500.0, 4202200.0
    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.stack([(xx * 255 // width), (yy * 255 // height), np.full_like(xx, 90)]).astype(
        "uint8"
    )
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 3,
        "dtype": "uint8",
    }
    if gcps:
        points = [
            GroundControlPoint(row=r, col=c, x=x0 + c * 10.0, y=y0 - r * 10.0)
            for r, c in ((0, 0), (0, width), (height, 0), (height, width))
        ]
        with warnings.catch_warnings():  # no geotransform until the GCPs are set
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            with rasterio.open(path, "w", **profile) as dst:
                dst.write(rgb)
                dst.gcps = (points, rasterio.crs.CRS.from_string("EPSG:32652"))
        return path
    if crs:
        profile.update(crs=crs, transform=from_origin(x0, y0, 10.0, 10.0))
    with warnings.catch_warnings():  # no CRS: what the test is about
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(path, "w", **profile) as dst:
            dst.write(rgb)
    return path


def add_imagery(data_dir: Path, epoch: str, name: str = "scene.tif") -> Path:
    """Put a GeoTIFF in data_dir/imagery and catalogue it for ``epoch``."""
    tif = write_geotiff(data_dir / "imagery" / name)
    catalog = data_dir / "imagery" / "catalog.csv"
    text = catalog.read_text(encoding="utf-8")
    text += f"{epoch},Test scene (synthetic gradient),10,yes,{name},test fixture,\n"
    catalog.write_text(text, encoding="utf-8")
    return tif


def assert_refused(
    cli: Any,
    data_dir: Path,
    expected: str,
    commands: tuple[str, ...] = ("validate", "growth", "map", "report"),
) -> None:
    """Every command exits 1 with one line naming ``expected``; data_dir and outputs untouched.

    ``expected`` is ``"<path>: <message>"`` (or its start); ``validate`` lists it as an
    ``error:`` line, the other commands print it as their one-line error.
    """
    from .conftest import tree_digest

    before = tree_digest(data_dir)
    out_dir = data_dir.parent / "outputs"
    out_dir.mkdir(exist_ok=True)
    for command in commands:
        args = [command, "--data-dir", str(data_dir)]
        output = out_dir / f"{command}.{'png' if command == 'chart' else 'html'}"
        if command in ("map", "report", "chart"):
            args += ["-o", str(output)]
        r = cli(*args)
        assert r.code == 1, (command, r.code, r.err)
        if command == "validate":
            assert f"error: {expected}" in r.out, r.out
            assert r.out.count(expected) == 1, r.out  # reported once
        else:
            assert r.err.count("\n") == 1, (command, r.err)  # one line
            assert r.err.startswith(f"kaesong-geo: error: {expected}"), (command, r.err)
            assert r.out == "", (command, r.out)
        assert not output.exists(), command
    assert tree_digest(data_dir) == before
