"""``kaesong-geo validate``: check a data directory and list every problem."""

from __future__ import annotations

import argparse
from typing import Any

from kaesong_geo.cli.options import add_command, add_data_dir
from kaesong_geo.errors import CheckFailed
from kaesong_geo.text import plural

HELP = "check a data directory; list every problem and exit 1 if there are errors"
EPILOG = """\
examples:
  $ kaesong-geo validate
  $ kaesong-geo validate --data-dir ~/kaesong-data --strict

Errors (the same that stop growth, map, chart and report): unreadable or unsupported files
in boundaries/ (FIFOs, dangling links, unknown suffixes), non-polygons, missing or wrong CRS,
non-finite, swapped or misplaced coordinates (every vertex within the site's distance), bad
or duplicate epochs, areas outside their documented reference, out-of-range properties, bad
statistics or events rows, imagery without CRS or GCPs, off the site, outside imagery/ or
reaching the network. Warnings: geometry repaired with make_valid, missing provenance, UTM
disagreement, epochs without imagery metadata (failures too with --strict)."""


def register(sub: Any) -> None:
    """Add the command to the subparsers ``sub``."""
    parser = add_command(sub, "validate", HELP, EPILOG)
    add_data_dir(parser)
    parser.add_argument("--strict", action="store_true", help="count warnings as failures")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the command."""
    from kaesong_geo.io.validate import validate_data_dir
    from kaesong_geo.render import terminal_safe

    result = validate_data_dir(args.data_dir, strict=args.strict)
    if result.site.assumed_note:
        print(terminal_safe(f"note: {result.site.assumed_note}", one_line=True))
    for problem in result.problems:
        print(terminal_safe(f"{problem.severity}: {problem}", one_line=True))
    counts = f"{plural(len(result.errors), 'error')}, {plural(len(result.warnings), 'warning')}"
    verdict = "ok" if result.ok else "FAILED"
    print(terminal_safe(f"{verdict}: {result.data_dir}: {result.summary()}; {counts}"))
    if not result.ok:  # stderr names the first problem too, for logs that keep only it
        first = (result.errors or result.warnings)[0]
        raise CheckFailed(
            f"{counts}; first: {terminal_safe(str(first), one_line=True)}", path=result.data_dir
        )
    return 0
