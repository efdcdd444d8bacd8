r"""Write outputs atomically and exclusively, never clobbering a file silently.

Rules, in the order they are checked:

- the folder must exist (:class:`~kaesong_geo.errors.UsageError`, exit 2);
- an existing path that is not a regular file (directory, device such as ``/dev/null``, FIFO,
  socket, or a symbolic link to one of these) is refused even with ``overwrite``
  (:class:`~kaesong_geo.errors.UsageError`); a dangling symbolic link is refused too;
- an existing regular file is replaced only with ``overwrite``
  (:class:`~kaesong_geo.errors.OutputExistsError`, exit 2); through a symbolic link, the file
  it points to is replaced and the link kept;
- the data goes to a temporary file in the target's folder, is flushed to disk, gets its mode
  (the replaced file's, else ``0o666 & ~umask``) and is then published: by ``os.replace`` with
  ``overwrite``, else by a hard link that fails if the name appeared meanwhile, so of several
  concurrent writers exactly one succeeds;
- a failed write (disk full, no permission) is one :class:`OutputError` (exit 1) and leaves the
  target as it was; SIGTERM or SIGHUP during the write removes the temporary file and raises
  :class:`Terminated`.

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
>>> write_text("/dev/null", "x", overwrite=True)
Traceback (most recent call last):
...
kaesong_geo.errors.UsageError: /dev/null: is a character device, not a regular file; ...
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

from kaesong_geo.errors import OutputError, OutputExistsError, UsageError

__all__ = [
    "OutputError",
    "Terminated",
    "check_output_path",
    "write_bytes",
    "write_file",
    "write_text",
]

#: Signals that remove the temporary file before the process ends (SIGINT raises
#: KeyboardInterrupt already, which cleans up the same way).
_CLEANUP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))
#: Errors of ``os.link`` that mean "this file system has no hard links", not "cannot write".
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}


class Terminated(BaseException):
    """A termination signal arrived while an output was being written.

    Like :class:`KeyboardInterrupt` it is not an :class:`Exception`, so only code that cleans
    up sees it; ``exit_code`` is ``128 + signal number``, as a shell reports a killed process.
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"terminated by signal {signum}")


def _kind(mode: int) -> str | None:
    """What a non-regular file is, or None for a regular file.

    Examples
    --------
    >>> _kind(stat.S_IFIFO), _kind(stat.S_IFREG) is None
    ('FIFO (named pipe)', True)
    """
    kinds = {
        stat.S_ISDIR: "directory",
        stat.S_ISCHR: "character device",
        stat.S_ISBLK: "block device",
        stat.S_ISFIFO: "FIFO (named pipe)",
        stat.S_ISSOCK: "socket",
    }
    for test, name in kinds.items():
        if test(mode):
            return name
    return None if stat.S_ISREG(mode) else "special file"


def check_output_path(
    path: str | os.PathLike[str],
    overwrite: bool = False,
    *,
    protected: str | os.PathLike[str] | None = None,
) -> Path:
    """Check that ``path`` can be written: its folder exists, and it is new or may be replaced.

    ``~`` is expanded. With ``protected`` (a data directory), a path inside that folder, or
    inside any other data directory (a folder holding a ``site.toml``), is refused: no
    command writes into data (a footprint file in another workspace's ``boundaries/`` would
    break it).

    Returns
    -------
    Path
        The path as given, with ``~`` expanded.

    Raises
    ------
    UsageError
        The folder does not exist or is not a folder, the path exists and is not a regular
        file (or a symbolic link to one), or it lies inside ``protected``.
    OutputExistsError
        The file exists and ``overwrite`` is false.
    """
    p = Path(os.path.expanduser(os.fspath(path)))
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        what = (
            "is a file, not a folder"
            if parent.is_file()
            else "is not a folder"
            if parent.exists()
            else "does not exist"
        )
        raise UsageError(f"output folder {str(parent)!r} {what}", path=p)
    if protected is not None:
        guarded = Path(os.path.realpath(os.path.expanduser(os.fspath(protected))))
        where = Path(os.path.realpath(parent)) / p.name
        # the data directory given, or any other (a folder with a site.toml) around the output
        other = next((d for d in where.parents if (d / "site.toml").is_file()), None)
        if where == guarded or guarded in where.parents or other is not None:
            inside = guarded if (where == guarded or guarded in where.parents) else other
            raise UsageError(
                f"is inside the data directory {str(inside)!r}; kaesong-geo never writes "
                "into its data: choose another folder",
                path=p,
            )
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return p
    link = stat.S_ISLNK(st.st_mode)
    if link:
        try:
            st = os.stat(p)
        except OSError:
            raise UsageError(
                "is a symbolic link to a missing file; refusing to write through it", path=p
            ) from None
    kind = _kind(st.st_mode)
    if kind == "directory" and not link:
        raise UsageError("output path is a directory", path=p)
    if kind:
        raise UsageError(
            f"is a {'symbolic link to a ' if link else ''}{kind}, not a regular file; "
            "kaesong-geo writes and replaces regular files only (use standard output to write "
            "elsewhere)",
            path=p,
        )
    if not overwrite:
        raise OutputExistsError("already exists; use --overwrite to replace it", path=p)
    return p


def _umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def _why(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    where = f" ({exc.filename})" if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) else ""
    return f"cannot write the output: {reason}{where}"


@contextlib.contextmanager
def _signals_raise() -> Iterator[None]:
    """Turn SIGTERM/SIGHUP into :class:`Terminated` while writing (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Terminated(signum)

    previous = {}
    for sig in _CLEANUP_SIGNALS:
        current = signal.getsignal(sig)
        if current in (signal.SIG_DFL, None):  # leave handlers that someone else installed
            previous[sig] = signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _publish_new(tmp: str, target: Path, shown: Path) -> None:
    """Give ``tmp`` the name ``target`` only if nothing has that name yet."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise OutputExistsError(
            "already exists (written meanwhile by another process); use --overwrite to replace it",
            path=shown,
        ) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        try:  # no hard links on this file system: reserve the name exclusively, then rename
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise OutputExistsError(
                "already exists; use --overwrite to replace it", path=shown
            ) from None
        os.replace(tmp, target)
    else:
        os.unlink(tmp)


def write_bytes(path: str | os.PathLike[str], data: bytes, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    See the module docstring for the rules. A failure at any point leaves ``path`` as it was
    and no temporary file behind.

    Raises
    ------
    UsageError, OutputExistsError
        See :func:`check_output_path`; ``OutputExistsError`` also when another process
        created ``path`` during the write.
    OutputError
        The disk is full, the folder is not writable, or another I/O error.
    Terminated
        SIGTERM or SIGHUP arrived during the write.
    """

    def write(fd: int, _: Path) -> None:
        _write_all(fd, data)

    _write_through_temporary(path, write, overwrite)


def write_file(
    path: str | os.PathLike[str], writer: Callable[[Path], None], overwrite: bool = False
) -> None:
    """Have ``writer`` write a file that is then published as ``path``, as :func:`write_bytes`.

    ``writer`` gets a temporary path in ``path``'s folder and writes the file there (e.g.
    GDAL creating a GeoTIFF); the rules and the guarantees are those of :func:`write_bytes`
    (an exception from ``writer`` leaves ``path`` as it was and no temporary file behind).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> write_file(target, lambda tmp: tmp.write_text("made elsewhere"))
    >>> target.read_text(), [p.name for p in target.parent.iterdir()]
    ('made elsewhere', ['a.txt'])
    """

    def write(_: int, tmp: Path) -> None:
        writer(tmp)

    _write_through_temporary(path, write, overwrite)


def _write_through_temporary(
    path: str | os.PathLike[str], write: Callable[[int, Path], None], overwrite: bool
) -> None:
    shown = check_output_path(path, overwrite)
    target = Path(os.path.realpath(shown)) if shown.is_symlink() else shown
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    with _signals_raise():
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or "."
            )
            try:
                write(fd, Path(tmp))
                os.chmod(tmp, mode)
                with open(tmp, "rb+") as fh:  # what the writer wrote, by whatever handle
                    os.fsync(fh.fileno())
            finally:
                os.close(fd)
            if overwrite:
                os.replace(tmp, target)
            else:
                _publish_new(tmp, target, shown)
            tmp = None
        except OSError as exc:
            raise OutputError(_why(exc), path=shown) from exc
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def write_text(path: str | os.PathLike[str], text: str, overwrite: bool = False) -> None:
    """Write UTF-8 ``text`` atomically (see :func:`write_bytes`)."""
    write_bytes(path, text.encode("utf-8"), overwrite)
