"""Problems found in data files, collected rather than raised so that all can be listed.

Examples
--------
>>> p = Problem("data/boundaries/x.geojson", "feature 2 is a LineString, not a polygon")
>>> str(p)
'data/boundaries/x.geojson: feature 2 is a LineString, not a polygon'
>>> p.as_error().exit_code
1
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kaesong_geo.errors import DataError

__all__ = ["Problem", "raise_first"]


@dataclass(frozen=True)
class Problem:
    """A problem in a file.

    Attributes
    ----------
    path : str
        The file.
    message : str
        One line.
    severity : {'error', 'warning'}
        Errors make the data unusable; warnings are worth fixing (missing provenance,
        repaired geometry).
    code : str
        A short kind, for callers that treat some warnings specially (``repaired``,
        ``provenance``, ``area``); empty for plain errors.
    """

    path: str
    message: str
    severity: Literal["error", "warning"] = "error"
    code: str = ""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def as_error(self) -> DataError:
        """This problem as a :class:`~kaesong_geo.errors.DataError`."""
        return DataError(self.message, path=self.path)


def raise_first(problems: list[Problem]) -> None:
    """Raise the first error among ``problems``, saying how many more there are.

    Examples
    --------
    >>> raise_first([Problem("a", "bad"), Problem("b", "worse")])
    Traceback (most recent call last):
    ...
    kaesong_geo.errors.DataError: a: bad (and 1 more problem; run 'kaesong-geo validate')
    >>> raise_first([Problem("a", "odd", "warning")])
    """
    errors = [p for p in problems if p.severity == "error"]
    if not errors:
        return
    first = errors[0]
    more = len(errors) - 1
    message = first.message
    if more:
        message += (
            f" (and {more} more problem{'s' if more > 1 else ''}; run 'kaesong-geo validate')"
        )
    raise DataError(message, path=first.path)
