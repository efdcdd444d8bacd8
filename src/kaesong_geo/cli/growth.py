"""``kaesong-geo growth``: area per epoch, growth between epochs, and the economy beside it."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from kaesong_geo.cli.options import (
    add_command,
    add_output,
    add_selection,
    check_output,
    epoch_list,
    write_result,
    write_stdout,
)
from kaesong_geo.errors import UsageError
from kaesong_geo.render import FORMATS, TABLES

if TYPE_CHECKING:
    pass

HELP = "measure footprints per epoch, growth between epochs, and counts beside them"
EPILOG = """\
examples:
  $ kaesong-geo growth
  $ kaesong-geo growth --format json --output growth.json
  $ kaesong-geo growth --format csv --table intervals > intervals.csv
  $ kaesong-geo growth --epochs 2004-04 2009-09 --data-dir ~/kaesong-data
  $ kaesong-geo growth --data-dir ~/kaesong-data --data-dir ~/durban   # sites side by side

--format json is a stable contract (schema_version 1; with several --data-dir,
schema_version 2: every site's report and the comparison); see the README."""


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "growth", HELP, EPILOG)
    add_selection(parser, many=True)
    parser.add_argument(
        "-f", "--format", choices=FORMATS, default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--table",
        choices=TABLES,
        help="which table --format csv writes (default: epochs)",
    )
    parser.add_argument(
        "--wide",
        action="store_true",
        help="--format table: every column, however wide (default: the main columns, "
        "fitting 100 characters)",
    )
    add_output(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.render import render_report
    from kaesong_geo.report import growth_report

    if args.table and args.format != "csv":
        raise UsageError("--table chooses the table of --format csv; the other formats hold all")
    if args.wide and args.format != "table":
        raise UsageError("--wide widens --format table; the other formats hold every column")
    check_output(args)
    dirs: list[str] = args.data_dir or []
    if len(dirs) > 1:
        text = _several(dirs, args)
    else:
        report = growth_report(dirs[0] if dirs else None, epoch_list(args.epochs))
        text = render_report(report, args.format, table=args.table or "epochs", wide=args.wide)
    if args.output:
        write_result(args.output, text, args.overwrite)
    else:
        write_stdout(text)
    return 0


def _several(dirs: list[str], args: argparse.Namespace) -> str:
    """Several data directories: every site's report, then the comparison."""
    from kaesong_geo.compare_sites import compare_sites
    from kaesong_geo.render import render_comparison
    from kaesong_geo.report import growth_reports

    if args.table:
        raise UsageError("--table: with several --data-dir, --format csv writes the comparison")
    reports = growth_reports(dirs, epoch_list(args.epochs))
    return render_comparison(reports, compare_sites(reports), args.format, wide=args.wide)
