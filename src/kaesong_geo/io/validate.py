"""Check a whole data directory: one set of checks for every command.

:func:`inspect_data_dir` is the one function that inspects a data directory and returns its
problems; every command goes through it (``growth``, ``map``, ``chart`` and ``report`` by
:func:`~kaesong_geo.report.growth_report`, which raises the first error), so what
``kaesong-geo validate`` calls an error is an error everywhere:

* every problem of every entry of ``boundaries/`` (see :mod:`kaesong_geo.io.footprints`:
  unsupported or special files, CRS, non-finite or misplaced coordinates, the whole extent
  within the site's distance, properties in range, areas within their reference's
  uncertainty, duplicate epochs, an ``imagery`` id the catalogue does not list or an image of
  another epoch), of ``economy/observations.csv`` (optional) and of the imagery catalogue and
  its images (see :mod:`kaesong_geo.io.imagery`);
* the data directory's ``site.toml`` (see :mod:`kaesong_geo.io.sitefile`), which the other
  checks need (where footprints and imagery must lie): when it is broken, its one problem is
  all that is reported;
* each problem once.

:func:`validate_data_dir` (``kaesong-geo validate``) lists every problem instead of stopping at
the first, and adds warnings only (``strict=True`` counts them as failures):

* an invalid geometry, which every command repairs with ``make_valid`` and a warning giving
  the area as drawn and as repaired (fix it at the source so that kept data stays clean);
* the UTM cross-check must agree with the geodesic area within 0.1 %;
* missing provenance (method, source, uncertainty) and epochs missing from the imagery
  catalogue.

Examples
--------
>>> result = validate_data_dir()
>>> result.ok, len(result.errors), result.summary()
(True, 0, '3 epochs (2004-04, 2006-01, 2009-09), 4 footprints, 57 observations, 5 images')
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from kaesong_geo.economy import Event, Observation
from kaesong_geo.io.datadir import resolve_data_dir
from kaesong_geo.io.events import inspect_events
from kaesong_geo.io.footprints import (
    DEFAULT_AREA_TOLERANCE_PCT,
    FileResult,
    inspect_footprints,
    of_epoch,
)
from kaesong_geo.io.imagery import ImageryRecord, inspect_imagery_catalog
from kaesong_geo.io.observations import OBSERVATIONS_FILE, inspect_observations
from kaesong_geo.io.problems import Problem
from kaesong_geo.io.sitefile import inspect_site
from kaesong_geo.io.transaction import TXN_DIR, recover
from kaesong_geo.measure import measure_geometry
from kaesong_geo.model import Epoch
from kaesong_geo.site import KAESONG, Site
from kaesong_geo.text import plural

__all__ = [
    "DEFAULT_AREA_TOLERANCE_PCT",
    "Inspection",
    "Validation",
    "inspect_data_dir",
    "validate_data_dir",
]


@dataclass(frozen=True)
class Inspection:
    """What :func:`inspect_data_dir` found: the sound parts, and every problem once."""

    data_dir: Path
    epochs: list[Epoch]
    files: list[FileResult]
    observations: list[Observation]
    events: list[Event]
    images: list[ImageryRecord]
    problems: list[Problem]
    site: Site = KAESONG
    #: False when ``site.toml`` could not be read, so nothing else was checked.
    complete: bool = True


def inspect_data_dir(data_dir: Path, site: Site | None = None) -> Inspection:
    """Inspect every file of a data directory and collect its problems (none raised).

    Parameters
    ----------
    data_dir : pathlib.Path
        A data directory, as :func:`~kaesong_geo.io.datadir.resolve_data_dir` returns it.
    site : Site, optional
        Where footprints and imagery must lie; default: the data directory's ``site.toml``
        (without one, the Kaesong Industrial Complex, marked ``assumed``).

    Returns
    -------
    Inspection

    Examples
    --------
    >>> from kaesong_geo.io.datadir import bundled_data_dir
    >>> found = inspect_data_dir(bundled_data_dir())
    >>> [e.label for e in found.epochs], [p for p in found.problems if p.severity == "error"]
    (['2004-04', '2006-01', '2009-09'], [])
    """
    if (data_dir / TXN_DIR).exists():  # an interrupted 'epochs add': undo it first
        recover(data_dir)
    if site is None:
        found_site, site_problems = inspect_site(data_dir)
        if found_site is None:  # every other check needs the site
            return Inspection(data_dir, [], [], [], [], [], site_problems, complete=False)
        site = found_site
    epochs, files, problems = inspect_footprints(data_dir, site)
    observations: list[Observation] = []
    obs_path = data_dir / OBSERVATIONS_FILE
    if obs_path.exists() or obs_path.is_symlink():  # optional
        observations, obs_problems = inspect_observations(data_dir)
        problems += obs_problems
    events, event_problems = inspect_events(data_dir)  # optional too
    problems += event_problems
    images, img_problems = inspect_imagery_catalog(data_dir, site, epochs)
    problems += img_problems
    problems += _future_epochs(epochs, dt.date.today())
    return Inspection(
        data_dir, epochs, files, observations, events, images, list(dict.fromkeys(problems)), site
    )


def _future_epochs(epochs: list[Epoch], today: dt.date) -> list[Problem]:
    """A warning for each epoch that begins after ``today``: no image can show it yet.

    Examples
    --------
    >>> from kaesong_geo.dates import parse_epoch
    >>> late = Epoch(parse_epoch("2099-01"), ())
    >>> print(_future_epochs([late], dt.date(2026, 11, 29))[0].message)  # doctest: +ELLIPSIS
    epoch 2099-01 lies in the future (today is 2026-11-29): a typo in the date, or a plan...
    >>> _future_epochs([Epoch(parse_epoch("2026-11"), ())], dt.date(2026, 11, 1))
    []
    """
    out = []
    for epoch in epochs:
        first = epoch.date.placed
        if epoch.date.precision != "day":  # the epoch's first day
            first = (
                first.replace(day=1)
                if epoch.date.precision == "month"
                else first.replace(month=1, day=1)
            )
        if first > today:
            out.append(
                Problem(
                    epoch.files[0] if epoch.files else "boundaries",
                    f"epoch {epoch.label} lies in the future (today is {today.isoformat()}): "
                    "a typo in the date, or a plan rather than what imagery shows?",
                    "warning",
                    "future",
                )
            )
    return out


@dataclass(frozen=True)
class Validation:
    """The result of :func:`validate_data_dir`."""

    data_dir: Path
    problems: tuple[Problem, ...]
    epochs: tuple[str, ...]
    n_footprints: int
    n_observations: int
    n_images: int
    strict: bool = False
    site: Site = KAESONG
    #: False when ``site.toml`` could not be read, so nothing else was checked.
    complete: bool = True

    @property
    def errors(self) -> list[Problem]:
        """Problems that make the data unsound."""
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        """Problems worth fixing."""
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        """No errors (and, when strict, no warnings)."""
        return not self.errors and not (self.strict and self.warnings)

    def summary(self) -> str:
        """One line counting what was checked."""
        if not self.complete:
            return "site.toml must be fixed first: footprints, statistics and imagery not checked"
        listed = f" ({', '.join(self.epochs)})" if self.epochs else ""
        return (
            f"{plural(len(self.epochs), 'epoch')}{listed}, "
            f"{plural(self.n_footprints, 'footprint')}, "
            f"{plural(self.n_observations, 'observation')}, {plural(self.n_images, 'image')}"
        )


def validate_data_dir(
    data_dir: str | os.PathLike[str] | None = None,
    *,
    site: Site | None = None,
    strict: bool = False,
) -> Validation:
    """Check every file of a data directory (see the module docstring).

    ``site`` defaults to the data directory's ``site.toml`` (see :func:`inspect_data_dir`).

    Raises
    ------
    UsageError
        The directory does not exist.
    DataError
        It is not a data directory (no ``boundaries/``).
    """
    root = resolve_data_dir(data_dir)
    found = inspect_data_dir(root, site)
    site = found.site
    epochs, images = found.epochs, found.images
    problems = list(found.problems)
    n_footprints = sum(len(epoch.footprints) for epoch in epochs)
    for epoch in epochs:
        m = measure_geometry(epoch.geometry, site.utm_epsg)
        disagreement = m.utm_disagreement()
        if disagreement:
            problems.append(
                Problem(
                    epoch.files[0] if epoch.files else str(root),
                    f"epoch {epoch.label}: {disagreement}",
                    "warning",
                    "utm",
                )
            )
    catalog_failed = any(p.code == "catalog" for p in problems)  # rows refused: can't tell
    if images and not catalog_failed:
        for epoch in epochs:
            if not any(of_epoch(r.date, epoch.date) for r in images):
                problems.append(
                    Problem(
                        str(root / "imagery" / "catalog.csv"),
                        f"epoch {epoch.label} has no entry (say which imagery it comes from)",
                        "warning",
                        "imagery",
                    )
                )
    return Validation(
        data_dir=root,
        problems=tuple(problems),
        epochs=tuple(e.label for e in epochs),
        n_footprints=n_footprints,
        n_observations=len(found.observations),
        n_images=len(images),
        strict=strict,
        site=site,
        complete=found.complete,
    )
