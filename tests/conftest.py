from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

from kaesong_geo.cli import main
from kaesong_geo.io.datadir import bundled_data_dir

REPO = Path(__file__).resolve().parents[1]

# CI runs the same examples every time (a red CI must mean a real regression); a developer's
# run explores new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _no_env_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see a KAESONG_GEO_DATA from the developer's shell."""
    monkeypatch.delenv("KAESONG_GEO_DATA", raising=False)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A writable copy of the bundled data directory."""
    target = tmp_path / "data"
    shutil.copytree(bundled_data_dir(), target)
    return target


@pytest.fixture
def empty_data_dir(tmp_path: Path) -> Path:
    """A data directory with the bundled observations but no footprints yet."""
    target = tmp_path / "mydata"
    (target / "boundaries").mkdir(parents=True)
    shutil.copytree(bundled_data_dir() / "economy", target / "economy")
    return target


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):
    """Run the CLI in-process: cli("growth", "--format", "json") -> CliResult."""

    def run(*args: str) -> CliResult:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors and --help/--version
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def kaesong_geo_command(*args: str) -> list[str]:
    """The console script of the interpreter running the tests (not whichever is on PATH:
    ``.venv/bin/python -m pytest`` in a venv that is not activated must test that venv)."""
    exe = Path(sys.executable).parent / "kaesong-geo"
    return [str(exe), *args] if exe.is_file() else [sys.executable, "-m", "kaesong_geo.cli", *args]


def run_process(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed console script as a real process."""
    cmd = kaesong_geo_command(*args)
    full_env = {k: v for k, v in os.environ.items() if k != "KAESONG_GEO_DATA"}
    full_env.update(env or {})
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120)


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under root, to prove a failed command changed nothing."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
