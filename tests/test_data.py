"""The shipped data: documented areas, sources, the article's figures, reproducibility."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import pytest

from kaesong_geo.economy import align
from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.io.footprints import load_footprints
from kaesong_geo.io.observations import load_observations
from kaesong_geo.io.validate import validate_data_dir
from kaesong_geo.measure import measure_geometry
from kaesong_geo.site import KAESONG

from .conftest import REPO

#: The UTM zone of the test geometries, all near Kaesong (52N).
UTM = KAESONG.utm_epsg

DATA = bundled_data_dir()
PILOT_M2 = 28_000 * 400 / 121  # 28,000 pyeong


@pytest.fixture(scope="module")
def epochs():
    return {e.label: e for e in load_footprints(DATA)}


@pytest.fixture(scope="module")
def observations():
    return load_observations(DATA)


def test_three_epochs_with_month_precision(epochs) -> None:
    assert list(epochs) == ["2004-04", "2006-01", "2009-09"]
    assert {e.date.precision for e in epochs.values()} == {"month"}


@pytest.mark.parametrize(("label", "documented_m2"), [("2004-04", PILOT_M2), ("2009-09", 3.3e6)])
def test_documented_areas_within_recorded_uncertainty(
    epochs, label: str, documented_m2: float
) -> None:
    epoch = epochs[label]
    area = measure_geometry(epoch.geometry, UTM).area_m2
    [fp] = epoch.footprints
    assert fp.reference_area_m2 == pytest.approx(documented_m2, abs=1)
    assert abs(area - documented_m2) <= documented_m2 * fp.area_uncertainty_pct / 100
    # The reconstruction is sized to the documented figure itself, not merely near it.
    assert area == pytest.approx(documented_m2, rel=1e-4)


def test_every_footprint_carries_provenance(epochs) -> None:
    for epoch in epochs.values():
        for fp in epoch.footprints:
            assert fp.method == "reconstructed"
            assert fp.source and fp.note and fp.uncertainty_m and fp.area_uncertainty_pct
            assert ("ESTIMATED" in fp.note) == fp.estimated


def test_2006_is_estimated_and_between_the_documented_areas(epochs) -> None:
    e = epochs["2006-01"]
    assert e.estimated
    area = measure_geometry(e.geometry, UTM).area_m2
    assert PILOT_M2 < area < 3.3e6
    # Multi-part with a class each, and the estimated part has a hole where the pilot is.
    assert {fp.category for fp in e.footprints} == {"developed", "under construction"}
    estimated = [fp for fp in e.footprints if fp.estimated]
    assert len(estimated) == 1 and len(estimated[0].geometry.interiors) == 1


def test_footprints_lie_at_the_documented_location(epochs) -> None:
    c = epochs["2009-09"].geometry.centroid
    assert abs(c.x - 126.6325) < 0.005 and abs(c.y - 37.9298) < 0.005
    assert epochs["2009-09"].geometry.contains(epochs["2004-04"].geometry)


def test_shipped_footprints_are_what_the_reconstruction_script_makes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "reconstruct", REPO / "scripts" / "reconstruct_footprints.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for path in sorted((REPO / "data" / "boundaries").glob("*.geojson")):
        assert json.loads((tmp_path / path.name).read_text()) == json.loads(path.read_text()), (
            path.name
        )


def test_every_observation_has_a_source_and_status(observations) -> None:
    assert len(observations) > 50
    assert all(o.source.strip() for o in observations)
    flagged = {(o.indicator, o.period) for o in observations if o.status == "unverified"}
    assert (
        ("firms", "2006") in flagged
        and ("workers", "2006") in flagged
        and ("workers", "2014") in flagged
    )


def test_article_figures_are_reproducible(observations) -> None:
    """NK Economy Watch 2011-05-18: >46,000 workers, ~120 firms, US$34.7 M in March 2011."""
    march_2011 = dt.date(2011, 3, 31)

    def latest(indicator: str) -> float:
        known = [o for o in observations if o.indicator == indicator and o.as_of <= march_2011]
        return max(known, key=lambda o: o.as_of).value

    assert latest("workers") > 46_000
    assert round(latest("firms"), -1) == 120
    monthly = {
        o.period: o.value
        for o in observations
        if o.indicator == "production_usd" and len(o.period) == 7
    }
    assert round(monthly["2011-03"] / 1e6, 1) == 34.7
    assert monthly["2011-03"] == max(v for p, v in monthly.items() if p <= "2011-03")
    trade = {o.period: o.value for o in observations if o.indicator == "trade_usd"}
    assert round(100 * (trade["2010"] / trade["2009"] - 1)) == 53  # "up 54%" from rounded figures


def test_counts_align_at_the_epochs(observations) -> None:
    assert align(observations, "firms", dt.date(2004, 4, 15)).value == 0
    assert align(observations, "workers", dt.date(2009, 9, 15)).used[1].status == "approximate"


def test_bundled_data_validates_clean() -> None:
    result = validate_data_dir(DATA, strict=True)
    assert result.ok, [str(p) for p in result.problems]
