"""The ``kaesong-geo`` command line.

One module per command (:mod:`~kaesong_geo.cli.growth`, :mod:`~kaesong_geo.cli.map`,
:mod:`~kaesong_geo.cli.chart`, :mod:`~kaesong_geo.cli.report`, :mod:`~kaesong_geo.cli.validate`,
:mod:`~kaesong_geo.cli.init`, :mod:`~kaesong_geo.cli.epochs`);
shared options in :mod:`~kaesong_geo.cli.options`. Commands import the library only when they
run, so ``kaesong-geo --help`` starts instantly.

Exit codes: 0 success; 1 bad data, a failed check or an output that cannot be written (disk
full, no permission); 2 bad usage (no command, unknown option or epoch, missing data directory,
output that exists or whose folder is missing, output that is not a regular file); 130 on
Ctrl-C, 143 on SIGTERM; 141 when the reader of standard output closed it early
(``kaesong-geo growth | head -1``), with nothing on standard error.
"""

from __future__ import annotations

import argparse
import sys
import traceback
import warnings
from collections.abc import Sequence
from typing import TextIO

from kaesong_geo import __version__
from kaesong_geo.cli import (
    chart,
    compare,
    epochs,
    extract,
    extract_series,
    growth,
    init,
    stack,
    validate,
)
from kaesong_geo.cli import map as map_command
from kaesong_geo.cli import report as report_command
from kaesong_geo.cli.options import common_parser, quiet_stdout
from kaesong_geo.errors import KaesongGeoError
from kaesong_geo.render import terminal_safe

__all__ = ["build_parser", "main"]

PROG = "kaesong-geo"
#: Exit code when the reader of standard output went away: 128 + SIGPIPE, what a shell
#: reports for ``git log | head -1`` or ``yes | head -1`` under ``set -o pipefail``.
EXIT_SIGPIPE = 141
DESCRIPTION = """\
Measure the growth of a zone (the bundled data: the Kaesong Industrial Complex) from
footprints of satellite-imagery epochs, geodesically on WGS 84, and set it beside firms,
workers and production. A data directory names its site in site.toml."""
EPILOG = """\
examples:
  $ kaesong-geo growth                          # the bundled epochs, as a table
  $ kaesong-geo growth --format json --output growth.json
  $ kaesong-geo growth --epochs 2004-04 2009-09 --format markdown
  $ kaesong-geo map --self-contained            # interactive map that works offline
  $ kaesong-geo report --output report.html     # tables, chart and map in one file
  $ kaesong-geo validate --data-dir my-data     # list every problem, exit 1 if any
  $ kaesong-geo init ~/kaesong-data             # a writable copy of the bundled data
  $ kaesong-geo epochs add 2013-06 --footprint traced.kml --data-dir ~/kaesong-data

data directory: --data-dir, else $KAESONG_GEO_DATA, else the bundled data.
exit codes: 0 success, 1 bad data, failed check or unwritable output, 2 bad usage,
141 the reader of standard output went away (| head), 130/143 interrupted/terminated."""


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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (
        growth,
        map_command,
        chart,
        report_command,
        validate,
        init,
        epochs,
        compare,
        extract,
        extract_series,
        stack,
    ):
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
    print(terminal_safe(f"{PROG}: warning: {message}", one_line=True), file=sys.stderr)


def _run(args: argparse.Namespace) -> int:
    """Run the chosen command and flush standard output, mapping failures to exit codes."""
    from kaesong_geo.io.output import Terminated

    def fail(message: str, code: int) -> int:
        if args.debug:
            traceback.print_exc()
        print(terminal_safe(f"{PROG}: {message}", one_line=True), file=sys.stderr)
        return code

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            code: int = args.run(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:  # the reader went away (``| head -1``): quiet, like git and cat
        if args.debug:
            traceback.print_exc()
        quiet_stdout()
        return EXIT_SIGPIPE
    except KaesongGeoError as exc:
        return fail(f"error: {exc}", exc.exit_code)
    except ModuleNotFoundError as exc:  # a dependency that is not installed (scipy, ...)
        name = (exc.name or "").split(".")[0]
        if not name or name == "kaesong_geo":
            return fail(f"internal error: {exc} (please report it)", 1)
        return fail(
            f"error: this needs the Python package '{name}', which is not installed "
            f"(pip install {name})",
            1,
        )
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except Terminated as exc:
        return fail("terminated", exc.exit_code)
    except Exception as exc:  # a bug: say so in one line
        return fail(
            f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback, "
            "and please report it)",
            1,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    With no command it prints the help to standard output and returns 2, like ``git`` (which
    prints its help and returns 1; 2 is this tool's code for bad usage).

    Examples
    --------
    >>> main(["growth", "--epochs", "1999-01"])
    2
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        given = list(sys.argv[1:] if argv is None else argv)
        hint = ""
        if "--data-dir" in given and not any(e.startswith("-") for e in extra):
            hint = " (for several data directories repeat the option: --data-dir A --data-dir B)"
        parser.error(f"unrecognized arguments: {' '.join(extra)}{hint}")
    if args.command is None:
        parser.print_help()
        return 2
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    return _run(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
