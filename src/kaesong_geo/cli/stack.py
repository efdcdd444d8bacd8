"""``kaesong-geo stack FILE...``: band files stacked into one GeoTIFF that ``extract`` reads."""

from __future__ import annotations

import argparse
from typing import Any

from kaesong_geo.cli.options import add_command, band_list, user_path, write_stdout

HELP = "stack single-band files (Sentinel-2, Landsat) into one GeoTIFF that extract reads"
EPILOG = """\
examples:
  $ kaesong-geo stack T52SCG_20210514_B04_10m.jp2 T52SCG_20210514_B08_10m.jp2 \\
        T52SCG_20210514_B11_20m.jp2 --output S2_2021-05-14.tif
  $ kaesong-geo stack LC08_*_SR_B4.TIF LC08_*_SR_B5.TIF LC08_*_SR_B6.TIF --output L8.tif
  $ kaesong-geo stack red.tif nir.tif swir.tif --bands red,nir,swir16 --output scene.tif

Sentinel-2 and Landsat come with a file per band, Sentinel-2's at 10, 20 and 60 m. The files
are stacked in the order given on the finest grid (a coarser band's pixels repeated, never
blended) into one Cloud Optimized GeoTIFF, each band named (--bands, else the file's band
description, else the band its file name gives: ..._B04_10m.jp2 is B04) and keeping its
scale, offset and nodata. They must be in one CRS, of one data type and cover the same
extent. Then: kaesong-geo extract scene.tif ...

Digital numbers become reflectance with a scale and an offset, which extract needs and the
files often do not carry: --scale and --offset set them on every band (Sentinel-2 L2A from
processing baseline 04.00, 2022 on: --scale 0.0001 --offset -0.1; before: --scale 0.0001;
Landsat 8/9 Collection 2 surface reflectance: --scale 0.0000275 --offset -0.2).

A STAC catalog of such items needs no stacking: extract-series stacks them itself."""


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "stack", HELP, EPILOG)
    parser.usage = "%(prog)s FILE [FILE ...] --output OUT.tif [--bands NAMES] [--overwrite]"
    parser.add_argument(
        "files", metavar="FILE", nargs="+", type=user_path, help="the band files, in order"
    )
    parser.add_argument(
        "-o", "--output", metavar="OUT.tif", type=user_path, required=True,
        help="the stacked GeoTIFF (COG) to write",
    )  # fmt: skip
    parser.add_argument(
        "--bands",
        metavar="B1,B2,...",
        type=band_list,
        help="one name per band, in order (default: the files' descriptions or file names)",
    )
    parser.add_argument(
        "--scale", metavar="S", type=float,
        help="every band's scale (reflectance = DN x S + offset; default: the file's)",
    )  # fmt: skip
    parser.add_argument(
        "--offset", metavar="O", type=float,
        help="every band's offset (default: the file's, or 0 with --scale)",
    )  # fmt: skip
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace OUT.tif if it is an existing regular file (refused otherwise)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.io.stack import band_sources, write_stack
    from kaesong_geo.render import terminal_safe

    bands = band_sources(args.files, args.bands, scale=args.scale, offset=args.offset)
    done = write_stack(bands, args.output, overwrite=args.overwrite)
    size = done.size_bytes
    shown = f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:.1f} kB"
    lines = [
        *(f"band {i}     {b.name:8s} {b.path.name}" for i, b in enumerate(bands, start=1)),
        *([f"scale      x {done.scales[0]:g} + {done.offsets[0]:g}"] if done.scaled else []),
        f"grid       {done.width:,} x {done.height:,} px, {done.pixel_m:g} m pixels, {done.crs}",
        f"written    {done.path} ({shown})",
    ]
    write_stdout(terminal_safe("\n".join(lines)) + "\n")
    return 0
