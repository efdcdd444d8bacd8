"""Make a writable workspace (a data directory) for ``kaesong-geo init``.

* :func:`make_workspace` with no site copies the bundled Kaesong data (``site.toml``,
  ``boundaries/``, ``economy/``, ``imagery/``) into a new folder, every file writable.
* With a :class:`~kaesong_geo.site.Site` it makes an empty workspace for that site:
  ``site.toml``, an empty ``boundaries/`` and ``imagery/catalog.csv`` with its header only.
  ``economy/`` is left out (it is optional; the report then says counts are not shown).
  ``kaesong-geo validate`` on it reports one error: ``boundaries/`` holds no footprint files
  yet (no command can measure anything before a footprint is added).

The workspace is built in a hidden temporary folder beside the target and renamed into
place, so a failure (disk full, a copy that fails, Ctrl-C) leaves neither the target nor the
temporary folder. The target must not exist, or be an empty folder: on POSIX the rename
replaces an empty folder atomically and fails if something was written into it meanwhile,
in which case the new workspace is removed and nothing of the user's is touched.

Examples
--------
>>> import tempfile
>>> from kaesong_geo.site import Site
>>> with tempfile.TemporaryDirectory() as d:
...     ws = make_workspace(Path(d) / "durban", Site.at("Durban test zone", 31.03, -29.86))
...     sorted(p.relative_to(ws).as_posix() for p in ws.rglob("*"))
['boundaries', 'imagery', 'imagery/catalog.csv', 'site.toml']
"""

from __future__ import annotations

import csv
import errno
import io
import os
import shutil
import stat
import tempfile
from pathlib import Path

from kaesong_geo.errors import UsageError
from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.io.imagery import CATALOG_COLUMNS, CATALOG_FILE, OPTIONAL_COLUMNS
from kaesong_geo.io.output import OutputError
from kaesong_geo.io.sitefile import SITE_FILE, site_toml
from kaesong_geo.site import Site

__all__ = ["make_workspace"]


def _check_target(target: Path) -> None:
    """Refuse a target that exists and is not an empty folder, or whose parent is missing."""
    parent = target.parent
    if not parent.is_dir():
        what = "is a file, not a folder" if parent.exists() else "does not exist; create it first"
        raise UsageError(f"the folder {str(parent)!r} {what}", path=target)
    if target.is_symlink():  # renaming onto it would replace the link, not fill its folder
        raise UsageError(
            f"is a link (to {str(target.resolve())!r}); give the folder itself", path=target
        )
    if target.exists() and not target.is_dir():
        raise UsageError("exists and is not a folder; choose a new folder", path=target)
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(
            "is not empty; init makes a new workspace and never writes into existing files",
            path=target,
        )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _copy_bundled(dest: Path) -> None:
    """Copy the bundled data's files into ``dest``, every copy writable by its owner."""
    source = bundled_data_dir()
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if any(part.startswith((".", "__")) for part in rel.parts):
            continue
        target = dest / rel
        if path.is_dir():
            target.mkdir(exist_ok=True)
        elif path.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            os.chmod(target, stat.S_IMODE(target.stat().st_mode) | stat.S_IWUSR)


def _write_empty(dest: Path, site: Site) -> None:
    """``site.toml``, an empty ``boundaries/`` and the imagery catalogue's header."""
    (dest / SITE_FILE).write_text(site_toml(site), encoding="utf-8")
    (dest / "boundaries").mkdir()
    catalog = dest / CATALOG_FILE
    catalog.parent.mkdir(parents=True)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(CATALOG_COLUMNS + OPTIONAL_COLUMNS)
    catalog.write_text(buf.getvalue(), encoding="utf-8")


def make_workspace(target: str | os.PathLike[str], site: Site | None = None) -> Path:
    """Make a new workspace at ``target``: the bundled data, or an empty one for ``site``.

    Parameters
    ----------
    target : path
        A folder that does not exist yet (or is empty); its parent must exist. ``~`` is
        expanded.
    site : Site, optional
        Make an empty workspace for this site; default: copy the bundled Kaesong data.

    Returns
    -------
    pathlib.Path
        The workspace.

    Raises
    ------
    UsageError
        The target exists and is not an empty folder, or its parent is missing (exit 2).
    OutputError
        Writing failed (disk full, no permission); nothing is left behind (exit 1).
    """
    target = Path(target).expanduser().absolute()
    _check_target(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=target.parent))
    except OSError as exc:
        raise OutputError(f"cannot create a folder: {exc.strerror or exc}", path=target) from None
    try:
        os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private (0700)
        if site is None:
            _copy_bundled(tmp)
        else:
            _write_empty(tmp, site)
        try:
            os.rename(tmp, target)  # POSIX: replaces an empty folder, refuses a non-empty one
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR, errno.EISDIR):
                raise UsageError(
                    "was created or filled while the workspace was being made; nothing written",
                    path=target,
                ) from None
            raise
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise OutputError(
            f"cannot make the workspace: {exc.strerror or exc}; nothing was left behind",
            path=target,
        ) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
