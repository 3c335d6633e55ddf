"""Analysis history: one SQLite row per finished analysis, safe for several writers.

Pure Python ``sqlite3``. The database runs in WAL mode (readers never block the writer) with a
busy timeout, so two analyses finishing at once both get saved. Every write is one
transaction: a session row appears whole, or not at all. The schema carries a version and is
brought up to date by :func:`migrate` when the database is opened.

Where the database lives: ``POSTURECHECK_HISTORY`` if set, otherwise
``$XDG_DATA_HOME/posturecheck/history.sqlite3`` (``~/.local/share/...`` by default).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from posturecheck.errors import PostureCheckError

log = logging.getLogger(__name__)

HISTORY_ENV = "POSTURECHECK_HISTORY"
DEFAULT_BUSY_TIMEOUT_S = 30.0

Migration = Callable[[sqlite3.Connection], None]


class HistoryError(PostureCheckError):
    """The history database cannot be opened, read or written."""


def default_data_home() -> Path:
    """``$XDG_DATA_HOME/posturecheck`` (``~/.local/share/posturecheck`` when unset)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "posturecheck"


def default_history_path() -> Path:
    """The database path: ``$POSTURECHECK_HISTORY`` or ``<data home>/history.sqlite3``."""
    env = os.environ.get(HISTORY_ENV)
    return Path(env).expanduser() if env else default_data_home() / "history.sqlite3"


def _v1_sessions(conn: sqlite3.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at TEXT NOT NULL,
            lifter TEXT,
            source_name TEXT NOT NULL,
            exercise TEXT NOT NULL,
            view TEXT NOT NULL,
            rep_count INTEGER,
            detection_rate REAL,
            finding_counts TEXT NOT NULL,
            key_numbers TEXT NOT NULL,
            results_dir TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX sessions_lifter_time ON sessions (lifter, created_at)")


def _v2_pose_model(conn: sqlite3.Connection) -> None:
    # Sessions saved before the app offered a choice were all analysed with "full".
    conn.execute("ALTER TABLE sessions ADD COLUMN pose_model TEXT NOT NULL DEFAULT 'full'")


#: Schema steps in order: ``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``.
MIGRATIONS: tuple[Migration, ...] = (_v1_sessions, _v2_pose_model)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's schema version (0 for a new, empty database)."""
    row = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if row is None:
        return 0
    found = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(found[0]) if found else 0


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the schema up to ``len(migrations)``, one transaction per step; return the version.

    The connection must be in autocommit mode (``isolation_level=None``). A step that fails
    rolls back completely and leaves the database at the previous version.

    Raises:
        HistoryError: the database was written by a newer posturecheck.
    """
    target = len(migrations)
    current = schema_version(conn)
    if current == target:
        return current
    with _write(conn):
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        if conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 0:
            conn.execute("INSERT INTO schema_version (version) VALUES (0)")
    while schema_version(conn) < target:
        with _write(conn):
            # Re-read under the write lock: another process may have migrated meanwhile.
            current = schema_version(conn)
            if current >= target:
                break
            log.info("history: migrating schema %d -> %d", current, current + 1)
            migrations[current](conn)
            conn.execute("UPDATE schema_version SET version = ?", (current + 1,))
    current = schema_version(conn)
    if current > target:
        raise HistoryError(
            f"the history database has schema version {current}, newer than this posturecheck "
            f"understands ({target}). Update posturecheck, or point {HISTORY_ENV} elsewhere."
        )
    return current


@contextmanager
def _write(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: ``BEGIN IMMEDIATE`` (waits on the busy timeout), commit or undo."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@dataclass(frozen=True)
class NewSession:
    """What is saved about one finished analysis (display values only; no user paths)."""

    source_name: str
    exercise: str
    view: str
    results_dir: Path
    lifter: str | None = None
    rep_count: int | None = None
    detection_rate: float | None = None
    finding_counts: dict[str, int] = field(default_factory=dict)
    key_numbers: dict[str, Any] = field(default_factory=dict)
    #: The pose model variant the analysis ran (``full``, ``heavy``, ``lite``).
    pose_model: str = "full"


@dataclass(frozen=True)
class Session(NewSession):
    """A saved session: a :class:`NewSession` with its id and creation time (UTC)."""

    id: int = 0
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def finding_total(self) -> int:
        return sum(self.finding_counts.values())


_COLUMNS = (
    "id, created_at, lifter, source_name, exercise, view, rep_count, detection_rate, "
    "finding_counts, key_numbers, results_dir, pose_model"
)


def _row_to_session(row: sqlite3.Row) -> Session:
    return Session(
        id=int(row["id"]),
        created_at=datetime.fromisoformat(row["created_at"]),
        lifter=row["lifter"],
        source_name=row["source_name"],
        exercise=row["exercise"],
        view=row["view"],
        rep_count=row["rep_count"],
        detection_rate=row["detection_rate"],
        finding_counts=json.loads(row["finding_counts"]),
        key_numbers=json.loads(row["key_numbers"]),
        results_dir=Path(row["results_dir"]),
        pose_model=row["pose_model"],
    )


def _wal(conn: sqlite3.Connection, timeout_s: float) -> str:
    """Switch to write-ahead logging; returns the journal mode in force.

    Changing the journal mode needs the database to itself, and SQLite answers "database is
    locked" at once (no busy wait) while another connection holds it, e.g. a second process
    opening a new database at the same moment: so retry until ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    delay = 0.01
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


class History:
    """The sessions database. Open with ``History(path)``; use as a context manager or close().

    Args:
        path: the SQLite file (its folder is created); default :func:`default_history_path`.
        busy_timeout_s: how long a writer waits for another writer before giving up.
    """

    def __init__(
        self, path: Path | None = None, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
    ) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise HistoryError(f"{self.path}: cannot open the history database ({exc}).") from exc
        conn.row_factory = sqlite3.Row
        self._conn = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            mode = _wal(conn, busy_timeout_s)
            if str(mode).lower() != "wal":
                log.warning("history: %s could not switch to WAL (mode %s)", self.path, mode)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise HistoryError(
                f"{self.path}: is not a usable history database ({exc}). Move it aside and "
                "posturecheck will start a new one."
            ) from exc
        except BaseException:
            conn.close()
            raise

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    @property
    def journal_mode(self) -> str:
        return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()

    @property
    def version(self) -> int:
        return schema_version(self._conn)

    def add(self, session: NewSession, *, created_at: datetime | None = None) -> Session:
        """Save one finished analysis in a single transaction and return it with its id."""
        created = created_at or datetime.now(UTC)
        values = (
            created.isoformat(),
            session.lifter or None,
            session.source_name,
            session.exercise,
            session.view,
            session.rep_count,
            session.detection_rate,
            json.dumps(session.finding_counts, sort_keys=True),
            json.dumps(session.key_numbers, sort_keys=True, allow_nan=False),
            str(session.results_dir),
            session.pose_model,
        )
        try:
            with _write(self._conn):
                cursor = self._conn.execute(
                    "INSERT INTO sessions (created_at, lifter, source_name, exercise, view, "
                    "rep_count, detection_rate, finding_counts, key_numbers, results_dir, "
                    "pose_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    values,
                )
                new_id = cursor.lastrowid
        except sqlite3.Error as exc:
            raise HistoryError(f"{self.path}: could not save the session ({exc}).") from exc
        assert new_id is not None
        saved = self.get(new_id)
        assert saved is not None
        return saved

    def get(self, session_id: int) -> Session | None:
        """One session by id, or None."""
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
        ).fetchone()
        return _row_to_session(row) if row is not None else None

    def sessions(self, *, lifter: str | None = None, limit: int | None = None) -> list[Session]:
        """Sessions newest first, optionally one lifter's only."""
        sql = f"SELECT {_COLUMNS} FROM sessions"
        params: list[Any] = []
        if lifter is not None:
            sql += " WHERE lifter = ?"
            params.append(lifter)
        sql += " ORDER BY created_at DESC, id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_row_to_session(r) for r in self._conn.execute(sql, params).fetchall()]

    def lifters(self) -> list[str]:
        """Every lifter name that has a session, sorted."""
        rows = self._conn.execute(
            "SELECT DISTINCT lifter FROM sessions WHERE lifter IS NOT NULL ORDER BY lifter"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def delete(self, session_id: int) -> Session | None:
        """Remove one session row (not its files) and return what was removed, or None."""
        try:
            with _write(self._conn):
                row = self._conn.execute(
                    f"SELECT {_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
                ).fetchone()
                if row is None:
                    return None
                self._conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        except sqlite3.Error as exc:
            raise HistoryError(
                f"{self.path}: could not delete session {session_id} ({exc})."
            ) from exc
        return _row_to_session(row)

    def integrity_ok(self) -> bool:
        """SQLite's own ``PRAGMA integrity_check`` passes."""
        return bool(self._conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok")
