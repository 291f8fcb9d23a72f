"""The benchmark's own throwaway database: create it, point Django at it, drop it."""

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", ""}


@dataclass(frozen=True)
class Target:
    vendor: str  # "postgresql" or "sqlite"
    url: str  # DATABASE_URL for Django
    name: str
    admin_url: str = ""  # PostgreSQL: where CREATE/DROP DATABASE run
    path: Path | None = None  # SQLite file


def postgres_target(server_url: str, name: str) -> Target:
    host = urlsplit(server_url).hostname or ""
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"Benchmarks only talk to this machine; refusing host {host!r}.")
    base = server_url.rstrip("/")
    return Target(vendor="postgresql", url=f"{base}/{name}", name=name, admin_url=f"{base}/postgres")


def sqlite_target(directory: Path, name: str) -> Target:
    path = directory / f"{name}.sqlite3"
    return Target(vendor="sqlite", url=f"sqlite:///{path}", name=name, path=path)


def create(target: Target) -> None:
    """Create an empty database, dropping a leftover one of the same name."""
    if target.vendor == "sqlite":
        _remove_sqlite(target)
        return
    with psycopg.connect(target.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target.name)))


def drop(target: Target) -> None:
    if target.vendor == "sqlite":
        _remove_sqlite(target)
        return
    with psycopg.connect(target.admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.name)))


def _remove_sqlite(target: Target) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{target.path}{suffix}").unlink(missing_ok=True)


def use(target: Target) -> None:
    """Point Django (this process and the gunicorn it starts) at the target; call before django.setup()."""
    os.environ["DATABASE_URL"] = target.url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
