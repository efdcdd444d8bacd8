"""The imagery catalogue (``imagery/catalog.csv``): what each epoch was or can be seen in.

Google Earth's historical imagery, from which the epochs come, may not be redistributed, so
the catalogue records its metadata and where to view it; a ``file`` column names imagery
that *is* in the folder (a user's own GeoTIFF, a Landsat scene).

=================  ====================================================================
column             meaning
=================  ====================================================================
date               ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: when the image was taken
provider           who publishes it (``Google Earth historical imagery``, ``USGS Landsat``)
resolution_m       ground sample distance in metres, empty when unknown
redistributable    ``yes`` or ``no``
file               file inside ``imagery/``, empty when the image is not shipped
source             where the image's existence or date is documented
note               free text
=================  ====================================================================

Examples
--------
>>> from kaesong_geo.io.datadir import bundled_data_dir
>>> [r.date.label for r in load_imagery_catalog(bundled_data_dir())][:3]
['2002-11-25', '2004-04', '2004-11-22']
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from kaesong_geo.dates import EpochDate, parse_epoch
from kaesong_geo.io.problems import Problem, raise_first

__all__ = [
    "CATALOG_COLUMNS",
    "CATALOG_FILE",
    "ImageryRecord",
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


def inspect_imagery_catalog(
    data_dir: str | os.PathLike[str],
) -> tuple[list[ImageryRecord], list[Problem]]:
    """Read the catalogue, collecting problems; a missing catalogue is no problem."""
    path = Path(data_dir) / CATALOG_FILE
    name = str(path)
    if not path.is_file():
        return [], []
    records: list[ImageryRecord] = []
    problems: list[Problem] = []
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            if sorted(header) != sorted(CATALOG_COLUMNS):
                return [], [
                    Problem(
                        name,
                        f"columns {', '.join(header)} differ from {', '.join(CATALOG_COLUMNS)}",
                    )
                ]
            for row in reader:
                line = reader.line_num
                r = {k.strip(): (v or "").strip() for k, v in row.items() if k}
                try:
                    date = parse_epoch(r["date"])
                    resolution = float(r["resolution_m"]) if r["resolution_m"] else None
                    if r["redistributable"] not in ("yes", "no"):
                        raise ValueError(
                            f"redistributable must be yes or no, got {r['redistributable']!r}"
                        )
                    if not r["source"]:
                        raise ValueError("has no source")
                    if r["file"] and not (path.parent / r["file"]).is_file():
                        raise ValueError(f"file {r['file']!r} is not in {path.parent}")
                except ValueError as exc:
                    problems.append(Problem(name, f"line {line}: {exc}"))
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
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [], [Problem(name, f"cannot read: {exc}")]
    return sorted(records, key=lambda rec: rec.date), problems


def load_imagery_catalog(data_dir: str | os.PathLike[str]) -> list[ImageryRecord]:
    """Read the catalogue; raise :class:`~kaesong_geo.errors.DataError` on a problem."""
    records, problems = inspect_imagery_catalog(data_dir)
    raise_first(problems)
    return records
