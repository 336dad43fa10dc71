"""Helpers for the protect tests: states and variants of the demo cluster, stand-ins for the backup
controllers (the emulator stores objects; nothing in it takes a backup), and ways to run the CLI."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
from kubeapi import KubeAPIServer
from support import state_from

from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState
from hvguard.synth.model import SyntheticCluster

LH_NS = "longhorn-system"
TARGET = "v1.4.0"
PLAN_SCHEMA = json.loads((Path(__file__).parents[2] / "src/hvguard/reports/schemas/plan-v1.json").read_text())
WINDOWS_IMAGE = "default/windows-2022"


def plan_errors(plan: dict[str, Any]) -> list[str]:
    return [error.message for error in jsonschema.Draft202012Validator(PLAN_SCHEMA).iter_errors(plan)]


def state_of(cluster: SyntheticCluster) -> ClusterState:
    """The state a source would read from ``cluster`` (objects of the kinds hvguard reads)."""
    known = {(kind.group, kind.kind) for kind in k.ALL}
    objects = [o for o in [*cluster.objects, *cluster.crds]
               if (str(o["apiVersion"]).rpartition("/")[0], o["kind"]) in known]
    return state_from(objects)


def edited(cluster: SyntheticCluster, kind: str, name: str, change: Callable[[dict[str, Any]], None],
           group: str = "") -> SyntheticCluster:
    """A copy of ``cluster`` with every ``kind``/``name`` object (of API ``group``, if given) changed by ``change``."""
    result = copy.deepcopy(cluster)
    for obj in result.objects:
        if obj["kind"] == kind and obj["metadata"]["name"] == name and obj["apiVersion"].startswith(group):
            change(obj)
    return result


def without_backup_target(cluster: SyntheticCluster) -> SyntheticCluster:
    return edited(cluster, "Setting", "backup-target", lambda setting: setting.update(value=""), group="longhorn.io/")


def image_name(cluster: SyntheticCluster, vm_image: str) -> str:
    """The BackingImage behind a Harvester VM image (``namespace/name``)."""
    return next(o["metadata"]["name"] for o in cluster.objects if o["kind"] == "BackingImage"
                and o["metadata"].get("annotations", {}).get("harvesterhci.io/imageId") == vm_image)


class BackupControllers:
    """Longhorn's BackupBackingImage and Harvester's VirtualMachineBackup controllers, as far as protect sees them.

    New backups go InProgress, then ``outcome``: ``Completed`` with the image's checksum (or ``checksum``
    when set), or ``Error``. ``None`` leaves them pending forever.
    """

    def __init__(self, api: KubeAPIServer) -> None:
        self.api = api
        self.outcome: str | None = "Completed"
        self.checksum: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="fake-backup-controllers", daemon=True)

    def start(self) -> BackupControllers:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(0.05):
            for backup in self.api.list("backupbackingimages", LH_NS):
                if not (backup.get("status") or {}).get("state"):
                    self._finish_image_backup(backup["metadata"]["name"])
            for backup in self.api.list("virtualmachinebackups"):
                if (backup.get("status") or {}).get("readyToUse") is None and self.outcome:
                    self.api.patch("virtualmachinebackups", backup["metadata"]["name"],
                                   {"status": {"readyToUse": True, "progress": 100}}, backup["metadata"]["namespace"])

    def _finish_image_backup(self, name: str) -> None:
        self.api.patch("backupbackingimages", name, {"status": {"state": "InProgress", "progress": 37}}, LH_NS)
        if self.outcome is None:
            return
        image = self.api.get("backingimages", name, LH_NS)
        status: dict[str, Any] = {"state": self.outcome, "backingImage": name, "progress": 100}
        if self.outcome == "Completed":
            status |= {"checksum": self.checksum or image["status"]["checksum"], "url": f"nfs://backups?backingImage={name}"}
        else:
            status |= {"error": "failed to upload: backup target unreachable", "progress": 37}
        self.api.patch("backupbackingimages", name, {"status": status}, LH_NS)


Run = Callable[..., tuple[int, str, str]]


def hvguard_process(*args: object, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hvguard", *map(str, args)], capture_output=True, text=True,
                          timeout=180, stdin=stdin)


def protect_args(kubeconfig: Path, workdir: Path, *extra: object) -> list[object]:
    return ["protect", "--kubeconfig", kubeconfig, "--to", TARGET, "--snapshot-dir", workdir,
            "--journal", workdir / "journal.jsonl", *extra]


def journal(workdir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (workdir / "journal.jsonl").read_text().splitlines()]
