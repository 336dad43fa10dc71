"""Following the longhorn-manager logs live, for the earliest sign of harvester#7958.

When the v1.6 -> v1.7 migration writes a BackingImage while the v1.6 CRD is still live, the API server
drops the new fields and answers with a warning that client-go prints into the longhorn-manager log
(``unknown field "spec.diskFileSpecMap"``). That line is the only trace of the pruning, and it comes
before any disk map is seen empty. So the watcher follows the manager container of every pod the pods
stream reports: one reader thread per pod, started and stopped by that stream's events, since the
upgrade replaces every manager pod, and the new leader migrates the moment it starts. Each line that
matches a live signature becomes a ``LogHit`` for the loop, whose rule (``alerts.log_signature``)
raises the alert. Lines are cut and matched by ``hvguard.logs`` (``lines``, ``scan``), so memory stays
at about a chunk and a line per pod however long the watch runs.

Nothing here ends the watch: a failed request is retried with backoff, and every request asks for the
log since the last moment known to be delivered (``sinceSeconds``), so a reconnect loses no line. The
lines it brings twice are dropped by the rule, which raises once per signature and named objects.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from hvguard.analysis.fields import dig, mapping, name, namespace
from hvguard.knowledge.logsigs import Signature, load_signatures
from hvguard.kube.client import Kube
from hvguard.kube.errors import KubeError
from hvguard.kube.watch import DEFAULT_BACKOFF, SHORT_WATCH, Backoff, Changed, Listed, StreamEvent, StreamState
from hvguard.logs.collect import container_origin
from hvguard.logs.lines import LineStats, line_blocks
from hvguard.logs.scan import Objects, Origin, scan_log
from hvguard.state import kinds as k
from hvguard.state.cluster import Obj
from hvguard.watch.state import DELETED, MANAGER_CONTAINER, Key, manager_container

LOGS_KEY = "pods/log"  # the one stream state all log streams report under
# Stages whose lines call for action while the upgrade runs. Left out: the migration line (info; the
# migration-before-crd alert reports that moment with more context), the pruned window, recovery and
# consumer lines, which repeat per replica or image what disk-map-emptied, ready-copies-dropped and
# volume-waiting-for-backing-image already report from the API.
LIVE_STAGES = frozenset({"pruned-write", "strict-refused", "deletion", "crash"})
# Lines logged this long before a chunk arrived may still be on their way: a reconnect asks for them again.
DELIVERY_MARGIN = 2.0
# Nothing to read (yet, or any more): a container not started or in back-off (400), a deleted pod (404).
# Retried with backoff but not reported as a lost stream; the pods stream tells what happened.
_QUIET = frozenset({400, 404})


@dataclass(frozen=True, slots=True)
class LogFollowing:
    """How the logs are followed: ``lookback`` seconds of log from before the watch started are read (a
    warning logged just before it is still news); a stream silent for ``idle`` seconds is opened again,
    since a connection that died without a word looks the same."""

    lookback: float = 30.0
    idle: float = 120.0


@dataclass(frozen=True, slots=True)
class LogHit:
    """One followed log line that matched a live signature: the follower's event for the loop."""

    signature: Signature
    origin: Origin
    objects: Objects
    at: datetime | None  # the kubelet's timestamp of the line
    line: str  # cut for display by ``scan.sample``


Event = StreamEvent | LogHit


def live_signatures() -> tuple[Signature, ...]:
    """The longhorn-manager signatures of the ``LIVE_STAGES``."""
    return tuple(s for s in load_signatures() if s.stage in LIVE_STAGES and MANAGER_CONTAINER in s.containers)


class Hits:
    """``scan_log``'s sink when following: each hit goes to the loop at once instead of into a group,
    since a followed log has no end to fold up to."""

    def __init__(self, emit: Callable[[LogHit], None]) -> None:
        self.emit = emit

    def add(self, signature: Signature, origin: Origin, objects: Objects, first: datetime | None,
            last: datetime | None, count: int, sample: str) -> None:
        self.emit(LogHit(signature, origin, objects, first, sample))


class _Health:
    """One stream state for all log streams (``LOGS_KEY``), so outputs keep one row rather than one per pod
    the upgrade replaced: down with every failure of any follower (so each reconnect is counted), up
    again once no follower is failing. A follower that was stopped no longer counts, even if its last
    request fails after that."""

    def __init__(self, sink: Callable[[StreamEvent], None]) -> None:
        self.sink = sink
        self._followed: set[LogFollower] = set()
        self._failing: set[LogFollower] = set()
        self._lock = threading.Lock()  # held while emitting, so the states go out in the order they changed

    def follow(self, follower: LogFollower) -> None:
        with self._lock:
            self._followed.add(follower)

    def failed(self, follower: LogFollower, reason: str) -> None:
        with self._lock:
            if follower in self._followed:
                self._failing.add(follower)
                self.sink(StreamState(LOGS_KEY, False, f"{follower.label}: {reason}"))

    def opened(self, follower: LogFollower) -> None:
        with self._lock:
            self._failing.discard(follower)
            if follower in self._followed and not self._failing:
                self.sink(StreamState(LOGS_KEY, True))

    def forget(self, follower: LogFollower) -> None:
        with self._lock:
            self._followed.discard(follower)
            if follower in self._failing:
                self._failing.discard(follower)
                if not self._failing:
                    self.sink(StreamState(LOGS_KEY, True))


class LogFollower:
    """Follows one pod's longhorn-manager log until ``stop()``; run it on its own thread."""

    def __init__(self, kube: Kube, pod: Obj, since: float, hits: Hits, health: _Health, *,
                 signatures: tuple[Signature, ...], following: LogFollowing, backoff: Backoff) -> None:
        self.kube, self.hits, self.health = kube, hits, health
        self.signatures, self.following, self.backoff = signatures, following, backoff
        self.uid = _uid(pod)
        self.label = f"{namespace(pod)}/{name(pod)}"
        self.path = f"/api/v1/namespaces/{namespace(pod)}/pods/{name(pod)}/log"
        self._pod, self._running = pod, _running(pod)
        self._from = since  # monotonic moment after which every line is still to be read
        self._stopped = threading.Event()
        self._wake = threading.Event()  # cuts a backoff short: stop, or the container just started

    def stop(self) -> None:
        """No more requests; a stream still open ends with the container (or at the idle timeout)."""
        self._stopped.set()
        self._wake.set()

    def update(self, pod: Obj) -> None:
        """The pod changed. A manager container that has just started is read at once, not after the
        backoff its start-up refusals built up: a new leader runs the migration the moment it starts."""
        running = _running(pod)
        if running and not self._running:
            self._wake.set()
        self._pod, self._running = pod, running

    def run(self) -> None:
        failures = 0
        while not self._stopped.is_set():
            try:
                self._follow()
            except KubeError as exc:
                if self._stopped.is_set():
                    return
                self._back_off(exc, failures)
                failures += 1
            else:
                failures = 0

    def _follow(self) -> None:
        """One follow request, scanned until it ends (the container stopped, the stream idled, the server
        closed it). Lines are read and matched as they arrive: there is no end to wait for."""
        opened = time.monotonic()
        query = {"container": MANAGER_CONTAINER, "follow": "true", "timestamps": "true",
                 "sinceSeconds": max(1, math.ceil(opened - self._from))}
        chunks = self.kube.stream(self.path, query, idle_timeout=self.following.idle,
                                  on_open=lambda: self.health.opened(self))
        origin = container_origin(namespace(self._pod), name(self._pod), self._pod, MANAGER_CONTAINER)
        scan_log(line_blocks(self._delivered(chunks), LineStats()), origin, self.signatures, self.hits)
        if time.monotonic() - opened < SHORT_WATCH and not self._stopped.is_set():
            raise KubeError(None, "log stream ended at once", "the server closed the stream at once")

    def _delivered(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The chunks, moving the moment up to which the log is known to be read (less the margin for
        lines still in flight), which is where the next request starts."""
        for chunk in chunks:
            self._from = time.monotonic() - DELIVERY_MARGIN
            yield chunk

    def _back_off(self, exc: KubeError, failures: int) -> None:
        delay = self.backoff.delay(failures)
        if exc.status not in _QUIET:
            self.health.failed(self, f"{exc}; retrying in {delay:.1f}s")
        self._wake.wait(delay)
        self._wake.clear()


def _running(pod: Obj) -> bool:
    return "running" in mapping(manager_container(pod), "state")


def _key(pod: Obj) -> Key:
    return namespace(pod), name(pod)


def _uid(pod: Obj) -> str:
    return str(dig(pod, "metadata", "uid", default="") or "")


class LogFollowers:
    """A follower thread per longhorn-manager pod the pods stream reports, started and stopped by its events."""

    def __init__(self, kube: Kube, sink: Callable[[Event], None], following: LogFollowing, *,
                 backoff: Backoff = DEFAULT_BACKOFF) -> None:
        self.kube, self.following, self.backoff = kube, following, backoff
        self.signatures = live_signatures()
        self.hits, self.health = Hits(sink), _Health(sink)
        self._since = time.monotonic() - following.lookback  # a pod that appears later is read from its start
        self._followers: dict[Key, LogFollower] = {}
        self._lock = threading.Lock()
        self._stopped = False

    def observing(self, sink: Callable[[Event], None]) -> Callable[[Event], None]:
        """``sink``, with every event also looked at here (on the reflector's thread)."""
        def tee(event: Event) -> None:
            sink(event)  # first: the loop must get the event whatever happens below
            try:
                self.observe(event)
            except Exception as exc:  # noqa: BLE001 - a bug here must not kill the pods stream's thread
                print(f"hvguard watch: internal error following logs: {exc!r} (please report; watching on)",
                      file=sys.stderr, flush=True)
        return tee

    def observe(self, event: Event) -> None:
        """Follow the pods a pods-stream event lists or changes; stop following those it deletes."""
        if not isinstance(event, Listed | Changed) or event.key != k.PODS.key:
            return
        with self._lock:
            if self._stopped:
                return
            if isinstance(event, Listed):
                listed = {_key(pod): pod for pod in event.objects}
                for gone in self._followers.keys() - listed.keys():
                    self._unfollow(gone)
                for pod in listed.values():
                    self._follow(pod)
            elif event.type == DELETED:
                self._unfollow(_key(event.obj))
            else:
                self._follow(event.obj)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for key in list(self._followers):
                self._unfollow(key)

    def _follow(self, pod: Obj) -> None:
        """Start following the pod, or pass the change on (a new uid under the same name is a new pod)."""
        key = _key(pod)
        current = self._followers.get(key)
        if current is not None and current.uid == _uid(pod):
            current.update(pod)
            return
        if current is not None:
            self._unfollow(key)
        follower = LogFollower(self.kube, pod, self._since, self.hits, self.health, signatures=self.signatures,
                               following=self.following, backoff=self.backoff)
        self._followers[key] = follower
        self.health.follow(follower)
        threading.Thread(target=follower.run, name=f"logs-{key[1]}", daemon=True).start()

    def _unfollow(self, key: Key) -> None:
        follower = self._followers.pop(key, None)
        if follower is not None:  # a deletion can come for a pod never listed (a replayed event)
            follower.stop()
            self.health.forget(follower)
