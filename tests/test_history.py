"""posturecheck.history: WAL, schema migrations, concurrent writers, no half sessions, delete."""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from posturecheck.history import (
    HISTORY_ENV,
    MIGRATIONS,
    SCHEMA_VERSION,
    History,
    HistoryError,
    NewSession,
    default_history_path,
    migrate,
    schema_version,
)


def _session(name: str = "squat.mov", lifter: str | None = "ana", **kw: object) -> NewSession:
    fields: dict[str, object] = {
        "source_name": name,
        "exercise": "squat",
        "view": "side",
        "results_dir": Path("/data/results") / name,
        "lifter": lifter,
        "rep_count": 5,
        "detection_rate": 0.98,
        "finding_counts": {"knee_valgus": 2},
        "key_numbers": {"duration_s": 12.5, "mean_depth_deg": 101.0},
    }
    fields.update(kw)
    return NewSession(**fields)  # type: ignore[arg-type]


def test_new_database_is_wal_and_current(tmp_path: Path) -> None:
    with History(tmp_path / "sub" / "h.sqlite3") as history:
        assert history.journal_mode == "wal"
        assert history.version == SCHEMA_VERSION
        assert history.sessions() == []
        assert history.integrity_ok()


def test_round_trip_list_get_delete(tmp_path: Path) -> None:
    t0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    with History(tmp_path / "h.sqlite3") as history:
        first = history.add(_session("a.mp4"), created_at=t0)
        second = history.add(
            _session("b.mp4", lifter=None, rep_count=None), created_at=t0 + timedelta(days=1)
        )
        history.add(_session("c.mp4", lifter="ben"), created_at=t0 + timedelta(days=2))

        assert [s.source_name for s in history.sessions()] == ["c.mp4", "b.mp4", "a.mp4"]
        assert [s.source_name for s in history.sessions(lifter="ana")] == ["a.mp4"]
        assert history.lifters() == ["ana", "ben"]
        got = history.get(first.id)
        assert got == first
        assert got is not None
        assert got.created_at == t0
        assert got.finding_counts == {"knee_valgus": 2}
        assert got.finding_total == 2
        assert got.key_numbers["mean_depth_deg"] == 101.0
        assert got.results_dir == Path("/data/results/a.mp4")
        assert second.rep_count is None  # unknown stays unknown, never 0
        assert second.lifter is None

        removed = history.delete(first.id)
        assert removed == first
        assert history.get(first.id) is None
        assert history.delete(first.id) is None
        assert len(history.sessions()) == 2


def test_reopen_keeps_sessions(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with History(path) as history:
        saved = history.add(_session())
    with History(path) as history:
        assert history.get(saved.id) == saved


def test_failed_save_leaves_nothing(tmp_path: Path) -> None:
    with History(tmp_path / "h.sqlite3") as history:
        with pytest.raises(HistoryError, match="could not save"):
            history.add(_session(source_name=None))  # NOT NULL violated inside the transaction
        with pytest.raises(ValueError):
            history.add(_session(key_numbers={"bad": float("nan")}))  # refused before writing
        assert history.sessions() == []
        assert history.integrity_ok()


def test_killed_mid_transaction_leaves_no_half_session(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with History(path) as history:
        history.add(_session("kept.mp4"))
    script = f"""
import sys
from posturecheck.history import History
h = History({str(path)!r})
conn = h._conn
conn.execute("BEGIN IMMEDIATE")
conn.execute("INSERT INTO sessions (created_at, source_name, exercise, view, finding_counts, "
             "key_numbers, results_dir) VALUES ('2026-01-01', 'half.mp4', 'squat', 'side', '{{}}', "
             "'{{}}', '/x')")
print("inside", flush=True)
sys.stdin.read()
"""
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "inside"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    with History(path) as history:
        assert [s.source_name for s in history.sessions()] == ["kept.mp4"]
        assert history.integrity_ok()
        history.add(_session("after.mp4"))  # the lock died with the process
        assert len(history.sessions()) == 2


def _write_many(path: str, tag: str, n: int) -> None:
    with History(Path(path), busy_timeout_s=60) as history:
        for i in range(n):
            history.add(_session(f"{tag}-{i}.mp4", lifter=tag))


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"  # both start on a database that does not exist yet
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(str(path), tag, 40)) for tag in ("p1", "p2")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    with History(path) as history:
        assert len(history.sessions(lifter="p1")) == 40
        assert len(history.sessions(lifter="p2")) == 40
        assert history.version == SCHEMA_VERSION
        assert history.integrity_ok()


def test_two_threads_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    errors: list[BaseException] = []

    def work(tag: str) -> None:
        try:
            _write_many(str(path), tag, 25)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in ("t1", "t2", "t3")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with History(path) as history:
        assert len(history.sessions()) == 75


def test_reader_not_blocked_by_open_write(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with History(path) as history:
        history.add(_session("a.mp4"))
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("DELETE FROM sessions")
        with History(path, busy_timeout_s=0.5) as reader:  # WAL: reads see the last commit
            assert [s.source_name for s in reader.sessions()] == ["a.mp4"]
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_migrations_run_in_order_once(tmp_path: Path) -> None:
    calls: list[int] = []

    def step(n: int):  # type: ignore[no-untyped-def]
        def run(conn: sqlite3.Connection) -> None:
            calls.append(n)
            conn.execute(f"CREATE TABLE t{n} (x INTEGER)")

        return run

    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    assert schema_version(conn) == 0
    assert migrate(conn, [step(1)]) == 1
    assert migrate(conn, [step(1), step(2), step(3)]) == 3
    assert migrate(conn, [step(1), step(2), step(3)]) == 3
    assert calls == [1, 2, 3]
    conn.close()


def test_failed_migration_rolls_back(tmp_path: Path) -> None:
    def good(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE a (x INTEGER)")

    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE b (x INTEGER)")
        raise RuntimeError("boom")

    conn = sqlite3.connect(tmp_path / "m.sqlite3", isolation_level=None)
    with pytest.raises(RuntimeError):
        migrate(conn, [good, bad])
    assert schema_version(conn) == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "a" in tables
    assert "b" not in tables
    conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    History(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.close()
    with pytest.raises(HistoryError, match="newer than this posturecheck"):
        History(path)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(HistoryError, match="not a usable history database"):
        History(path)


def test_default_path_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HISTORY_ENV, str(tmp_path / "x.sqlite3"))
    assert default_history_path() == tmp_path / "x.sqlite3"
    monkeypatch.delenv(HISTORY_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_history_path() == tmp_path / "xdg" / "posturecheck" / "history.sqlite3"


class _LockedFor:
    """Stands in for a connection that SQLite answers "database is locked" ``times`` times
    (what a second process opening a new database at the same moment gets, without any
    busy wait)."""

    def __init__(self, times: int) -> None:
        self.left = times

    def execute(self, sql: str) -> Any:
        assert sql == "PRAGMA journal_mode = WAL"
        if self.left > 0:
            self.left -= 1
            raise sqlite3.OperationalError("database is locked")
        return _Row(("wal",))


class _Row:
    def __init__(self, row: tuple[str]) -> None:
        self.row = row

    def fetchone(self) -> tuple[str]:
        return self.row


def test_switching_to_wal_retries_while_another_process_holds_the_database() -> None:
    from posturecheck.history import _wal

    conn = _LockedFor(3)
    assert _wal(conn, timeout_s=5.0) == "wal"  # type: ignore[arg-type]
    assert conn.left == 0
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        _wal(_LockedFor(10**6), timeout_s=0.05)  # type: ignore[arg-type]


def test_a_version_1_database_gains_the_pose_model_and_keeps_its_sessions(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:1]) == 1  # as the previous release left it
    conn.execute(
        "INSERT INTO sessions (created_at, source_name, exercise, view, finding_counts, "
        "key_numbers, results_dir) VALUES ('2026-11-01T10:00:00+00:00', 'old.mp4', 'squat', "
        "'side', '{}', '{}', '/data/results/old')"
    )
    conn.close()
    with History(path) as history:
        assert history.version == SCHEMA_VERSION == 2
        (old,) = history.sessions()
        assert (old.source_name, old.pose_model) == ("old.mp4", "full")
        new = history.add(_session("new.mp4", pose_model="heavy"))
        assert history.get(new.id) == new and new.pose_model == "heavy"
