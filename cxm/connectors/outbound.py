"""The one way CXM makes requests to other systems (webhooks, anything it fetches).

Server-side request forgery is the classic hole of helpdesks with webhooks: a
URL typed by a user makes the server call its own admin port or the cloud
metadata service. Every outbound request goes through ``outbound_request``,
which resolves the host once, refuses any address that is not public (loopback,
private, link-local, the metadata services, shared, reserved) unless the
operator allowed it (``CXM_OUTBOUND_ALLOW``), connects to exactly the address it
checked (no second DNS answer can swap it), and checks every redirect the same
way before following it.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from cxm.errors import CXMError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
REDIRECTS = {301, 302, 303, 307, 308}
MAX_BODY_BYTES = 10 * 1024 * 1024


class OutboundRefused(CXMError):
    code = "outbound_refused"
    status = 422


@dataclass(frozen=True)
class OutboundResponse:
    url: str
    status: int
    headers: dict[str, str]
    body: bytes
    redirects: list[str] = field(default_factory=list)


def _allow_list() -> tuple[list[ipaddress.IPv4Network | ipaddress.IPv6Network], set[str]]:
    networks, hosts = [], set()
    for entry in getattr(settings, "CXM_OUTBOUND_ALLOW", []):
        entry = entry.strip()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.lower().rstrip("."))
    return networks, hosts


def address_refusal(address: IPAddress) -> str | None:
    """Why CXM will not connect to ``address``, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address_refusal(address.ipv4_mapped)
    if address.is_loopback:
        return "a loopback address (this machine)"
    if address.is_link_local:
        return "a link-local address (where cloud metadata services live)"
    if address.is_private:
        return "a private-network address"
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return "not a unicast internet address"
    if not address.is_global:
        return "not a public internet address"
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OutboundRefused(f"cannot resolve '{host}': {exc.strerror}") from None
    addresses: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _checked_target(url: str) -> tuple[str, str, int, IPAddress, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused(f"'{url}' is not an http or https URL")
    if not parts.hostname:
        raise OutboundRefused(f"'{url}' has no host")
    if parts.username or parts.password:
        raise OutboundRefused("URLs with a user name or password in them are refused")
    host = parts.hostname.lower().rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    networks, hosts = _allow_list()
    addresses = _resolve(host, port)
    reasons = []
    for address in addresses:
        refusal = address_refusal(address)
        if refusal is None or host in hosts or any(address in n for n in networks):
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            return parts.scheme, host, port, address, path
        reasons.append(f"{address} is {refusal}")
    raise OutboundRefused(
        f"CXM does not send requests to '{host}': " + "; ".join(reasons) + ". An operator "
        "can allow an on-premise system with CXM_OUTBOUND_ALLOW."
    )


def _send(
    scheme: str,
    host: str,
    port: int,
    address: IPAddress,
    path: str,
    *,
    method: str,
    body: bytes | None,
    headers: dict[str, str],
    timeout: float,
) -> tuple[int, dict[str, str], bytes]:
    sock = socket.create_connection((str(address), port), timeout=timeout)
    try:
        if scheme == "https":
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connection.sock = sock  # already connected, to the address that was checked
        connection.request(method, path, body=body, headers={"Host": host, **headers})
        response = connection.getresponse()
        data = response.read(MAX_BODY_BYTES + 1)
        if len(data) > MAX_BODY_BYTES:
            raise OutboundRefused(f"the answer from '{host}' is larger than 10 MB")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    except (OSError, http.client.HTTPException) as exc:
        raise OutboundRefused(f"the request to '{host}' failed: {exc}") from None
    finally:
        sock.close()


def outbound_request(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    max_redirects: int = 3,
) -> OutboundResponse:
    """Send one request to a public address (or an allowed one), following checked redirects."""
    followed: list[str] = []
    current = url
    while True:
        scheme, host, port, address, path = _checked_target(current)
        status, response_headers, data = _send(
            scheme,
            host,
            port,
            address,
            path,
            method=method,
            body=body,
            headers=headers or {},
            timeout=timeout,
        )
        location = response_headers.get("location")
        if status not in REDIRECTS or not location:
            return OutboundResponse(current, status, response_headers, data, followed)
        if len(followed) >= max_redirects:
            raise OutboundRefused(f"more than {max_redirects} redirects from '{url}'")
        current = urljoin(current, location)
        followed.append(current)
        if status == 303:
            method, body = "GET", None
