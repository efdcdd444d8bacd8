r"""Write outputs atomically, never clobbering a file silently.

Examples
--------
>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "report.json"
>>> write_text(target, "{}\\n")
>>> write_text(target, "[]\\n")
Traceback (most recent call last):
...
kaesong_geo.errors.OutputExistsError: ...report.json: already exists; use --overwrite to replace it
>>> write_text(target, "[]\\n", overwrite=True); target.read_text()
'[]\\n'
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from kaesong_geo.errors import OutputExistsError, UsageError

__all__ = ["check_output_path", "write_bytes", "write_text"]


def check_output_path(path: str | os.PathLike[str], overwrite: bool = False) -> Path:
    """Check that ``path`` can be written: its folder exists, and it is new or may be replaced.

    Raises
    ------
    UsageError
        The folder does not exist, or the path is a directory.
    OutputExistsError
        The file exists and ``overwrite`` is false.
    """
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"output folder {str(parent)!r} does not exist", path=p)
    if p.is_dir():
        raise UsageError("output path is a directory", path=p)
    if p.exists() and not overwrite:
        raise OutputExistsError("already exists; use --overwrite to replace it", path=p)
    return p


def write_bytes(path: str | os.PathLike[str], data: bytes, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A failure at any point leaves ``path`` as it was.
    """
    p = check_output_path(path, overwrite)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike[str], text: str, overwrite: bool = False) -> None:
    """Write UTF-8 ``text`` atomically (see :func:`write_bytes`)."""
    write_bytes(path, text.encode("utf-8"), overwrite)
