"""A throw-away PostgreSQL server for one benchmark run.

The server refuses to run as root, so as root it runs as the ``postgres`` user.
It listens on 127.0.0.1 on a free port with trust authentication and is removed
with its data directory when the context ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

PG_BIN = Path(os.environ.get("CXM_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_server(*, database: str = "bench") -> Iterator[str]:
    """Start a server, create ``database``, yield its URL; stop and delete on exit."""
    root = Path(tempfile.mkdtemp(prefix="cxm-bench-pg-"))
    as_owner: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_owner = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    port = _free_port()
    pg_ctl = [*as_owner, str(PG_BIN / "pg_ctl"), "-D", str(data)]
    started = False
    try:
        try:
            subprocess.run(
                [*as_owner, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres",
                 "-A", "trust", "-E", "UTF8", "--no-sync"],
                check=True, capture_output=True,
            )  # fmt: skip
            started = True
            subprocess.run(
                [*pg_ctl, "-l", str(log), "-w", "-o", f"-p {port} -h 127.0.0.1 -k {root}", "start"],
                check=True,
                capture_output=True,
            )
        except subprocess.CalledProcessError as exc:
            detail = (exc.stderr or b"").decode(errors="replace")
            if log.exists():
                detail += log.read_text(errors="replace")
            raise RuntimeError(f"PostgreSQL failed to start: {detail}") from exc
        with psycopg.connect(
            f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{database}"')
        yield f"postgres://postgres@127.0.0.1:{port}/{database}"
    finally:
        if started:
            # Also after a failed start: pg_ctl -w may give up on a server that then comes up.
            subprocess.run([*pg_ctl, "-m", "fast", "-w", "stop"], capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
