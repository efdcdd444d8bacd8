"""``kaesong-geo chart``: footprint area beside firms and workers, as PNG or SVG."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from kaesong_geo.cli.options import (
    add_command,
    add_output,
    add_selection,
    check_output,
    epoch_list,
    write_result,
)
from kaesong_geo.errors import UsageError
from kaesong_geo.maps import CHART_FILENAME

HELP = "draw footprint area per epoch beside firms and workers (PNG or SVG)"
EPILOG = f"""\
examples:
  $ kaesong-geo chart                      # writes {CHART_FILENAME}
  $ kaesong-geo chart -o growth.svg --overwrite"""


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "chart", HELP, EPILOG)
    add_selection(parser)
    add_output(parser, default=CHART_FILENAME, metavar="FILE.png|FILE.svg")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    suffix = Path(args.output).suffix.lower().lstrip(".")
    if suffix not in ("png", "svg"):
        raise UsageError("the chart is written as .png or .svg", path=args.output)
    from kaesong_geo.maps.charts import make_chart

    check_output(args)
    data = make_chart(args.data_dir, epoch_list(args.epochs), fmt=suffix)  # type: ignore[arg-type]
    write_result(args.output, data, args.overwrite)
    return 0
