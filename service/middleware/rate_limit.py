"""A token bucket per client address: bursts up to the per-minute budget, refilled evenly."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from service.errors import error_response

# probes and scrapes must not be throttled by a busy client on the same address
EXEMPT_PATHS = frozenset({"/health", "/ready", "/metrics"})
MAX_TRACKED_CLIENTS = 10_000


class TokenBuckets:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str) -> float:
        """0 if a token was taken, else the seconds until one will be there."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[client] = (tokens, now)
            # forgetting the least recently seen client only ever gives it a full bucket
            while len(self._buckets) > MAX_TRACKED_CLIENTS:
                self._buckets.popitem(last=False)
            return wait


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, buckets: TokenBuckets) -> None:
        self.app = app
        self.buckets = buckets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client[0] if client else "unknown")
        if wait > 0:
            retry_after = str(max(1, math.ceil(wait)))
            await error_response(
                "rate_limited",
                f"too many requests from this address; retry in {retry_after} s "
                "(IQTIBAS_RATE_LIMIT_PER_MINUTE)",
                headers={"Retry-After": retry_after},
                scope=scope,
            )(scope, receive, send)
            return
        await self.app(scope, receive, send)
