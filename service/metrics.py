"""Prometheus metrics with ``prometheus-client``, in a registry of the app's own (not the
process-global one), so that several apps in one process, as in the tests, never collide.

Every label has a bounded set of values, so that no client can grow ``/metrics``: the method
is one of the standard ones or ``other``, the route is the route template (the middleware's
``route_label``), the status a three-digit HTTP status, the error code one the app raises.
Gauges (articles indexed, jobs...) are read at scrape time from what the caller passes in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# what generate_latest writes: the classic text format (newer clients announce 1.0.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# RFC 9110's methods; anything else a client invents is counted as "other"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"})
OTHER_METHOD = "other"

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    value: float
    labels: Labels = ()


def method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else OTHER_METHOD


def status_label(status: int) -> str:
    return str(status) if 100 <= status <= 599 else "other"


class Metrics:
    """Request counters and latencies; gauges are passed in at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "iqtibas_http_requests",
            "HTTP requests answered.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self._errors = Counter(
            "iqtibas_http_errors",
            "Error responses by code.",
            ("route", "code"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "iqtibas_http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ("route",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def observe_request(
        self, method: str, route: str, status: int, seconds: float, error_code: str | None
    ) -> None:
        self._requests.labels(method_label(method), route, status_label(status)).inc()
        if error_code is not None:
            self._errors.labels(route, error_code).inc()
        self._latency.labels(route).observe(seconds)

    def render(self, gauges: Iterable[Gauge] = ()) -> str:
        """The text exposition of this app's metrics and the given gauges. Takes no lock of
        its own: the client library guards each value for the moment it is read."""
        return generate_latest(_Scrape(self.registry, tuple(gauges))).decode("utf-8")


class _Scrape(Collector):
    """One scrape: the registry's metrics without their ``_created`` series (a timestamp per
    label set that would double the exposition and that Prometheus ignores in this format),
    then the gauges."""

    def __init__(self, registry: CollectorRegistry, gauges: tuple[Gauge, ...]) -> None:
        self._registry = registry
        self._gauges = gauges

    def collect(self) -> Iterator[Metric]:
        for metric in self._registry.collect():
            metric.samples = [s for s in metric.samples if not s.name.endswith("_created")]
            yield metric
        yield from _gauge_families(self._gauges)


def _gauge_families(gauges: Iterable[Gauge]) -> Iterator[GaugeMetricFamily]:
    by_name: dict[str, list[Gauge]] = defaultdict(list)
    for gauge in gauges:
        by_name[gauge.name].append(gauge)
    for name, group in by_name.items():
        label_names = [label for label, _ in group[0].labels]
        family = GaugeMetricFamily(name, group[0].help, labels=label_names)
        for gauge in group:
            family.add_metric([value for _, value in gauge.labels], gauge.value)
        yield family
