"""Helpers for the watch tests: a recording output, `hvguard watch` in a subprocess, hand-made API objects,
pure-rule steps, and the scripted steps the v1.7.2 longhorn-manager takes after the pruned migration
(domain notes §2.3-2.4)."""

from __future__ import annotations

import copy
import json
import queue
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubeapi import KubeAPIServer
from kubeapi.helpers import LONGHORN_172, NS
from prometheus_client.parser import text_string_to_metric_families

from hvguard.kube.watch import Backoff
from hvguard.state import kinds as k
from hvguard.watch import alerts
from hvguard.watch.alerts import Alert, Transition
from hvguard.watch.loop import Watcher
from hvguard.watch.outputs import Output
from hvguard.watch.state import PhaseChange, WatchState
from hvguard.watch.streams import WATCHED, Streams

FAST = Backoff(initial=0.05, maximum=0.5)
AT = "2026-11-27T10:00:00.000Z"
IMAGE_UUID = "ab12cd34"
UPGRADE_NS = "harvester-system"
DISKS = {"d-0": ("node-0", "/var/lib/harvester/defaultdisk"), "d-1": ("node-1", "/var/lib/harvester/defaultdisk"),
         "d-2": ("node-2", "/mnt/ssd/")}


class Recorder(Output):
    """Keeps every alert (with the monotonic time it arrived), phase and stream change; tests wait on it."""

    def __init__(self) -> None:
        self.alerts: list[tuple[float, Alert]] = []
        self.phases: list[PhaseChange] = []
        self.streams: list[tuple[str, bool, str]] = []
        self._changed = threading.Condition()

    def alert(self, alert: Alert) -> None:
        with self._changed:
            self.alerts.append((time.monotonic(), alert))
            self._changed.notify_all()

    def phase(self, change: PhaseChange) -> None:
        with self._changed:
            self.phases.append(change)
            self._changed.notify_all()

    def stream(self, key: str, up: bool, reason: str) -> None:
        with self._changed:
            self.streams.append((key, up, reason))
            self._changed.notify_all()

    def ids(self) -> list[str]:
        return [alert.id for _, alert in self.alerts]

    def of(self, alert_id: str) -> list[tuple[float, Alert]]:
        return [(at, alert) for at, alert in self.alerts if alert.id == alert_id]

    def wait_for(self, done: Callable[[Recorder], bool], timeout: float = 5.0) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: done(self), timeout), f"timed out; alerts so far: {self.ids()}"


@dataclass
class Running:
    """A watcher following ``api`` in this process."""

    api: KubeAPIServer
    watcher: Watcher
    recorder: Recorder
    streams: Streams
    thread: threading.Thread
    outputs: list[Output] = field(default_factory=list)

    def wait_synced(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.watcher.state.is_synced(*(w.kind for w in WATCHED)):
            assert time.monotonic() < deadline, f"not synced: {sorted(self.watcher.state.synced)}"
            time.sleep(0.02)
        self.api.wait_for_watches(len(WATCHED))


class Watch:
    """`hvguard watch` in a subprocess, its stdout read line by line on a thread."""

    def __init__(self, kubeconfig: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hvguard", "watch", "--kubeconfig", str(kubeconfig), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(json.loads(line))
        self.lines.put(None)

    def until(self, alert_id: str) -> dict[str, Any]:
        """Read JSON lines until this alert has been printed; the alert's line."""
        while (line := self.lines.get(timeout=10)) is not None:
            self.seen.append(line)
            if line.get("id") == alert_id:
                return line
        raise AssertionError(f"{alert_id} never printed; saw {[line.get('id') for line in self.seen]}")

    def finish(self) -> tuple[int, list[dict[str, Any]], str]:
        """Wait for the exit; stdout belongs to the reader thread, stderr is small enough to read after."""
        code = self.process.wait(timeout=15)
        while (line := self.lines.get(timeout=5)) is not None:
            self.seen.append(line)
        assert self.process.stderr is not None
        return code, self.seen, self.process.stderr.read()


def scrape_metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample a ``Metrics`` output serves, by name and sorted labels."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


# -- pure rule steps -------------------------------------------------------------------------------


def _kind(obj: dict[str, Any]) -> k.Kind:
    group = obj["apiVersion"].rpartition("/")[0]
    return next(kind for kind in k.ALL if kind.group == group and kind.kind == obj["kind"])


def state_of(*objects: dict[str, Any], synced: bool = True) -> WatchState:
    """A state holding these objects; settings and CRDs count as listed (empty) unless ``synced=False``."""
    state = WatchState()
    keys = {_kind(o).key for o in objects} | {k.LH_SETTINGS.key, k.CRDS.key}
    for key in keys:
        for change in state.diff(key, [o for o in objects if _kind(o).key == key]):
            if synced or change.type != "SYNCED":
                state = state.apply(change)
    return state


def step(state: WatchState, obj: dict[str, Any], *, deleted: bool = False, history: tuple[Alert, ...] = ()
         ) -> list[Alert]:
    """The alerts one modification (or deletion) of ``obj`` raises."""
    change = state.change(_kind(obj).key, "DELETED" if deleted else "MODIFIED", obj)
    return alerts.evaluate(Transition(state, change, state.apply(change), AT, history))


# -- hand-made objects -----------------------------------------------------------------------------


def backing_image(name: str = "vmi-1", *, disks: tuple[str, ...] = ("d-0", "d-1"),
                  ready: tuple[str, ...] = ("d-0", "d-1"), failed: tuple[str, ...] = (),
                  file_map: tuple[str, ...] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"disks": {d: "" for d in disks}, "sourceType": "upload", "sourceParameters": {}}
    if file_map is not None:
        spec["diskFileSpecMap"] = {d: {"evictionRequested": False} for d in file_map}
    states = {d: "ready" for d in ready} | {d: "failed" for d in failed}
    return {"apiVersion": "longhorn.io/v1beta2", "kind": "BackingImage",
            "metadata": {"name": name, "namespace": NS, "annotations": {"harvesterhci.io/imageId": "default/win"}},
            "spec": spec,
            "status": {"uuid": IMAGE_UUID,
                       "diskFileStatusMap": {d: {"state": s, "progress": 100} for d, s in states.items()}}}


def with_spec(bi: dict[str, Any], **spec: Any) -> dict[str, Any]:
    changed = copy.deepcopy(bi)
    changed["spec"].update(spec)
    return changed


def with_ready(bi: dict[str, Any], *ready: str) -> dict[str, Any]:
    changed = copy.deepcopy(bi)
    changed["status"]["diskFileStatusMap"] = {d: {"state": "ready"} for d in ready}
    return changed


def longhorn_node(name: str, uuid: str, path: str) -> dict[str, Any]:
    return {"apiVersion": "longhorn.io/v1beta2", "kind": "Node", "metadata": {"name": name, "namespace": NS},
            "spec": {"disks": {"default-disk": {"path": path}}},
            "status": {"diskStatus": {"default-disk": {"diskUUID": uuid}}}}


NODES = tuple(longhorn_node(node, uuid, path) for uuid, (node, path) in DISKS.items())


def backingimage_crd(folder: Path) -> dict[str, Any]:
    return yaml.safe_load((folder / "crd-backingimages.longhorn.io.yaml").read_text())


def setting(value: str, **labels: str) -> dict[str, Any]:
    return {"apiVersion": "longhorn.io/v1beta2", "kind": "Setting",
            "metadata": {"name": "current-longhorn-version", "namespace": NS, "labels": labels}, "value": value}


def manager_pod(restarts: int, waiting: str = "", *, message: str = "") -> dict[str, Any]:
    state = {"waiting": {"reason": waiting}} if waiting else {"running": {"startedAt": "2026-11-27T09:00:00Z"}}
    status: dict[str, Any] = {"name": "longhorn-manager", "restartCount": restarts, "state": state,
                              "image": "longhornio/longhorn-manager:v1.7.2"}
    if restarts:
        status["lastState"] = {"terminated": {"reason": "Error", "exitCode": 1, "message": message}}
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "longhorn-manager-x1", "namespace": NS, "labels": {"app": "longhorn-manager"}},
            "spec": {"nodeName": "node-1"}, "status": {"containerStatuses": [status]}}


def volume(waiting: bool, name: str = "pvc-1", image: str = "vmi-1") -> dict[str, Any]:
    return {"apiVersion": "longhorn.io/v1beta2", "kind": "Volume", "metadata": {"name": name, "namespace": NS},
            "spec": {"backingImage": image},
            "status": {"state": "detached", "conditions": [
                {"type": "WaitForBackingImage", "status": str(waiting), "reason": "GetBackingImageFailed"}]}}


def upgrade(name: str = "hvst-upgrade-abcde", *, phase: str = "UpgradingSystemServices",
            nodes: dict[str, str] | None = None, completed: str = "Unknown") -> dict[str, Any]:
    """A Harvester Upgrade CR as the controller writes it (``phase`` is its state label; "" for none)."""
    labels = {"harvesterhci.io/latestUpgrade": "true"} | ({"harvesterhci.io/upgradeState": phase} if phase else {})
    return {
        "apiVersion": "harvesterhci.io/v1beta1", "kind": "Upgrade",
        "metadata": {"name": name, "namespace": UPGRADE_NS, "labels": labels},
        "spec": {"version": "v1.4.0", "logEnabled": False},
        "status": {"previousVersion": "v1.3.2",
                   "nodeStatuses": {node: {"state": state} for node, state in (nodes or {}).items()},
                   "conditions": [{"type": "Completed", "status": completed}]},
    }


# -- scripted cluster steps (on the emulator) ------------------------------------------------------


def set_longhorn_version(api: KubeAPIServer, version: str) -> None:
    """The migration's last step: current-longhorn-version records the new version."""
    api.patch("settings.longhorn.io", "current-longhorn-version", {"value": version}, NS)


def migrate_backing_image(api: KubeAPIServer, name: str) -> None:
    """v16xto170 on one image: spec.disks moved into spec.diskFileSpecMap, minNumberOfCopies set, written
    leniently. With the v1.6.2 CRD live the emulator prunes the new fields, exactly as the API server does."""
    disks = api.get("lhbi", name, NS)["spec"].get("disks") or {}
    api.patch("lhbi", name, [
        {"op": "replace", "path": "/spec/disks", "value": {}},
        {"op": "add", "path": "/spec/diskFileSpecMap", "value": {disk: {} for disk in disks}},
        {"op": "add", "path": "/spec/minNumberOfCopies", "value": 3},
    ], NS)


def drop_status_entry(api: KubeAPIServer, name: str, disk: str) -> None:
    """syncBackingImageFileInfo drops the status entry of a disk whose file is gone."""
    api.patch("lhbi", name, {"status": {"diskFileStatusMap": {disk: None}}}, NS)


def delete_backing_image(api: KubeAPIServer, name: str) -> None:
    """Delete an image for good: the request, then its controller releasing the ``longhorn.io`` finalizer."""
    api.delete("lhbi", name, NS)
    api.patch("lhbi", name, {"metadata": {"finalizers": None}}, NS)


def apply_longhorn_172_backingimage_crd(api: KubeAPIServer) -> None:
    api.install_crds(LONGHORN_172 / "crd-backingimages.longhorn.io.yaml")
