"""All-or-nothing changes to a workspace: several files written, replaced or removed as one.

``kaesong-geo epochs add`` writes a footprint file, a Cloud Optimized GeoTIFF and a new
``imagery/catalog.csv`` at once. Each file is written to a temporary name and renamed into
place (a rename is atomic), but several renames are not. A :class:`Transaction` makes them
one step, the way a database's rollback journal does:

1. Everything new is written into a hidden folder of the workspace, ``.kaesong-geo-txn/``
   (``new/`` holds the files as they will be). :meth:`Transaction.view` shows the workspace
   as it will be (hard links), so that every check runs on the result before it exists.
2. :meth:`Transaction.commit` keeps a hard link of every file it will replace or remove
   (``old/``), writes a journal naming the changes (``journal.json``, itself written to a
   temporary name and renamed), then renames the new files into place and removes what goes.
   Deleting the journal is the moment the change is made; the hidden folder is then removed.
3. On an error or an interrupt (Ctrl-C, ``SIGTERM``, both raised as exceptions by the
   command line) the transaction is rolled back there and then. If the process is killed
   outright (``SIGKILL``, a power cut) the next command to open the workspace finds the
   hidden folder and rolls it back from the journal (:func:`recover`): the workspace is
   byte-for-byte as it was before the interrupted command.

Only one command writes to a workspace at a time: the hidden folder is made with
``mkdir`` (which fails if it exists) and holds a lock file (``fcntl.flock``, released by the
operating system when the process ends, however it ends). A second writer is refused while
the first runs; a reader leaves a locked folder alone.

Examples
--------
>>> import tempfile
>>> ws = Path(tempfile.mkdtemp())
>>> _ = (ws / "a.txt").write_text("old")
>>> with Transaction(ws) as txn:
...     txn.write_bytes("a.txt", b"new")
...     txn.write_bytes("sub/b.txt", b"made")
...     txn.commit()
>>> sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*"))
['a.txt', 'sub', 'sub/b.txt']
>>> with Transaction(ws) as txn:
...     txn.remove("a.txt")
...     pass  # leaving without commit(), or by an exception, changes nothing
>>> (ws / "a.txt").read_text()
'new'
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import Any

from kaesong_geo.errors import DataError, KaesongGeoWarning
from kaesong_geo.io.output import _umask

__all__ = ["TXN_DIR", "InterruptedWriteUndone", "Transaction", "recover"]

#: The hidden folder of a transaction in progress (or interrupted) inside a workspace.
TXN_DIR = ".kaesong-geo-txn"
_JOURNAL = "journal.json"
_LOCK = "lock"


class InterruptedWriteUndone(KaesongGeoWarning):
    """A command that writes to the workspace was interrupted earlier; its changes were undone."""


def _rel(path: str | os.PathLike[str]) -> str:
    """A workspace-relative path, checked: relative, no ``..``, not inside the hidden folder."""
    p = PurePosixPath(os.fspath(path).replace(os.sep, "/"))
    if p.is_absolute() or not p.parts or any(part in ("..", ".", "") for part in p.parts):
        raise ValueError(f"not a relative path inside the workspace: {os.fspath(path)!r}")
    if p.parts[0] == TXN_DIR:
        raise ValueError(f"{TXN_DIR} is the transaction's own folder")
    return p.as_posix()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be synced
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link ``src`` to ``dst`` (instant, same bytes), or copy where links are refused."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


class _Lock:
    """An exclusive ``flock`` on ``path`` (POSIX); a no-op where ``fcntl`` is missing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def acquire(self) -> bool:
        try:
            import fcntl
        except ImportError:  # Windows: mkdir alone keeps two writers apart
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing releases the lock
            self.fd = None


def _same(a: Path, b: Path) -> bool:
    """Whether ``b`` is still the file ``a`` links to.

    Then nothing needs restoring there, and a folder that cannot be written (why the commit
    failed, perhaps) is not touched.
    """
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _undo(root: Path, txn: Path) -> bool:
    """Roll back from the journal of ``txn``, if it has one; remove ``txn``. True if undone."""
    journal = txn / _JOURNAL
    undone = False
    if journal.is_file():
        try:
            ops = json.loads(journal.read_text(encoding="utf-8"))["changes"]
        except (OSError, ValueError, KeyError, TypeError):
            ops = None
        if ops is None:
            raise DataError(
                f"the journal of an interrupted command ({TXN_DIR}/{_JOURNAL}) cannot be read; "
                "compare the workspace with a backup, then delete that folder",
                path=root,
            )
        for op in reversed(ops):
            rel = _rel(op["path"])
            target = root / rel
            backup = txn / "old" / rel
            if op["existed"]:
                if backup.exists() and not _same(backup, target):
                    os.replace(backup, target)  # the original inode: same bytes, same times
            elif target.exists() or target.is_symlink():
                target.unlink()
        for folder in sorted(
            (_rel(d) for d in json.loads(journal.read_text(encoding="utf-8")).get("made", [])),
            key=lambda d: -d.count("/"),
        ):
            with contextlib.suppress(OSError):
                (root / folder).rmdir()  # only if empty again
        for op in ops:
            _fsync_dir((root / _rel(op["path"])).parent)
        journal.unlink()
        undone = True
    shutil.rmtree(txn)
    return undone


def recover(root: str | os.PathLike[str]) -> bool:
    """Undo what an interrupted writer left in workspace ``root``; True if something was undone.

    A transaction folder whose lock is held belongs to a command still running, and is left
    alone. One without a journal never started to change the workspace: it is removed. One
    with a journal is rolled back, and an :class:`InterruptedWriteUndone` warning says so.

    Raises
    ------
    DataError
        The folder cannot be removed or rolled back (no permission); the message says what
        to do.
    """
    import warnings

    root = Path(root)
    txn = root / TXN_DIR
    if not txn.is_dir() or txn.is_symlink():
        return False
    lock = _Lock(txn / _LOCK)
    try:
        if not lock.acquire():
            return False  # a command is writing right now
        undone = _undo(root, txn)
    except OSError as exc:
        raise DataError(
            f"an interrupted command left {TXN_DIR}/ here and it cannot be undone: "
            f"{exc.strerror or exc}",
            path=root,
        ) from None
    finally:
        lock.release()
    if undone:
        warnings.warn(
            f"{root}: an interrupted command's changes were undone; the workspace is as it was "
            "before it",
            InterruptedWriteUndone,
            stacklevel=2,
        )
    return undone


class Transaction:
    """Stage files for a workspace, check the result, then apply all of it or none.

    Use it as a context manager; call :meth:`commit` inside. Leaving the block without a
    commit, or by an exception (an interrupt included), leaves the workspace as it was.

    Parameters
    ----------
    root : path
        The workspace (a folder the user may write).

    Raises
    ------
    DataError
        Another command is writing to the workspace, or it cannot be written.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.dir = self.root / TXN_DIR
        self._lock = _Lock(self.dir / _LOCK)
        self._writes: dict[str, Path] = {}
        self._removes: set[str] = set()
        self._committed = False
        self._open = False
        self._signals = contextlib.ExitStack()

    # -- opening and closing ---------------------------------------------------------------
    def __enter__(self) -> Transaction:
        from kaesong_geo.io.output import _signals_raise

        # SIGTERM and SIGHUP raise, so that they roll back like Ctrl-C does.
        self._signals.enter_context(_signals_raise())
        try:
            self._open_folder()
        except BaseException:
            self._signals.close()
            raise
        return self

    def _open_folder(self) -> None:
        for _attempt in range(3):
            try:
                os.mkdir(self.dir, 0o755)
            except FileExistsError:
                recover(self.root)  # a stale folder of a killed command: undo it
                if self.dir.exists():
                    raise DataError(
                        "another kaesong-geo command is writing to this workspace; "
                        "try again when it has finished",
                        path=self.root,
                    ) from None
                continue
            except OSError as exc:
                raise DataError(
                    f"cannot write to the workspace: {exc.strerror or exc}", path=self.root
                ) from None
            break
        else:  # pragma: no cover - only if something keeps re-creating the folder
            raise DataError("cannot take the workspace's write lock", path=self.root)
        try:
            if not self._lock.acquire():  # pragma: no cover - we made the folder just now
                raise DataError("another command took the workspace's lock", path=self.root)
            (self.dir / "new").mkdir()
            (self.dir / "old").mkdir()
        except BaseException:
            self._lock.release()
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self._open = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Roll back anything not committed and remove the hidden folder (idempotent)."""
        try:
            if self._open:
                self._open = False
                try:
                    if self.dir.is_dir():
                        _undo(self.root, self.dir)
                finally:
                    self._lock.release()
        finally:
            self._signals.close()

    # -- staging ---------------------------------------------------------------------------
    def _check_open(self) -> None:
        if not self._open or self._committed:
            raise RuntimeError("the transaction is not open")

    def path_for(self, rel: str | os.PathLike[str]) -> Path:
        """Where to write the new file for workspace path ``rel`` (its folder is made).

        Write the whole file there (any way: a GDAL driver, a library's writer); it is
        renamed into place by :meth:`commit`.
        """
        self._check_open()
        key = _rel(rel)
        staged = self.dir / "new" / key
        staged.parent.mkdir(parents=True, exist_ok=True)
        self._writes[key] = staged
        self._removes.discard(key)
        return staged

    def write_bytes(self, rel: str | os.PathLike[str], data: bytes) -> None:
        """Stage ``data`` as the new content of workspace path ``rel``."""
        staged = self.path_for(rel)
        with open(staged, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    def remove(self, rel: str | os.PathLike[str]) -> None:
        """Stage the removal of workspace file ``rel`` (it must exist)."""
        self._check_open()
        key = _rel(rel)
        target = self.root / key
        if not target.is_file() or target.is_symlink():
            raise ValueError(f"{key} is not a file of the workspace")
        self._writes.pop(key, None)
        self._removes.add(key)

    @property
    def changes(self) -> list[str]:
        """Workspace paths this transaction writes or removes, sorted."""
        return sorted({*self._writes, *self._removes})

    def view(self) -> Path:
        """A folder that looks like the workspace after the commit (hard links), for checks.

        Call it after staging everything; it is rebuilt on every call and removed with the
        transaction. Paths in it are ``view() / rel``; name them to users as ``root / rel``.
        """
        self._check_open()
        view = self.dir / "view"
        if view.exists():
            shutil.rmtree(view)
        view.mkdir()
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root)
            if rel.parts[0] == TXN_DIR:
                continue
            key = rel.as_posix()
            if key in self._removes or key in self._writes:
                continue
            dest = view / rel
            if path.is_symlink():
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(os.readlink(path), dest)
            elif path.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
            elif path.is_file():
                _link_or_copy(path, dest)
        for key, staged in self._writes.items():
            if not staged.is_file():
                raise RuntimeError(f"{key} was staged but never written")
            _link_or_copy(staged, view / key)
        return view

    # -- committing ------------------------------------------------------------------------
    def commit(self) -> None:
        """Apply every staged change; on any failure, undo those already applied."""
        self._check_open()
        changes: list[dict[str, Any]] = []
        made: list[str] = []
        for key in self.changes:
            target = self.root / key
            if key in self._writes and not self._writes[key].is_file():
                raise RuntimeError(f"{key} was staged but never written")
            existed = target.is_file() and not target.is_symlink()
            if target.exists() and not existed:
                raise DataError(
                    f"{key} exists and is not a regular file; not replaced", path=self.root
                )
            if existed:
                _link_or_copy(target, self.dir / "old" / key)
            parent = PurePosixPath(key).parent
            missing = []
            while str(parent) != "." and not (self.root / parent).is_dir():
                missing.append(parent.as_posix())
                parent = parent.parent
            made += [m for m in missing if m not in made]
            changes.append({"path": key, "existed": existed, "remove": key in self._removes})
        journal = self.dir / _JOURNAL
        tmp = self.dir / (_JOURNAL + ".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"pid": os.getpid(), "changes": changes, "made": made}, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, journal)
        _fsync_dir(self.dir)
        # From here an interruption is rolled back from the journal (now or by recover()).
        for folder in sorted(made, key=lambda d: d.count("/")):
            (self.root / folder).mkdir(exist_ok=True)
        for change in changes:
            key = change["path"]
            target = self.root / key
            if change["remove"]:
                target.unlink()
            else:
                staged = self._writes[key]
                mode = 0o666 & ~_umask()  # what a new file gets, as io.output writes them
                os.chmod(staged, stat.S_IMODE(mode))
                os.replace(staged, target)
        for folder in {(self.root / c["path"]).parent for c in changes}:
            _fsync_dir(folder)
        journal.unlink()  # the commit point
        _fsync_dir(self.dir)
        self._committed = True
        self._open = False
        try:  # done: a folder left here (without journal) is removed by the next command
            for _attempt in range(2):
                shutil.rmtree(self.dir, ignore_errors=True)
        finally:
            self._lock.release()
