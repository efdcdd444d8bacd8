"""``kaesong-geo compare A B``: overlap, areas and Hausdorff distance of two footprints.

A and B are each a footprint file (any format the readers take: GeoJSON, GeoPackage, KML,
KMZ, Shapefile, GeoParquet, FlatGeobuf) or ``DATA_DIR:EPOCH``. ``X:Y`` is read as a data
directory and an epoch only when no file ``X:Y`` exists, ``X`` is a directory and ``Y`` is an
epoch date; a file of several epochs is refused (name one as ``DATA_DIR:EPOCH``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaesong_geo.cli.options import add_command, add_output, write_result, write_stdout

if TYPE_CHECKING:
    from kaesong_geo.footprint_compare import FootprintComparison
    from kaesong_geo.io.compare_inputs import FootprintInput

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
    from kaesong_geo.io.compare_inputs import compare_inputs, home_of, resolve_input
    from kaesong_geo.io.output import check_output_path

    a, b = resolve_input(args.a), resolve_input(args.b)
    if args.output:
        homes = [h for h in (home_of(a), home_of(b)) if h is not None]
        protect: list[Path | None] = [*homes] or [None]
        for protected in protect:
            check_output_path(args.output, args.overwrite, protected=protected)
    result = compare_inputs(a, b)
    text = _json(a, b, result) if args.format == "json" else _table(a, b, result)
    if args.output:
        write_result(args.output, text, args.overwrite)
    else:
        write_stdout(text)
    return 0


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


def _table(a: FootprintInput, b: FootprintInput, result: FootprintComparison) -> str:
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


def _json(a: FootprintInput, b: FootprintInput, result: FootprintComparison) -> str:
    """One flat JSON object (schema_version 1)."""
    import json

    data = {"schema_version": 1, "a": a.text, "b": b.text, **result.as_dict()}
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
