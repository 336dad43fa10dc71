"""The watch loop: stream events and log hits in, state transitions through the rules, alerts and phases out.

One thread owns the state. Reflector and log follower threads only put events on a queue, so rules
and outputs run in a single, ordered sequence: the alert for an event is out before the next event
is looked at.
The queue is unbounded on purpose: dropping a stream event would be dropping evidence. Time comes
from injectable clocks: wall time stamps each change, monotonic time drives the stall timer.
"""

from __future__ import annotations

import datetime as dt
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from hvguard.analysis.findings import Severity
from hvguard.kube.watch import Changed, Listed, StreamState
from hvguard.state import kinds as k
from hvguard.watch import alerts
from hvguard.watch.alerts import Alert, Transition
from hvguard.watch.outputs import Output
from hvguard.watch.podlogs import Event, LogHit
from hvguard.watch.state import Change, WatchState, latest_upgrade, overview, phase_change


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(slots=True)
class _Progress:
    """When the followed upgrade last moved, and whether its stall was already reported."""

    key: tuple[object, ...]
    since: float
    since_text: str
    reported: bool = False


class Watcher:
    """Owns the state; ``put`` is the reflectors' sink, ``run`` the loop (on the caller's thread)."""

    def __init__(
        self,
        state: WatchState,
        outputs: Sequence[Output],
        *,
        watched: Iterable[k.Kind],
        snapshot_ready: Mapping[str, int] | None = None,
        stall_after: float = 2700.0,
        until_complete: bool = False,
        clock: Callable[[], str] = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = state
        self.outputs = outputs
        self.watched = tuple(watched)
        self.snapshot_ready = dict(snapshot_ready or {})
        self.stall_after = stall_after
        self.until_complete = until_complete
        self.clock, self.monotonic = clock, monotonic
        self.raised: list[Alert] = []
        self.finished: Alert | None = None
        self._events: queue.Queue[Event | None] = queue.Queue()  # None: wake up (stop)
        self._stopping = threading.Event()
        self._progress: _Progress | None = None
        self._tick = min(1.0, stall_after / 4)

    def put(self, event: Event) -> None:
        """The sink the reflector and log follower threads call."""
        self._events.put(event)

    @property
    def clean(self) -> bool:
        """The upgrade finished, succeeded, and no critical alert fired."""
        return (self.finished is not None and self.finished.severity is Severity.INFO
                and not any(alert.critical for alert in self.raised))

    def stop(self) -> None:
        """End ``run`` after the current batch (for embedding; the CLI ends on Ctrl-C)."""
        self._stopping.set()
        self._events.put(None)

    def run(self) -> bool:
        """Process events until the upgrade finishes (``until_complete``), ``stop()``, or forever; returns ``clean``."""
        while not self._stopping.is_set() and not (self.until_complete and self.finished):
            try:
                batch = [self._events.get(timeout=self._tick)]
            except queue.Empty:
                batch = []
            while True:  # everything already queued, then one refresh for the batch
                try:
                    batch.append(self._events.get_nowait())
                except queue.Empty:
                    break
            for event in batch:
                if event is not None:
                    self.handle(event)
            self.check_stall()
            if batch:
                view = overview(self.state, self.watched, self.snapshot_ready)
                for output in self.outputs:
                    output.refresh(view)
        return self.clean

    def handle(self, event: Event) -> None:
        if isinstance(event, LogHit):
            self._raise(self._evaluated(f"a log line of {event.origin.label}",
                                        lambda: alerts.log_signature(event, self.raised, self.clock())))
        elif isinstance(event, Listed):
            for change in self.state.diff(event.key, event.objects):
                self.apply(change)
        elif isinstance(event, Changed):
            self.apply(self.state.change(event.key, event.type, event.obj))
        elif isinstance(event, StreamState):
            for output in self.outputs:
                output.stream(event.key, event.up, event.reason)

    def apply(self, change: Change) -> None:
        """One transition: new state, alerts, phase record."""
        before, after, at = self.state, self.state.apply(change), self.clock()
        self.state = after
        moved = phase_change(change, at)
        if moved is not None:  # before the alerts: "Succeeded", then the summary of the finished upgrade
            for output in self.outputs:
                output.phase(moved)
        self._raise(self._evaluated(f"{change.type} {change.kind}", lambda: alerts.evaluate(
            Transition(before, change, after, at, self.raised, self.snapshot_ready))))

    @staticmethod
    def _evaluated(what: str, rules: Callable[[], list[Alert]]) -> list[Alert]:
        """The alerts of ``rules()``; none if a rule fails, since a rule bug on one odd object or line
        must not end the watch mid-upgrade."""
        try:
            return rules()
        except Exception as exc:  # noqa: BLE001
            print(f"hvguard watch: internal error evaluating {what}: {exc!r} (please report; watching on)",
                  file=sys.stderr, flush=True)
            return []

    def check_stall(self) -> None:
        """Raise ``watch/upgrade-stalled`` once per phase the upgrade sits in for ``stall_after``."""
        view = latest_upgrade(self.state)
        if view is None or view.finished:
            self._progress = None
            return
        key, now = (view.ref, view.progress), self.monotonic()
        if self._progress is None or self._progress.key != key:
            self._progress = _Progress(key, now, self.clock())
        elif not self._progress.reported and now - self._progress.since >= self.stall_after:
            self._progress.reported = True
            self._raise([alerts.upgrade_stalled(view, now - self._progress.since, self._progress.since_text,
                                                self.clock())])

    def _raise(self, raised: list[Alert]) -> None:
        for alert in raised:
            self.raised.append(alert)
            if alert.id == alerts.FINISHED:
                self.finished = alert
            for output in self.outputs:
                output.alert(alert)
