"""Check a whole data directory and list every problem.

``kaesong-geo validate`` is this function. It is stricter than reading for a report:

* every problem of every footprint file, the observations and the imagery catalogue;
* an invalid geometry, which the report repairs with a warning, is an **error** here, so
  that kept data stays clean;
* a footprint with a ``reference_area_m2`` must have a geodesic area within its
  ``area_uncertainty_pct`` of it (10 % when none is recorded);
* the UTM cross-check must agree with the geodesic area within 0.1 %;
* missing provenance (method, source, uncertainty) and epochs missing from the imagery
  catalogue are warnings; ``strict=True`` counts warnings as failures.

Examples
--------
>>> result = validate_data_dir()
>>> result.ok, len(result.errors), result.summary()
(True, 0, '3 epochs (2004-04, 2006-01, 2009-09), 4 footprints, 57 observations, 5 images')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from kaesong_geo.io.datadir import resolve_data_dir
from kaesong_geo.io.events import inspect_events
from kaesong_geo.io.footprints import inspect_footprints
from kaesong_geo.io.imagery import inspect_imagery_catalog
from kaesong_geo.io.observations import inspect_observations
from kaesong_geo.io.problems import Problem
from kaesong_geo.measure import UTM_TOLERANCE_PCT, geodesic_area_m2, measure_geometry
from kaesong_geo.site import KAESONG, Site

__all__ = ["DEFAULT_AREA_TOLERANCE_PCT", "Validation", "validate_data_dir"]

#: Tolerance for a reference area when a footprint records no ``area_uncertainty_pct``.
DEFAULT_AREA_TOLERANCE_PCT = 10.0


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
        return (
            f"{len(self.epochs)} epochs ({', '.join(self.epochs)}), "
            f"{self.n_footprints} footprints, {self.n_observations} observations, "
            f"{self.n_images} images"
        )


def validate_data_dir(
    data_dir: str | os.PathLike[str] | None = None, *, site: Site = KAESONG, strict: bool = False
) -> Validation:
    """Check every file of a data directory (see the module docstring).

    Raises
    ------
    UsageError
        The directory does not exist.
    DataError
        It is not a data directory (no ``boundaries/``).
    """
    root = resolve_data_dir(data_dir)
    epochs, _, problems = inspect_footprints(root, site)
    problems = [
        Problem(p.path, p.message, "error", p.code) if p.code == "repaired" else p for p in problems
    ]
    n_footprints = 0
    for epoch in epochs:
        for fp in epoch.footprints:
            n_footprints += 1
            if fp.reference_area_m2 is None:
                continue
            area = geodesic_area_m2(fp.geometry)
            tolerance = fp.area_uncertainty_pct
            if tolerance is None:
                tolerance = DEFAULT_AREA_TOLERANCE_PCT
            diff_pct = 100.0 * (area - fp.reference_area_m2) / fp.reference_area_m2
            if abs(diff_pct) > tolerance:
                problems.append(
                    Problem(
                        fp.file,
                        f"feature {fp.feature} ({fp.name or epoch.label}) has area {area:,.0f} m², "
                        f"{diff_pct:+.1f}% from its reference {fp.reference_area_m2:,.0f} m² "
                        f"(more than the {tolerance:g}% recorded uncertainty)",
                        code="area",
                    )
                )
        m = measure_geometry(epoch.geometry, site.utm_epsg)
        if abs(m.utm_diff_pct) > UTM_TOLERANCE_PCT:
            problems.append(
                Problem(
                    epoch.files[0] if epoch.files else str(root),
                    f"epoch {epoch.label}: UTM area differs from geodesic area by "
                    f"{m.utm_diff_pct:+.3f}% (more than {UTM_TOLERANCE_PCT}%)",
                    "warning",
                    "utm",
                )
            )
    observations, obs_problems = inspect_observations(root)
    images, img_problems = inspect_imagery_catalog(root)
    problems += obs_problems + img_problems + inspect_events(root)[1]
    if images:
        dated = {r.date.label for r in images}
        for epoch in epochs:
            if epoch.label not in dated:
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
        n_observations=len(observations),
        n_images=len(images),
        strict=strict,
    )
