"""GCP files as QGIS's Georeferencer and a spreadsheet write them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyproj import CRS, Transformer

from kaesong_geo.errors import DataError
from kaesong_geo.gcp import GCP, fit_gcps
from kaesong_geo.io.gcpfile import QGIS_HEADER, read_gcps

# Four corners and a centre of a 1,000 × 800 screenshot of Kaesong, as (column, row, lon, lat).
TRUTH = [
    (0.0, 0.0, 126.620, 37.940),
    (1000.0, 0.0, 126.632, 37.940),
    (0.0, 800.0, 126.620, 37.932),
    (1000.0, 800.0, 126.632, 37.932),
    (500.0, 400.0, 126.626, 37.936),
]


def write_points(path: Path, crs: CRS | None, rows: list[str]) -> Path:
    """A .points file as QGIS 3 saves it: #CRS line (WKT), header, sourceY negated."""
    head = [f"#CRS: {crs.to_wkt()}"] if crs is not None else []
    path.write_text("\n".join([*head, ",".join(QGIS_HEADER), *rows]) + "\n", encoding="utf-8")
    return path


def test_qgis_points_in_utm_are_read_in_wgs84(tmp_path: Path) -> None:
    utm = CRS.from_epsg(32652)
    to_utm = Transformer.from_crs(4326, utm, always_xy=True)
    rows = []
    for col, row, lon, lat in TRUTH:
        x, y = to_utm.transform(lon, lat)
        rows.append(f"{x!r},{y!r},{col!r},{-row!r},1,0.1,-0.2,0.22")
    rows.append("300000.0,4200000.0,10,-10,0,0,0,0")  # disabled: skipped
    gcps = read_gcps(write_points(tmp_path / "shot.png.points", utm, rows))
    assert [(g.px, g.py) for g in gcps] == [(c, r) for c, r, _, _ in TRUTH]
    for g, (_, _, lon, lat) in zip(gcps, TRUTH, strict=True):
        assert g.lon == pytest.approx(lon, abs=1e-9) and g.lat == pytest.approx(lat, abs=1e-9)
    assert fit_gcps(gcps, "poly1").rmse_m < 0.5


def test_qgis_points_without_crs_and_a_csv_give_the_same_points(tmp_path: Path) -> None:
    rows = [f"{lon},{lat},{col},{-row},1,0,0,0" for col, row, lon, lat in TRUTH]
    from_qgis = read_gcps(write_points(tmp_path / "a.points", None, rows))
    csv_path = tmp_path / "gcps.csv"
    csv_path.write_text(
        "\ufeffpixel_x,pixel_y,lon,lat\r\n"
        + "".join(f"{c},{r},{lon},{lat}\r\n" for c, r, lon, lat in TRUTH),
        encoding="utf-8",
    )
    assert read_gcps(csv_path) == from_qgis == [GCP(c, r, lon, lat) for c, r, lon, lat in TRUTH]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty; expected the header mapX,mapY"),
        ("x,y,lon,lat\n1,2,3,4\n", "has the header 'x,y,lon,lat'; expected a QGIS"),
        (",".join(QGIS_HEADER) + "\n126.6,37.9,10,-10,0,0,0,0\n", "has no enabled ground control"),
        (
            ",".join(QGIS_HEADER) + "\n126.6,37.9,ten,-10,1,0,0,0\n",
            "line 2: sourceX is not a number",
        ),
        (
            ",".join(QGIS_HEADER) + "\n126.6,37.9,10,-10,yes,0,0,0\n",
            "line 2: enable must be 0 or 1",
        ),
        (
            ",".join(QGIS_HEADER) + "\n300000,4200000,10,-10,1,0,0,0\n",
            "line 2: 300000, 4.2e+06 is not a longitude and latitude (no #CRS line",
        ),
        (
            ",".join(QGIS_HEADER) + "\n126.6,37.9,10,10,1,0,0,0\n",
            "line 2: pixel 10, -10 lies outside",
        ),
        ("#CRS: not a crs\n" + ",".join(QGIS_HEADER) + "\n", "#CRS is not a coordinate reference"),
        ("pixel_x,pixel_y,lon,lat\n1,2,nan,4\n", "line 2: lon is not finite"),
        ("pixel_x,pixel_y,lon,lat\n17\n", "line 2: 1 cell, fewer than the header's"),
        ("pixel_x,pixel_y,lon,lat\n1,2\n", "line 2: 2 cells, fewer than the header's"),
    ],
)
def test_bad_gcp_files_name_file_line_and_problem(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "shot.points"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(message)) as info:
        read_gcps(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
