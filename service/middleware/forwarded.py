"""The client address behind trusted proxies. X-Forwarded-For is believed only when the peer
that sent the request is a configured proxy (IQTIBAS_TRUSTED_PROXIES, none by default):
from anyone else it is just text the client wrote, and believing it would let each request
choose its own rate-limit bucket and its own address in the logs."""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send


class TrustedProxies:
    def __init__(self, networks: Iterable[str]) -> None:
        self._networks: list[IPv4Network | IPv6Network] = [
            ip_network(network, strict=False) for network in networks
        ]

    def __bool__(self) -> bool:
        return bool(self._networks)

    def trusts(self, address: str) -> bool:
        try:
            ip = ip_address(address)
        except ValueError:
            return False
        return any(ip.version == net.version and ip in net for net in self._networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The nearest address that is not a trusted proxy: walk X-Forwarded-For from the
        right (each proxy appends the address it received from) while the hop is trusted."""
        client = peer
        if forwarded_for is None:
            return client
        for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
            if not self.trusts(client):
                break
            try:
                ip_address(hop)
            except ValueError:
                break  # a malformed entry: the last trusted proxy is all that is known
            client = hop
        return client


class ForwardedClientMiddleware:
    """Sets scope["client"] in place, so that logs and the rate limit see the same address."""

    def __init__(self, app: ASGIApp, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        peer = scope.get("client")
        if scope["type"] in ("http", "websocket") and peer:
            headers = Headers(scope=scope)
            forwarded = ", ".join(headers.getlist("x-forwarded-for")) or None
            client = self.proxies.client(peer[0], forwarded)
            if client != peer[0]:
                scope["client"] = (client, 0)
        await self.app(scope, receive, send)
