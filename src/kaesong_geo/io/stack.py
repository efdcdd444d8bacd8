"""Stack single-band files into one scene: a VRT, as STAC items of Sentinel-2 and Landsat need.

A Sentinel-2 or Landsat item in a STAC catalog keeps each band in a file of its own (Sentinel-2's
SWIR1 at 20 m beside red and NIR at 10 m). :func:`stack_problem` checks that such files make
one scene (local, readable, one CRS, north-up, the same extent to within half a pixel of the
coarsest, one data type) and :func:`stacked_vrt` writes the GDAL VRT that stacks them on the
finest grid (nearest neighbour: a coarser band's pixels are repeated, never blended), each band
named and carrying its scale, offset and nodata value (from the STAC item's ``raster:bands``
when it gives them, else the file's). :func:`stacked_scene` writes it to a temporary folder for
the time of a ``with`` block: the extraction and the clipped image read the VRT like any file.

Examples
--------
>>> import numpy as np, rasterio, tempfile, pathlib
>>> from rasterio.transform import from_origin
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for name, px in (("B04", 10), ("B11", 20)):
...     with rasterio.open(folder / f"{name}.tif", "w", driver="GTiff", width=600 // px,
...                        height=600 // px, count=1, dtype="uint16", crs="EPSG:32652",
...                        transform=from_origin(291700, 4201300, px, px)) as dst:
...         dst.write(np.full((1, 600 // px, 600 // px), px, dtype="uint16"))
>>> bands = [BandSource(folder / "B04.tif", "red", scale=1e-4),
...          BandSource(folder / "B11.tif", "swir16", scale=1e-4)]
>>> stack_problem(bands) is None
True
>>> with stacked_scene(bands, "S2_item") as vrt, rasterio.open(vrt) as src:
...     src.name.endswith("S2_item.vrt"), src.shape, src.descriptions, src.scales
...     src.read(2)[0, :4].tolist()
(True, (60, 60), ('red', 'swir16'), (0.0001, 0.0001))
[20, 20, 20, 20]
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

__all__ = [
    "BandSource",
    "StackWritten",
    "band_sources",
    "stack_problem",
    "stack_root",
    "stacked_scene",
    "stacked_vrt",
    "write_stack",
]

#: GDAL's names of the data types a stacked band may have.
_GDAL_TYPES = {
    "uint8": "Byte", "int8": "Int8", "uint16": "UInt16", "int16": "Int16",
    "uint32": "UInt32", "int32": "Int32", "float32": "Float32", "float64": "Float64",
}  # fmt: skip


@dataclass(frozen=True)
class BandSource:
    """One band of a stacked scene: a band of a local file, its name and how to read it.

    Attributes
    ----------
    path : Path
        The file (absolute).
    name : str
        The band's name in the stack (its STAC ``common_name``, e.g. ``red``, ``swir16``).
    band : int
        The band of the file (1 for the first).
    scale, offset, nodata : float or None
        From the STAC item's ``raster:bands`` when it gives them; ``None``: the file's own.
    """

    path: Path
    name: str
    band: int = 1
    scale: float | None = None
    offset: float | None = None
    nodata: float | None = None


@dataclass(frozen=True)
class _Grid:
    crs: Any
    transform: Any
    width: int
    height: int
    dtype: str
    scale: float
    offset: float
    nodata: float | None


def _grids(bands: Sequence[BandSource]) -> list[_Grid] | str:
    """Each band's file grid, or a one-line reason a band cannot be read."""
    import rasterio
    from rasterio.errors import RasterioError

    from kaesong_geo.io.raster import offline_env

    out = []
    with offline_env():
        for b in bands:
            if not b.path.is_file():
                return f"band {b.name}: {b.path} is not a file"
            try:
                with rasterio.open(b.path) as src:
                    if not 1 <= b.band <= src.count:
                        return f"band {b.name}: {b.path.name} has no band {b.band}"
                    i = b.band - 1
                    out.append(
                        _Grid(
                            src.crs, src.transform, src.width, src.height, src.dtypes[i],
                            float(src.scales[i]), float(src.offsets[i]), src.nodatavals[i],
                        )
                    )  # fmt: skip
            except RasterioError as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                return f"band {b.name}: {b.path.name} cannot be read ({reason})"
    return out


def stack_problem(bands: Sequence[BandSource]) -> str | None:
    """Why the bands cannot be stacked into one scene (one line), or None.

    They must be at least one, named differently, local and readable, in one CRS, north-up,
    of one data type, and cover the same extent to within half a pixel of the coarsest.
    """
    checked = _checked_grids(bands)
    return checked if isinstance(checked, str) else None


def _checked_grids(bands: Sequence[BandSource]) -> list[_Grid] | str:
    """The bands' grids when they make one scene, else why not (:func:`stack_problem`)."""
    if not bands:
        return "no band to stack"
    names = [b.name for b in bands]
    if len(set(names)) < len(names):
        return f"bands named twice: {', '.join(names)}"
    grids = _grids(bands)
    if isinstance(grids, str):
        return grids
    first = grids[0]
    if first.crs is None:
        return f"band {bands[0].name}: {bands[0].path.name} has no CRS"
    coarsest = max(abs(g.transform.a) for g in grids)
    for b, g in zip(bands, grids, strict=True):
        t = g.transform
        if t.b != 0 or t.d != 0 or t.a <= 0 or t.e >= 0:
            return f"band {b.name}: {b.path.name} is not north-up (rotated or flipped)"
        if g.crs != first.crs:
            return (
                f"bands {bands[0].name} and {b.name} are in different CRSs ({first.crs}, {g.crs})"
            )
        if g.dtype != first.dtype:
            return (
                f"bands {bands[0].name} and {b.name} have different data types "
                f"({first.dtype}, {g.dtype})"
            )
        if max(abs(a - c) for a, c in zip(_bounds(g), _bounds(first), strict=True)) > coarsest / 2:
            return (
                f"bands {bands[0].name} and {b.name} cover different extents "
                f"({_bounds(first)} and {_bounds(g)})"
            )
    return grids


def _bounds(g: _Grid) -> tuple[float, float, float, float]:
    t = g.transform
    return (t.c, t.f + g.height * t.e, t.c + g.width * t.a, t.f)


def _colour(name: str) -> str | None:
    """GDAL's colour interpretation of a band named red, green or blue (any alias), else None.

    >>> _colour("B04"), _colour("green"), _colour("nir")
    ('Red', 'Green', None)
    """
    from kaesong_geo.extract import BAND_ALIASES

    key = name.strip().lower()
    return next(
        (role.capitalize() for role in ("red", "green", "blue") if key in BAND_ALIASES[role]),
        None,
    )


def stack_root(bands: Sequence[BandSource]) -> Path:
    """The deepest folder holding every band's file: what a stacked VRT may read within."""
    return Path(os.path.commonpath([str(b.path.resolve().parent) for b in bands]))


def stacked_vrt(bands: Sequence[BandSource]) -> str:
    """The VRT (XML text) of the bands stacked on the finest grid, in their order.

    Raises
    ------
    ValueError
        :func:`stack_problem` names a problem.
    """
    grids = _checked_grids(bands)
    if isinstance(grids, str):
        raise ValueError(grids)
    finest = min(range(len(grids)), key=lambda i: abs(grids[i].transform.a))
    base = grids[finest]
    t = base.transform
    lines = [
        f'<VRTDataset rasterXSize="{base.width}" rasterYSize="{base.height}">',
        f"  <SRS>{escape(base.crs.to_wkt())}</SRS>",
        f"  <GeoTransform>{t.c!r}, {t.a!r}, 0.0, {t.f!r}, 0.0, {t.e!r}</GeoTransform>",
    ]
    for i, (b, g) in enumerate(zip(bands, grids, strict=True), start=1):
        scale = g.scale if b.scale is None else b.scale
        offset = g.offset if b.offset is None else b.offset
        nodata = g.nodata if b.nodata is None else b.nodata
        # the file's pixels on the stack's grid: its extent in the stack's pixels
        x0 = (g.transform.c - t.c) / t.a
        y0 = (g.transform.f - t.f) / t.e
        w = g.width * g.transform.a / t.a
        h = g.height * g.transform.e / t.e
        lines += [
            f'  <VRTRasterBand dataType="{_GDAL_TYPES[g.dtype]}" band="{i}">',
            f"    <Description>{escape(b.name)}</Description>",
            *([f"    <ColorInterp>{_colour(b.name)}</ColorInterp>"] if _colour(b.name) else []),
            *([f"    <NoDataValue>{nodata!r}</NoDataValue>"] if nodata is not None else []),
            f"    <Offset>{offset!r}</Offset>",
            f"    <Scale>{scale!r}</Scale>",
            '    <SimpleSource resampling="nearest">',
            f'      <SourceFilename relativeToVRT="0">{escape(str(b.path.resolve()))}'
            "</SourceFilename>",
            f"      <SourceBand>{b.band}</SourceBand>",
            f'      <SrcRect xOff="0" yOff="0" xSize="{g.width}" ySize="{g.height}"/>',
            f'      <DstRect xOff="{x0!r}" yOff="{y0!r}" xSize="{w!r}" ySize="{h!r}"/>',
            "    </SimpleSource>",
            "  </VRTRasterBand>",
        ]
    lines.append("</VRTDataset>")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def stacked_scene(bands: Sequence[BandSource], name: str) -> Iterator[Path]:
    """A VRT of the bands (:func:`stacked_vrt`) in a temporary folder, as ``NAME.vrt``.

    The folder is removed when the ``with`` block ends.

    Raises
    ------
    ValueError
        The bands cannot be stacked (:func:`stack_problem`).
    """
    text = stacked_vrt(bands)
    folder = Path(tempfile.mkdtemp(prefix="kaesong-geo-stack-"))
    try:
        path = folder / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', name) or 'scene'}.vrt"
        path.write_text(text, encoding="utf-8")
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _band_token(path: Path) -> str | None:
    """The band named in a file's name (``T52SCG_20210514_B04_10m.jp2``: ``B04``), or None.

    Only names the extraction knows (:data:`kaesong_geo.extract.BAND_ALIASES`: B02-B04, B08,
    B8A, B11 of Sentinel-2; B2-B6 of Landsat 8/9); the last one in the name counts.

    >>> _band_token(Path("T52SCG_20210514T020701_B04_10m.jp2"))
    'B04'
    >>> _band_token(Path("LC08_L2SP_116034_20210514_02_T1_SR_B6.TIF")), _band_token(Path("x.tif"))
    ('B6', None)
    """
    from kaesong_geo.extract import BAND_ALIASES

    known = {alias for aliases in BAND_ALIASES.values() for alias in aliases if len(alias) > 1}
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", path.stem) if t.lower() in known]
    return tokens[-1] if tokens else None


def band_sources(
    paths: Sequence[str | os.PathLike[str]],
    names: Sequence[str] | None = None,
    *,
    scale: float | None = None,
    offset: float | None = None,
) -> list[BandSource]:
    """Every band of every file, in order, named.

    The names are ``names`` (one per band), else each band's description, else, for a file
    of one band, the band its file name gives (:func:`_band_token`: ``..._B04_10m.jp2``).
    ``scale`` and ``offset`` set every band's (default: the file's; with ``scale`` alone,
    the offset is 0).

    Raises
    ------
    UsageError
        ``names`` does not give one name per band.
    DataError
        A file cannot be read, or a band has no name (the message says how to give one).
    """
    import rasterio
    from rasterio.errors import RasterioError

    from kaesong_geo.errors import DataError, UsageError
    from kaesong_geo.io.raster import network_problem, offline_env
    from kaesong_geo.text import plural

    found: list[tuple[Path, int, str | None]] = []
    with offline_env():
        for given in paths:
            path = Path(given).expanduser().absolute()
            if not path.is_file():
                raise DataError("is not a file", path=path)
            problem = network_problem(path, path.parent)
            if problem:
                raise DataError(problem, path=path)
            try:
                with rasterio.open(path) as src:
                    descriptions = list(src.descriptions)
            except RasterioError as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise DataError(f"cannot be read as a raster ({reason})", path=path) from None
            token = _band_token(path) if len(descriptions) == 1 else None
            found += [(path, i + 1, d or token) for i, d in enumerate(descriptions)]
    if names is not None:
        if len(names) != len(found):
            raise UsageError(
                f"--bands gives {plural(len(names), 'name')} ({', '.join(names)}) for "
                f"{plural(len(found), 'band')} in {plural(len(paths), 'file')}"
            )
        named: list[tuple[Path, int, str | None]] = [
            (p, b, n) for (p, b, _), n in zip(found, names, strict=True)
        ]
    else:
        named = found
    if offset is not None and scale is None:
        scale = 1.0
    if scale is not None and offset is None:
        offset = 0.0
    for path, band, name in named:
        if not name:
            raise DataError(
                f"band {band} has no name (no band description, and the file name names no "
                "band such as B04): give one name per band with --bands, e.g. "
                "--bands red,nir,swir16",
                path=path,
            )
    return [BandSource(p, str(n), b, scale=scale, offset=offset) for p, b, n in named]


@dataclass(frozen=True)
class StackWritten:
    """What :func:`write_stack` wrote: the file, its grid and its bands."""

    path: Path
    width: int
    height: int
    pixel_m: float
    crs: str
    names: tuple[str, ...]
    size_bytes: int
    scales: tuple[float, ...] = ()
    offsets: tuple[float, ...] = ()

    @property
    def scaled(self) -> bool:
        """Whether any band has a scale or an offset."""
        return any(s != 1.0 for s in self.scales) or any(o != 0.0 for o in self.offsets)


def write_stack(
    bands: Sequence[BandSource],
    output: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: bool | None = None,
) -> StackWritten:
    """Write the bands stacked on the finest grid as one Cloud Optimized GeoTIFF.

    The COG is what ``extract`` and ``epochs add --imagery`` read: the bands named, with
    their scales, offsets and nodata. Written through a temporary file in ``output``'s
    folder (:func:`kaesong_geo.io.output.write_file`): a failure leaves nothing.

    Raises
    ------
    DataError
        The bands do not make one scene (:func:`stack_problem`), naming the first file.
    UsageError, OutputExistsError, OutputError
        As :func:`kaesong_geo.io.output.write_file`.
    """
    from kaesong_geo.errors import DataError
    from kaesong_geo.io.output import check_output_path, write_file
    from kaesong_geo.io.raster import offline_env
    from kaesong_geo.io.scene import _cog_copy, open_georeferenced

    problem = stack_problem(bands)
    if problem is not None:
        raise DataError(problem, path=bands[0].path if bands else None)
    target = check_output_path(output, overwrite)

    def write(tmp: Path) -> None:
        with (
            stacked_scene(bands, target.stem) as vrt,
            offline_env(),
            open_georeferenced(vrt, stack_root(bands)) as src,
        ):
            _cog_copy(src, tmp, f"stack {target.name}", progress)

    write_file(target, write, overwrite)
    import rasterio

    with rasterio.open(target) as out:
        return StackWritten(
            target, out.width, out.height, float(out.res[0]), str(out.crs),
            tuple(d or "" for d in out.descriptions), target.stat().st_size,
            tuple(out.scales), tuple(out.offsets),
        )  # fmt: skip
