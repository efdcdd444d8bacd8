"""The HTML report from its Jinja2 templates: autoescaped, the map's srcdoc intact, one site or
several side by side."""

from __future__ import annotations

import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kaesong_geo.columns import COMPARISON_COLUMNS, shown
from kaesong_geo.errors import UsageError
from kaesong_geo.io.sitefile import read_site
from kaesong_geo.maps import assets
from kaesong_geo.maps.htmlreport import make_report

from .common import BOX, MALICIOUS, feature, write_geojson
from .conftest import tree_digest
from .test_columns import html_headers
from .test_compare_sites import DURBAN, FOOTPRINTS, LAT, LON
from .test_maps import config_of


class _Frames(HTMLParser):
    """The srcdoc (unescaped by the parser, as a browser does) and title of each iframe."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, str | None]] = []
        self.headings: list[tuple[str, str]] = []
        self._heading: str | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "iframe":
            self.frames.append(dict(attrs))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading = tag
            self.headings.append((tag, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == self._heading:
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading:
            tag, text = self.headings[-1]
            self.headings[-1] = (tag, text + data)


def frames(html: str) -> _Frames:
    parser = _Frames()
    parser.feed(html)
    return parser


def test_srcdoc_holds_the_whole_map_and_no_markup_from_the_data(empty_data_dir: Path) -> None:
    write_geojson(
        empty_data_dir / "boundaries" / "2011-03.geojson",
        feature(BOX, name=MALICIOUS, note=MALICIOUS, source=MALICIOUS, **{"class": MALICIOUS}),
    )
    html = make_report(empty_data_dir)
    assert MALICIOUS not in html
    [frame] = frames(html).frames
    srcdoc = frame["srcdoc"] or ""
    assert srcdoc.startswith("<!DOCTYPE html>") and srcdoc.rstrip().endswith("</html>")
    assert MALICIOUS not in srcdoc  # in the map itself, only as \u003c-escaped JSON
    config = config_of(srcdoc)
    props = config["epochs"][0]["geojson"]["features"][0]["properties"]
    assert props["name"] == MALICIOUS and dict(props["rows"])["Class"] == MALICIOUS
    assert assets.external_references(html) == []


def test_a_hostile_site_name_is_text(data_dir: Path) -> None:
    toml = data_dir / "site.toml"
    text = toml.read_text(encoding="utf-8")
    hostile = '</title><script>alert("x")</script> & Co'
    toml.write_text(
        re.sub(r'^name = ".*"$', f"name = {hostile!r}", text, count=1, flags=re.M),
        encoding="utf-8",
    )
    html = make_report(data_dir)
    assert "<script>alert" not in html and "</title><script>" not in html
    escaped = "&lt;/title&gt;&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co"
    assert f"<title>{escaped}: footprint growth report</title>" in html
    assert f"<h1>{escaped}: footprint growth</h1>" in html
    [frame] = frames(html).frames
    assert frame["title"] == f"Interactive map of the footprints of {hostile}"


def make_durban(target: Path) -> Path:
    """A second site in the southern hemisphere, made with ``init --site`` and footprints."""
    from kaesong_geo.cli import main

    assert main(["init", str(target), "--site", DURBAN, "--lon", str(LON), "--lat", str(LAT)]) == 0
    for label, geoms in FOOTPRINTS.items():
        write_geojson(target / "boundaries" / f"{label}.geojson", *(feature(g) for g in geoms))
    return target


@pytest.fixture
def durban(tmp_path: Path) -> Path:
    return make_durban(tmp_path / "durban")


def test_report_of_two_sites(cli: Any, durban: Path, data_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "two.html"
    r = cli("report", "--data-dir", str(data_dir), "--data-dir", str(durban), "-o", str(out))
    assert r.code == 0, r.err
    html = out.read_text(encoding="utf-8")
    assert assets.external_references(html) == []
    parsed = frames(html)
    # One map of both sites, a layer group each.
    labels = [[e["label"] for e in config_of(f["srcdoc"] or "")["epochs"]] for f in parsed.frames]
    # Labels name each site by its short name: "Kaesong" for the bundled site, the name given
    # to init for Durban (no --short-name).
    expected = [f"Kaesong {e}" for e in ("2004-04", "2006-01", "2009-09")]
    expected += [f"{DURBAN} {e}" for e in ("2015-06", "2018", "2021-03")]
    assert labels == [expected]
    # Each site's head names its UTM zone as the terminal output does.
    words = " ".join(html.split())
    assert words.count("areas geodesic on WGS 84, cross-checked in UTM 52N (EPSG:32652)") == 1
    assert words.count("areas geodesic on WGS 84, cross-checked in UTM 36S (EPSG:32736)") == 1
    assert html.count(f'{DURBAN} is one layer group of the <a href="#map-of-all-sites">') == 1
    # The comparison first, then one section per site with its tables and its chart: four
    # for Kaesong, three for Durban (no counts: no correlation table, one note instead).
    tables = html_headers(html)
    assert len(tables) == 1 + 4 + 3
    assert ["x", "y", "n", "Pearson r", "Spearman rho", "p"] in tables
    assert html.count("<li>No counts (economy/observations.csv): areas only.</li>") == 1
    assert tables[0] == [c.title for c in shown(COMPARISON_COLUMNS, "html")]
    assert tables[0][0] == "site"
    h2 = [text for tag, text in parsed.headings if tag == "h2"]
    assert h2 == [
        "Sites side by side",
        "Map of all sites",
        "Kaesong Industrial Complex: footprint growth",
        f"{DURBAN}: footprint growth",
    ]
    assert html.count('<img class="chart" src="data:image/svg+xml;base64,') == 2
    assert f'<td class="text">{DURBAN}</td>' in html
    assert "total growth" in html and "(compound)" in html


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--epochs", "2004-04"], "--epochs cannot be used with several --data-dir"),
        (["same-name"], "are both the site 'Kaesong Industrial Complex'"),
    ],
)
def test_report_of_several_sites_refuses_bad_usage(
    cli: Any, data_dir: Path, durban: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    second = durban
    if extra == ["same-name"]:
        second = tmp_path / "copy"
        shutil.copytree(data_dir, second)
        extra = []
    out = tmp_path / "r.html"
    before = tree_digest(data_dir), tree_digest(second)
    r = cli(
        "report", "--data-dir", str(data_dir), "--data-dir", str(second), "-o", str(out), *extra
    )
    assert r.code == 2 and message in r.err and "Traceback" not in r.err
    assert r.err.count("\n") == 1
    assert not out.exists() and (tree_digest(data_dir), tree_digest(second)) == before


def test_make_report_of_several_refuses_epochs(data_dir: Path, durban: Path) -> None:
    with pytest.raises(UsageError, match="--epochs cannot be used with several --data-dir"):
        make_report([data_dir, durban], ["2004-04"])
    with pytest.raises(UsageError, match=r"each reads its own site\.toml"):
        make_report([data_dir, durban], site=read_site(durban))
