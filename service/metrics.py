"""Prometheus text exposition, written by hand: a few counters and one histogram do not need
a client library, and the format is small and stable."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in labels) + "}"


def _number(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() else repr(float(value))


@dataclass
class _Histogram:
    buckets: list[int]
    total: float = 0.0
    count: int = 0


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    value: float
    labels: Labels = ()


class Metrics:
    """Request counters and latencies; gauges are passed in at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[Labels, int] = defaultdict(int)
        self._errors: dict[Labels, int] = defaultdict(int)
        self._latency: dict[Labels, _Histogram] = {}

    def observe_request(
        self, method: str, route: str, status: int, seconds: float, error_code: str | None
    ) -> None:
        with self._lock:
            self._requests[(("method", method), ("route", route), ("status", str(status)))] += 1
            if error_code is not None:
                self._errors[(("route", route), ("code", error_code))] += 1
            key: Labels = (("route", route),)
            histogram = self._latency.get(key)
            if histogram is None:
                histogram = self._latency[key] = _Histogram([0] * len(LATENCY_BUCKETS))
            for index, bound in enumerate(LATENCY_BUCKETS):
                if seconds <= bound:
                    histogram.buckets[index] += 1
            histogram.total += seconds
            histogram.count += 1

    def render(self, gauges: Iterable[Gauge] = ()) -> str:
        with self._lock:
            requests = dict(self._requests)
            errors = dict(self._errors)
            latency = {
                key: _Histogram(list(h.buckets), h.total, h.count)
                for key, h in self._latency.items()
            }
        lines: list[str] = []
        _counter(lines, "iqtibas_http_requests_total", "HTTP requests answered.", requests)
        _counter(lines, "iqtibas_http_errors_total", "Error responses by code.", errors)
        name = "iqtibas_http_request_duration_seconds"
        lines += [f"# HELP {name} Time to answer an HTTP request.", f"# TYPE {name} histogram"]
        for key, histogram in sorted(latency.items()):
            for bound, count in zip(LATENCY_BUCKETS, histogram.buckets, strict=True):
                lines.append(f"{name}_bucket{_labels((*key, ('le', repr(bound))))} {count}")
            lines.append(f"{name}_bucket{_labels((*key, ('le', '+Inf')))} {histogram.count}")
            lines.append(f"{name}_sum{_labels(key)} {histogram.total!r}")
            lines.append(f"{name}_count{_labels(key)} {histogram.count}")
        _gauges(lines, gauges)
        return "\n".join(lines) + "\n"


def _counter(lines: list[str], name: str, help_text: str, values: Mapping[Labels, int]) -> None:
    lines += [f"# HELP {name} {help_text}", f"# TYPE {name} counter"]
    lines += [f"{name}{_labels(key)} {value}" for key, value in sorted(values.items())]


def _gauges(lines: list[str], gauges: Iterable[Gauge]) -> None:
    described: set[str] = set()
    for gauge in gauges:
        if gauge.name not in described:
            lines += [f"# HELP {gauge.name} {gauge.help}", f"# TYPE {gauge.name} gauge"]
            described.add(gauge.name)
        lines.append(f"{gauge.name}{_labels(gauge.labels)} {_number(gauge.value)}")
