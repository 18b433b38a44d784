"""One typed settings object. Every setting has an environment name, a default and a help line.

``docs/settings.md`` lists them all; a test fails when a setting is not documented there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_DATA_DIR = Path("var")


def _setting(env: str, default: Any, help: str) -> Any:
    return field(default=default, metadata={"env": env, "help": help})


@dataclass(frozen=True)
class Settings:
    database_url: str = _setting(
        "XINYONG_DATABASE_URL",
        "",
        "SQLAlchemy URL of the store; empty means SQLite at <data_dir>/xinyong.db.",
    )
    data_dir: Path = _setting(
        "XINYONG_DATA_DIR", DEFAULT_DATA_DIR, "Directory for the SQLite file, keys and uploads."
    )
    catalog_dir: str = _setting(
        "XINYONG_CATALOG_DIR", "", "Directory of catalog YAML files; empty means the built-in catalog."
    )
    host: str = _setting("XINYONG_HOST", "127.0.0.1", "Address the web server binds to.")
    port: int = _setting("XINYONG_PORT", 8000, "Port the web server listens on.")
    default_language: str = _setting(
        "XINYONG_LANGUAGE", "zh", "Portal language when the visitor chose none (zh or en)."
    )
    sqlite_busy_timeout_ms: int = _setting(
        "XINYONG_SQLITE_BUSY_TIMEOUT_MS", 30000, "How long a SQLite writer waits for the write lock."
    )
    operator_token: str = _setting(
        "XINYONG_OPERATOR_TOKEN",
        "",
        "Token for operator pages and API until accounts exist; empty disables them.",
    )
    max_upload_mb: int = _setting(
        "XINYONG_MAX_UPLOAD_MB", 2048, "Largest file a source unit may upload, in MiB."
    )
    rate_limit_per_minute: int = _setting(
        "XINYONG_RATE_LIMIT_PER_MINUTE",
        60,
        "Public searches and profiles one client may open a minute (0 = no limit).",
    )
    rate_limit_burst: int = _setting("XINYONG_RATE_LIMIT_BURST", 20, "Requests a client may make at once.")
    today: str = _setting(
        "XINYONG_TODAY",
        "",
        "Fixed date (YYYY-MM-DD) for the platform's clock in demos and tests; empty = today in China.",
    )
    demo_subjects: int = _setting(
        "XINYONG_DEMO_SUBJECTS", 20000, "Subjects in the synthetic city made by `make demo`."
    )
    demo_records: int = _setting(
        "XINYONG_DEMO_RECORDS", 200000, "Records in the synthetic city made by `make demo`."
    )
    demo_seed: int = _setting("XINYONG_DEMO_SEED", 1, "Seed of the synthetic city made by `make demo`.")
    public_url: str = _setting(
        "XINYONG_PUBLIC_URL",
        "http://127.0.0.1:8000",
        "Public base URL of the portal, printed on credit reports as their verification address.",
    )
    notify_sender: str = _setting(
        "XINYONG_NOTIFY_SENDER", "log", "How remedy notices are sent: log, file or smtp."
    )
    notify_file: str = _setting(
        "XINYONG_NOTIFY_FILE", "", "File the file sender appends to; empty means <data_dir>/notices.jsonl."
    )
    notify_email: str = _setting("XINYONG_NOTIFY_EMAIL", "", "E-mail address of the operators for notices.")
    smtp_host: str = _setting("XINYONG_SMTP_HOST", "", "SMTP server for e-mail notices.")
    smtp_port: int = _setting("XINYONG_SMTP_PORT", 25, "Port of the SMTP server.")
    smtp_from: str = _setting("XINYONG_SMTP_FROM", "xinyong@localhost", "Sender address of e-mail notices.")
    jobs_interval_s: int = _setting(
        "XINYONG_JOBS_INTERVAL_S",
        3600,
        "Seconds between the server's runs of the daily jobs (list expiry …); 0 turns the scheduler off.",
    )
    db_pool_size: int = _setting(
        "XINYONG_DB_POOL_SIZE",
        20,
        "Database connections each server process keeps open (its thread pool runs at most this many"
        " requests at once, less 3).",
    )
    db_max_overflow: int = _setting(
        "XINYONG_DB_MAX_OVERFLOW", 20, "Extra connections a server process may open under load."
    )
    workers: int = _setting(
        "XINYONG_WORKERS", 1, "Server processes started by `xinyong serve` (2 on a 2-core machine)."
    )

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'xinyong.db').as_posix()}"

    @property
    def catalog_path(self) -> Path | None:
        return Path(self.catalog_dir) if self.catalog_dir else None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            name = f.metadata["env"]
            if name in env and env[name] != "":
                values[f.name] = _convert(f.default, env[name])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _convert(default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, Path):
        return Path(raw)
    return raw


def describe() -> list[tuple[str, str, Any, str]]:
    """(field, env name, default, help) of every setting, for docs and `xinyong settings`."""
    return [(f.name, f.metadata["env"], f.default, f.metadata["help"]) for f in fields(Settings)]
