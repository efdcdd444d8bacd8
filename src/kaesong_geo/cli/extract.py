"""``kaesong-geo extract IMAGE``: propose a footprint from a scene, to a file and/or an epoch."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from kaesong_geo.cli.options import (
    add_command,
    add_data_dir,
    add_provenance_options,
    band_list,
    number,
    user_path,
    whole_number,
    write_stdout,
)

if TYPE_CHECKING:
    from kaesong_geo.io.extraction_file import ExtractRun

HELP = "propose a footprint from a georeferenced scene (unsupervised built-up classification)"
EPILOG = """\
examples:
  $ kaesong-geo extract S2_2020-05-14.tif --output zone-2020.geojson
  $ kaesong-geo extract S2_2020-05-14.tif --output zone-2020.kml        # for Google Earth
  $ kaesong-geo extract LC08_2013-06.tif --epoch 2013-06 --data-dir ~/kaesong-data
  $ kaesong-geo extract scene.tif --bands B02,B03,B04,B08,B11 --output zone.gpkg --format json

IMAGE: a GeoTIFF / COG in a projected CRS in metres (UTM; reproject others with gdalwarp
-t_srs EPSG:32652). Band names come from the file's band descriptions, else red/green/blue
from its colour interpretation, else --bands. Multispectral bands (red, NIR, SWIR1: Landsat
B4,B5,B6, Sentinel-2 B04,B08,B11) must be reflectance: digital numbers need the file's
GDAL scales. RGB images use brightness and texture.

The footprint is kept within the site of the data directory (--data-dir, else
$KAESONG_GEO_DATA, else the bundled data), outlined to the pixel size, and written as
GeoJSON (.geojson, .json), GeoPackage (.gpkg) or KML (.kml), which 'epochs add --footprint'
reads back. --epoch adds it to a workspace (never the bundled data) with method 'extracted',
its provenance and the scene clipped as the epoch's image (--no-imagery: without it; the
imagery catalogue then names the scene's path in a row without a file).

It is a proposal from an automatic classification: check it against the image (e.g.
'kaesong-geo map --data-dir WS') before relying on it: haze, shadows and bare fields can be
misread, and a cloud over the zone hides what lies under it. Nothing is written unless every
step succeeds."""

FORMATS = ("table", "json")


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "extract", HELP, EPILOG)
    parser.usage = "%(prog)s IMAGE [--output FILE] [--epoch DATE --data-dir WS] ..."
    parser.add_argument("image", metavar="IMAGE", type=user_path, help="the scene (GeoTIFF, COG)")
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=user_path,
        help="write the footprint to FILE: .geojson, .json, .gpkg or .kml (by the suffix)",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace FILE if it is an existing regular file (refused otherwise)",
    )
    parser.add_argument(
        "--epoch", metavar="DATE", help="add the footprint as this epoch of the workspace"
    )
    add_data_dir(parser)
    parser.add_argument(
        "--bands",
        metavar="B1,B2,...",
        type=band_list,
        help="one name per band when the file has none, e.g. B02,B03,B04,B08,B11 or red,green,blue",
    )
    parser.add_argument(
        "--min-patch-m2",
        metavar="M2",
        type=number(),
        default=None,
        help="drop built-up patches smaller than this (default: 5000 m²)",
    )
    parser.add_argument(
        "--closing-m",
        metavar="M",
        type=number(),
        help="radius of the closing that fills gaps such as streets (default: 2 pixels)",
    )
    parser.add_argument(
        "--opening-m",
        metavar="M",
        type=number(),
        help="radius of the opening that removes strands such as roads (default: 2 pixels)",
    )
    parser.add_argument(
        "--chunk-px",
        metavar="PX",
        type=whole_number(64, "pixels"),
        default=None,
        help="read and process the scene in chunks of this side (default: 1024)",
    )
    parser.add_argument(
        "--no-imagery",
        dest="with_imagery",
        action="store_false",
        help="with --epoch: do not add the scene as the epoch's image (imagery/catalog.csv then "
        "names the scene, its path, without a file)",
    )
    parser.add_argument(
        "--replace", action="store_true", help="with --epoch: replace the epoch's footprint"
    )
    add_provenance_options(parser, "the scene")
    parser.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        default="table",
        help="the summary on standard output (default: table)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.errors import UsageError
    from kaesong_geo.io.extraction_file import run_extract
    from kaesong_geo.io.scene_extract import DEFAULT_CHUNK_PX

    if args.epoch is None:
        given = [
            name
            for name, on in (
                ("--no-imagery", not args.with_imagery),
                ("--replace", args.replace),
                ("--provider", args.provider is not None),
                ("--licence", args.licence is not None),
                ("--redistributable", args.redistributable),
            )
            if on
        ]
        if given:
            raise UsageError(f"{', '.join(given)} describe the epoch added: give --epoch DATE")
    extra: dict[str, Any] = {}
    if args.min_patch_m2 is not None:
        extra["min_patch_m2"] = args.min_patch_m2
    if args.epoch is not None:
        extra.update(
            provider=args.provider, licence=args.licence, redistributable=args.redistributable
        )
    result = run_extract(
        args.image,
        output=args.output,
        epoch=args.epoch,
        data_dir=args.data_dir,
        band_names=args.bands,
        closing_m=args.closing_m,
        opening_m=args.opening_m,
        chunk_px=DEFAULT_CHUNK_PX if args.chunk_px is None else args.chunk_px,
        with_imagery=args.with_imagery,
        replace_epoch=args.replace,
        overwrite=args.overwrite,
        **extra,
    )
    if result.output is not None:
        _say_written(result)
    write_stdout(_json(result) if args.format == "json" else _table(result))
    return 0


def _say_written(run: ExtractRun) -> None:
    import sys

    from kaesong_geo.render import terminal_safe

    size = run.output_bytes
    shown = f"{size / 1e6:.2f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"
    print(terminal_safe(f"wrote {run.output} ({shown})"), file=sys.stderr)


def _area(m2: float) -> str:
    return f"{m2 / 1e6:,.3f} km²" if m2 >= 1e5 else f"{m2 / 1e4:,.2f} ha"


def _table(run: ExtractRun) -> str:
    """The summary: scene, index, threshold, pixel size, polygons, area; the epoch added."""
    from kaesong_geo.cli.epochs import _added_text
    from kaesong_geo.render import terminal_safe

    r = run.result
    e = r.extraction
    lines = [
        f"scene      {r.path.name}: {r.width:,} x {r.height:,} px, {e.pixel_m:g} m pixels, "
        f"{r.crs}, bands {', '.join(r.band_names)}",
        f"index      {e.index_name}, Otsu threshold {e.threshold:.4g}",
        f"footprint  {run.parts} polygon{'s' if run.parts != 1 else ''}, {_area(run.area_m2)} "
        "(geodesic, WGS 84)",
    ]
    if run.output is not None:
        lines.append(f"written    {run.output}")
    lines.append(
        "note: proposed by an unsupervised classification; check it against the image before "
        "relying on it"
    )
    text = terminal_safe("\n".join(lines)) + "\n"
    if run.added is not None:  # as 'epochs add' says it; --traced-on is not an option here
        added = _added_text(run.added).replace(" (--traced-on to say otherwise)", "")
        text += added.replace(", traced on ", ", extracted from ")
    return text


def _json(run: ExtractRun) -> str:
    """One JSON object (schema_version 1) with the figures."""
    import json

    r = run.result
    e = r.extraction
    added = run.added
    data = {
        "schema_version": 1,
        "scene": str(r.path),
        "width": r.width,
        "height": r.height,
        "crs": r.crs,
        "bands": list(r.band_names),
        "pixel_m": e.pixel_m,
        "index": e.index_name,
        "threshold": e.threshold,
        "parameters": e.parameters,
        "parts": run.parts,
        "area_m2": round(run.area_m2, 1),
        "warnings": list(e.warnings),
        "output": None if run.output is None else str(run.output),
        "epoch": None if added is None else added.label,
        "data_dir": None if added is None else str(added.data_dir),
        "footprint_file": None if added is None else added.footprint_file,
        "replaced": None if added is None else added.replaced,
        "imagery": [] if added is None else [f"imagery/{im.file}" for im in added.images],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False, default=str) + "\n"
