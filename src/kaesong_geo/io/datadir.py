"""Where the data lives.

A data directory holds::

    boundaries/    footprint files, one or more epochs each (GeoJSON, GeoPackage, KML, KMZ,
                   Shapefile, zipped Shapefile, FlatGeobuf, GeoParquet)
    economy/observations.csv   firms, workers, production and trade figures with sources;
                               optional
    economy/events.csv         operating events (suspensions, closure) with sources; optional
    imagery/catalog.csv        what imagery each epoch was (or can be) read from; optional

It is found in this order: the ``data_dir`` argument (``--data-dir``), the environment
variable ``KAESONG_GEO_DATA``, then the data bundled with the package (which is a copy of the
repository's ``data/`` and works after a plain ``pip install``).

Examples
--------
>>> from kaesong_geo.io.datadir import resolve_data_dir
>>> (resolve_data_dir(env={}) / "boundaries").is_dir()
True
>>> resolve_data_dir("~/no-such-kaesong-data")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
kaesong_geo.errors.UsageError: /.../no-such-kaesong-data: data directory does not exist ...
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from kaesong_geo.errors import DataError, UsageError

__all__ = ["ENV_VAR", "bundled_data_dir", "resolve_data_dir"]

#: Environment variable naming a data directory.
ENV_VAR = "KAESONG_GEO_DATA"


def bundled_data_dir() -> Path:
    """The data shipped with the package.

    In an installed wheel it is ``kaesong_geo/_data``; in a source checkout or an editable
    install it is the repository's ``data/``.
    """
    here = Path(__file__).resolve().parent.parent
    installed = here / "_data"
    if installed.is_dir():
        return installed
    return here.parent.parent / "data"


def resolve_data_dir(
    data_dir: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Path:
    """Find the data directory (argument, then ``KAESONG_GEO_DATA``, then bundled data).

    Parameters
    ----------
    data_dir : path, optional
        An explicit directory; ``~`` and ``~user`` are expanded (here and in
        ``KAESONG_GEO_DATA``).
    env : mapping, optional
        The environment to read ``KAESONG_GEO_DATA`` from (default ``os.environ``).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    UsageError
        The named directory does not exist or is not a directory (exit code 2).
    DataError
        It exists but has no ``boundaries/`` folder or cannot be read (exit code 1).
    """
    env = os.environ if env is None else env
    if data_dir is not None:
        path, origin = Path(data_dir).expanduser(), "--data-dir"
    elif env.get(ENV_VAR):
        path, origin = Path(env[ENV_VAR]).expanduser(), ENV_VAR
    else:
        path, origin = bundled_data_dir(), "bundled data"
    if not path.exists():
        raise UsageError(f"data directory does not exist (from {origin})", path=path)
    if not path.is_dir():
        raise UsageError(f"not a directory (from {origin})", path=path)
    if not os.access(path, os.R_OK | os.X_OK):
        raise DataError("data directory is not readable", path=path)
    if not (path / "boundaries").is_dir():
        raise DataError(
            "not a kaesong-geo data directory: it has no 'boundaries/' folder", path=path
        )
    return path
