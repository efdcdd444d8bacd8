"""Errors and warnings of kaesong-geo, all under one base class.

The command line maps each error class to an exit code:

================================  =========  ==============================================
class                             exit code  meaning
================================  =========  ==============================================
:class:`DataError`                1          a data file is missing, unreadable or unsound
:class:`CheckFailed`              1          ``kaesong-geo validate`` found problems
:class:`OutputError`              1          an output cannot be written (disk full, ...)
:class:`AssetsMissingError`       1          npm assets for a self-contained page missing
:class:`MissingDependencyError`   1          a Python package a feature needs is missing
:class:`UsageError`               2          the command line asks for something impossible
================================  =========  ==============================================

Examples
--------
>>> from kaesong_geo.errors import DataError, KaesongGeoError
>>> err = DataError("not a polygon", path="data/boundaries/2004-04.geojson")
>>> str(err)
'data/boundaries/2004-04.geojson: not a polygon'
>>> isinstance(err, KaesongGeoError), err.exit_code
(True, 1)
"""

from __future__ import annotations

import os

__all__ = [
    "AssetsMissingError",
    "CheckFailed",
    "DataError",
    "GeometryRepairedWarning",
    "InputSlipWarning",
    "KaesongGeoError",
    "KaesongGeoWarning",
    "MissingDependencyError",
    "OutputError",
    "OutputExistsError",
    "PlacemarksSkippedWarning",
    "SuspectExtractionWarning",
    "UsageError",
]


class KaesongGeoError(Exception):
    """Base class of every error kaesong-geo raises on purpose.

    Parameters
    ----------
    message : str
        One line saying what is wrong.
    path : str or os.PathLike, optional
        The file the problem is in; it is put in front of the message.
    """

    exit_code = 1

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None) -> None:
        self.message = message
        self.path = None if path is None else os.fspath(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)


class DataError(KaesongGeoError):
    """A data file (footprint, statistics, catalogue) is missing, unreadable or unsound."""

    exit_code = 1


class CheckFailed(KaesongGeoError):
    """A check (``kaesong-geo validate``) found one or more problems."""

    exit_code = 1


class UsageError(KaesongGeoError):
    """The caller asked for something that cannot be done (unknown epoch, bad output path)."""

    exit_code = 2


class OutputExistsError(UsageError):
    """The output file exists and overwriting was not asked for."""


class OutputError(KaesongGeoError):
    """The output could not be written (disk full, no permission, read-only file system)."""

    exit_code = 1


class AssetsMissingError(KaesongGeoError):
    """The npm assets needed to inline a self-contained page are not installed."""

    exit_code = 1


class MissingDependencyError(KaesongGeoError):
    """A Python package that a feature needs is not installed."""

    exit_code = 1


class KaesongGeoWarning(UserWarning):
    """Base class of kaesong-geo's warnings."""


class GeometryRepairedWarning(KaesongGeoWarning):
    """An invalid footprint geometry (e.g. self-intersecting) was repaired with ``make_valid``."""


class PlacemarksSkippedWarning(KaesongGeoWarning):
    """Pushpins and open paths beside the polygons of a KML or KMZ file were skipped.

    One warning per file, naming each placemark skipped (``pushpin 'Gate' (Point)``).
    """


class InputSlipWarning(KaesongGeoWarning):
    """An input to ``epochs add`` looks like a slip; it is added as given.

    ``scene 2013-06-20.tif`` added as epoch ``2009-09`` (a slip of DATE); a GeoTIFF with its
    own georeference given as a screenshot (``--image``, whose GCPs replace it).
    """


class SuspectExtractionWarning(KaesongGeoWarning):
    """An extracted footprint shows a sign of misclassification (a polygon across the scene).

    The footprint is still written or added: it is a proposal to be checked against the image.
    """
