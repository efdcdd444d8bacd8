"""``kaesong-geo map``: an interactive HTML map of the footprints (Folium/Leaflet)."""

from __future__ import annotations

import argparse
from typing import Any

from kaesong_geo.cli.options import (
    add_command,
    add_output,
    add_selection,
    check_output,
    epoch_list,
    write_result,
)
from kaesong_geo.maps import MAP_FILENAME

HELP = "write an interactive map: footprints per epoch, growth, imagery, time and swipe controls"
EPILOG = f"""\
examples:
  $ kaesong-geo map                                  # writes {MAP_FILENAME}
  $ kaesong-geo map --self-contained -o offline.html # opens with no network at all
  $ kaesong-geo map --epochs 2004-04 2009-09 --data-dir ~/kaesong-data
  $ kaesong-geo map --data-dir ~/kaesong --data-dir ~/rason -o sites.html

Several --data-dir make one map of all the sites: one layer group per site (named after
it), the view fitting them all, and a time control shared by date (at each date every site
shows its latest epoch as of that date), so the sites can be compared at the same moment.

Without --self-contained the page loads Leaflet from a CDN; with it, every script and
stylesheet is inlined (from the npm packages installed with kaesong-geo)."""


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "map", HELP, EPILOG)
    add_selection(parser, many=True)
    add_output(parser, default=MAP_FILENAME)
    parser.add_argument(
        "--self-contained",
        action="store_true",
        help="inline every script and stylesheet so the file works offline",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.maps.build import make_map

    check_output(args)
    dirs: list[str] = args.data_dir or []
    html = make_map(
        dirs if len(dirs) > 1 else (dirs[0] if dirs else None),
        epoch_list(args.epochs),
        self_contained=args.self_contained,
    )
    write_result(args.output, html, args.overwrite)
    return 0
