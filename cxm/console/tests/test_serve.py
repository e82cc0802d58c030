"""``cxm serve`` runs the real production server (gunicorn) with static files."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from cxm.conftest import cxm_executable


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers.get("Content-Type", "")


@pytest.mark.django_db(transaction=True)
def test_serve_answers_console_api_and_static_files(subprocess_env: dict[str, str]) -> None:
    port = _free_port()
    server = subprocess.Popen(
        [cxm_executable(), "serve", "--port", str(port), "--workers", "1", "--no-migrate"],
        env=subprocess_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, body, _ = _get(f"{base}/login/")
                break
            except (urllib.error.URLError, ConnectionError):
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"cxm serve did not come up:\n{output}")
                time.sleep(0.2)
        assert status == 200
        assert b"Sign in to CXM" in body

        status, body, content_type = _get(f"{base}/static/cxm/console.css")
        assert status == 200
        assert content_type.startswith("text/css")
        assert b".timeline" in body

        status, body, _ = _get(f"{base}/api/v1/openapi.json")
        assert status == 200
        assert b'"/api/v1/interactions/bulk"' in body

        status, _, _ = _get(f"{base}/customers/")
        assert status == 200  # urllib followed the redirect to the login page
    finally:
        server.terminate()
        server.wait(timeout=20)
