"""Ground control points: each transform recovers a known truth; a bad point stands out."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaesong_geo.gcp import GCP, MIN_POINTS, TRANSFORMS, fit_gcps

# A 1,200 × 900 screenshot of Kaesong at about 1 m per pixel, slightly rotated.
LON0, LAT0 = 126.625, 37.945
DX, DY = 1.14e-5, -0.90e-5  # degrees per pixel at 37.9°N, about 1 m
ANGLE = math.radians(3.0)


def affine(px: float, py: float) -> tuple[float, float]:
    x = px * math.cos(ANGLE) - py * math.sin(ANGLE)
    y = px * math.sin(ANGLE) + py * math.cos(ANGLE)
    return LON0 + x * DX, LAT0 + y * DY


def curved(px: float, py: float) -> tuple[float, float]:
    """The affine plus a smooth lens-like bend of up to about 15 m at the corners."""
    lon, lat = affine(px, py)
    u, v = (px - 600) / 600, (py - 450) / 450
    return lon + 1.6e-4 * u * v, lat + 0.9e-4 * (u * u - 0.5)


def grid(truth, n: int = 5) -> list[GCP]:  # type: ignore[no-untyped-def]
    pts = [(c, r) for c in np.linspace(40, 1160, n) for r in np.linspace(30, 870, n)]
    return [GCP(c, r, *truth(c, r)) for c, r in pts]


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_each_transform_recovers_an_affine_screenshot(transform: str) -> None:
    fit = fit_gcps(grid(affine), transform)  # type: ignore[arg-type]
    assert fit.rmse_m < 0.01 and fit.rmse_px < 0.01
    assert fit.loo_rmse_m is not None and fit.loo_rmse_m < 0.05


def test_a_curved_screenshot_needs_more_than_an_affine() -> None:
    gcps = grid(curved)
    poly1, poly2, tps = (fit_gcps(gcps, t) for t in ("poly1", "poly2", "tps"))  # type: ignore[arg-type]
    assert poly1.rmse_m > 2.0  # the bend is not affine
    # The bend is a polynomial of order 2 from pixels to lon/lat, but a warp uses the reverse
    # (lon/lat to pixels), which is not one: 0.15 m remains at order 2, 0.004 m at order 3.
    assert poly2.rmse_m < 0.3 and poly2.loo_rmse_m is not None and poly2.loo_rmse_m < 0.5
    poly3 = fit_gcps(gcps, "poly3")
    assert poly3.rmse_m < 0.01 and poly3.loo_rmse_m is not None and poly3.loo_rmse_m < 0.05
    # The spline passes through every point: zero residuals say nothing; leave-one-out does.
    assert tps.rmse_m < 1e-6
    assert tps.loo_rmse_m is not None and 0 < tps.loo_rmse_m < poly1.loo_rmse_m  # type: ignore[operator]


@pytest.mark.parametrize("transform", ["poly1", "poly2", "tps"])
def test_a_bad_point_stands_out_in_leave_one_out(transform: str) -> None:
    gcps = grid(affine)
    bad = gcps[7]
    gcps[7] = GCP(bad.px + 40, bad.py, bad.lon, bad.lat)  # clicked 40 pixels off
    fit = fit_gcps(gcps, transform)  # type: ignore[arg-type]
    assert fit.worst().gcp == gcps[7]
    others = sorted(p.loo_m for p in fit.points if p.gcp != gcps[7])  # type: ignore[type-var]
    assert fit.worst().loo_m > 5 * others[len(others) // 2]  # type: ignore[operator]
    assert 25 < fit.worst().loo_m < 80  # about 40 px of 1 m  # type: ignore[operator]
    if transform == "tps":
        assert fit.worst().residual_m < 1e-6  # invisible in residuals


# Points scattered over the image (a grid's rows and columns are too few lines for poly3).
SCATTERED = np.random.default_rng(3).uniform([0, 0], [1200, 900], size=(15, 2)).round(1)


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_too_few_points_are_refused(transform: str) -> None:
    points = [GCP(c, r, *affine(c, r)) for c, r in SCATTERED.tolist()]
    need = MIN_POINTS[transform]
    with pytest.raises(ValueError, match=f"{transform} needs at least {need}"):
        fit_gcps(points[: need - 1], transform)  # type: ignore[arg-type]
    fit = fit_gcps(points[:need], transform)  # type: ignore[arg-type]
    assert fit.loo_rmse_m is None  # no point to spare for leave-one-out
    assert fit.rmse_m < 0.01


@pytest.mark.parametrize("transform", TRANSFORMS)
def test_points_on_one_line_are_refused(transform: str) -> None:
    line = [GCP(100 + 50 * k, 200 + 20 * k, *affine(100 + 50 * k, 200 + 20 * k)) for k in range(12)]
    with pytest.raises(ValueError, match="they lie on a line"):
        fit_gcps(line, transform)  # type: ignore[arg-type]


def test_two_points_on_one_pixel_are_refused() -> None:
    gcps = grid(affine)[:4]
    gcps.append(GCP(gcps[0].px, gcps[0].py, 126.7, 37.9))
    with pytest.raises(ValueError, match="same pixel"):
        fit_gcps(gcps, "poly1")


@given(
    scale=st.floats(0.2, 20.0),
    angle=st.floats(-math.pi, math.pi),
    lon=st.floats(-170.0, 170.0),
    lat=st.floats(-70.0, 70.0),
)
@settings(max_examples=40, deadline=None)
def test_any_affine_is_recovered_by_poly1(
    scale: float, angle: float, lon: float, lat: float
) -> None:
    """Metres per pixel from 0.2 to 20, any rotation, anywhere: poly1 fits within 1 cm."""
    d = scale * 9e-6

    def truth(px: float, py: float) -> tuple[float, float]:
        x = px * math.cos(angle) - py * math.sin(angle)
        y = px * math.sin(angle) + py * math.cos(angle)
        return lon + x * d / math.cos(math.radians(lat)), lat - y * d

    fit = fit_gcps(grid(truth, 3), "poly1")
    assert fit.loo_rmse_m is not None and fit.loo_rmse_m < 0.01


def test_metres_and_pixels_describe_the_same_displacement() -> None:
    """The bend is exactly a polynomial of order 2 from pixels to lon/lat; its reverse, which
    the warp uses, is not, and misses by 0.15 px. The metres must say the same (about 1 m per
    pixel): the forward fit alone said 0.000 m beside 0.15 px (found by a user trial, where
    order 3 printed "0.00 m (0.42 px)" on a 2 m screenshot)."""
    fit = fit_gcps(grid(curved), "poly2")
    assert fit.rmse_px > 0.1
    assert fit.rmse_m == pytest.approx(fit.rmse_px * 1.0, rel=0.1)  # ~1 m per pixel
    for p in fit.points:
        assert p.residual_m == pytest.approx(p.residual_px, rel=0.1, abs=0.005)
        assert p.loo_m == pytest.approx(p.loo_px, rel=0.1, abs=0.005)  # type: ignore[arg-type]
