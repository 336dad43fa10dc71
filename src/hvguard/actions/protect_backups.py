"""``backup-backing-image`` and ``backup-vms`` steps: a copy off the cluster of what Longhorn cannot re-fetch.

Only an image in use whose source cannot be fetched again and that has no Completed
BackupBackingImage with its checksum (``backing-image/not-rebuildable``) gets a backup: download
images are rebuilt from their URL, and a matching backup already answers the finding. A backup is
automatic only when it can succeed and be verified — a backup target is configured, the image has
a ready copy to read, and its checksum is known — otherwise the step says what a human must do.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from hvguard.actions.plan import Change, Step
from hvguard.analysis import facts
from hvguard.analysis.fields import dig
from hvguard.analysis.findings import Finding, ObjectRef
from hvguard.analysis.graph import Graph, ImageNode
from hvguard.knowledge.versions import Version
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState

BACKUP_IMAGE = "backup-backing-image"
BACKUP_VMS = "backup-vms"
FINDING = "backing-image/not-rebuildable"
LONGHORN_API = "longhorn.io/v1beta2"
HARVESTER_API = "harvesterhci.io/v1beta1"
# Longhorn 1.8 moved backup targets into BackupTarget objects; a BackupBackingImage names its image and target.
TARGET_OBJECTS_SINCE = (1, 8)
DEFAULT_BACKUP_TARGET = "default"
COMPLETED, ERROR = "Completed", "Error"
NAME_LIMIT = 63


def images_to_back_up(graph: Graph, findings: Iterable[Finding]) -> list[ImageNode]:
    """The images the not-rebuildable findings name, in finding order."""
    names = [f.resource.name for f in findings if f.id == FINDING and f.resource is not None]
    return [graph.images[n] for n in dict.fromkeys(names) if n in graph.images]


def longhorn_target_problem(state: ClusterState, longhorn: Version | None) -> str:
    """Why Longhorn cannot take a backup now ("" when a backup target is configured)."""
    if facts.longhorn_setting(state, "backup-target"):
        return ""
    if longhorn is not None and longhorn.series is not None and longhorn.series >= TARGET_OBJECTS_SINCE:
        return (f"Longhorn {longhorn} keeps backup targets in BackupTarget objects, which hvguard does not read: check "
                "`kubectl -n longhorn-system get backuptargets.longhorn.io default` and create the backup by hand")
    return ("no backup target is configured (Longhorn setting backup-target is empty): set one in Harvester "
            "(Settings → backup-target), then rerun")


def harvester_target_problem(state: ClusterState) -> str:
    """Why Harvester cannot take a VM backup now ("" when its backup-target setting has an endpoint)."""
    raw = dig(state.get(k.HARVESTER_SETTINGS, "backup-target"), "value", default="") or ""
    try:
        endpoint = dig(json.loads(raw), "endpoint", default="") if raw else ""
    except ValueError:
        endpoint = ""
    if endpoint:
        return ""
    return "Harvester has no backup target (setting backup-target has no endpoint): configure one, then rerun"


def backing_image_backup(image: ImageNode, longhorn: Version | None) -> dict[str, Any]:
    """A user-created BackupBackingImage named like the image, in the shape the running Longhorn expects."""
    spec: dict[str, Any] = {"userCreated": True, "labels": {}}
    if longhorn is not None and longhorn.series is not None and longhorn.series >= TARGET_OBJECTS_SINCE:
        spec |= {"backingImage": image.name, "backupTargetName": DEFAULT_BACKUP_TARGET}
    return {"apiVersion": LONGHORN_API, "kind": "BackupBackingImage",
            "metadata": {"name": image.name, "namespace": image.namespace}, "spec": spec}


def image_backup_steps(state: ClusterState, graph: Graph, findings: Iterable[Finding],
                       longhorn: Version | None) -> list[Step]:
    found = list(findings)
    target_problem = longhorn_target_problem(state, longhorn)
    steps = []
    for image in images_to_back_up(graph, found):
        finding = next(f for f in found if f.id == FINDING and f.resource and f.resource.name == image.name)
        problem = target_problem or _image_problem(image)
        body = backing_image_backup(image, longhorn)
        ref = ObjectRef("BackupBackingImage", image.name, image.namespace, LONGHORN_API)
        steps.append(Step(
            id=f"{BACKUP_IMAGE}/{image.namespace}/{image.name}",
            action=BACKUP_IMAGE,
            target=ObjectRef("BackingImage", image.name, image.namespace, LONGHORN_API),
            title=f"back up {image.vm_image or image.name} ({image.source_type}) to the backup target",
            reason=finding.message,
            finding=FINDING,
            changes=() if problem else (Change("create", ref, "backupbackingimages", body),),
            automatic=not problem,
            notes=(problem,) if problem else (
                f"afterwards hvguard stops unless the backup's status.checksum equals the image's {image.checksum}",),
            wait={} if problem else {
                "apiVersion": LONGHORN_API, "plural": "backupbackingimages", "name": image.name,
                "namespace": image.namespace, "path": "status.state", "equals": COMPLETED, "failOn": [ERROR],
                "progress": "status.progress"},
        ))
    return steps


def _image_problem(image: ImageNode) -> str:
    """Why this image's backup cannot be taken or trusted ("" when it can)."""
    if not image.ready_copies:
        return "the image has no ready copy to back up from; repair it first (see its repair step)"
    if not image.checksum:
        return "the image's status.checksum is empty, so a backup could not be verified against it"
    existing = next((b for b in image.backups if b.name == image.name), None)
    if existing and (existing.state == ERROR or (existing.state == COMPLETED and existing.checksum != image.checksum)):
        detail = f"is {ERROR}" if existing.state == ERROR else f"has checksum {existing.checksum or '(none)'}"
        return (f"BackupBackingImage {image.namespace}/{existing.name} already exists and {detail}; hvguard never "
                f"deletes: `kubectl -n {image.namespace} delete backupbackingimages.longhorn.io {existing.name}`, "
                "then rerun")
    return ""


def vm_backup_steps(state: ClusterState, images: Iterable[ImageNode], target: Version) -> list[Step]:
    """One Harvester VM backup per VM using an image that needs a backup (VMs are listed once)."""
    problem = harvester_target_problem(state)
    vms = dict.fromkeys(vm for image in images for vm in image.vms)
    steps = []
    for qualified_vm in vms:
        namespace, _, vm = qualified_vm.rpartition("/")
        name = _backup_name(vm, target)
        body = {"apiVersion": HARVESTER_API, "kind": "VirtualMachineBackup",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"source": {"apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": vm}, "type": "backup"}}
        ref = ObjectRef("VirtualMachineBackup", name, namespace, HARVESTER_API)
        steps.append(Step(
            id=f"{BACKUP_VMS}/{qualified_vm}",
            action=BACKUP_VMS,
            target=ObjectRef("VirtualMachine", vm, namespace, "kubevirt.io/v1"),
            title=f"back up VM {qualified_vm} before the upgrade (--with-vm-backups)",
            reason="it runs on a backing image that cannot be re-fetched; a VM backup also restores its disks",
            finding=FINDING,
            changes=() if problem else (Change("create", ref, "virtualmachinebackups", body),),
            automatic=not problem,
            notes=(problem,) if problem else (),
            wait={} if problem else {
                "apiVersion": HARVESTER_API, "plural": "virtualmachinebackups", "name": name, "namespace": namespace,
                "path": "status.readyToUse", "equals": True, "error": "status.error.message",
                "progress": "status.progress"},
        ))
    return steps


def _backup_name(vm: str, target: Version) -> str:
    """Stable per VM and target, so a rerun finds the backup it made: ``<vm>-before-v1-4-0``."""
    suffix = "-before-" + str(target).replace(".", "-")
    return vm[: NAME_LIMIT - len(suffix)].rstrip("-") + suffix
