r"""Read ground control points: QGIS Georeferencer ``.points`` files and plain CSV.

A QGIS ``.points`` file (QGIS 3) starts with an optional ``#CRS: <WKT>`` line, then the header
``mapX,mapY,sourceX,sourceY,enable,dX,dY,residual``. ``sourceX`` is the pixel column and
``sourceY`` the pixel row *negated* (QGIS counts rows upwards from the top edge); points with
``enable`` 0 are skipped; ``dX``, ``dY`` and ``residual`` are QGIS's own figures and are not
read. Map coordinates in another CRS are transformed to WGS 84; without a ``#CRS`` line they
must be longitude and latitude.

A CSV has the header ``pixel_x,pixel_y,lon,lat`` (column, row from the top left, WGS 84).

Examples
--------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "shot.png.points"
>>> _ = path.write_text("mapX,mapY,sourceX,sourceY,enable,dX,dY,residual\n"
...                     "126.63,37.93,100.5,-200.25,1,0,0,0\n"
...                     "126.64,37.94,900,-20,0,0,0,0\n")
>>> read_gcps(path)
[GCP(px=100.5, py=200.25, lon=126.63, lat=37.93)]
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable
from pathlib import Path

from kaesong_geo.errors import DataError
from kaesong_geo.gcp import GCP
from kaesong_geo.text import plural

__all__ = ["QGIS_HEADER", "read_gcps"]

#: The header of a QGIS Georeferencer ``.points`` file.
QGIS_HEADER = ("mapX", "mapY", "sourceX", "sourceY", "enable", "dX", "dY", "residual")
_CSV_HEADER = ("pixel_x", "pixel_y", "lon", "lat")


def _number(text: str, what: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"line {line}: {what} is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"line {line}: {what} is not finite: {text!r}")
    return value


def read_gcps(path: str | os.PathLike[str]) -> list[GCP]:
    """The enabled ground control points of a ``.points`` file or a CSV, in WGS 84.

    Raises
    ------
    DataError
        The file cannot be read, has another header, a bad number, an unknown ``#CRS``, map
        coordinates that are not longitude and latitude, or no enabled point.
    """
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise DataError(f"cannot be read: {exc.strerror or exc}", path=p) from None
    except UnicodeDecodeError:
        raise DataError("is not UTF-8 text", path=p) from None
    try:
        return _parse(text)
    except ValueError as exc:
        raise DataError(str(exc), path=p) from None


def _parse(text: str) -> list[GCP]:
    lines = text.splitlines()
    crs_text = None
    first = 0
    if lines and lines[0].startswith("#CRS:"):
        crs_text = lines[0][len("#CRS:") :].strip() or None
        first = 1
    rows = list(csv.reader(io.StringIO("\n".join(lines[first:]))))
    if not rows:
        raise ValueError(f"is empty; expected the header {','.join(QGIS_HEADER)}")
    header = tuple(h.strip() for h in rows[0])
    qgis = header[: len(QGIS_HEADER)] == QGIS_HEADER
    if not qgis and header != _CSV_HEADER:
        raise ValueError(
            f"has the header {','.join(header)!r}; expected a QGIS Georeferencer file "
            f"({','.join(QGIS_HEADER)}) or a CSV ({','.join(_CSV_HEADER)})"
        )
    to_wgs84 = _transformer(crs_text)
    out = []
    for k, row in enumerate(rows[1:], start=first + 2):
        if not row or not "".join(row).strip():
            continue
        if len(row) < (5 if qgis else 4):
            raise ValueError(f"line {k}: {plural(len(row), 'cell')}, fewer than the header's")
        if qgis:
            if row[4].strip() not in ("0", "1"):
                raise ValueError(f"line {k}: enable must be 0 or 1, got {row[4].strip()!r}")
            if row[4].strip() == "0":
                continue
            x, y = _number(row[0], "mapX", k), _number(row[1], "mapY", k)
            px, py = _number(row[2], "sourceX", k), -_number(row[3], "sourceY", k)
        else:
            px, py = _number(row[0], "pixel_x", k), _number(row[1], "pixel_y", k)
            x, y = _number(row[2], "lon", k), _number(row[3], "lat", k)
        lon, lat = to_wgs84(x, y) if to_wgs84 else (x, y)
        if not (-180.0 <= lon <= 360.0 and -90.0 <= lat <= 90.0):
            where = (
                "" if to_wgs84 or not qgis else " (no #CRS line: map coordinates must be lon, lat)"
            )
            raise ValueError(f"line {k}: {lon:g}, {lat:g} is not a longitude and latitude{where}")
        if px < 0 or py < 0:
            raise ValueError(f"line {k}: pixel {px:g}, {py:g} lies outside the image (negative)")
        out.append(GCP(px, py, lon, lat))
    if not out:
        raise ValueError("has no enabled ground control point")
    return out


def _transformer(crs_text: str | None) -> Callable[[float, float], tuple[float, float]] | None:
    """A function from the map CRS to WGS 84 lon/lat, or None when it is lon/lat already."""
    if crs_text is None:
        return None
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(crs_text)
    except CRSError:
        raise ValueError(f"#CRS is not a coordinate reference system: {crs_text[:60]!r}") from None
    if crs.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return None
    transformer = Transformer.from_crs(crs, 4326, always_xy=True)

    def to_wgs84(x: float, y: float) -> tuple[float, float]:
        lon, lat = transformer.transform(x, y)
        return float(lon), float(lat)

    return to_wgs84
