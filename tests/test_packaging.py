"""The wheel carries the data, a plain install works from anywhere, and the CLI starts light."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [whl] = out.glob("kaesong_geo-*.whl")
    return whl


def test_wheel_contains_data_and_type_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "kaesong_geo/py.typed",
        "kaesong_geo/_data/boundaries/2004-04.geojson",
        "kaesong_geo/_data/boundaries/2009-09.geojson",
        "kaesong_geo/_data/economy/observations.csv",
        "kaesong_geo/_data/imagery/catalog.csv",
        "kaesong_geo/_web/leaflet/dist/leaflet.js",
        "kaesong_geo/_web/leaflet/dist/images/layers.png",
        "kaesong_geo/_web/leaflet-measure/dist/assets/rulers.png",
        "kaesong_geo/_web/leaflet.fullscreen/package.json",
        "kaesong_geo/maps/static/kaesong-map.js",
    ):
        assert expected in names


def test_plain_install_uses_bundled_data(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run(
        [py, "-m", "pip", "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    r = subprocess.run(
        [env_dir / "bin" / "kaesong-geo", "growth", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert Path(data["data_dir"]).parts[-2:] == ("kaesong_geo", "_data")
    assert str(env_dir) in data["data_dir"]
    assert [e["epoch"] for e in data["epochs"]] == ["2004-04", "2006-01", "2009-09"]
    # The wheel's own npm assets make a self-contained map, without the checkout.
    env = {"PATH": os.environ["PATH"], "KAESONG_GEO_WEB_ASSETS": str(tmp_path / "nowhere")}
    out = tmp_path / "offline.html"
    m = subprocess.run(
        [env_dir / "bin" / "kaesong-geo", "map", "--self-contained", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env=env,
    )
    assert m.returncode == 0, m.stderr
    assert "/* leaflet@1.9.4 */" in out.read_text()


def test_cli_start_up_imports_no_heavy_module() -> None:
    code = (
        "import sys, kaesong_geo.cli; "
        "heavy = ('geopandas', 'pandas', 'shapely', 'pyproj', 'pyogrio', 'numpy', 'scipy'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(heavy)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"


def test_every_public_name_resolves() -> None:
    import kaesong_geo

    for name in kaesong_geo.__all__:
        assert getattr(kaesong_geo, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        kaesong_geo.nope  # noqa: B018
