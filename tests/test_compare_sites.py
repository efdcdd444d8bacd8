"""``kaesong-geo growth`` with several ``--data-dir``: each site's report, then the sites side by
side; its numbers agree with each site's own report, its JSON passes schema version 2, one data
directory still gives version 1, and bad combinations are usage errors that change nothing."""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from shapely.geometry import box

from kaesong_geo.compare_sites import compare_sites
from kaesong_geo.dates import DAYS_PER_YEAR, days_between, parse_epoch
from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.render import COMPARISON_CSV_COLUMNS, TABLE_WIDTH
from kaesong_geo.report import growth_report
from kaesong_geo.schema import json_schema

from .common import feature, write_geojson
from .conftest import run_process, tree_digest

DURBAN = "Durban test zone"
LON, LAT = 31.03, -29.86
# Three epochs in the southern hemisphere: 1, 2, then 3 boxes of 0.01° (the last with a
# separate patch).
FOOTPRINTS = {
    "2015-06": [box(LON, LAT, LON + 0.01, LAT + 0.01)],
    "2018": [box(LON, LAT, LON + 0.02, LAT + 0.01)],
    "2021-03": [
        box(LON, LAT, LON + 0.02, LAT + 0.01),
        box(LON + 0.03, LAT, LON + 0.04, LAT + 0.01),
    ],
}


@pytest.fixture
def durban(cli: Any, tmp_path: Path) -> Path:
    """A second site, made as a user would: ``init --site`` and footprint files."""
    target = tmp_path / "durban"
    r = cli("init", str(target), "--site", DURBAN, "--lon", str(LON), "--lat", str(LAT))
    assert r.code == 0, r.err
    for label, geoms in FOOTPRINTS.items():
        write_geojson(target / "boundaries" / f"{label}.geojson", *(feature(g) for g in geoms))
    return target


@pytest.fixture
def kaesong() -> str:
    return str(bundled_data_dir())


def _json(cli: Any, *dirs: str) -> dict[str, Any]:
    args = [a for d in dirs for a in ("--data-dir", d)]
    r = cli("growth", "--format", "json", *args)
    assert r.code == 0, r.err
    data: dict[str, Any] = json.loads(r.out)
    return data


def test_comparison_agrees_with_each_site_report(cli: Any, kaesong: str, durban: Path) -> None:
    both = _json(cli, kaesong, str(durban))
    singles = [_json(cli, kaesong), _json(cli, str(durban))]
    assert both["schema_version"] == 2
    assert [s["schema_version"] for s in singles] == [1, 1]
    assert both["sites"] == singles  # each site's full report, unchanged
    rows = both["comparison"]["epochs"]
    assert [r["site"] for r in rows] == ["Kaesong Industrial Complex"] * 3 + [DURBAN] * 3
    expected_rows = [(s["site"]["name"], e) for s in singles for e in s["epochs"]]
    for row, (name, e) in zip(rows, expected_rows, strict=True):
        assert (row["site"], row["epoch"], row["date"]) == (name, e["epoch"], e["date"])
        for key in ("area_m2", "area_km2", "growth_m2", "growth_pct", "annual_rate_pct"):
            assert row[key] == e[key], (name, e["epoch"], key)
        assert row["workers_per_ha"] == e["workers_per_ha"]
    # years since each site's first epoch
    assert [r["years_since_first"] for r in rows[3:]] == [
        round(days_between(parse_epoch("2015-06"), parse_epoch(label)) / DAYS_PER_YEAR, 4)
        for label in FOOTPRINTS
    ]
    assert rows[0]["years_since_first"] == rows[3]["years_since_first"] == 0.0
    # Durban: 1, 2, 3 boxes -> +100 %, then +50 % (boxes of equal latitude band, equal area)
    assert [r["growth_pct"] for r in rows[3:]] == [None, pytest.approx(100.0, abs=1e-3), 50.0]
    assert [r["workers_per_ha"] for r in rows[3:]] == [None, None, None]  # no counts there
    assert rows[2]["workers_per_ha"] is not None and rows[2]["workers_per_ha"] > 0
    # the summary per site is the report's overall interval
    for summary, single in zip(both["comparison"]["sites"], singles, strict=True):
        [overall] = [i for i in single["intervals"] if i["kind"] == "overall"]
        assert (summary["first_epoch"], summary["last_epoch"]) == (overall["start"], overall["end"])
        assert summary["total_growth_pct"] == overall["growth_pct"]
        assert summary["annual_rate_pct"] == overall["annual_rate_pct"]
        assert summary["years"] == round(overall["days"] / DAYS_PER_YEAR, 4)
    # the consecutive growth rates compound to the whole span's
    durban_rows = rows[3:]
    ratio = math.prod(1 + r["growth_pct"] / 100 for r in durban_rows[1:])
    assert ratio == pytest.approx(1 + both["comparison"]["sites"][1]["total_growth_pct"] / 100)


def test_json_validates_against_v2_and_the_schema_can_fail(
    cli: Any, kaesong: str, durban: Path
) -> None:
    both = _json(cli, kaesong, str(durban))
    validator = Draft202012Validator(json_schema(2))
    assert list(validator.iter_errors(both)) == []
    broken = json.loads(json.dumps(both))
    broken["sites"][1]["epochs"][0]["area_m2"] = "large"  # inside a site: checked by v1
    broken["comparison"]["epochs"][0]["surprise"] = 1  # comparison rows are closed
    messages = sorted(e.message for e in validator.iter_errors(broken))
    assert messages == [
        "'large' is not of type 'number'",
        "Additional properties are not allowed ('surprise' was unexpected)",
    ]


def test_one_data_dir_still_gives_v1(cli: Any, durban: Path) -> None:
    single = _json(cli, str(durban))
    assert single["schema_version"] == 1 and "comparison" not in single
    assert list(Draft202012Validator(json_schema(1)).iter_errors(single)) == []


def test_table_markdown_and_csv(cli: Any, kaesong: str, durban: Path) -> None:
    args = ("growth", "--data-dir", kaesong, "--data-dir", str(durban))
    table = cli(*args)
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert max(len(line) for line in lines) <= TABLE_WIDTH
    assert "SITE 1 OF 2: Kaesong Industrial Complex" in lines
    assert f"SITE 2 OF 2: {DURBAN}" in lines
    assert lines.index(f"SITE 2 OF 2: {DURBAN}") < lines.index(
        "SITES SIDE BY SIDE (growth and annual % from the site's previous epoch; years since its "
        "first)"
    )
    assert any(line.startswith(f"{DURBAN}: 2015-06 to 2021-03 (5.75 years)") for line in lines)

    md = cli(*args, "--format", "markdown")
    assert md.code == 0, md.err
    assert "\n# Sites side by side\n" in md.out
    assert f"\n# {DURBAN}: footprint growth\n" in md.out

    out = cli(*args, "--format", "csv")
    assert out.code == 0, out.err
    rows = list(csv.DictReader(io.StringIO(out.out)))
    assert tuple(rows[0]) == COMPARISON_CSV_COLUMNS
    assert [(r["site"], r["epoch"]) for r in rows[3:]] == [(DURBAN, e) for e in FOOTPRINTS]
    assert rows[4]["growth_pct"] == "100.0" and rows[3]["growth_pct"] == ""


def test_compare_sites_library_matches_cli(kaesong: str, durban: Path) -> None:
    reports = [growth_report(kaesong), growth_report(durban)]
    comparison = compare_sites(reports)
    assert [s.site for s in comparison.summaries] == ["Kaesong Industrial Complex", DURBAN]
    assert len(comparison.rows) == 6
    with pytest.raises(ValueError, match="two sites are named 'Durban test zone'"):
        compare_sites([reports[1], reports[1]])


def test_real_process(kaesong: str, durban: Path) -> None:
    r = run_process("growth", "--data-dir", kaesong, "--data-dir", str(durban), "-f", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["schema_version"] == 2


# ---------------------------------------------------------------- usage errors


def _refused(cli: Any, durban: Path, *args: str) -> str:
    before = tree_digest(durban)
    r = cli(*args)
    assert r.code == 2, (r.code, r.out, r.err)
    assert r.out == ""
    assert "Traceback" not in r.err
    assert tree_digest(durban) == before
    return str(r.err)


def test_same_folder_twice(cli: Any, durban: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(durban)
    err = _refused(cli, durban, "growth", "--data-dir", str(durban), "--data-dir", str(link))
    assert f"--data-dir {durban} and {link} are the same folder ({durban})" in err


def test_same_site_name_twice(cli: Any, durban: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(durban, copy)
    err = _refused(cli, durban, "growth", "--data-dir", str(durban), "--data-dir", str(copy))
    assert f"--data-dir {durban} and {copy} are both the site '{DURBAN}'" in err


def test_epochs_are_per_site(cli: Any, kaesong: str, durban: Path) -> None:
    err = _refused(
        cli, durban, "growth", "--data-dir", kaesong, "--data-dir", str(durban), "--epochs", "2018"
    )
    assert "--epochs cannot be used with several --data-dir: epochs are per site" in err


def test_table_option_with_several_sites(cli: Any, kaesong: str, durban: Path) -> None:
    err = _refused(
        cli, durban, "growth", "-f", "csv", "--table", "intervals",
        "--data-dir", kaesong, "--data-dir", str(durban),
    )  # fmt: skip
    assert "--format csv writes the comparison" in err


def test_output_inside_any_data_dir_is_refused(cli: Any, kaesong: str, durban: Path) -> None:
    out = durban / "out.json"
    err = _refused(
        cli, durban, "growth", "--data-dir", kaesong, "--data-dir", str(durban), "-o", str(out)
    )
    assert not out.exists() and "out.json" in err


@pytest.mark.parametrize("command", ["validate", "chart"])
def test_other_commands_take_one_data_dir(
    cli: Any,
    kaesong: str,
    durban: Path,
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    err = _refused(cli, durban, command, "--data-dir", kaesong, "--data-dir", str(durban))
    assert f"--data-dir given twice: kaesong-geo {command} reads one data directory" in err


# ---------------------------------------------------------------- invariants


def _stand_in(name: str, epochs: list[tuple[str, float, float | None]]) -> Any:
    """A stand-in report with only what :func:`compare_sites` reads: the site's name and, per
    epoch, its label and date, its area and its aligned workers."""
    results = [
        SimpleNamespace(
            label=label,
            epoch=SimpleNamespace(date=parse_epoch(label)),
            measure=SimpleNamespace(area_m2=area),
            value=lambda indicator, w=workers: w if indicator == "workers" else None,
        )
        for label, area, workers in epochs
    ]
    return SimpleNamespace(site=SimpleNamespace(name=name), epochs=results)


@settings(max_examples=60, deadline=None)
@given(
    years=st.lists(st.integers(1990, 2030), min_size=1, max_size=6, unique=True),
    areas=st.lists(st.floats(1e3, 1e8), min_size=6, max_size=6),
    workers=st.lists(st.none() | st.floats(0, 1e5), min_size=6, max_size=6),
)
def test_rates_compound_to_the_whole_span(
    years: list[int], areas: list[float], workers: list[float | None]
) -> None:
    epochs = [(str(y), a, w) for y, a, w in zip(sorted(years), areas, workers, strict=False)]
    comparison = compare_sites([_stand_in("A", epochs), _stand_in("B", epochs[:1])])
    rows = [r for r in comparison.rows if r.site == "A"]
    summary = comparison.summaries[0]
    assert [r.epoch for r in rows] == [e[0] for e in epochs]
    assert rows[0].years == 0 and all(a.years < b.years for a, b in itertools.pairwise(rows))
    assert rows[0].growth_pct is None and rows[0].annual_rate_pct is None
    ratio = math.prod(1 + (r.growth_pct or 0) / 100 for r in rows[1:])
    assert ratio == pytest.approx(epochs[-1][1] / epochs[0][1], rel=1e-9)
    # abs: ratio is a product of factors up to 1e5 apart, each rounded (e.g. 1e3 -> 1e8 -> 1e3).
    if len(rows) > 1:
        assert summary.total_growth_pct == pytest.approx(100 * (ratio - 1), rel=1e-9, abs=1e-6)
        assert summary.annual_rate_pct is not None
        whole = (1 + summary.annual_rate_pct / 100) ** summary.years
        assert whole == pytest.approx(ratio, rel=1e-9)
    else:  # one epoch: no growth to measure
        assert summary.total_growth_pct is None
        assert summary.annual_rate_pct is None and summary.years == 0
    for r, (_, area, w) in zip(rows, epochs, strict=True):
        assert r.workers_per_ha == (None if w is None else w / (area / 1e4))
    assert comparison.summaries[1].first_epoch == comparison.summaries[1].last_epoch


def test_a_site_of_one_epoch_has_no_growth_to_compare(cli: Any, kaesong: str, durban: Path) -> None:
    for extra in ("2018.geojson", "2021-03.geojson"):
        (durban / "boundaries" / extra).unlink()
    both = json.loads(
        cli("growth", "--data-dir", kaesong, "--data-dir", str(durban), "--format", "json").out
    )
    Draft202012Validator(json_schema(2)).validate(both)
    single = both["comparison"]["sites"][1]
    assert (single["first_epoch"], single["last_epoch"]) == ("2015-06", "2015-06")
    assert single["total_growth_pct"] is None and single["annual_rate_pct"] is None
    table = cli("growth", "--data-dir", kaesong, "--data-dir", str(durban)).out
    assert f"{DURBAN}: one epoch (2015-06), 1.071 km²: no growth to measure" in table
