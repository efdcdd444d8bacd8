"""The wheel carries the data, a plain install works from anywhere, and the CLI starts light.

These tests run the same inside a virtual environment and outside one: the test venv does not
rely on ``system_site_packages`` (inside a venv that would be the base interpreter's, without
shapely), it sees the running interpreter's own site-packages through a ``.pth`` file.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import venv
import zipfile
from email.parser import Parser
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
        "kaesong_geo/maps/templates/report.html",
        "kaesong_geo/maps/templates/macros.html",
        "kaesong_geo/maps/templates/report.css",
        "kaesong_geo/schemas/growth-v1.schema.json",
    ):
        assert expected in names


def test_wheel_requires_scipy(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        [meta] = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
        requires = Parser().parsestr(z.read(meta).decode()).get_all("Requires-Dist") or []
    plain = [r for r in requires if "extra ==" not in r]
    assert any(r.startswith("scipy") for r in plain), plain


def _outer_site_dirs() -> list[str]:
    """Where the running interpreter finds its third-party packages (venv or not)."""
    dirs = [*site.getsitepackages(), sysconfig.get_paths()["purelib"]]
    dirs.append(sysconfig.get_paths()["platlib"])
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dict.fromkeys(dirs) if Path(d).is_dir()]


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would put the checkout on the path."""
    drop = {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "KAESONG_GEO_DATA"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra)
    return env


def _venv_with_wheel(env_dir: Path, wheel: Path) -> Path:
    """A fresh venv holding the wheel, whose dependencies come from the running interpreter."""
    venv.create(env_dir, system_site_packages=False, with_pip=True)
    py = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        env=_clean_env(),
    ).stdout.strip()
    # Plain path lines: appended after the venv's own site-packages, so the wheel's kaesong_geo
    # comes first, and the outer editable install's .pth is not processed.
    (Path(purelib) / "_outer_site.pth").write_text("\n".join(_outer_site_dirs()) + "\n")
    subprocess.run(
        [py, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
        env=_clean_env(),
    )
    return env_dir / "bin" / "kaesong-geo"


def test_plain_install_uses_bundled_data(wheel: Path, tmp_path: Path) -> None:
    exe = _venv_with_wheel(tmp_path / "venv", wheel)
    env_dir = tmp_path / "venv"
    r = subprocess.run(
        [exe, "growth", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env=_clean_env(),
    )
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert Path(data["data_dir"]).parts[-2:] == ("kaesong_geo", "_data")
    assert str(env_dir) in data["data_dir"]
    assert [e["epoch"] for e in data["epochs"]] == ["2004-04", "2006-01", "2009-09"]
    # The wheel's JSON Schema loads from the installed package and validates its own output.
    code = (
        "import json, sys, jsonschema, kaesong_geo.schema as s; schema = s.json_schema(); "
        "jsonschema.Draft202012Validator(schema).validate(json.load(sys.stdin)); "
        "print(s.__file__); print(schema['$id'])"
    )
    v = subprocess.run(
        [env_dir / "bin" / "python", "-c", code],
        input=r.stdout,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env=_clean_env(),
    )
    assert v.returncode == 0, v.stderr
    module_file, schema_id = v.stdout.splitlines()
    assert str(env_dir) in module_file
    assert schema_id == "urn:kaesong-geo:schema:growth:v1"
    # The wheel's own npm assets make a self-contained map, without the checkout.
    env = _clean_env(KAESONG_GEO_WEB_ASSETS=str(tmp_path / "nowhere"))
    out = tmp_path / "offline.html"
    m = subprocess.run(
        [exe, "map", "--self-contained", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env=env,
    )
    assert m.returncode == 0, m.stderr
    assert "/* leaflet@1.9.4 */" in out.read_text()
    # The report's templates load from the installed package.
    report = tmp_path / "report.html"
    rep = subprocess.run(
        [exe, "report", "-o", str(report)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=180,
        env=env,
    )
    assert rep.returncode == 0, rep.stderr
    text = report.read_text()
    assert text.count("<table>") == 4 and "td.wrap" in text and "srcdoc=" in text


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


def test_wheel_without_npm_assets_fails_to_build(tmp_path: Path) -> None:
    """A checkout without node_modules, on a machine without npm: the build says why."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("src", "data"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "hatch_build.py", "README.md", "package.json"):
        shutil.copy2(REPO / name, src / name)
    shutil.copy2(REPO / "package-lock.json", src / "package-lock.json")
    bin_dir = tmp_path / "bin"  # PATH holds python and nothing else: no npm, no node
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(sys.executable)
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "out")]
    env = _clean_env(PATH=str(bin_dir))
    env.pop("KAESONG_GEO_ALLOW_NO_WEB_ASSETS", None)
    r = subprocess.run([*cmd, str(src)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode != 0
    output = " ".join((r.stdout + r.stderr).split())
    assert "the wheel needs the npm browser assets" in output
    assert "npm is not installed (install Node.js with npm)" in output
    assert "KAESONG_GEO_ALLOW_NO_WEB_ASSETS=1" in output
    assert not list((tmp_path / "out").glob("*.whl"))
    # Asked for explicitly, the wheel is built, without the assets.
    env["KAESONG_GEO_ALLOW_NO_WEB_ASSETS"] = "1"
    r = subprocess.run([*cmd, str(src)], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr
    [whl] = (tmp_path / "out").glob("kaesong_geo-*.whl")
    names = zipfile.ZipFile(whl).namelist()
    assert "kaesong_geo/_data/boundaries/2009-09.geojson" in names
    assert not [n for n in names if n.startswith("kaesong_geo/_web/")]
