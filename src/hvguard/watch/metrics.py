"""``--metrics-port N``: Prometheus metrics, so an existing alerting stack can page on a lost image.

Own registry (not the process-global one): the numbers describe this watch only, and tests can run
several watchers in one process.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from hvguard.analysis.findings import spec
from hvguard.watch.alerts import ALERT_IDS, LEVELS, Alert
from hvguard.watch.outputs import Output
from hvguard.watch.state import Overview, PhaseChange


class Metrics(Output):
    """Ready copies per image, alerts by id, each upgrade's phase, stream health and reconnects."""

    def __init__(self, port: int, address: str = "0.0.0.0") -> None:
        self.registry = CollectorRegistry()
        self.ready_copies = Gauge("hvguard_watch_backing_image_ready_copies",
                                  "Copies of each backing image whose status is ready", ["image"],
                                  registry=self.registry)
        self.alerts = Counter("hvguard_watch_alerts", "Alerts raised, by alert id and severity",
                              ["id", "severity"], registry=self.registry)
        self.phase_info = Gauge("hvguard_watch_upgrade_phase", "1 for the phase each Harvester upgrade is in",
                                ["upgrade", "phase"], registry=self.registry)
        self.reconnects = Counter("hvguard_watch_reconnects", "Watch streams lost (and retried), by resource",
                                  ["resource"], registry=self.registry)
        self.stream_up = Gauge("hvguard_watch_stream_up", "1 while the resource's watch stream is open",
                               ["resource"], registry=self.registry)
        for alert_id in sorted(ALERT_IDS):  # a zero is a reading; an absent series is not
            self.alerts.labels(alert_id, LEVELS[spec(alert_id).severity])
        self._images: set[str] = set()
        self._phases: dict[str, str] = {}
        self.server, self._thread = start_http_server(port, address, registry=self.registry)

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def alert(self, alert: Alert) -> None:
        self.alerts.labels(alert.id, alert.level).inc()

    def phase(self, change: PhaseChange) -> None:
        upgrade = change.upgrade.ref
        previous = self._phases.get(upgrade)
        if previous is not None and previous != change.upgrade.phase:
            self.phase_info.remove(upgrade, previous)
        self._phases[upgrade] = change.upgrade.phase
        self.phase_info.labels(upgrade, change.upgrade.phase).set(1)

    def stream(self, key: str, up: bool, reason: str) -> None:
        self.stream_up.labels(key).set(1 if up else 0)
        if not up:
            self.reconnects.labels(key).inc()

    def refresh(self, view: Overview) -> None:
        current = {row.name: row.ready for row in view.images}
        for gone in self._images - current.keys():
            self.ready_copies.remove(gone)
        for image, ready in current.items():
            self.ready_copies.labels(image).set(ready)
        self._images = set(current)

    def close(self, interrupted: bool) -> None:
        self.server.shutdown()
        self.server.server_close()

