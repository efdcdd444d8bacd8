"""``kaesong-geo map``: an interactive HTML map of the footprints (Folium/Leaflet)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kaesong_geo.cli.options import add_data_dir, add_epochs, add_output, common_parser, epoch_list

MAP_FILENAME = "kaesong-map.html"  # kaesong_geo.maps.build.MAP_FILENAME, without importing folium
HELP = "write an interactive map: footprints per epoch, growth, imagery, time and swipe controls"
EPILOG = f"""\
examples:
  $ kaesong-geo map                                  # writes {MAP_FILENAME}
  $ kaesong-geo map --self-contained -o offline.html # opens with no network at all
  $ kaesong-geo map --epochs 2004-04 2009-09 --data-dir ~/kaesong-data

Without --self-contained the page loads Leaflet from a CDN; with it, every script and
stylesheet is inlined (from the npm packages installed with kaesong-geo)."""


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = sub.add_parser(
        "map",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + ".",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parser()],
    )
    add_data_dir(parser)
    add_epochs(parser)
    add_output(parser, default=MAP_FILENAME)
    parser.add_argument(
        "--self-contained",
        action="store_true",
        help="inline every script and stylesheet so the file works offline",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.io.output import check_output_path, write_text
    from kaesong_geo.maps.build import make_map

    check_output_path(args.output, args.overwrite)
    html = make_map(args.data_dir, epoch_list(args.epochs), self_contained=args.self_contained)
    write_text(args.output, html, overwrite=args.overwrite)
    print(f"wrote {args.output} ({len(html.encode('utf-8')) / 1e6:.2f} MB)", file=sys.stderr)
    return 0
