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

import math
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kaesong_geo.dates import EpochDate, parse_epoch
from kaesong_geo.errors import DataError
from kaesong_geo.io.problems import Problem, raise_first
from kaesong_geo.io.raster import lonlat_bounds, network_problem, offline_env, open_raster
from kaesong_geo.io.tables import read_table
from kaesong_geo.model import Epoch
from kaesong_geo.site import KAESONG, Site

__all__ = [
    "CATALOG_COLUMNS",
    "CATALOG_FILE",
    "ImageryRecord",
    "check_image",
    "inspect_imagery_catalog",
    "load_imagery_catalog",
]

#: Path of the catalogue inside a data directory.
CATALOG_FILE = Path("imagery") / "catalog.csv"
#: Its columns, all required.
CATALOG_COLUMNS = ("date", "provider", "resolution_m", "redistributable", "file", "source", "note")


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


def check_image(
    path: Path, root: Path, site: Site = KAESONG, epochs: Sequence[Epoch] = ()
) -> str | None:
    """Why the image at ``path`` is unusable, or None.

    It is opened without network (:func:`~kaesong_geo.io.raster.network_problem` first) and
    must have a CRS or ground control points, and its extent in WGS 84 must cover the site's
    reference point or a footprint of ``epochs``.
    """
    problem = network_problem(path, root)
    if problem:
        return problem
    try:
        with offline_env(), open_raster(path) as src:
            bounds = lonlat_bounds(src)
    except DataError as exc:
        return exc.message
    except Exception as exc:  # a CRS PROJ cannot transform, a broken GCP list
        return f"cannot be georeferenced: {str(exc).splitlines()[0] if str(exc) else exc!r}"
    if bounds is None:
        return "has neither a CRS nor ground control points; georeference it first"
    west, south, east, north = bounds
    if not all(math.isfinite(v) for v in bounds):
        return "has an extent that is not finite in WGS 84; is its CRS right?"
    if west <= site.lon <= east and south <= site.lat <= north:
        return None
    for epoch in epochs:
        fw, fs, fe, fn = epoch.geometry.bounds
        if fw <= east and west <= fe and fs <= north and south <= fn:
            return None
    return (
        f"covers lon {west:.4f}..{east:.4f}, lat {south:.4f}..{north:.4f}, not the "
        f"{site.name} at {site.lon:g}, {site.lat:g} nor any footprint: wrong CRS or wrong image?"
    )


def inspect_imagery_catalog(
    data_dir: str | os.PathLike[str], site: Site | None = None, epochs: Sequence[Epoch] = ()
) -> tuple[list[ImageryRecord], list[Problem]]:
    """Read the catalogue and open its images, collecting problems; no catalogue is no problem.

    Parameters
    ----------
    data_dir : path
    site : Site, optional
        Where images must lie; default: the data directory's ``site.toml``.
    epochs : sequence of Epoch, optional
        Footprints an image may cover instead of the site's reference point.
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
    rows, problem = read_table(path, CATALOG_COLUMNS)
    if problem:
        return [], [Problem(name, problem, code="catalog")]
    for raw, line in rows:
        r = {k: v.strip() for k, v in raw.items()}
        try:
            date = parse_epoch(r["date"])
            resolution = _resolution(r["resolution_m"])
            if r["redistributable"] not in ("yes", "no"):
                raise ValueError(f"redistributable must be yes or no, got {r['redistributable']!r}")
            if not r["source"]:
                raise ValueError("has no source")
            image = _image_path(path.parent, r["file"]) if r["file"] else None
        except ValueError as exc:
            problems.append(Problem(name, f"line {line}: {exc}", code="catalog"))
            continue
        if image is not None:
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
