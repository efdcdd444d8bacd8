"""Writing outputs: atomic, exclusive, never through a device or FIFO, clean on failure.

And rendering: Markdown escaped, terminal text stripped of control characters, JSON strict.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaesong_geo.errors import DataError, OutputExistsError, UsageError
from kaesong_geo.io import output
from kaesong_geo.io.output import OutputError, write_bytes, write_text
from kaesong_geo.render import markdown_escape, render_report, terminal_safe


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def umask_027():
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_new_file_gets_the_umask_mode(tmp_path: Path, umask_027: None) -> None:
    target = tmp_path / "out.json"
    write_text(target, "{}\n")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # 0o666 & ~0o027


def test_replaced_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")
    target.chmod(0o600)
    write_text(target, "new\n", overwrite=True)
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_fifo_is_refused_even_with_overwrite(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UsageError, match=r"pipe: is a FIFO \(named pipe\), not a regular file"):
        write_text(fifo, "x", overwrite=True)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert leftovers(tmp_path) == []


def test_symlink_to_device_is_refused_and_kept(tmp_path: Path) -> None:
    link = tmp_path / "null.json"
    link.symlink_to("/dev/null")
    with pytest.raises(UsageError, match="is a symbolic link to a character device"):
        write_text(link, "x", overwrite=True)
    assert os.readlink(link) == "/dev/null"
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_directory_and_dangling_link_are_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="output path is a directory"):
        write_text(tmp_path, "x", overwrite=True)
    dangling = tmp_path / "gone.json"
    dangling.symlink_to(tmp_path / "nowhere" / "x.json")
    with pytest.raises(UsageError, match="symbolic link to a missing file"):
        write_text(dangling, "x", overwrite=True)


def test_an_output_folder_that_is_not_a_folder_is_named_as_what_it_is(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("kept")
    os.mkfifo(tmp_path / "pipe")
    for parent, what in [("notes.txt", "is a file, not a folder"), ("pipe", "is not a folder"),
                         ("missing", "does not exist")]:  # fmt: skip
        target = tmp_path / parent / "map.html"
        with pytest.raises(UsageError) as caught:
            write_text(target, "x")
        assert str(caught.value) == f"{target}: output folder {str(tmp_path / parent)!r} {what}"
    assert (tmp_path / "notes.txt").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "pipe"]


def test_symlink_to_regular_file_replaces_the_target(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("old\n")
    real.chmod(0o640)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    with pytest.raises(OutputExistsError):
        write_text(link, "new\n")
    write_text(link, "new\n", overwrite=True)
    assert link.is_symlink() and real.read_text() == "new\n"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert leftovers(tmp_path) == []


def test_disk_full_is_one_error_and_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError) as info:
        write_text(target, "new\n", overwrite=True)
    assert str(info.value) == f"{target}: cannot write the output: No space left on device"
    assert info.value.exit_code == 1
    assert target.read_text() == "old\n"
    assert leftovers(tmp_path) == []


def test_read_only_folder_is_one_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The tests run as root, for whom no folder is read-only: the refusal is simulated where
    # the operating system would give it.
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(tmp_path))

    monkeypatch.setattr(output.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError) as info:
        write_text(tmp_path / "out.json", "x")
    assert str(info.value) == (
        f"{tmp_path / 'out.json'}: cannot write the output: Permission denied ({tmp_path})"
    )
    assert list(tmp_path.iterdir()) == []


def test_without_hard_links_creation_stays_exclusive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: Any, dst: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")  # what FAT and some FUSE say

    monkeypatch.setattr(os, "link", no_links)
    target = tmp_path / "out.json"
    write_text(target, "first\n")
    assert target.read_text() == "first\n"
    monkeypatch.setattr(output, "check_output_path", lambda p, o=False: Path(p))
    with pytest.raises(OutputExistsError):
        write_text(target, "second\n")
    assert target.read_text() == "first\n" and leftovers(tmp_path) == []


def test_concurrent_writers_exactly_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    n = 8
    payloads = [bytes([65 + k]) * 200_000 for k in range(n)]
    barrier = threading.Barrier(n)
    results: list[str] = [""] * n

    def writer(k: int) -> None:
        barrier.wait()
        try:
            write_bytes(target, payloads[k])
            results[k] = "ok"
        except OutputExistsError:
            results[k] = "exists"

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1 and results.count("exists") == n - 1
    assert target.read_bytes() == payloads[results.index("ok")]
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- rendering


class _Report:
    """A stand-in for GrowthReport: the renderer needs only ``to_dict``."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return self.data


@pytest.mark.parametrize("fmt", ["json", "markdown", "table", "csv"])
@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")])
def test_non_finite_number_is_a_data_error_in_every_format(fmt: str, bad: float) -> None:
    from kaesong_geo.report import growth_report

    data = growth_report().to_dict()
    data["epochs"][1]["area_uncertainty_m2"] = bad
    with pytest.raises(DataError, match=r"non-finite number .* at epochs\[1\]\.area_uncertainty"):
        render_report(_Report(data), fmt)  # type: ignore[arg-type]


@given(st.text())
def test_markdown_escape_leaves_no_html_or_table_syntax(text: str) -> None:
    out = markdown_escape(text)
    assert "<" not in out and ">" not in out and "\n" not in out
    # every | [ ] * _ ` is escaped, and every & starts an entity
    for k, ch in enumerate(out):
        if ch in "|[]*_`":
            assert out[k - 1] == "\\"
    assert out.count("&") == out.count("&amp;") + out.count("&lt;") + out.count("&gt;")


@given(st.text())
def test_terminal_safe_leaves_no_control_character(text: str) -> None:
    out = terminal_safe(text)
    assert all(ch == "\n" or (ord(ch) >= 32 and not 0x7F <= ord(ch) <= 0x9F) for ch in out)
    assert "\n" not in terminal_safe(text, one_line=True)
