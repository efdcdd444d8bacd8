"""Options shared by several commands, defined once.

========================  ==============================================================
option                    meaning
========================  ==============================================================
``--debug``               show tracebacks (every command)
``--data-dir DIR``        data directory (else ``$KAESONG_GEO_DATA``, else bundled data);
                          once, but repeatable where a command compares sites (``many``)
``--epochs E [E ...]``    epochs to include, by label (space- or comma-separated);
                          ``add_selection`` adds it with ``--data-dir``
``--output FILE``         write here instead of standard output
``--overwrite``           allow ``--output`` to replace an existing regular file
========================  ==============================================================

``~`` at the start of ``--data-dir`` and ``--output`` is expanded (for ``--data-dir=~/x``,
which the shell leaves alone).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = [
    "add_command",
    "add_data_dir",
    "add_epochs",
    "add_output",
    "add_selection",
    "check_output",
    "common_parser",
    "epoch_list",
    "quiet_stdout",
    "user_path",
    "write_result",
    "write_stdout",
]


def user_path(text: str) -> str:
    """A path from the command line, with ``~`` expanded.

    Examples
    --------
    >>> import os
    >>> user_path("~/data") == os.path.join(os.path.expanduser("~"), "data")
    True
    >>> user_path("data/x.json")
    'data/x.json'
    >>> user_path("  ")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: is empty: give a path
    """
    if not text.strip():  # `--data-dir=` or `-o ""`, e.g. from an unset shell variable
        raise argparse.ArgumentTypeError("is empty: give a path")
    return os.path.expanduser(text)


def common_parser(suppress: bool = True) -> argparse.ArgumentParser:
    """A parent parser with ``--debug``.

    With ``suppress`` the option has no default, so a subcommand does not reset a value given
    before the command name.
    """
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS if suppress else False,
        help="show the full traceback on errors",
    )
    return parser


class _Once(argparse.Action):
    """Store an option's value, refusing it a second time (a usage error, exit 2)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if getattr(namespace, self.dest, None) is not None:
            parser.error(f"{option_string} given twice: {parser.prog} reads one data directory")
        setattr(namespace, self.dest, values)


def add_data_dir(parser: argparse.ArgumentParser, many: bool = False) -> None:
    """Add ``--data-dir``: once, or with ``many`` repeatable (a list of directories)."""
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        type=user_path,
        action="append" if many else _Once,
        help="data directory with boundaries/, economy/, imagery/ "
        "(default: $KAESONG_GEO_DATA, else the bundled data)"
        + ("; repeat it to compare sites side by side" if many else ""),
    )


def epoch_list(values: list[str] | None) -> list[str] | None:
    """Flatten ``--epochs`` values, splitting commas.

    Examples
    --------
    >>> epoch_list(["2004-04,2006-01", "2009-09"])
    ['2004-04', '2006-01', '2009-09']
    >>> epoch_list(None) is None
    True
    """
    if values is None:
        return None
    return [part.strip() for v in values for part in v.split(",") if part.strip()]


def add_selection(parser: argparse.ArgumentParser, many: bool = False) -> None:
    """Add ``--data-dir`` (repeatable with ``many``) and ``--epochs``: what a report reads."""
    add_data_dir(parser, many)
    add_epochs(parser)


def add_epochs(parser: argparse.ArgumentParser) -> None:
    """Add ``--epochs``."""
    parser.add_argument(
        "--epochs",
        nargs="+",
        metavar="EPOCH",
        help="epochs to include, e.g. --epochs 2004-04 2009-09 (default: all)",
    )


def add_output(
    parser: argparse.ArgumentParser, default: str | None = None, metavar: str = "FILE"
) -> None:
    """Add ``--output`` (standard output, or ``default`` when given) and ``--overwrite``."""
    where = f"(default: {default})" if default else "instead of standard output"
    parser.add_argument(
        "-o",
        "--output",
        metavar=metavar,
        default=default,
        type=user_path,
        help=f"write to FILE {where}",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace FILE if it is an existing regular file (refused otherwise)",
    )


def add_command(sub: Any, name: str, help_text: str, epilog: str) -> argparse.ArgumentParser:
    """Add a command with its one-line help, a description and an epilog of examples."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help_text,
        description=help_text[0].upper() + help_text[1:] + ".",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common_parser()],
    )
    return parser


def check_output(args: argparse.Namespace) -> None:
    """Refuse a bad ``--output`` early, before any work is done.

    Refused: a missing folder, an existing file without ``--overwrite``, a device or FIFO,
    and a path inside the data directory.
    """
    from kaesong_geo.io.datadir import resolve_data_dir
    from kaesong_geo.io.output import check_output_path

    if args.output:
        dirs = args.data_dir if isinstance(args.data_dir, list) else [args.data_dir]
        for data_dir in dirs:
            check_output_path(args.output, args.overwrite, protected=resolve_data_dir(data_dir))


def write_result(path: str, data: str | bytes, overwrite: bool) -> None:
    """Write an output file atomically and say so on standard error."""
    from kaesong_geo.io.output import write_bytes
    from kaesong_geo.render import terminal_safe

    raw = data.encode("utf-8") if isinstance(data, str) else data
    write_bytes(path, raw, overwrite=overwrite)
    print(terminal_safe(f"wrote {path} ({len(raw) / 1e6:.2f} MB)"), file=sys.stderr)


def write_stdout(text: str) -> None:
    """Write ``text`` to standard output and flush it.

    Raises
    ------
    BrokenPipeError
        The reader went away; the command line exits quietly.
    OutputError
        Any other failure, e.g. ``> /dev/full`` (disk full).
    """
    from kaesong_geo.io.output import OutputError

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        quiet_stdout()
        raise OutputError(f"cannot write standard output: {exc.strerror or exc}") from exc


def quiet_stdout() -> None:
    """Point standard output at /dev/null, so that exiting does not fail writing to it again.

    What the Python documentation recommends after a broken pipe (``signal`` module, "Note on
    SIGPIPE"); used after a failed write to standard output too.
    """
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def add_provenance_options(parser: argparse.ArgumentParser, what: str) -> None:
    """``--provider``, ``--licence`` and ``--redistributable`` of ``what`` (e.g. "the images")."""
    parser.add_argument(
        "--provider", metavar="TEXT", help=f"who supplied {what} (catalogue's provider)"
    )
    owner = f"{what}'" if what.endswith("s") else f"{what}'s"
    parser.add_argument(
        "--licence", "--license", metavar="TEXT", dest="licence", help=f"{owner} licence"
    )
    parser.add_argument(
        "--redistributable",
        action="store_true",
        help=f"{what} may be passed on (default: no)",
    )


def number(minimum: float = 0.0, *, above: bool = False, unit: str = "") -> Callable[[str], float]:
    """An argparse ``type``: a finite number of ``minimum`` or more (``above``: more than it).

    Examples
    --------
    >>> number()("5000")
    5000.0
    >>> number()("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '-1' is not a number of 0 or more
    >>> number(above=True, unit="seconds")("0")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '0' is not a number of seconds above 0
    """
    noun = f"a number of {unit}" if unit else "a number"
    bound = f"above {minimum:g}" if above else f"of {minimum:g} or more"

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < minimum or (above and value == minimum):
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun} {bound}")
        return value

    return parse


def whole_number(minimum: int, unit: str = "") -> Callable[[str], int]:
    """An argparse ``type``: a whole number of ``minimum`` or more.

    Examples
    --------
    >>> whole_number(64, "pixels")("2048")
    2048
    >>> whole_number(64, "pixels")("10")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: '10' is not a whole number of pixels of 64 or more
    """
    noun = f"a whole number of {unit}" if unit else "a whole number"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text!r} is not {noun} of {minimum} or more")
        return value

    return parse


def band_list(text: str) -> list[str]:
    """``B02,B03,...`` as band names.

    Examples
    --------
    >>> band_list("B04, B08,B11")
    ['B04', 'B08', 'B11']
    >>> band_list("red,,blue")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: 'red,,blue' has an empty band name (give e.g. red,green,blue)
    """
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(
            f"{text!r} has an empty band name (give e.g. red,green,blue)"
        )
    return names
