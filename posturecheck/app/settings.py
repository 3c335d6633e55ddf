"""App settings from the environment: where results and history live, the upload limit."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from posturecheck.errors import ConfigError
from posturecheck.history import HISTORY_ENV, default_data_home

DATA_DIR_ENV = "POSTURECHECK_DATA_DIR"
MAX_UPLOAD_ENV = "POSTURECHECK_MAX_UPLOAD_MB"
TMP_DIR_ENV = "POSTURECHECK_TMP_DIR"

#: Matches ``server.maxUploadSize`` in ``.streamlit/config.toml``.
DEFAULT_MAX_UPLOAD_MB = 500


@dataclass(frozen=True)
class AppSettings:
    """Where the app keeps things.

    Attributes:
        data_dir: results folders go in ``data_dir / "results"``.
        history_path: the SQLite history database.
        max_upload_mb: largest accepted upload, in megabytes (10^6 bytes, as Streamlit counts).
        tmp_dir: where uploads are staged while analysed (None: the system temp folder).
    """

    data_dir: Path
    history_path: Path
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB
    tmp_dir: Path | None = None

    @property
    def results_dir(self) -> Path:
        return self.data_dir / "results"

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1_000_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppSettings:
        """Read ``POSTURECHECK_DATA_DIR``, ``POSTURECHECK_HISTORY``, ``POSTURECHECK_MAX_UPLOAD_MB``
        and ``POSTURECHECK_TMP_DIR``; unset ones take their defaults.

        Raises:
            ConfigError: the upload limit is not a positive whole number.
        """
        env = os.environ if env is None else env
        data_dir = Path(env[DATA_DIR_ENV]).expanduser() if env.get(DATA_DIR_ENV) else None
        data_dir = data_dir or default_data_home()
        history = env.get(HISTORY_ENV)
        history_path = Path(history).expanduser() if history else data_dir / "history.sqlite3"
        raw_limit = env.get(MAX_UPLOAD_ENV, str(DEFAULT_MAX_UPLOAD_MB))
        try:
            limit = int(raw_limit)
        except ValueError:
            limit = 0
        if limit <= 0:
            raise ConfigError(
                f"{MAX_UPLOAD_ENV}={raw_limit!r}: the upload limit must be a positive whole "
                "number of megabytes, e.g. 500."
            )
        tmp = env.get(TMP_DIR_ENV)
        return cls(
            data_dir=data_dir,
            history_path=history_path,
            max_upload_mb=limit,
            tmp_dir=Path(tmp).expanduser() if tmp else None,
        )
