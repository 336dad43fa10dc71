"""What the watcher follows, and the threads that follow it (one LIST+WATCH per resource type, and
optionally the log of each longhorn-manager pod the pods stream reports, see ``podlogs``).

Each stream is narrowed to what the alerts read: the one CRD whose schema decides harvester#7958,
only the longhorn-manager pods, and the namespaces Longhorn and Harvester keep these objects in.
The same selection is applied to the ``--against`` snapshot, so both sides compare like with like.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from hvguard.analysis.fields import dig, name
from hvguard.kube.client import Kube
from hvguard.kube.watch import DEFAULT_BACKOFF, Backoff, Reflector, WatchTarget
from hvguard.state import kinds as k
from hvguard.state.cluster import Obj
from hvguard.watch.podlogs import Event, LogFollowers, LogFollowing
from hvguard.watch.state import BACKING_IMAGE_CRD


@dataclass(frozen=True, slots=True)
class Watched:
    """One resource type to follow, optionally narrowed to one object name or to a label set."""

    kind: k.Kind
    only_name: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)

    def matches(self, obj: Obj) -> bool:
        labels = dig(obj, "metadata", "labels", default={}) or {}
        return (not self.only_name or name(obj) == self.only_name) and all(
            labels.get(key) == value for key, value in self.labels.items())

    def target(self) -> WatchTarget:
        kind = self.kind
        version = kind.versions[0]  # the watched types have one version hvguard reads (v1beta2 for Longhorn)
        base = f"/apis/{kind.group}/{version}" if kind.group else f"/api/{version}"
        if kind.namespaces:
            # One stream per type: its list replaces the type's objects, so it must cover all of them.
            assert len(kind.namespaces) == 1, f"{kind.key}: watch one namespace per type"
            base += f"/namespaces/{kind.namespaces[0]}"
        return WatchTarget(
            key=kind.key, path=f"{base}/{kind.plural}", api_version=kind.api_version(version), kind=kind.kind,
            label_selector=",".join(f"{key}={value}" for key, value in sorted(self.labels.items())),
            field_selector=f"metadata.name={self.only_name}" if self.only_name else "",
        )


WATCHED: tuple[Watched, ...] = (
    Watched(k.UPGRADES),
    Watched(k.BACKING_IMAGES),
    Watched(k.BACKING_IMAGE_MANAGERS),
    Watched(k.LH_VOLUMES),
    Watched(k.LH_NODES),
    Watched(k.LH_SETTINGS),
    Watched(k.CRDS, only_name=BACKING_IMAGE_CRD),
    Watched(k.PODS, labels={"app": "longhorn-manager"}),
)


class Streams:
    """One reflector thread per watched type, and with ``logs`` a log follower per manager pod, all
    feeding one sink (the watcher's queue)."""

    def __init__(self, kube: Kube, watched: tuple[Watched, ...] = WATCHED, *,
                 backoff: Backoff = DEFAULT_BACKOFF, logs: LogFollowing | None = None) -> None:
        self.kube, self.watched, self.backoff, self.logs = kube, watched, backoff, logs
        self._followers: LogFollowers | None = None
        self._reflectors: list[Reflector] = []
        self._threads: list[threading.Thread] = []

    def start(self, sink: Callable[[Event], None]) -> None:
        if self.logs is not None:  # the followers start and stop with the pods stream's events
            self._followers = LogFollowers(self.kube, sink, self.logs, backoff=self.backoff)
            sink = self._followers.observing(sink)
        for watched in self.watched:
            reflector = Reflector(self.kube, watched.target(), sink, backoff=self.backoff)
            thread = threading.Thread(target=reflector.run, name=f"watch-{watched.kind.plural}", daemon=True)
            self._reflectors.append(reflector)
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop every reflector and follower and wait briefly; the threads are daemons, so exit never hangs on one."""
        if self._followers is not None:
            self._followers.stop()
        for reflector in self._reflectors:
            reflector.stop()
        for thread in self._threads:
            thread.join(timeout / max(1, len(self._threads)))
