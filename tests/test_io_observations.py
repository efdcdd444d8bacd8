from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kaesong_geo.errors import DataError
from kaesong_geo.io.observations import COLUMNS, inspect_observations, load_observations

HEADER = ",".join(COLUMNS)
GOOD = "workers,2010,2010-12-31,46284,persons,reported,etoday,"


def write(data_dir: Path, *lines: str, header: str = HEADER) -> Path:
    (data_dir / "economy").mkdir(parents=True, exist_ok=True)
    path = data_dir / "economy" / "observations.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_good_row(tmp_path: Path) -> None:
    write(tmp_path, GOOD, "production_usd,2011-03,,34720000,USD,reported,Yonhap,")
    obs = load_observations(tmp_path)
    assert obs[0].value == 46284 and obs[1].as_of.isoformat() == "2011-03-31"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "workers,2010,2010-12-31,lots,persons,reported,etoday,",
            "line 2: value 'lots' is not a number",
        ),
        ("workers,2010,2010-12-31,-5,persons,reported,etoday,", "line 2: value -5 is negative"),
        ("robots,2010,2010-12-31,5,count,reported,etoday,", "line 2: unknown indicator 'robots'"),
        (
            "workers,2010,2010-12-31,5,USD,reported,etoday,",
            "line 2: unit 'USD' does not fit workers",
        ),
        ("workers,2010,2010-12-31,5,persons,rumoured,etoday,", "line 2: unknown status 'rumoured'"),
        ("workers,2010,2010-12-31,5,persons,reported,,", "line 2: has no source"),
        ("workers,2010-13,,5,persons,reported,x,", "line 2: period '2010-13' has no month 13"),
        (
            "workers,2010,31/12/2010,5,persons,reported,x,",
            "line 2: as_of '31/12/2010' is not a YYYY-MM-DD date",
        ),
    ],
)
def test_bad_rows_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, line)
    with pytest.raises(
        DataError, match=f"^{path}: {message}".replace("(", r"\(").replace(")", r"\)")
    ):
        load_observations(tmp_path)


def test_unknown_and_missing_columns(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + ",x", header=HEADER.replace(",note", ",remark") + ",colour")
    with pytest.raises(
        DataError, match=r"unknown columns 'remark', 'colour'; missing column 'note'"
    ):
        load_observations(tmp_path)
    assert path.exists()


def test_duplicates_are_reported_and_all_problems_listed(tmp_path: Path) -> None:
    write(tmp_path, GOOD, GOOD, "workers,2010,2010-12-31,x,persons,reported,etoday,")
    _, problems = inspect_observations(tmp_path)
    assert [p.message for p in problems] == [
        "line 3: duplicate of line 2 (workers, 2010, as of 2010-12-31)",
        "line 4: value 'x' is not a number",
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"observations\.csv: is missing"):
        load_observations(tmp_path)


def test_excel_utf8_bom_is_read(tmp_path: Path) -> None:
    # Excel's "CSV UTF-8" puts EF BB BF before the header; the first column must still be found.
    path = write(tmp_path, GOOD)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    observations, problems = inspect_observations(tmp_path)
    assert problems == []
    assert [(o.indicator, o.value) for o in observations] == [("workers", 46284.0)]


def test_an_unquoted_comma_is_refused_not_cut(cli: Any, tmp_path: Path) -> None:
    """A source typed as 'Yonhap, KBS' without quotes made one cell too many: it was dropped."""
    import shutil

    from kaesong_geo.io.datadir import bundled_data_dir

    from .conftest import tree_digest

    data = tmp_path / "data"
    shutil.copytree(bundled_data_dir(), data)
    path = data / "economy" / "observations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[1].split(",")
    cells[-2] = "Yonhap, KBS"  # the source column, unquoted
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = tree_digest(data)
    r = cli("validate", "--data-dir", str(data))
    assert r.code == 1
    expected = (
        f"error: {path}: line 2: {len(COLUMNS) + 1} cells where the header has {len(COLUMNS)}; "
        "a value that holds a comma must be in double quotes"
    )
    assert expected in r.out.splitlines()
    r = cli("growth", "--data-dir", str(data))
    assert r.code == 1 and "line 2: " in r.err and r.err.count("\n") == 1
    assert tree_digest(data) == before


def test_semicolon_separated_csv_says_so(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace(",", ";"), header=HEADER.replace(",", ";"))
    observations, problems = inspect_observations(tmp_path)
    assert observations == []
    assert [p.message for p in problems] == [
        f"is separated by semicolons; save it as comma-separated CSV (columns {', '.join(COLUMNS)})"
    ]
