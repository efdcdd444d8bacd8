"""The command line: every format, the exit-code contract, and one-line errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import resource
import shlex
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from shapely.geometry import Point

from kaesong_geo import __version__

from .common import BOX, feature, write_geojson
from .conftest import kaesong_geo_command, run_process, tree_digest


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
    out = data_dir.parent / "out.txt"
    r = cli("growth", "--data-dir", str(data_dir), "--output", str(out))
    assert r.code == 1 and not out.exists()
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
    # stderr alone (a CI log) names the first problem too, on one line
    assert r.err == (
        f"kaesong-geo: error: {data_dir}: 2 errors, 0 warnings; first: "
        f"{errors[0].removeprefix('error: ')}\n"
    )
    assert "FAILED" in r.out


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


# ---------------------------------------------------------------- the shell, as a hurried user


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "KAESONG_GEO_DATA"}
    env.update(extra)
    return env


@pytest.mark.parametrize("debug", [False, True])
def test_broken_pipe_is_quiet_exit_141(debug: bool) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written, as with `| true`
    try:
        r = subprocess.run(
            kaesong_geo_command(*(["--debug"] if debug else []), "growth"),
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert r.returncode == 141
    if debug:
        assert "BrokenPipeError" in r.stderr and "Exception ignored" not in r.stderr
    else:
        assert r.stderr == ""


def test_head_1_prints_one_line_and_nothing_on_stderr() -> None:
    shell = f"{shlex.join(kaesong_geo_command('growth', '--format', 'json'))} | head -1"
    r = subprocess.run(
        ["bash", "-o", "pipefail", "-c", shell],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert r.stdout == "{\n" and r.stderr == ""
    assert r.returncode in (0, 141)  # 0 when the output fitted in the pipe before head left


def test_standard_output_on_a_full_disk() -> None:
    with open("/dev/full", "w") as full:  # the device is only written to, never replaced
        cmd = kaesong_geo_command("growth")
        r = subprocess.run(cmd, stdout=full, stderr=subprocess.PIPE, text=True, env=_env())
    assert r.returncode == 1
    assert r.stderr == "kaesong-geo: error: cannot write standard output: No space left on device\n"


def test_output_file_larger_than_allowed_is_one_error(tmp_path: Path) -> None:
    """A real write failure: the file-size limit (RLIMIT_FSIZE) of the process is 4 KiB."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    out = tmp_path / "growth.json"
    r = subprocess.run(
        kaesong_geo_command("growth", "--format", "json", "-o", str(out)),
        capture_output=True,
        text=True,
        env=_env(PYTHONDONTWRITEBYTECODE="1"),
        preexec_fn=limit,
        timeout=120,
    )
    assert r.returncode == 1
    assert r.stderr == f"kaesong-geo: error: {out}: cannot write the output: File too large\n"
    assert list(tmp_path.iterdir()) == []


def test_debug_keeps_the_exit_code() -> None:
    r = run_process("--debug", "growth", "--epochs", "1999-01")
    assert r.returncode == 2
    assert "Traceback (most recent call last)" in r.stderr and "UsageError" in r.stderr
    assert r.stderr.splitlines()[-1].startswith("kaesong-geo: error: unknown epoch '1999-01'")


def test_no_command_prints_the_help() -> None:
    r = run_process()
    assert r.returncode == 2 and r.stderr == ""
    assert r.stdout.startswith("usage: kaesong-geo")
    assert "validate" in r.stdout and "exit codes: 0 success" in r.stdout


def test_real_process_output_twice_then_overwrite(tmp_path: Path) -> None:
    first = run_process("growth", "--format", "json", "-o", "out.json", cwd=tmp_path)
    assert first.returncode == 0 and first.stderr == "wrote out.json (0.02 MB)\n"
    before = (tmp_path / "out.json").read_bytes()
    again = run_process("growth", "--format", "json", "-o", "out.json", cwd=tmp_path)
    assert again.returncode == 2
    assert again.stderr == (
        "kaesong-geo: error: out.json: already exists; use --overwrite to replace it\n"
    )
    assert (tmp_path / "out.json").read_bytes() == before
    assert run_process("growth", "-o", "out.json", "--overwrite", cwd=tmp_path).returncode == 0
    assert (tmp_path / "out.json").read_text().startswith("Kaesong Industrial Complex")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_real_process_refuses_fifo_and_link_to_device(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    r = run_process("growth", "-o", str(fifo), "--overwrite")
    assert r.returncode == 2
    assert r.stderr == (
        f"kaesong-geo: error: {fifo}: is a FIFO (named pipe), not a regular file; kaesong-geo "
        "writes and replaces regular files only (use standard output to write elsewhere)\n"
    )
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    link = tmp_path / "null"
    link.symlink_to("/dev/null")
    r = run_process("map", "-o", str(link), "--overwrite")
    assert r.returncode == 2 and "is a symbolic link to a character device" in r.stderr
    assert os.readlink(link) == "/dev/null" and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo", "null"]


def test_concurrent_processes_exactly_one_writes(tmp_path: Path) -> None:
    out = tmp_path / "same.json"
    procs = [
        subprocess.Popen(
            kaesong_geo_command("growth", "--format", "json", "-o", str(out)),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    for p in procs:
        for stream in (p.stdout, p.stderr):
            if stream:
                stream.close()
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2, 2, 2], results
    assert all("already exists" in err for code, err in results if code == 2)
    assert json.loads(out.read_text())["schema_version"] == 1  # one whole output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.json"]


_SLOW_WRITE = """
import os, sys, time
from kaesong_geo.cli import main
real_fsync = os.fsync
def slow_fsync(fd):
    print("writing", flush=True)
    time.sleep(60)
os.fsync = slow_fsync
sys.exit(main(["growth", "-o", sys.argv[1]]))
"""


def _default_signals() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")],
)
def test_signal_during_write_removes_the_temporary_file(
    tmp_path: Path, signum: int, code: int, message: str
) -> None:
    out = tmp_path / "growth.txt"
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITE, str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        # As from a terminal: a job started in the background of a non-interactive shell (as
        # CI may run us) inherits SIGINT ignored, and Python then installs no Ctrl-C handler.
        preexec_fn=_default_signals,
    )
    assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # mid-write
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert err == f"kaesong-geo: {message}\n"
    assert list(tmp_path.iterdir()) == []


def test_tilde_in_paths_is_the_home_folder(tmp_path: Path, data_dir: Path) -> None:
    home = data_dir.parent
    r = run_process(
        "growth", "--data-dir=~/data", "--format", "json", "--output", "~/g.json",
        env={"HOME": str(home)},
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads((home / "g.json").read_text())["data_dir"] == str(data_dir)


def _five_epochs(root: Path) -> None:
    from shapely.geometry import box

    from .common import LAT0, LON0

    for k, label in enumerate(["2005-06", "2007-06", "2009-06", "2011-06", "2012-06"]):
        write_geojson(
            root / "boundaries" / f"{label}.geojson",
            feature(box(LON0, LAT0, LON0 + 0.004 + 0.002 * k, LAT0 + 0.01)),
        )


def test_missing_scipy_is_one_clear_line(
    cli, empty_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _five_epochs(empty_data_dir)
    assert cli("growth", "--data-dir", str(empty_data_dir)).code == 0  # scipy installed: p-values
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.stats", None)
    r = cli("growth", "--data-dir", str(empty_data_dir))
    assert r.code == 1 and r.out == ""
    assert r.err == (
        "kaesong-geo: error: computing p-values needs the Python package 'scipy', which is "
        "not installed (pip install scipy)\n"
    )


@pytest.mark.filterwarnings("default::kaesong_geo.errors.GeometryRepairedWarning")
def test_markdown_escapes_a_footprint_name(cli, empty_data_dir: Path) -> None:
    from .common import BOWTIE, MALICIOUS

    write_geojson(
        empty_data_dir / "boundaries" / "2011-03.geojson", feature(BOWTIE, name=MALICIOUS + "|x")
    )
    r = cli("growth", "--data-dir", str(empty_data_dir), "--format", "markdown")
    assert r.code == 0, r.err
    assert MALICIOUS not in r.out and "<img" not in r.out
    assert "feature 1 (&lt;img src=x onerror=alert(1)&gt;\\|x) was invalid" in r.out


@pytest.mark.filterwarnings("default::kaesong_geo.errors.GeometryRepairedWarning")
def test_terminal_output_strips_escape_sequences(cli, empty_data_dir: Path) -> None:
    from .common import BOWTIE

    name = "\x1b]0;pwned\x07\x1b[2J\x1b[31mred\rname\x08\x9b1m"
    write_geojson(empty_data_dir / "boundaries" / "2011-03.geojson", feature(BOWTIE, name=name))
    r = cli("growth", "--data-dir", str(empty_data_dir))
    assert r.code == 0, r.err
    for text in (r.out, r.err):
        assert not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in text)
    assert "feature 1 (redname) was invalid" in " ".join(r.out.split())
    assert "feature 1 (redname) was invalid" in r.err


def _twelve_epochs(root: Path) -> None:
    """Twelve day-precision epochs (the longest labels), two methods, long uncertainties."""
    from shapely.geometry import box

    from .common import LAT0, LON0

    for k in range(12):
        a = box(LON0, LAT0, LON0 + 0.004 + 0.001 * k, LAT0 + 0.01)
        b = box(LON0 + 0.02, LAT0, LON0 + 0.021 + 0.0005 * k, LAT0 + 0.01)
        write_geojson(
            root / "boundaries" / f"{2004 + k}-{1 + k % 9:02d}-{20 + k % 9}.geojson",
            feature(a, method="traced", uncertainty_m=1500, estimated=True),
            feature(b, method="extracted", uncertainty_m=12000),
        )


def test_terminal_table_fits_100_columns(cli, empty_data_dir: Path) -> None:
    bundled = cli("growth")
    assert max(len(line) for line in bundled.out.splitlines()) <= 100
    _twelve_epochs(empty_data_dir)
    r = cli("growth", "--data-dir", str(empty_data_dir))
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    # 2013-01-20 lies between the last count before the 2013 shutdown and the first after it:
    # unavailable, so 11 epochs remain; enough for p-values, whose lines must fit too.
    assert "n = 11 epochs" in r.out and "p = " in r.out
    wide = cli("growth", "--data-dir", str(empty_data_dir), "--wide")
    assert max(len(line) for line in wide.out.splitlines()) > 100
    assert "workers/ha" in wide.out and "workers/ha" not in r.out.split("NOTES")[0]
    assert cli("growth", "--wide", "--format", "json").code == 2


def test_one_epoch_is_singular(cli) -> None:
    r = cli("growth", "--epochs", "2009-09")
    assert "n = 1 epoch; DESCRIPTIVE ONLY" in r.out and "n = 1 epochs" not in r.out


@pytest.mark.filterwarnings("default::kaesong_geo.errors.GeometryRepairedWarning")
def test_validate_and_growth_agree_on_a_repaired_geometry(cli, empty_data_dir: Path) -> None:
    """One set of checks: a repair warns in validate as in growth; --strict fails on it."""
    from .common import BOWTIE

    write_geojson(
        empty_data_dir / "boundaries" / "2011-03.geojson",
        feature(BOWTIE, method="traced", source="test", uncertainty_m=10),
    )
    r = cli("validate", "--data-dir", str(empty_data_dir))
    assert r.code == 0, r.out + r.err
    assert "warning: " in r.out and "repaired with make_valid" in r.out
    assert "0 errors, 1 warning" in r.out and "1 epoch (2011-03), 1 footprint" in r.out
    strict = cli("validate", "--data-dir", str(empty_data_dir), "--strict")
    assert strict.code == 1 and "FAILED" in strict.out
    growth = cli("growth", "--data-dir", str(empty_data_dir))
    assert growth.code == 0 and "kaesong-geo: warning: " in growth.err
    assert "repaired with make_valid" in growth.err


@pytest.mark.parametrize("command", ["growth", "map", "chart", "report"])
def test_output_inside_the_data_dir_is_refused(cli, data_dir: Path, command: str) -> None:
    """No command writes into its data: an -o there would break every later command."""
    before = tree_digest(data_dir)
    name = "x.png" if command == "chart" else "x.txt"
    for target in (data_dir / "boundaries" / name, data_dir / name):
        r = cli(command, "--data-dir", str(data_dir), "-o", str(target))
        assert r.code == 2, r.err
        assert r.err.startswith(f"kaesong-geo: error: {target}: is inside the data directory ")
    assert tree_digest(data_dir) == before


def test_output_beside_the_data_dir_is_fine(cli, data_dir: Path) -> None:
    target = data_dir.parent / "data-report.json"  # a sibling whose name starts alike
    r = cli("growth", "--data-dir", str(data_dir), "--format", "json", "-o", str(target))
    assert r.code == 0 and target.is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["growth", "--data-dir="], "argument --data-dir: is empty: give a path"),
        (["map", "-o", ""], "argument -o/--output: is empty: give a path"),
        (["init", "x", "--site", " ", "--lon", "1", "--lat", "1"], "--site is empty"),
    ],
)
def test_empty_arguments_are_usage_errors(cli, tmp_path, monkeypatch, args, message) -> None:
    monkeypatch.chdir(tmp_path)
    r = cli(*args)
    assert r.code == 2 and message in r.err and "Traceback" not in r.err
    assert list(tmp_path.iterdir()) == []


def test_a_second_folder_without_its_option_gets_a_hint(cli, tmp_path) -> None:
    r = cli("map", "--data-dir", str(tmp_path), "other-folder", "-o", str(tmp_path / "m.html"))
    assert r.code == 2
    assert r.err.splitlines()[-1] == (
        "kaesong-geo: error: unrecognized arguments: other-folder (for several data directories "
        "repeat the option: --data-dir A --data-dir B)"
    )
    assert not (tmp_path / "m.html").exists()
    r = cli("growth", "--bogus")
    assert (
        r.code == 2
        and r.err.splitlines()[-1] == "kaesong-geo: error: unrecognized arguments: --bogus"
    )
