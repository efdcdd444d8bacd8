"""``kaesong-geo compare A B``: overlap, areas and Hausdorff distance of two footprints.

A and B are each a footprint file (any format the readers take: GeoJSON, GeoPackage, KML,
KMZ, Shapefile, GeoParquet, FlatGeobuf) or ``DATA_DIR:EPOCH``. ``X:Y`` is read as a data
directory and an epoch only when no file ``X:Y`` exists, ``X`` is a directory and ``Y`` is an
epoch date; a file of several epochs is refused (name one as ``DATA_DIR:EPOCH``).
"""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaesong_geo.cli.options import add_command, add_output, write_result, write_stdout
from kaesong_geo.errors import DataError, UsageError

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

    from kaesong_geo.footprint_compare import FootprintComparison
    from kaesong_geo.site import Site

HELP = "compare two footprints: intersection over union, areas, Hausdorff distance"
EPILOG = """\
examples:
  $ kaesong-geo compare ~/kaesong-data:2006-01 ~/kaesong-data:2009-09
  $ kaesong-geo compare traced.kml ~/kaesong-data:2013-06 --format json
  $ kaesong-geo compare mine.gpkg theirs.geojson --output compare.json --format json

A and B: a footprint file, or DATA_DIR:EPOCH (a data directory and one of its epochs).
A file of several epochs is refused: name the epoch as DATA_DIR:EPOCH.
Areas are geodesic (WGS 84); the Hausdorff distance is between the outlines, in metres in
the UTM zone of the site (of the data directory, else of A), true within 0.5 m.
--format json is one flat object: schema_version 1, a, b, area_a_m2, area_b_m2,
area_diff_m2, area_diff_pct, intersection_m2, union_m2, iou, sym_diff_m2, hausdorff_m,
utm_epsg, note (null where a figure is undefined)."""

FORMATS = ("table", "json")
#: The epoch given to features of a loose file that name none (only to read them; not shown).
_NO_EPOCH = "1970"


@dataclass(frozen=True)
class _Input:
    """One side of the comparison, resolved but not read."""

    text: str
    file: Path | None = None
    data_dir: Path | None = None
    epoch: str | None = None


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "compare", HELP, EPILOG)
    parser.add_argument("a", metavar="A", help="footprint file or DATA_DIR:EPOCH")
    parser.add_argument("b", metavar="B", help="footprint file or DATA_DIR:EPOCH")
    parser.add_argument(
        "-f", "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    add_output(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.footprint_compare import compare_footprints
    from kaesong_geo.io.output import check_output_path
    from kaesong_geo.io.sitefile import read_site
    from kaesong_geo.site import utm_epsg_for

    a, b = _resolve(args.a), _resolve(args.b)
    homes = [h for h in (s.data_dir or _data_dir_of(s.file) for s in (a, b)) if h is not None]
    if args.output:
        protect: list[Path | None] = [*homes] or [None]
        for protected in protect:
            check_output_path(args.output, args.overwrite, protected=protected)
    home = homes[0] if homes else None
    site = read_site(home) if home is not None else None
    if site is None and a.file is not None:
        site = _site_at(a.file)
    geom_a, geom_b = _read(a, site), _read(b, site)
    if site is not None:
        utm_epsg = site.utm_epsg
    else:  # pragma: no cover - a file is read only with a site
        c = (geom_a if not geom_a.is_empty else geom_b).centroid
        utm_epsg = utm_epsg_for(c.x, c.y)
    result = compare_footprints(geom_a, geom_b, utm_epsg)
    text = _json(a, b, result) if args.format == "json" else _table(a, b, result)
    if args.output:
        write_result(args.output, text, args.overwrite)
    else:
        write_stdout(text)
    return 0


def _data_dir_of(path: Path | None) -> Path | None:
    """The data directory whose ``boundaries/`` holds ``path``, if it has a ``site.toml``."""
    if path is None or path.parent.name != "boundaries":
        return None
    home = path.parent.parent
    return home if (home / "site.toml").is_file() else None


def _resolve(text: str) -> _Input:
    """A file if it exists; else ``DATA_DIR:EPOCH``; else a usage error."""
    from kaesong_geo.dates import parse_epoch
    from kaesong_geo.io.datadir import resolve_data_dir

    path = Path(os.path.expanduser(text))
    if path.is_file():
        return _Input(text, file=path)
    if path.is_dir():
        raise UsageError(
            "is a directory; to compare one of its epochs write DATA_DIR:EPOCH", path=text
        )
    head, sep, tail = text.rpartition(":")
    if sep and head and Path(os.path.expanduser(head)).is_dir():
        try:
            label = parse_epoch(tail).label
        except ValueError:
            raise UsageError(
                f"{tail!r} is not an epoch (YYYY, YYYY-MM or YYYY-MM-DD) and no file {text!r} "
                "exists",
                path=text,
            ) from None
        return _Input(text, data_dir=resolve_data_dir(head), epoch=label)
    if path.exists():
        raise UsageError("is not a regular file", path=text)
    raise UsageError("does not exist (give a footprint file or DATA_DIR:EPOCH)", path=text)


def _site_at(path: Path) -> Site | None:
    """A site at the centre of a loose file's geometries (None if it cannot be told)."""
    import numpy as np
    import shapely

    from kaesong_geo.io.footprints import _read_layers
    from kaesong_geo.site import MAX_RADIUS_KM, Site

    layers, error = _read_layers(path)
    if error:
        raise DataError(error, path=path)
    bounds: list[Any] = []
    for layer in layers:
        geoms = np.asarray([g for g in layer.geometries if g is not None and not g.is_empty])
        if not len(geoms):
            continue
        if layer.crs is not None:
            import geopandas as gpd

            geoms = np.asarray(gpd.GeoSeries(geoms, crs=layer.crs).to_crs(4326).array)
        bounds.append(shapely.total_bounds(geoms))
    if not bounds:
        return None
    box = np.asarray(bounds)
    lon = (box[:, 0].min() + box[:, 2].max()) / 2
    lat = (box[:, 1].min() + box[:, 3].max()) / 2
    try:
        return Site.at(f"the footprints of {path.name}", lon, lat, radius_km=MAX_RADIUS_KM)
    except ValueError:  # not lon/lat: the reader names the problem
        return None


def _read(side: _Input, site: Site | None) -> BaseGeometry:
    """The dissolved footprint of one side, in WGS 84."""
    from kaesong_geo.io.footprints import (
        _missing,
        _stem_of,
        _warn_problems,
        inspect_footprint_file,
        load_footprints,
    )
    from kaesong_geo.io.problems import raise_first
    from kaesong_geo.measure import dissolve

    if side.data_dir is not None:
        epochs = load_footprints(side.data_dir)
        found = [e for e in epochs if e.label == side.epoch]
        if not found:
            known = ", ".join(e.label for e in epochs) or "none"
            raise UsageError(f"no epoch {side.epoch} (epochs: {known})", path=side.data_dir)
        return found[0].geometry
    assert side.file is not None
    from kaesong_geo.dates import parse_epoch

    try:
        stem: str | None = parse_epoch(_stem_of(side.file)).label
    except ValueError:
        stem = None
    filled: list[bool] = []

    def epoch_or_none(value: Any) -> Any:
        if _missing(value) and stem is None:
            filled.append(True)
            return _NO_EPOCH
        return value

    if _data_dir_of(side.file) is not None:
        site = None  # the file's own data directory decides
    result = inspect_footprint_file(side.file, site, properties={"epoch": epoch_or_none})
    raise_first(result.problems)
    _warn_problems(result.problems)
    labels = sorted({f.date.label for f in result.footprints} - ({_NO_EPOCH} if filled else set()))
    if len(labels) + bool(filled) > 1:
        shown = labels + (["(none)"] if filled else [])
        raise UsageError(
            f"holds footprints of {len(shown)} epochs ({', '.join(shown)}); compare one: "
            "DATA_DIR:EPOCH, or a file of one epoch",
            path=side.file,
        )
    return dissolve(f.geometry for f in result.footprints)


_ROWS = (
    ("area A", "area_a_m2", "m²", ",.0f"),
    ("area B", "area_b_m2", "m²", ",.0f"),
    ("B - A", "area_diff_m2", "m²", "+,.0f"),
    ("B - A", "area_diff_pct", "%", "+.2f"),
    ("intersection", "intersection_m2", "m²", ",.0f"),
    ("union", "union_m2", "m²", ",.0f"),
    ("intersection / union (IoU)", "iou", "", ".4f"),
    ("symmetric difference", "sym_diff_m2", "m²", ",.0f"),
    ("Hausdorff distance", "hausdorff_m", "m", ",.1f"),
)


def _table(a: _Input, b: _Input, result: FootprintComparison) -> str:
    """The figures as a terminal table, units in the header column."""
    from kaesong_geo.render import terminal_safe
    from kaesong_geo.site import utm_zone_label

    data = result.as_dict()
    lines = [terminal_safe(f"A: {a.text}"), terminal_safe(f"B: {b.text}"), ""]
    names = [f"{name} ({unit})" if unit else name for name, _, unit, _ in _ROWS]
    width = max(len(n) for n in names)
    for label, (_, key, _, spec) in zip(names, _ROWS, strict=True):
        value = data[key]
        shown = "n/a" if value is None else format(value, spec)
        lines.append(f"{label:<{width}}  {shown:>16}")
    lines.append("")
    lines.append(
        f"areas geodesic on WGS 84; Hausdorff distance between the outlines in "
        f"{utm_zone_label(result.utm_epsg)} (EPSG:{result.utm_epsg}), within 0.5 m"
    )
    if result.note:
        lines.append(f"note: {result.note}")
    return "\n".join(lines) + "\n"


def _json(a: _Input, b: _Input, result: FootprintComparison) -> str:
    """One flat JSON object (schema_version 1)."""
    import json

    data = {"schema_version": 1, "a": a.text, "b": b.text, **result.as_dict()}
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
