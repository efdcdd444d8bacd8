"""Workspace transactions: every change applied, or none, whatever fails and wherever it stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaesong_geo.errors import DataError
from kaesong_geo.io import transaction as tx
from kaesong_geo.io.transaction import TXN_DIR, InterruptedWriteUndone, Transaction, recover

from .conftest import tree_digest


def _workspace(root: Path) -> Path:
    (root / "boundaries").mkdir(parents=True)
    (root / "imagery").mkdir()
    (root / "boundaries" / "2004-04.geojson").write_text("old footprint")
    (root / "imagery" / "catalog.csv").write_text("date,file\n2004-04,\n")
    (root / "imagery" / "old.tif").write_bytes(b"\x00" * 1000)
    return root


def _stage(txn: Transaction) -> None:
    txn.write_bytes("boundaries/2013-06.geojson", b"new footprint")
    txn.write_bytes("imagery/catalog.csv", b"date,file\n2004-04,\n2013-06,new.tif\n")
    txn.path_for("imagery/new.tif").write_bytes(b"\x01" * 5000)
    txn.write_bytes("imagery/screens/2013-06-shot.tif", b"\x02" * 10)  # a folder made
    txn.remove("imagery/old.tif")


AFTER = {
    "boundaries/2004-04.geojson": "old footprint",
    "boundaries/2013-06.geojson": "new footprint",
    "imagery/catalog.csv": "date,file\n2004-04,\n2013-06,new.tif\n",
}


def test_commit_applies_every_change(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    with Transaction(ws) as txn:
        _stage(txn)
        txn.commit()
    for rel, text in AFTER.items():
        assert (ws / rel).read_text() == text
    assert (ws / "imagery/new.tif").read_bytes() == b"\x01" * 5000
    assert (ws / "imagery/screens/2013-06-shot.tif").read_bytes() == b"\x02" * 10
    assert not (ws / "imagery/old.tif").exists()
    assert not (ws / TXN_DIR).exists()


def test_view_shows_the_result_before_it_exists(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    before = tree_digest(ws)
    with Transaction(ws) as txn:
        _stage(txn)
        view = txn.view()
        assert (view / "boundaries/2013-06.geojson").read_text() == "new footprint"
        assert (view / "boundaries/2004-04.geojson").read_text() == "old footprint"
        assert not (view / "imagery/old.tif").exists()
        assert {p.relative_to(view).as_posix() for p in view.rglob("*") if p.is_file()} == {
            *AFTER,
            "imagery/new.tif",
            "imagery/screens/2013-06-shot.tif",
        }
        # the workspace itself is untouched while staged (only the hidden folder is new)
        assert {k: v for k, v in tree_digest(ws).items() if not k.startswith(TXN_DIR)} == before
    assert tree_digest(ws) == before  # left without commit


def test_an_exception_before_commit_changes_nothing(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    before = tree_digest(ws)
    with pytest.raises(KeyboardInterrupt), Transaction(ws) as txn:
        _stage(txn)
        raise KeyboardInterrupt
    assert tree_digest(ws) == before


# Every file-system call the commit makes, failed in turn: the workspace stays as it was.
_CALLS = ["link", "replace", "unlink", "mkdir", "chmod", "fsync"]


@pytest.mark.parametrize("call", _CALLS)
@pytest.mark.parametrize("nth", [1, 2, 3, 4, 5])
def test_a_failure_at_any_step_of_commit_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, nth: int
) -> None:
    ws = _workspace(tmp_path / "ws")
    before = tree_digest(ws)
    real = getattr(os, call)
    count = {"n": 0}

    def failing(*args: object, **kwargs: object) -> object:
        count["n"] += 1
        if count["n"] == nth:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    failed = False
    with Transaction(ws) as txn:
        _stage(txn)
        monkeypatch.setattr(os, call, failing)
        try:
            txn.commit()
        except OSError:
            failed = True
        finally:
            monkeypatch.setattr(os, call, real)
    if (ws / TXN_DIR).exists():  # a commit whose clean-up failed: no journal, cleared next time
        assert not failed and not (ws / TXN_DIR / "journal.json").exists()
        recover(ws)
    if failed:
        assert tree_digest(ws) == before
    else:  # the call was not made that often, or its failure was worked around (copy for link)
        assert all((ws / rel).read_text() == text for rel, text in AFTER.items())
        assert not (ws / "imagery/old.tif").exists()


_KILLED = textwrap.dedent(
    """
    import os, signal, sys
    from kaesong_geo.io.transaction import Transaction
    real = os.replace
    calls = {"n": 0}
    def replace(a, b):
        calls["n"] += 1
        if calls["n"] == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(a, b)
    with Transaction(sys.argv[1]) as txn:
        txn.write_bytes("boundaries/2013-06.geojson", b"new footprint")
        txn.write_bytes("imagery/catalog.csv", b"date,file\\n2013-06,new.tif\\n")
        txn.write_bytes("imagery/new.tif", b"x" * 5000)
        txn.remove("imagery/old.tif")
        os.replace = replace
        txn.commit()
    """
)


@pytest.mark.parametrize("nth", [1, 2, 3, 4])
def test_a_killed_writer_is_rolled_back_by_the_next_command(tmp_path: Path, nth: int) -> None:
    """SIGKILL in the middle of the renames (the journal's replace is call 1)."""
    ws = _workspace(tmp_path / "ws")
    before = tree_digest(ws)
    proc = subprocess.run([sys.executable, "-c", _KILLED, str(ws), str(nth)], check=False)
    assert proc.returncode == -signal.SIGKILL
    assert (ws / TXN_DIR).is_dir()  # left behind, half done
    if nth > 1:  # the journal was in place: changes undone, and the user told
        with pytest.warns(InterruptedWriteUndone):
            assert recover(ws) is True
    else:  # killed while writing the journal: nothing had changed
        assert recover(ws) is False
    assert tree_digest(ws) == before


def test_a_second_writer_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\nfrom kaesong_geo.io.transaction import Transaction\n"
            "with Transaction(sys.argv[1]):\n    print('in', flush=True); time.sleep(30)\n",
            str(ws),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "in"
        with pytest.raises(DataError, match="another kaesong-geo command is writing"):
            Transaction(ws).__enter__()
        assert recover(ws) is False  # a reader leaves a running writer alone
        assert (ws / TXN_DIR).is_dir()
    finally:
        holder.send_signal(signal.SIGTERM)  # raised as Terminated: rolled back, folder removed
        holder.wait(timeout=30)
    assert not (ws / TXN_DIR).exists()
    with Transaction(ws) as txn:  # free again
        txn.write_bytes("a.txt", b"a")
        txn.commit()
    assert (ws / "a.txt").read_bytes() == b"a"


def test_a_stale_folder_without_journal_is_just_removed(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    before = tree_digest(ws)
    (ws / TXN_DIR / "new" / "boundaries").mkdir(parents=True)
    (ws / TXN_DIR / "new" / "boundaries" / "x.geojson").write_text("half written")
    with Transaction(ws) as txn:  # the next writer clears it first
        txn.commit()
    assert tree_digest(ws) == before


def test_an_unreadable_journal_is_an_error_naming_what_to_do(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    (ws / TXN_DIR).mkdir()
    (ws / TXN_DIR / "journal.json").write_text("{not json")
    with pytest.raises(DataError, match="journal of an interrupted command"):
        recover(ws)


def test_paths_outside_the_workspace_are_refused(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    with Transaction(ws) as txn:
        for bad in ["../x", "/etc/passwd", f"{TXN_DIR}/journal.json", "a/../../b", ""]:
            with pytest.raises(ValueError):
                txn.path_for(bad)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    writes=st.dictionaries(
        st.sampled_from(["a.txt", "b/c.txt", "b/d/e.txt", "boundaries/2004-04.geojson"]),
        st.binary(max_size=50),
        max_size=4,
    ),
    remove=st.booleans(),
    fail_at=st.integers(min_value=1, max_value=25),
)
def test_all_or_nothing_property(
    tmp_path_factory: pytest.TempPathFactory, writes: dict[str, bytes], remove: bool, fail_at: int
) -> None:
    """Whatever is staged and wherever the commit fails: all of it, or the workspace as it was."""
    ws = _workspace(tmp_path_factory.mktemp("ws"))
    before = tree_digest(ws)
    calls = {"n": 0}
    real = {name: getattr(os, name) for name in ("replace", "unlink", "link")}

    def wrap(name: str):  # type: ignore[no-untyped-def]
        def inner(*args: object, **kwargs: object) -> object:
            calls["n"] += 1
            if calls["n"] == fail_at:
                raise OSError(5, "Input/output error")
            return real[name](*args, **kwargs)

        return inner

    failed = False
    with Transaction(ws) as txn:
        for rel, data in writes.items():
            txn.write_bytes(rel, data)
        if remove:
            txn.remove("imagery/old.tif")
        for name in real:
            setattr(tx.os, name, wrap(name))
        try:
            txn.commit()
        except OSError:
            failed = True
        finally:
            for name, fn in real.items():
                setattr(tx.os, name, fn)
    after = tree_digest(ws)
    if failed:
        assert after == before
    else:
        expected = dict(before)
        import hashlib

        for rel, data in writes.items():
            expected[rel] = hashlib.sha256(data).hexdigest()
        if remove:
            del expected["imagery/old.tif"]
        assert after == expected
