"""``kaesong-geo init``: writable workspaces, refused targets, and nothing left on failure."""

from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path

import pytest

from kaesong_geo.io.datadir import bundled_data_dir
from kaesong_geo.io.sitefile import read_site
from kaesong_geo.io.workspace import make_workspace

from .conftest import tree_digest


def test_init_copies_the_bundled_data_writable(cli, tmp_path: Path) -> None:
    target = tmp_path / "kaesong-data"
    r = cli("init", str(target))
    assert r.code == 0, r.err
    assert r.out.startswith(f"made {target}: a copy of the bundled Kaesong data\n")
    assert tree_digest(target) == tree_digest(bundled_data_dir())
    assert "site.toml" in tree_digest(target)
    for path in target.rglob("*"):
        assert path.stat().st_mode & stat.S_IWUSR, path
    assert read_site(target).name == "Kaesong Industrial Complex"
    r = cli("validate", "--data-dir", str(target), "--strict")
    assert r.code == 0 and r.out.startswith("ok: "), r.out
    assert os.listdir(tmp_path) == ["kaesong-data"]  # no temporary folder left


def test_init_other_site_makes_an_empty_workspace(cli, tmp_path: Path) -> None:
    target = tmp_path / "durban"
    r = cli(
        "init", str(target), "--site", "Durban test zone", "--lon", "31.03", "--lat", "-29.86",
        "--radius-km", "15",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "an empty workspace for Durban test zone (UTM 36S, EPSG:32736)" in r.out
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "boundaries",
        "imagery",
        "imagery/catalog.csv",
        "site.toml",
    ]
    assert (target / "imagery" / "catalog.csv").read_text() == (
        "date,provider,resolution_m,redistributable,file,source,note,id,uncertainty_m\n"
    )
    site = read_site(target)
    assert (site.name, site.lon, site.lat, site.radius_km, site.utm_epsg) == (
        "Durban test zone",
        31.03,
        -29.86,
        15.0,
        32736,
    )
    r = cli("validate", "--data-dir", str(target))
    assert r.code == 1
    assert r.out.splitlines() == [
        f"error: {target / 'boundaries'}: holds no footprint files yet: add one per imagery "
        "epoch, e.g. boundaries/2020-06.geojson (README: 'Use your own footprints')",
        f"FAILED: {target}: 0 epochs, 0 footprints, 0 observations, 0 images; 1 error, 0 warnings",
    ]


def test_init_short_name(cli, tmp_path: Path) -> None:
    """--short-name goes into site.toml (quoted as TOML); without it, the short name is NAME."""
    target = tmp_path / "rason"
    r = cli(
        "init", str(target), "--site", "Rason Economic Zone", "--short-name", ' Ra"son ',
        "--lon", "130.3", "--lat", "42.3",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert 'short_name = "Ra\\"son"\n' in (target / "site.toml").read_text(encoding="utf-8")
    site = read_site(target)
    assert (site.name, site.short_name) == ("Rason Economic Zone", 'Ra"son')
    r = cli("init", str(tmp_path / "plain"), "--site", "Plain zone", "--lon", "0", "--lat", "0")
    assert r.code == 0, r.err
    assert read_site(tmp_path / "plain").short_name == "Plain zone"


def test_init_into_an_empty_folder(cli, tmp_path: Path) -> None:
    target = tmp_path / "ws"
    target.mkdir()
    r = cli("init", str(target))
    assert r.code == 0, r.err
    assert (target / "site.toml").is_file()
    assert os.listdir(tmp_path) == ["ws"]


def test_init_refuses_a_non_empty_folder(cli, tmp_path: Path) -> None:
    target = tmp_path / "ws"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    before = tree_digest(tmp_path)
    r = cli("init", str(target))
    assert r.code == 2
    assert r.err == (
        f"kaesong-geo: error: {target}: is not empty; init makes a new workspace and never "
        "writes into existing files\n"
    )
    assert tree_digest(tmp_path) == before and os.listdir(tmp_path) == ["ws"]


def test_init_refuses_a_file_and_a_missing_parent(cli, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    r = cli("init", str(tmp_path / "file"))
    assert r.code == 2 and "exists and is not a folder" in r.err
    r = cli("init", str(tmp_path / "no" / "ws"))
    assert r.code == 2
    assert f"the folder '{tmp_path / 'no'}' does not exist; create it first" in r.err
    r = cli("init", str(tmp_path / "file" / "ws"))
    assert r.code == 2 and f"the folder '{tmp_path / 'file'}' is a file, not a folder" in r.err
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    r = cli("init", str(tmp_path / "link"))
    assert r.code == 2 and f"is a link (to '{tmp_path / 'empty'}'); give the folder itself" in r.err
    assert sorted(os.listdir(tmp_path)) == ["empty", "file", "link"]
    assert os.listdir(tmp_path / "empty") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--site", "Z", "--lon", "181", "--lat", "0"], "lon must be a finite number in -180..180"),
        (["--site", "Z", "--lon", "0", "--lat", "-90.1"], "lat must be a finite number in -90..90"),
        (["--site", "Z", "--lon", "nan", "--lat", "0"], "lon must be a finite number"),
        (["--site", "Z", "--lon", "0", "--lat", "inf"], "lat must be a finite number"),
        (["--site", "Z", "--lon", "0", "--lat", "0", "--radius-km", "0"], "--radius-km must be"),
        (["--site", "Z", "--lon", "0", "--lat", "0", "--radius-km", "1e9"], "at most 500, got"),
        (["--site", "Z", "--lon", "0", "--lat", "85"], "--lat 85 is beyond the UTM grid"),
        (["--site", "Z", "--lon", "200", "--lat", "10"], "--lon must be a finite number in"),
        (["--site", "Z", "--lon", "0"], "--site needs --lon and --lat"),
        (["--site", " ", "--lon", "0", "--lat", "0"], "--site is empty"),
        (["--lon", "0", "--lat", "0"], "--lon describes another site: give --site NAME"),
        (["--short-name", "K"], "--short-name describes another site: give --site NAME"),
        (["--radius-km", "5"], "--radius-km describes another site: give --site NAME"),
        (["--site", "Z", "--short-name", " ", "--lon", "0", "--lat", "0"], "--short-name is empty"),
        (["--site", "Z", "--lon", "east", "--lat", "0"], "argument --lon: invalid float value"),
    ],
)
def test_init_bad_site_is_usage_error(cli, tmp_path: Path, args: list[str], message: str) -> None:
    r = cli("init", str(tmp_path / "ws"), *args)
    assert r.code == 2
    assert message in r.err
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("after", [0, 2, 5])
def test_failure_mid_copy_leaves_nothing(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    real_copy2 = shutil.copy2
    copied: list[str] = []

    def failing_copy2(src: str, dst: str, **kwargs: bool) -> object:
        if len(copied) >= after:
            raise OSError(errno.ENOSPC, "No space left on device")
        copied.append(str(src))
        return real_copy2(src, dst, **kwargs)

    monkeypatch.setattr(shutil, "copy2", failing_copy2)
    target = tmp_path / "ws"
    r = cli("init", str(target))
    assert len(copied) == after
    assert r.code == 1
    assert r.err == (
        f"kaesong-geo: error: {target}: cannot make the workspace: No space left on device; "
        "nothing was left behind\n"
    )
    assert os.listdir(tmp_path) == []


def test_interrupt_mid_copy_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(src: str, dst: str, **kwargs: bool) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(shutil, "copy2", interrupted)
    with pytest.raises(KeyboardInterrupt):
        make_workspace(tmp_path / "ws")
    assert os.listdir(tmp_path) == []


def test_folder_filled_during_init_is_not_touched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone writes into the empty target while the workspace is built: the rename fails."""
    target = tmp_path / "ws"
    target.mkdir()
    real_copy2 = shutil.copy2

    def racing_copy2(src: str, dst: str, **kwargs: bool) -> object:
        if not (target / "theirs.txt").exists():
            (target / "theirs.txt").write_text("theirs")
        return real_copy2(src, dst, **kwargs)

    monkeypatch.setattr(shutil, "copy2", racing_copy2)
    from kaesong_geo.errors import UsageError

    with pytest.raises(UsageError, match="was created or filled while the workspace was being"):
        make_workspace(target)
    assert os.listdir(tmp_path) == ["ws"]
    assert os.listdir(target) == ["theirs.txt"]
