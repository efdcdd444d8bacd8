"""Ground control points: fit a transform, and say how wrong it is (residuals, leave-one-out).

A screenshot has no georeference; ground control points (GCPs) tie its pixels to places.
:func:`fit_gcps` fits one of four transforms from pixel (column, row) to WGS 84 lon/lat —
polynomials of order 1, 2 and 3 (least squares, as GDAL's ``-order n``) and the thin-plate
spline (GDAL's ``-tps``, through rasterio) — and reports, for every point, its residual in
pixels and in metres, their root mean square, and the leave-one-out error: the point predicted
from all the others. A thin-plate spline passes through every point, so its residuals are zero
by construction and only the leave-one-out error says how far off it is between points.

This module is pure: it reads no files (see :mod:`kaesong_geo.io.gcpfile` for those).

Examples
--------
>>> gcps = [GCP(c, r, 126.60 + c * 1e-5, 37.95 - r * 1e-5)
...         for c, r in [(0, 0), (900, 0), (0, 700), (900, 700), (450, 350), (200, 600)]]
>>> fit = fit_gcps(gcps, "poly1")
>>> round(fit.rmse_m, 6), round(fit.loo_rmse_m, 6), len(fit.points)
(0.0, 0.0, 6)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from pyproj import Geod

__all__ = [
    "GCP",
    "MIN_POINTS",
    "TRANSFORMS",
    "GcpFit",
    "PointError",
    "Transform",
    "fit_gcps",
]

Transform = Literal["poly1", "poly2", "poly3", "tps"]
#: The transforms, as ``--transform`` names them.
TRANSFORMS: tuple[str, ...] = get_args(Transform)
#: Fewest points each transform needs (the unknowns of a polynomial; three for a spline).
#: Leave-one-out needs one more.
MIN_POINTS: dict[str, int] = {"poly1": 3, "poly2": 6, "poly3": 10, "tps": 3}
_ORDER = {"poly1": 1, "poly2": 2, "poly3": 3}
_GEOD = Geod(ellps="WGS84")
#: A transform of an (n, 2) array of points.
_Mapping = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class GCP:
    """A ground control point: a pixel of the image and the place it shows.

    ``px``, ``py``: column and row from the image's top left corner, in pixels; ``lon``,
    ``lat``: WGS 84 degrees.
    """

    px: float
    py: float
    lon: float
    lat: float


@dataclass(frozen=True)
class PointError:
    """How far the fitted transform misses one point."""

    gcp: GCP
    residual_px: float
    residual_m: float
    #: The point predicted by the transform fitted to all the other points (None when the
    #: others are too few for the transform).
    loo_px: float | None
    loo_m: float | None


@dataclass(frozen=True)
class GcpFit:
    """A transform fitted to GCPs, with its errors; see :func:`fit_gcps`."""

    transform: Transform
    points: tuple[PointError, ...]

    @property
    def rmse_px(self) -> float:
        """Root mean square residual, pixels."""
        return _rms([p.residual_px for p in self.points])

    @property
    def rmse_m(self) -> float:
        """Root mean square residual, metres."""
        return _rms([p.residual_m for p in self.points])

    @property
    def loo_rmse_m(self) -> float | None:
        """Root mean square leave-one-out error, metres: the honest figure of a spline."""
        values = [p.loo_m for p in self.points]
        return None if any(v is None for v in values) else _rms([v or 0.0 for v in values])

    @property
    def loo_rmse_px(self) -> float | None:
        """Root mean square leave-one-out error, pixels."""
        values = [p.loo_px for p in self.points]
        return None if any(v is None for v in values) else _rms([v or 0.0 for v in values])

    def worst(self) -> PointError:
        """The point with the largest leave-one-out error (residual when there is none)."""
        return max(self.points, key=lambda p: p.loo_m if p.loo_m is not None else p.residual_m)


def _rms(values: Sequence[float]) -> float:
    return math.sqrt(sum(v * v for v in values) / len(values)) if values else 0.0


def _design(x: np.ndarray, y: np.ndarray, order: int) -> np.ndarray:
    """Polynomial terms x^i y^j, i + j <= order (GDAL's terms, in its order up to 3)."""
    return np.column_stack(
        [x**i * y ** (d - i) for d in range(order + 1) for i in range(d, -1, -1)]
    )


class _Poly:
    """A least-squares polynomial from (a, b) to (u, v), in coordinates centred and scaled."""

    def __init__(self, ab: np.ndarray, uv: np.ndarray, order: int) -> None:
        self.order = order
        self.centre = ab.mean(axis=0)
        self.scale = float(np.abs(ab - self.centre).max()) or 1.0
        a = (ab - self.centre) / self.scale
        self.coef, *_ = np.linalg.lstsq(_design(a[:, 0], a[:, 1], order), uv, rcond=None)

    def __call__(self, ab: np.ndarray) -> np.ndarray:
        a = (np.atleast_2d(ab) - self.centre) / self.scale
        out: np.ndarray = _design(a[:, 0], a[:, 1], self.order) @ self.coef
        return out


def _fitted(
    transform: Transform, pixels: np.ndarray, lonlat: np.ndarray
) -> tuple[_Mapping, _Mapping]:
    """Forward (pixel to lon/lat) and reverse (lon/lat to pixel) functions of arrays."""
    if transform == "tps":
        from rasterio.control import GroundControlPoint
        from rasterio.transform import GCPTransformer

        gcps = [
            GroundControlPoint(row=float(r), col=float(c), x=float(x), y=float(y))
            for (c, r), (x, y) in zip(pixels, lonlat, strict=True)
        ]

        def forward(px: np.ndarray) -> np.ndarray:
            with GCPTransformer(gcps, tps=True) as t:
                xs, ys = t.xy(px[:, 1].tolist(), px[:, 0].tolist(), offset="ul")
            return np.column_stack([np.atleast_1d(xs), np.atleast_1d(ys)])

        def reverse(ll: np.ndarray) -> np.ndarray:
            with GCPTransformer(gcps, tps=True) as t:
                rows, cols = t.rowcol(ll[:, 0].tolist(), ll[:, 1].tolist(), op=lambda v: v)
            return np.column_stack([np.atleast_1d(cols), np.atleast_1d(rows)])

        return forward, reverse
    order = _ORDER[transform]
    return _Poly(pixels, lonlat, order), _Poly(lonlat, pixels, order)


def _errors(
    forward: _Mapping, reverse: _Mapping, pixels: np.ndarray, lonlat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """How far each point lands from where it should, in pixels and metres, as a warp places it.

    A warp (GDAL's, and so ours) fills each output pixel from the source pixel that the
    *reverse* transform gives for its place: the point's place maps back to ``back`` instead
    of its own pixel. The error in pixels is that distance; in metres it is the ground
    distance between the two pixels (through the forward transform, which gives the local
    scale and shear), so that both figures describe the same displacement.
    """
    back = reverse(lonlat)
    px = np.hypot(*(back - pixels).T)
    a, b = forward(back), forward(pixels)
    _, _, metres = _GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    return px, np.abs(np.asarray(metres, dtype=float))


def fit_gcps(gcps: Sequence[GCP], transform: Transform = "poly1") -> GcpFit:
    """Fit ``transform`` to ``gcps`` and measure every point's residual and leave-one-out error.

    Parameters
    ----------
    gcps : sequence of GCP
        At least :data:`MIN_POINTS` of the transform; distinct pixels.
    transform : {'poly1', 'poly2', 'poly3', 'tps'}
        Polynomial of order 1 (affine), 2 or 3, or thin-plate spline.

    Returns
    -------
    GcpFit
        Residuals in pixels (the point's pixel predicted back from its lon/lat by the reverse
        transform, the one a warp uses) and in metres (the same displacement on the ground,
        geodesic on WGS 84), and leave-one-out errors when there are more points than the
        transform needs.

    Raises
    ------
    ValueError
        An unknown transform, too few points, or two points on one pixel.

    Examples
    --------
    >>> fit_gcps([GCP(0, 0, 126.6, 37.9), GCP(1, 0, 126.7, 37.9)], "poly1")
    Traceback (most recent call last):
    ...
    ValueError: poly1 needs at least 3 ground control points, got 2
    """
    if transform not in MIN_POINTS:
        raise ValueError(
            f"unknown transform {transform!r} (expected one of {', '.join(TRANSFORMS)})"
        )
    n = len(gcps)
    if n < MIN_POINTS[transform]:
        raise ValueError(
            f"{transform} needs at least {MIN_POINTS[transform]} ground control points, got {n}"
        )
    pixels = np.array([[g.px, g.py] for g in gcps], dtype=float)
    lonlat = np.array([[g.lon, g.lat] for g in gcps], dtype=float)
    if len({(g.px, g.py) for g in gcps}) < n:
        raise ValueError("two ground control points are on the same pixel")
    order = _ORDER.get(transform, 1)  # a spline has an affine part
    centred = (pixels - pixels.mean(axis=0)) / (np.abs(pixels - pixels.mean(axis=0)).max() or 1.0)
    terms = _design(centred[:, 0], centred[:, 1], order)
    if np.linalg.matrix_rank(terms) < terms.shape[1]:
        raise ValueError(
            f"the ground control points cannot fix a {transform} transform: they lie on a line "
            "(or, for a polynomial of order 2 or 3, on too few lines); spread them over the image"
        )
    forward, reverse = _fitted(transform, pixels, lonlat)
    res_px, res_m = _errors(forward, reverse, pixels, lonlat)
    loo_px: list[float | None] = [None] * n
    loo_m: list[float | None] = [None] * n
    if n > MIN_POINTS[transform]:
        for k in range(n):
            keep = np.arange(n) != k
            f, r = _fitted(transform, pixels[keep], lonlat[keep])
            px, m = _errors(f, r, pixels[k : k + 1], lonlat[k : k + 1])
            loo_px[k], loo_m[k] = float(px[0]), float(m[0])
    points = tuple(
        PointError(g, float(res_px[k]), float(res_m[k]), loo_px[k], loo_m[k])
        for k, g in enumerate(gcps)
    )
    return GcpFit(transform, points)
