r"""Read the data directory's CSV tables: one reader for their shared rules.

Every table (``economy/observations.csv``, ``economy/events.csv``, ``imagery/catalog.csv``)
is UTF-8, with or without the byte-order mark that Excel writes, with a header naming exactly
its columns (in any order) and one record per row. Problems are one line naming the file.

Examples
--------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = path.write_bytes("\ufeffb,a\r\n2,1\r\n".encode("utf-8"))
>>> read_table(path, ("a", "b"))
([({'b': '2', 'a': '1'}, 2)], None)
>>> _ = path.write_text("")
>>> read_table(path, ("a", "b"))[1]
'is empty; expected a header with the columns a, b'
>>> _ = path.write_text("a,c\n")
>>> read_table(path, ("a", "b"))[1]
"unknown column 'c'; missing column 'b' (expected a, b)"
>>> _ = path.write_text("a,b\n1,2\n", encoding="utf-16")
>>> read_table(path, ("a", "b"))[1]
"is not UTF-8 text (it is UTF-16, Excel's 'Unicode Text'): save it as 'CSV UTF-8'"
>>> _ = path.write_text("a;b\n1;2\n")
>>> read_table(path, ("a", "b"))[1]
'is separated by semicolons; save it as comma-separated CSV (columns a, b)'
>>> _ = path.write_text("a,b\n1,Yonhap, KBS\n")
>>> read_table(path, ("a", "b"))[1]
'line 2: 3 cells where the header has 2; a value that holds a comma must be in double quotes'
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Hashable, Sequence
from pathlib import Path
from typing import TypeVar

__all__ = ["Row", "one_of", "parse_rows", "read_table", "required"]

_S = TypeVar("_S", bound=str)
_T = TypeVar("_T")

#: A row as a dict of stripped column names to raw values, with its line number in the file.
Row = tuple[dict[str, str], int]


def read_table(path: Path, columns: Sequence[str]) -> tuple[list[Row], str | None]:
    """Read a CSV table whose header must name exactly ``columns``.

    Returns
    -------
    rows : list of (dict, int)
        Each row's values by column (missing cells as ``""``) and its line number.
    problem : str or None
        What is wrong with the file as a whole (then ``rows`` is empty).
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            if not header:
                return [], f"is empty; expected a header with the columns {', '.join(columns)}"
            if len(header) == 1 and ";" in header[0]:  # Excel in a comma-decimal locale
                return [], (
                    "is separated by semicolons; save it as comma-separated CSV (columns "
                    f"{', '.join(columns)})"
                )
            unknown = [h for h in header if h not in columns]
            missing = [c for c in columns if c not in header]
            if unknown or missing:
                parts = [
                    f"{word} column{'s' if len(names) > 1 else ''} {', '.join(map(repr, names))}"
                    for word, names in (("unknown", unknown), ("missing", missing))
                    if names
                ]
                return [], f"{'; '.join(parts)} (expected {', '.join(columns)})"
            rows = []
            for r in reader:
                extra = r.get(None)
                if extra is not None:  # more cells than the header: one would be lost
                    cells = len(header) + len(extra)
                    return [], (
                        f"line {reader.line_num}: {cells} cells where the header has "
                        f"{len(header)}; a value that holds a comma must be in double quotes"
                    )
                rows.append(({k.strip(): (v or "") for k, v in r.items() if k}, reader.line_num))
    except UnicodeDecodeError as exc:
        utf16 = exc.object[:2] in (b"\xff\xfe", b"\xfe\xff")
        return [], (
            "is not UTF-8 text"
            + (" (it is UTF-16, Excel's 'Unicode Text')" if utf16 else "")
            + ": save it as 'CSV UTF-8'"
        )
    except (OSError, csv.Error) as exc:
        return [], f"cannot read: {exc}"
    return rows, None


def one_of(row: dict[str, str], column: str, allowed: Sequence[_S]) -> _S:
    """The stripped value of ``column``, which must be one of ``allowed``.

    Raises
    ------
    ValueError
        Naming the value and the choices.

    Examples
    --------
    >>> one_of({"status": " reported "}, "status", ("reported", "derived"))
    'reported'
    >>> one_of({"status": "sure"}, "status", ("reported", "derived"))
    Traceback (most recent call last):
    ...
    ValueError: unknown status 'sure' (expected reported, derived)
    """
    value = row[column].strip()
    for choice in allowed:  # the choice itself, so that a Literal type carries through
        if choice == value:
            return choice
    raise ValueError(f"unknown {column} {value!r} (expected {', '.join(allowed)})")


def required(row: dict[str, str], column: str, hint: str = "") -> str:
    """The stripped value of ``column``, which may not be empty.

    Examples
    --------
    >>> required({"source": ""}, "source")
    Traceback (most recent call last):
    ...
    ValueError: has no source
    """
    value = row[column].strip()
    if not value:
        raise ValueError(f"has no {column}{f' ({hint})' if hint else ''}")
    return value


def parse_rows(
    rows: list[Row],
    parse: Callable[[dict[str, str]], _T],
    key: Callable[[_T], Hashable],
    describe: Callable[[_T], str],
) -> tuple[list[tuple[_T, int]], list[str]]:
    """Parse each row, and refuse a row whose ``key`` an earlier row already had.

    Returns
    -------
    parsed : list of (item, line)
        The rows that passed, with their line numbers, in file order.
    problems : list of str
        ``line N: <why>`` for each row that did not parse (its ``ValueError``) or repeats one.

    Examples
    --------
    >>> rows = [({"v": "1"}, 2), ({"v": "x"}, 3), ({"v": "1"}, 4)]
    >>> parsed, problems = parse_rows(rows, lambda r: int(r["v"]), key=lambda v: v, describe=str)
    >>> parsed, problems[1]
    ([(1, 2)], 'line 4: duplicate of line 2 (1)')
    >>> problems[0].startswith("line 3: invalid literal for int()")
    True
    """
    parsed: list[tuple[_T, int]] = []
    problems: list[str] = []
    seen: dict[Hashable, int] = {}
    for row, line in rows:
        try:
            item = parse(row)
        except ValueError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        k = key(item)
        if k in seen:
            problems.append(f"line {line}: duplicate of line {seen[k]} ({describe(item)})")
            continue
        seen[k] = line
        parsed.append((item, line))
    return parsed, problems
