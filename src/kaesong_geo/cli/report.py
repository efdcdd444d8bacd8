"""``kaesong-geo report``: one self-contained HTML file with tables, chart, map and provenance."""

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
from kaesong_geo.maps import REPORT_FILENAME

HELP = "write one self-contained HTML report: tables, chart, interactive map, provenance"
EPILOG = f"""\
examples:
  $ kaesong-geo report                     # writes {REPORT_FILENAME}
  $ kaesong-geo report --output report.html --data-dir ~/kaesong-data
  $ kaesong-geo report --data-dir ~/kaesong-data --data-dir ~/durban   # sites side by side

The file opens offline: scripts, styles, chart and map are all inside it."""


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "report", HELP, EPILOG)
    add_selection(parser, many=True)
    add_output(parser, default=REPORT_FILENAME)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.maps.htmlreport import make_report

    check_output(args)
    html = make_report(args.data_dir, epoch_list(args.epochs))
    write_result(args.output, html, args.overwrite)
    return 0
