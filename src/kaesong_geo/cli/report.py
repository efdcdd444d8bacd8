"""``kaesong-geo report``: one self-contained HTML file with tables, chart, map and provenance."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kaesong_geo.cli.options import add_data_dir, add_epochs, add_output, common_parser, epoch_list

REPORT_FILENAME = "kaesong-report.html"  # kaesong_geo.maps.htmlreport.REPORT_FILENAME
HELP = "write one self-contained HTML report: tables, chart, interactive map, provenance"
EPILOG = f"""\
examples:
  $ kaesong-geo report                     # writes {REPORT_FILENAME}
  $ kaesong-geo report --output report.html --data-dir ~/kaesong-data

The file opens offline: scripts, styles, chart and map are all inside it."""


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = sub.add_parser(
        "report",
        help=HELP,
        description=HELP[0].upper() + HELP[1:] + ".",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parser()],
    )
    add_data_dir(parser)
    add_epochs(parser)
    add_output(parser, default=REPORT_FILENAME)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.io.output import check_output_path, write_text
    from kaesong_geo.maps.htmlreport import make_report

    check_output_path(args.output, args.overwrite)
    html = make_report(args.data_dir, epoch_list(args.epochs))
    write_text(args.output, html, overwrite=args.overwrite)
    print(f"wrote {args.output} ({len(html.encode('utf-8')) / 1e6:.2f} MB)", file=sys.stderr)
    return 0
