"""The ``kaesong-geo`` command line.

One module per command (:mod:`~kaesong_geo.cli.growth`, :mod:`~kaesong_geo.cli.map`,
:mod:`~kaesong_geo.cli.chart`, :mod:`~kaesong_geo.cli.report`, :mod:`~kaesong_geo.cli.validate`);
shared options in :mod:`~kaesong_geo.cli.options`. Commands import the library only when they
run, so ``kaesong-geo --help`` starts instantly.

Exit codes: 0 success; 1 bad data or a failed check; 2 bad usage (unknown option or epoch,
missing data directory, output that exists or whose folder is missing).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import TextIO

from kaesong_geo import __version__
from kaesong_geo.cli import chart, growth, validate
from kaesong_geo.cli import map as map_command
from kaesong_geo.cli import report as report_command
from kaesong_geo.cli.options import common_parser
from kaesong_geo.errors import KaesongGeoError

__all__ = ["build_parser", "main"]

PROG = "kaesong-geo"
DESCRIPTION = """\
Measure the growth of the Kaesong Industrial Complex from footprints of satellite-imagery
epochs, geodesically on WGS 84, and set it beside firms, workers and production."""
EPILOG = """\
examples:
  $ kaesong-geo growth                          # the bundled epochs, as a table
  $ kaesong-geo growth --format json --output growth.json
  $ kaesong-geo growth --epochs 2004-04 2009-09 --format markdown
  $ kaesong-geo map --self-contained            # interactive map that works offline
  $ kaesong-geo report --output report.html     # tables, chart and map in one file
  $ kaesong-geo validate --data-dir my-data     # list every problem, exit 1 if any

data directory: --data-dir, else $KAESONG_GEO_DATA, else the bundled data.
exit codes: 0 success, 1 bad data or failed check, 2 bad usage."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parser(suppress=False)],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (growth, map_command, chart, report_command, validate):
        module.register(sub)
    return parser


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Print a warning as one line on standard error."""
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Examples
    --------
    >>> main(["growth", "--epochs", "1999-01"])
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code: int = args.run(args)
        return code
    except KaesongGeoError as exc:
        if args.debug:
            raise
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so in one line unless debugging
        if args.debug:
            raise
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {exc} (run with --debug for the "
            "traceback, and please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
