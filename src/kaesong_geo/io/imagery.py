"""The imagery catalogue (``imagery/catalog.csv``): what each epoch was or can be seen in.

Google Earth's historical imagery, from which the epochs come, may not be redistributed, so
the catalogue records its metadata and where to view it; a ``file`` column names imagery
that *is* in the folder (a user's own GeoTIFF, a Landsat scene).

=================  ====================================================================
column             meaning
=================  ====================================================================
date               ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: when the image was taken
provider           who publishes it (``Google Earth historical imagery``, ``USGS Landsat``)
resolution_m       ground sample distance in metres (finite, positive), empty when unknown
redistributable    ``yes`` or ``no``
file               file inside ``imagery/`` (a relative path; no ``..``, no absolute path,
                   no symbolic link leading out), empty when the image is not shipped
source             where the image's existence or date is documented
note               free text
id                 optional column: a short name for the image (letters, digits, ``.``,
                   ``_``, ``-``), unique in the catalogue, empty for none; a footprint's
                   ``imagery`` property names it (see :mod:`kaesong_geo.io.footprints`)
uncertainty_m      optional column: positional uncertainty of the image in metres
                   (finite, non-negative), empty when unknown; the default of the
                   ``uncertainty_m`` of a footprint traced on it
=================  ====================================================================

Every image named in ``file`` is opened (inside
:func:`~kaesong_geo.io.raster.offline_env`, never touching the network): it must be a local
raster (a VRT whose sources are URLs or lie outside ``imagery/`` is refused, see
:func:`~kaesong_geo.io.raster.network_problem`), have a CRS or ground control points, and
cover the site's reference point or a footprint. Each problem is an error naming the file,
for ``validate`` and for every command that loads the catalogue.

Examples
--------
>>> from kaesong_geo.io.datadir import bundled_data_dir
>>> [r.date.label for r in load_imagery_catalog(bundled_data_dir())][:3]
['2002-11-25', '2004-04', '2004-11-22']
"""

from __future__ import annotations

import csv
import math
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kaesong_geo.dates import EpochDate, parse_epoch
from kaesong_geo.errors import DataError
from kaesong_geo.io.filecache import FileCache
from kaesong_geo.io.problems import Problem, raise_first
from kaesong_geo.io.raster import lonlat_bounds, network_problem, offline_env, open_raster
from kaesong_geo.io.tables import read_table
from kaesong_geo.measure import lon_near
from kaesong_geo.model import Epoch
from kaesong_geo.site import KAESONG, Site

__all__ = [
    "CATALOG_COLUMNS",
    "CATALOG_FILE",
    "OPTIONAL_COLUMNS",
    "ImageryRecord",
    "catalog_ids",
    "check_image",
    "inspect_imagery_catalog",
    "load_imagery_catalog",
]

#: Path of the catalogue inside a data directory.
CATALOG_FILE = Path("imagery") / "catalog.csv"
#: Its columns, all required.
CATALOG_COLUMNS = ("date", "provider", "resolution_m", "redistributable", "file", "source", "note")
#: Columns it may have besides.
OPTIONAL_COLUMNS = ("id", "uncertainty_m")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MAX_UNCERTAINTY_M = 100_000.0


@dataclass(frozen=True)
class ImageryRecord:
    """One image known for the site."""

    date: EpochDate
    provider: str
    resolution_m: float | None
    redistributable: bool
    file: str
    source: str
    note: str
    id: str = ""
    uncertainty_m: float | None = None


def _resolution(text: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"resolution_m is not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"resolution_m must be a finite positive number, got {text!r}")
    return value


def _uncertainty(text: str) -> float | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"uncertainty_m is not a number: {text!r}") from None
    if not math.isfinite(value) or not 0 <= value < _MAX_UNCERTAINTY_M:
        raise ValueError(
            f"uncertainty_m must be a finite number of metres, 0 to {_MAX_UNCERTAINTY_M:,g}, "
            f"got {text!r}"
        )
    return value


def _columns_of(path: Path) -> tuple[str, ...]:
    """The required columns and those of :data:`OPTIONAL_COLUMNS` the header has."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = [h.strip() for h in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        header = []  # read_table names the problem
    return CATALOG_COLUMNS + tuple(c for c in OPTIONAL_COLUMNS if c in header)


def _image_path(folder: Path, name: str) -> Path:
    """The catalogued file inside ``folder``, or ValueError saying why it may not be used."""
    pure = Path(name)
    if pure.is_absolute() or "\\" in name or "://" in name or name.startswith("/vsi"):
        raise ValueError(f"file {name!r} must be a path relative to {folder}")
    if ".." in pure.parts:
        raise ValueError(f"file {name!r} may not contain '..' (it must stay inside {folder})")
    path = folder / pure
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ValueError(f"file {name!r} leads out of {folder} (symbolic link); refused")
    try:
        mode = path.stat().st_mode
    except OSError:
        raise ValueError(f"file {name!r} is not in {folder}") from None
    if not stat.S_ISREG(mode):
        raise ValueError(f"file {name!r} is not a regular file (a folder, FIFO or device)")
    return path


#: The extents :func:`_georeferenced` found, by the identity of the image and of the files
#: beside it of its stem (an ``.aux.xml``, a world file): a workspace's images are opened
#: again on every check of it. Not for a VRT (its sources may change under it).
_EXTENTS: FileCache[tuple[float, float, float, float] | str | None] = FileCache(256)


def _georeferenced(path: Path) -> tuple[float, float, float, float] | str | None:
    """The image's extent in WGS 84 (None: not georeferenced), or why it cannot be opened."""
    if path.suffix.lower() == ".vrt":
        return _open_extent(path)
    return _EXTENTS.get(path, None, _open_extent)


def _open_extent(path: Path) -> tuple[float, float, float, float] | str | None:
    try:
        with offline_env(), open_raster(path) as src:
            return lonlat_bounds(src)
    except DataError as exc:
        return exc.message
    except Exception as exc:  # a CRS PROJ cannot transform, a broken GCP list
        return f"cannot be georeferenced: {str(exc).splitlines()[0] if str(exc) else exc!r}"


def check_image(
    path: Path, root: Path, site: Site = KAESONG, epochs: Sequence[Epoch] = ()
) -> str | None:
    """Why the image at ``path`` is unusable, or None.

    It is opened without network (:func:`~kaesong_geo.io.raster.network_problem` first) and
    must have a CRS and a geotransform, or ground control points, and its extent in WGS 84
    must cover the site's reference point or a footprint of ``epochs``. A screenshot with a
    QGIS ``.points`` file beside it is told how to add it (``kaesong-geo epochs add``).
    """
    problem = network_problem(path, root)
    if problem:
        return problem
    opened = _georeferenced(path)
    if isinstance(opened, str):
        return opened
    bounds = opened
    if bounds is None:
        points = _points_beside(path)
        if points is not None:
            return (
                f"has neither a CRS nor ground control points; the QGIS Georeferencer file "
                f"{points.name} beside it is not read here: add the screenshot with "
                f"kaesong-geo epochs add DATE --image {path.name} --gcps {points.name}"
            )
        return "has neither a CRS nor ground control points; georeference it first"
    west, south, east, north = bounds
    if not all(math.isfinite(v) for v in bounds):
        return "has an extent that is not finite in WGS 84; is its CRS right?"
    shown = f"{west:.4f}..{east:.4f}"
    if east < west:  # across the antimeridian: east beyond 180°, west within 180° of the site
        east += 360.0
    middle = (west + east) / 2
    turn = float(lon_near(middle, site.lon)) - middle
    west, east = west + turn, east + turn
    if west <= site.lon <= east and south <= site.lat <= north:
        return None
    for epoch in epochs:
        fw, fs, fe, fn = epoch.geometry.bounds
        if fw <= east and west <= fe and fs <= north and south <= fn:
            return None
    return (
        f"covers lon {shown}, lat {south:.4f}..{north:.4f}, not the "
        f"{site.name} at {site.lon:g}, {site.lat:g} nor any footprint: wrong CRS or wrong image?"
    )


def _points_beside(path: Path) -> Path | None:
    """The QGIS Georeferencer ``.points`` file of an image (``shot.png.points``), if any."""
    for candidate in (path.with_name(path.name + ".points"), path.with_suffix(".points")):
        if candidate.is_file():
            return candidate
    return None


class CatalogIds(dict[str, "ImageryRecord"]):
    """The catalogue's records by ``id``; whether rows were refused, and it has an id column."""

    refused: bool = False
    has_id_column: bool = True


def catalog_ids(data_dir: str | os.PathLike[str]) -> CatalogIds:
    """The catalogue's records that have an ``id``, by id; its images are not opened.

    Rows with a problem are left out (:func:`inspect_imagery_catalog` names it), and
    ``refused`` says there were some; no catalogue gives an empty mapping.

    Examples
    --------
    >>> from kaesong_geo.io.datadir import bundled_data_dir
    >>> ids = catalog_ids(bundled_data_dir())
    >>> sorted(ids)[:2], ids.refused
    (['ge-2004-04', 'ge-2006-01'], False)
    """
    records, problems = inspect_imagery_catalog(data_dir, KAESONG, open_images=False)
    out = CatalogIds({r.id: r for r in records if r.id})
    out.refused = bool(problems)
    path = Path(data_dir) / CATALOG_FILE
    out.has_id_column = not path.is_file() or "id" in _columns_of(path)
    return out


def inspect_imagery_catalog(
    data_dir: str | os.PathLike[str],
    site: Site | None = None,
    epochs: Sequence[Epoch] = (),
    *,
    open_images: bool = True,
) -> tuple[list[ImageryRecord], list[Problem]]:
    """Read the catalogue and open its images, collecting problems; no catalogue is no problem.

    Parameters
    ----------
    data_dir : path
    site : Site, optional
        Where images must lie; default: the data directory's ``site.toml``.
    epochs : sequence of Epoch, optional
        Footprints an image may cover instead of the site's reference point.
    open_images : bool
        Open and check the images named in ``file`` (default); False: read the rows only.
    """
    if site is None:
        from kaesong_geo.io.sitefile import read_site

        site = read_site(data_dir)
    path = Path(data_dir) / CATALOG_FILE
    name = str(path)
    if not path.exists() and not path.is_symlink():
        return [], []
    if not path.is_file():
        return [], [Problem(name, "is not a regular file (dangling link, folder or FIFO)")]
    records: list[ImageryRecord] = []
    problems: list[Problem] = []
    rows, problem = read_table(path, _columns_of(path))
    if problem:
        return [], [Problem(name, problem, code="catalog")]
    ids: dict[str, int] = {}
    for raw, line in rows:
        r = {k: v.strip() for k, v in raw.items()}
        image_id = r.get("id", "")
        try:
            if image_id and not _ID.match(image_id):
                raise ValueError(
                    f"id {image_id!r} must be letters, digits, '.', '_' or '-' "
                    "(starting with a letter or digit)"
                )
            if image_id in ids:
                raise ValueError(f"id {image_id!r} is already used on line {ids[image_id]}")
            if image_id:
                ids[image_id] = line
            date = parse_epoch(r["date"])
            resolution = _resolution(r["resolution_m"])
            uncertainty = _uncertainty(r.get("uncertainty_m", ""))
            if r["redistributable"] not in ("yes", "no"):
                raise ValueError(f"redistributable must be yes or no, got {r['redistributable']!r}")
            if not r["source"]:
                raise ValueError("has no source")
            image = _image_path(path.parent, r["file"]) if r["file"] else None
        except ValueError as exc:
            problems.append(Problem(name, f"line {line}: {exc}", code="catalog"))
            continue
        if image is not None and open_images:
            problem = check_image(image, path.parent, site, epochs)
            if problem:
                problems.append(
                    Problem(str(image), f"{problem} ({name} line {line})", code="catalog")
                )
                continue
        records.append(
            ImageryRecord(
                date,
                r["provider"],
                resolution,
                r["redistributable"] == "yes",
                r["file"],
                r["source"],
                r["note"],
                image_id,
                uncertainty,
            )
        )
    return sorted(records, key=lambda rec: rec.date), problems


def load_imagery_catalog(
    data_dir: str | os.PathLike[str], site: Site | None = None, epochs: Sequence[Epoch] = ()
) -> list[ImageryRecord]:
    """Read the catalogue; raise :class:`~kaesong_geo.errors.DataError` on a problem.

    ``site`` defaults to the data directory's ``site.toml``.
    """
    if site is None:
        from kaesong_geo.io.sitefile import read_site

        site = read_site(data_dir)
    records, problems = inspect_imagery_catalog(data_dir, site, epochs)
    raise_first(problems)
    return records
