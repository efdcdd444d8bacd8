"""What was read from a file, kept while the file (and the files beside it) stay as they are.

A workspace is checked whole before and after every epoch added (through a transaction's hard
links, :mod:`kaesong_geo.io.transaction`): its footprint files are read and its images opened
again and again, most of them unchanged. :class:`FileCache` keeps the result of reading a
file by :func:`file_identity`: the file's device, inode, size, modification and change times
(``ctime`` cannot be set back, as ``touch -r`` sets the modification time), and the same of
every file beside it whose name starts with its stem and a dot (a Shapefile's ``.dbf`` and
``.prj``, a GeoPackage's ``-wal`` journal while QGIS edits it, an image's ``.aux.xml`` or
world file). Not the path: a hard link is the same file.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> f = Path(tempfile.mkdtemp()) / "a.shp"
>>> _ = f.write_text("x")
>>> before = file_identity(f)
>>> _ = f.with_suffix(".prj").write_text("EPSG:4326")
>>> file_identity(f) == before
False
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Generic, TypeVar

__all__ = ["FileCache", "file_identity"]

T = TypeVar("T")


def _stat_key(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_identity(path: Path) -> tuple[object, ...] | None:
    """The identity of ``path`` and of the files beside it of its stem; None if not a file."""
    try:
        st = path.stat()
        prefix = path.name.split(".")[0] + "."
        with os.scandir(path.parent) as entries:
            beside = sorted(
                (e.name, _stat_key(e.stat()))
                for e in entries
                if e.name.startswith(prefix) and e.name != path.name
            )
    except OSError:
        return None
    return (path.name, _stat_key(st), tuple(beside))


class FileCache(Generic[T]):
    """The last ``size`` results of reading files, by :func:`file_identity` and a key.

    >>> import tempfile
    >>> from pathlib import Path
    >>> f = Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = f.write_text("one")
    >>> cache: FileCache[str] = FileCache(4)
    >>> read = lambda p: p.read_text()
    >>> cache.get(f, None, read), cache.get(f, None, lambda p: "not read again")
    ('one', 'one')
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._held: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path, key: Hashable, read: Callable[[Path], T]) -> T:
        """``read(path)``, or what it gave before for the same file and ``key``."""
        identity = file_identity(path)
        if identity is None:
            return read(path)
        full = (key, identity)
        with self._lock:
            if full in self._held:
                self._held.move_to_end(full)
                return self._held[full]
        found = read(path)
        with self._lock:
            self._held[full] = found
            while len(self._held) > self.size:
                self._held.popitem(last=False)
        return found
