"""The command line: every format, the exit-code contract, and one-line errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from shapely.geometry import Point

from kaesong_geo import __version__

from .common import BOX, feature, write_geojson
from .conftest import run_process, tree_digest


def test_growth_table(cli) -> None:
    r = cli("growth")
    assert r.code == 0, r.err
    section = r.out.split("EPOCHS")[1].split("  * aligned")[0]
    epoch_rows = [line for line in section.splitlines() if line.startswith("20")]
    assert [row.split()[0] for row in epoch_rows] == ["2004-04", "2006-01", "2009-09"]
    assert epoch_rows[-1].split()[2] == "3.300"  # km²
    assert "ESTIMATED" in epoch_rows[1] and "ESTIMATED" not in epoch_rows[2]
    assert "UTM 52N CROSS-CHECK (EPSG:32652): 2004-04 +0.026%" in r.out
    assert "DESCRIPTIVE ONLY" in r.out and "APPROXIMATE RECONSTRUCTIONS" in r.out
    assert "p =" not in r.out


def test_growth_json_contract(cli) -> None:
    r = cli("growth", "--format", "json")
    data = json.loads(r.out)
    assert data["schema_version"] == 1
    for e in data["epochs"]:
        for key in ("epoch", "area_m2", "area_utm_m2", "perimeter_m", "firms", "workers", "flags"):
            assert key in e
        assert abs(e["area_utm_m2"] - e["area_m2"]) / e["area_m2"] < 0.001
    first, second = data["intervals"][:2]
    assert (first["start"], first["end"], second["start"], second["end"]) == (
        "2004-04",
        "2006-01",
        "2006-01",
        "2009-09",
    )
    assert data["intervals"][-1]["kind"] == "overall"
    for i in data["intervals"]:
        for key in ("start", "end", "growth_m2", "growth_pct", "annual_rate_pct"):
            assert key in i
    corr = data["correlation"]
    assert corr["n"] == 3 and corr["descriptive_only"] is True
    assert all(p["pearson_p"] is None for p in corr["pairs"])
    assert data["provenance"]["estimated_epochs"] == ["2006-01"]
    assert data["epochs"][1]["flags"] == {
        "estimated": True,
        "methods": ["reconstructed"],
        "uncertainty_m": 700.0,
        "counts_verified": False,
    }


@pytest.mark.parametrize(
    ("table", "first_column", "rows"),
    [("epochs", "epoch", 3), ("intervals", "start", 3), ("correlation", "x", 2)],
)
def test_growth_csv_tables(cli, table: str, first_column: str, rows: int) -> None:
    r = cli("growth", "--format", "csv", "--table", table)
    parsed = list(csv.DictReader(io.StringIO(r.out)))
    assert r.code == 0 and len(parsed) == rows
    assert next(iter(parsed[0])) == first_column


def test_growth_markdown(cli) -> None:
    r = cli("growth", "--format", "markdown", "--epochs", "2004-04", "2009-09")
    assert r.out.startswith("# Kaesong Industrial Complex")
    assert "| 2009-09 | 2009-09-15 | 3.300 |" in r.out
    assert "2006-01" not in r.out.split("## Intervals")[1].split("## Correlation")[0]


def test_epochs_subset_with_commas(cli) -> None:
    data = json.loads(cli("growth", "--format", "json", "--epochs", "2004-04,2009-09").out)
    assert [e["epoch"] for e in data["epochs"]] == ["2004-04", "2009-09"]
    assert len(data["intervals"]) == 1


def test_output_file_and_overwrite_refusal(cli, tmp_path: Path) -> None:
    out = tmp_path / "growth.json"
    assert cli("growth", "--format", "json", "--output", str(out)).code == 0
    before = out.read_bytes()
    r = cli("growth", "--output", str(out))
    assert r.code == 2
    assert r.err == f"kaesong-geo: error: {out}: already exists; use --overwrite to replace it\n"
    assert out.read_bytes() == before
    assert cli("growth", "--output", str(out), "--overwrite").code == 0
    assert out.read_text().startswith("Kaesong Industrial Complex")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["growth", "--epochs", "2007-01"],
            2,
            "unknown epoch '2007-01' (available: 2004-04, 2006-01, 2009-09)",
        ),
        (
            ["growth", "--output", "/nonexistent-dir/x.json"],
            2,
            "output folder '/nonexistent-dir' does not exist",
        ),
        (
            ["growth", "--data-dir", "/nonexistent-data"],
            2,
            "/nonexistent-data: data directory does not exist (from --data-dir)",
        ),
    ],
)
def test_usage_errors(cli, args: list[str], code: int, message: str) -> None:
    r = cli(*args)
    assert r.code == code
    assert r.err.count("\n") == 1 and message in r.err and "Traceback" not in r.err


def test_argparse_usage_errors_exit_2(cli) -> None:
    assert cli("growth", "--format", "xml").code == 2
    r = cli("growth", "--format", "json", "--table", "intervals")
    assert r.code == 2 and "--table chooses the table of --format csv" in r.err
    assert cli("frobnicate").code == 2


def test_data_dir_without_boundaries(cli, tmp_path: Path) -> None:
    r = cli("growth", "--data-dir", str(tmp_path))
    assert r.code == 1 and "has no 'boundaries/' folder" in r.err


def test_env_var_selects_data_dir(
    cli, empty_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_geojson(empty_data_dir / "boundaries" / "2011-03.geojson", feature(BOX))
    monkeypatch.setenv("KAESONG_GEO_DATA", str(empty_data_dir))
    data = json.loads(cli("growth", "--format", "json").out)
    assert [e["epoch"] for e in data["epochs"]] == ["2011-03"]
    share = (dt.date(2011, 3, 15) - dt.date(2010, 12, 31)).days / (
        dt.date(2011, 11, 30) - dt.date(2010, 12, 31)
    ).days
    assert data["epochs"][0]["workers"] == pytest.approx(46284 + (48708 - 46284) * share, rel=1e-6)


def test_bad_data_is_one_line_exit_1_and_changes_nothing(cli, data_dir: Path) -> None:
    write_geojson(data_dir / "boundaries" / "2011-03.geojson", feature(Point(126.63, 37.93)))
    before = tree_digest(data_dir)
    r = cli("growth", "--data-dir", str(data_dir), "--output", str(data_dir / "out.txt"))
    assert r.code == 1
    assert (
        r.err == f"kaesong-geo: error: {data_dir / 'boundaries' / '2011-03.geojson'}: "
        "feature 1 is a Point, not a polygon\n"
    )
    assert r.out == ""
    assert tree_digest(data_dir) == before


def test_bad_statistics_file(cli, data_dir: Path) -> None:
    path = data_dir / "economy" / "observations.csv"
    path.write_text(
        path.read_text().replace("workers,2008,2008-12-31,38266", "workers,2008,2008-12-31,many")
    )
    r = cli("growth", "--data-dir", str(data_dir))
    assert (
        r.code == 1
        and "observations.csv: line " in r.err
        and "value 'many' is not a number" in r.err
    )


@pytest.mark.filterwarnings("default::kaesong_geo.errors.GeometryRepairedWarning")
def test_repaired_geometry_warns_on_stderr(cli, empty_data_dir: Path) -> None:
    from .common import BOWTIE

    write_geojson(empty_data_dir / "boundaries" / "2011-03.geojson", feature(BOWTIE))
    r = cli("growth", "--data-dir", str(empty_data_dir), "--format", "json")
    assert r.code == 0
    assert "kaesong-geo: warning: " in r.err and "repaired with make_valid" in r.err
    assert "repaired with make_valid" in json.loads(r.out)["warnings"][0]


def test_validate_ok_and_failing(cli, data_dir: Path) -> None:
    r = cli("validate", "--data-dir", str(data_dir))
    assert r.code == 0 and r.out.startswith("ok: ")
    write_geojson(data_dir / "boundaries" / "2011-03.geojson", feature(Point(126.63, 37.93)))
    write_geojson(
        data_dir / "boundaries" / "2012-03.geojson",
        {"type": "Feature", "properties": {}, "geometry": None},
    )
    r = cli("validate", "--data-dir", str(data_dir))
    assert r.code == 1
    errors = [line for line in r.out.splitlines() if line.startswith("error: ")]
    assert len(errors) == 2
    assert r.err.endswith(": 2 errors, 0 warnings\n") and "FAILED" in r.out


def test_validate_catches_area_far_from_reference(cli, data_dir: Path) -> None:
    path = data_dir / "boundaries" / "2009-09.geojson"
    path.write_text(
        path.read_text().replace('"reference_area_m2": 3300000.0', '"reference_area_m2": 2500000.0')
    )
    r = cli("validate", "--data-dir", str(data_dir))
    assert (
        r.code == 1
        and "+32.0% from its reference 2,500,000 m² (more than the 10% recorded uncertainty)"
        in r.out
    )


def test_validate_strict_counts_warnings(cli, data_dir: Path) -> None:
    write_geojson(
        data_dir / "boundaries" / "2011-03.geojson",
        {"type": "Feature", "properties": {}, "geometry": BOX.__geo_interface__},
    )
    assert cli("validate", "--data-dir", str(data_dir)).code == 0
    r = cli("validate", "--data-dir", str(data_dir), "--strict")
    assert (
        r.code == 1
        and "lacks provenance: method (assumed 'traced'), source (the file name is used), "
        "uncertainty_m"
        in r.out
    )


def test_real_process_version_help_and_debug(data_dir: Path) -> None:
    assert run_process("--version").stdout.strip() == f"kaesong-geo {__version__}"
    helped = run_process("growth", "--help")
    assert (
        helped.returncode == 0
        and "$ kaesong-geo growth --format json --output growth.json" in helped.stdout
    )
    write_geojson(data_dir / "boundaries" / "2011-03.geojson", feature(Point(126.63, 37.93)))
    plain = run_process("growth", env={"KAESONG_GEO_DATA": str(data_dir)})
    assert (
        plain.returncode == 1 and "Traceback" not in plain.stderr and plain.stderr.count("\n") == 1
    )
    debug = run_process("--debug", "growth", "--data-dir", str(data_dir))
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert "DataError" in debug.stderr


def test_real_process_growth_from_another_folder(tmp_path: Path) -> None:
    r = run_process("growth", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert [e["epoch"] for e in json.loads(r.stdout)["epochs"]] == ["2004-04", "2006-01", "2009-09"]
