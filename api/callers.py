"""Who is calling: the API key (hashed) or the client address, and which proxies may say otherwise.

The caller names a rate-limit bucket (``api/ratelimit.py``) and a share of the in-flight places
(``api/deps.py``). Its address is the socket peer's, except when that peer is one of
``PREUVES_TRUSTED_PROXIES`` (addresses or CIDR networks): then :class:`ForwardedForMiddleware` reads
``X-Forwarded-For`` from the right, skipping the trusted proxies, and the first address that is not
one of them is the client. With no trusted proxy (the default) the header is ignored: a client that
writes its own ``X-Forwarded-For`` is still the one caller it is. ``preuves serve`` turns uvicorn's own
proxy-header handling off (it trusts 127.0.0.1 by default), so this is the only one.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from functools import lru_cache
from typing import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def key_matches(given: str, keys: list[str]) -> bool:
    """Constant-time comparison against every configured key (no early exit reveals which one)."""
    given_bytes = given.encode()
    found = False
    for key in keys:
        found |= hmac.compare_digest(given_bytes, key.encode())
    return found


def key_identity(key: str) -> str:
    # A short digest names the caller in memory; the key itself is never kept nor logged.
    return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]


def presented_keys(scope: Scope) -> list[str]:
    presented = []
    for name, value in scope.get("headers", ()):
        if name == b"x-api-key":
            presented.append(value.decode("latin-1"))
        elif name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                presented.append(credentials.strip())
    return presented


def caller_of(scope: Scope, keys: list[str]) -> tuple[str, str]:
    """``(kind, id)`` of the caller: ``("key", key:<hash>)`` for a valid key, else ``("ip", ip:<addr>)``.

    A wrong key does not name a caller of its own (guessing keys would open fresh buckets): such a
    request counts against its address.
    """
    if keys:
        presented = presented_keys(scope)
        if presented and all(key_matches(p, keys) for p in presented):
            return "key", key_identity(presented[0])
    client = scope.get("client")
    return "ip", "ip:" + (client[0] if client else "unknown")


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("["):  # [v6]:port
        value = value[1:value.find("]")] if "]" in value else value
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    def __init__(self, networks: tuple[Network, ...]) -> None:
        self.networks = networks
        self._trusted = lru_cache(maxsize=4096)(self._compute)

    def __bool__(self) -> bool:
        return bool(self.networks)

    def _compute(self, host: str) -> bool:
        address = _address(host)
        return address is not None and any(address in net for net in self.networks)

    def trusts(self, host: str | None) -> bool:
        return bool(host) and len(host) <= 64 and self._trusted(host)

    def client_of(self, peer: str, forwarded_for: list[str]) -> str:
        """The client behind ``peer``: the rightmost address in the chain that is not a trusted proxy."""
        if not self.trusts(peer):
            return peer
        hops = [hop.strip() for value in forwarded_for for hop in value.split(",")]
        client = peer
        for hop in reversed(hops[-64:]):  # a chain longer than any real one is cut, not walked
            address = _address(hop)
            if address is None:  # garbage written by someone: the last proxy we trust is the caller
                return client
            client = str(address)
            if not self.trusts(client):
                return client
        return client


class ForwardedForMiddleware:
    """Replace ``scope["client"]`` by the address a trusted proxy forwarded (see the module docstring)."""

    def __init__(self, app: ASGIApp, trusted: Iterable[str]) -> None:
        self.app = app
        self.proxies = TrustedProxies(parse_networks(trusted))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.proxies and scope["type"] == "http" and scope.get("client"):
            peer = scope["client"][0]
            values = [v.decode("latin-1") for k, v in scope["headers"] if k == b"x-forwarded-for"]
            if values and self.proxies.trusts(peer):
                # In place: the outer middleware reads the route Starlette records in this same scope.
                scope["client"] = (self.proxies.client_of(peer, values), 0)
        await self.app(scope, receive, send)
