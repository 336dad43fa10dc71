"""One reading of logs and events: what was read, how completely, and the groups it produced.

``bundle_logs`` and ``live_logs`` differ only in where bytes and objects come from. Both hand every
container log and the Events to a ``Reading``. It scans them, records each input with how completely
it was read (a corrupt member or a refused request costs that input, not the run), and ends in one
``LogScan``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hvguard.errors import InputError
from hvguard.knowledge.logsigs import load_signatures
from hvguard.kube.errors import KubeError
from hvguard.logs.lines import LineStats, line_blocks
from hvguard.logs.scan import Collector, Group, Origin, scan_events, scan_log
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, SourceInfo


@dataclass(frozen=True, slots=True)
class Input:
    """One thing read (a container log, or the Pods or Events list) and how completely.

    ``status``: read | partial (an error part way; what came before it was scanned) | unreadable |
    missing | absent, as for resource coverage.
    """

    type: str  # "log" | "pods" | "events"
    where: str  # bundle member or API path
    status: str
    reason: str = ""
    origin: Origin | None = None  # logs
    lines: int = 0  # logs
    bytes: int = 0  # logs
    truncated: int = 0  # logs: lines cut at lines.MAX_LINE
    objects: int = 0  # lists

    def as_dict(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": self.type, "where": self.where, "status": self.status, "reason": self.reason}
        if self.origin is None:
            return entry | {"objects": self.objects}
        return entry | {"origin": self.origin.as_dict(), "lines": self.lines, "bytes": self.bytes,
                        "truncatedLines": self.truncated}


@dataclass(frozen=True, slots=True)
class Scanned:
    """One container log scanned on its own: how it was read, and its groups."""

    input: Input
    groups: tuple[Group, ...]


@dataclass(frozen=True, slots=True)
class LogScan:
    """The result: groups oldest first, every input, and the Pods and Events as read."""

    source: SourceInfo
    since: datetime | None
    groups: tuple[Group, ...]
    inputs: tuple[Input, ...]
    state: ClusterState


def container_origin(namespace: str, pod: str, obj: Mapping[str, Any], container: str,
                     previous: bool = False) -> Origin:
    """The origin of one container's log; node and image come from the Pod object (empty when unknown)."""
    spec = obj.get("spec") or {}
    image = next((c.get("image", "") for c in spec.get("containers") or [] if c.get("name") == container), "")
    return Origin("log", namespace, pod, container, previous, str(spec.get("nodeName") or ""), str(image))


class Reading:
    """Collects one source's logs and events; ``state`` holds its Pods and Events (``kinds.LOG_KINDS``)."""

    def __init__(self, state: ClusterState, since: datetime | None) -> None:
        self.state = state
        self.since = since
        self.signatures = load_signatures()
        self.collector = Collector(since)
        self.inputs: list[Input] = [self._listed("pods", k.PODS)]
        self._pods = {(pod["metadata"].get("namespace", ""), pod["metadata"]["name"]): pod
                      for pod in state.objects(k.PODS)}
        self._containers = frozenset(c for s in self.signatures for c in s.containers)

    def wanted(self, container: str) -> bool:
        """Whether any signature reads this container's log."""
        return container in self._containers

    def origin(self, namespace: str, pod: str, container: str, previous: bool) -> Origin:
        """The origin of a container log, with the node and image from the Pod when it is known."""
        return container_origin(namespace, pod, self._pods.get((namespace, pod)) or {}, container, previous)

    def log(self, origin: Origin, where: str, chunks: Iterable[bytes]) -> None:
        """Scan one container log streamed as ``chunks``; read errors are recorded, not raised."""
        self.add(self.scan(origin, where, chunks))

    def scan(self, origin: Origin, where: str, chunks: Iterable[bytes]) -> Scanned:
        """Scan one container log on its own, leaving this reading untouched: logs can be scanned side by
        side, then added in a fixed order. Read errors are recorded, not raised."""
        stats = LineStats()
        status, reason = "read", ""
        collector = Collector(self.since)
        try:
            scan_log(line_blocks(chunks, stats), origin, self.signatures, collector)
        except (InputError, KubeError) as exc:
            status, reason = ("partial" if stats.bytes else "unreadable"), str(exc)
        return Scanned(Input("log", where, status, reason, origin, stats.lines, stats.bytes, stats.truncated),
                       tuple(collector.groups))

    def add(self, scanned: Scanned) -> None:
        """Fold a scanned log into this reading."""
        self.inputs.append(scanned.input)
        for group in scanned.groups:
            self.collector.absorb(group)

    def events(self) -> None:
        """Scan the Events of the state."""
        scan_events(self.state.objects(k.EVENTS), self.signatures, self.collector)
        self.inputs.append(self._listed("events", k.EVENTS))

    def result(self) -> LogScan:
        return LogScan(self.state.source, self.since, tuple(self.collector.groups), tuple(self.inputs), self.state)

    def _listed(self, label: str, kind: k.Kind) -> Input:
        """The list as the source read it (its coverage)."""
        coverage = self.state.coverage[kind.key]
        return Input(label, coverage.where or kind.plural, coverage.status.value, coverage.reason,
                     objects=coverage.count)
