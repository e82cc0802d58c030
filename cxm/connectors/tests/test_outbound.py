"""Outbound requests refuse this machine, private networks and metadata services.

A real HTTP server on the loopback address stands for an internal system: the
helper must never reach it unless the operator allowed it, nor be redirected
from an allowed system to a forbidden one.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from cxm.connectors.outbound import OutboundRefused, address_refusal, outbound_request


class _Handler(BaseHTTPRequestHandler):
    hits: list[str] = []
    redirect_to: str | None = None

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        if self.path.startswith("/redirect") and self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.end_headers()
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def internal_server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"hits": [], "redirect_to": None})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "a loopback address (this machine)"),
        ("::1", "a loopback address (this machine)"),
        ("::ffff:127.0.0.1", "a loopback address (this machine)"),
        ("169.254.169.254", "a link-local address (where cloud metadata services live)"),
        ("fe80::1", "a link-local address (where cloud metadata services live)"),
        ("10.1.2.3", "a private-network address"),
        ("172.16.0.9", "a private-network address"),
        ("192.168.1.1", "a private-network address"),
        ("fd00:ec2::254", "a private-network address"),
        ("0.0.0.0", "a private-network address"),  # noqa: S104 - refused, not bound
        ("100.100.100.200", "not a public internet address"),
        ("224.0.0.1", "not a unicast internet address"),
        ("93.184.215.14", None),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", None),
    ],
)
def test_address_refusal(address: str, reason: str | None) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == reason


def test_the_loopback_server_is_not_reached(
    settings: Any, internal_server: tuple[str, type[_Handler]]
) -> None:
    settings.CXM_OUTBOUND_ALLOW = []
    base, handler = internal_server
    port = base.rsplit(":", 1)[1]

    for url in (base + "/admin", f"http://localhost:{port}/", f"http://[::ffff:127.0.0.1]:{port}/"):
        with pytest.raises(OutboundRefused, match="does not send requests to"):
            outbound_request(url)

    assert handler.hits == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://192.168.0.1:8080/",
        "http://[fd00:ec2::254]/",
    ],
)
def test_private_and_metadata_addresses_are_refused_before_connecting(url: str) -> None:
    with pytest.raises(OutboundRefused, match="does not send requests to"):
        outbound_request(url, timeout=0.5)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "is not an http or https URL"),
        ("gopher://example.org/", "is not an http or https URL"),
        ("http:///nohost", "has no host"),
        ("http://user:secret@example.org/", "user name or password"),
    ],
)
def test_other_schemes_and_credentials_are_refused(url: str, message: str) -> None:
    with pytest.raises(OutboundRefused, match=message):
        outbound_request(url)


def test_an_allowed_on_premise_system_is_reached(
    settings: Any, internal_server: tuple[str, type[_Handler]]
) -> None:
    settings.CXM_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    base, handler = internal_server

    response = outbound_request(base + "/orders?customer=7")

    assert (response.status, response.body) == (200, b'{"ok": true}')
    assert handler.hits == ["/orders?customer=7"]


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "file:///etc"]
)
def test_a_redirect_to_a_forbidden_address_is_not_followed(
    settings: Any, internal_server: tuple[str, type[_Handler]], target: str
) -> None:
    settings.CXM_OUTBOUND_ALLOW = ["127.0.0.1"]
    base, handler = internal_server
    handler.redirect_to = target

    with pytest.raises(OutboundRefused):
        outbound_request(base + "/redirect", timeout=0.5)

    assert handler.hits == ["/redirect"]


def test_allowed_redirects_are_followed_up_to_the_limit(
    settings: Any, internal_server: tuple[str, type[_Handler]]
) -> None:
    settings.CXM_OUTBOUND_ALLOW = ["127.0.0.1"]
    base, handler = internal_server
    handler.redirect_to = base + "/final"

    response = outbound_request(base + "/redirect")
    assert (response.status, response.redirects) == (200, [base + "/final"])

    handler.redirect_to = base + "/redirect-again"
    with pytest.raises(OutboundRefused, match="more than 3 redirects"):
        outbound_request(base + "/redirect")
