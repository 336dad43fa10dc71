"""Longhorn ``longhorn.io/v1beta2`` objects, shaped on the v1.6.2 CRDs and Go types.

Longhorn's types have no ``omitempty``, so every field is present (empty strings included: that is
where a bundle's ``"null"`` strings come from). Names follow longhorn-manager's rules: replicas
``<volume>-r-<8 hex>``, backing-image managers ``backing-image-manager-<sha512(image)[:4]>-<disk[:4]>``,
instance managers ``instance-manager-<sha512(node+image+engine)[:32]>``.

``backing_image`` writes either spec shape: Longhorn <= 1.6 (``spec.disks: {uuid: ""}``) or >= 1.7
(``spec.diskFileSpecMap`` plus ``minNumberOfCopies``, ``secret``, ``secretNamespace``, with
``spec.disks`` emptied by the 1.7 migration).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from hvguard.synth import ids
from hvguard.synth.builders.meta import Obj, name_of, object_meta, owned_by

LONGHORN_NS = "longhorn-system"
API_VERSION = "longhorn.io/v1beta2"
ENGINE_IMAGE = "longhornio/longhorn-engine:v1.6.2"
INSTANCE_MANAGER_IMAGE = "longhornio/longhorn-instance-manager:v1.6.2"
BACKING_IMAGE_MANAGER_IMAGE = "longhornio/backing-image-manager:v1.6.2"
_FINALIZER = "longhorn.io"
_MANAGED = {"longhorn.io/managed-by": "longhorn-manager"}

BackingImageAPI = Literal["v1.6", "v1.7"]


@dataclass(frozen=True, slots=True)
class Disk:
    """A Longhorn disk; node, backing-image manager and replica objects all refer to it."""

    node: str
    name: str
    uuid: str
    path: str
    storage_maximum: int
    storage_reserved: int
    storage_used: int  # bytes in use on the filesystem, so available = maximum - used
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DiskFile:
    """A backing image's file on one disk, as ``status.diskFileStatusMap`` reports it."""

    transitioned: str  # lastStateTransitionTime
    state: str = "ready"
    progress: int = 100
    message: str = ""


def condition(type_: str, status: str, at: str, reason: str = "", message: str = "") -> Obj:
    """A Longhorn condition: every field present, ``lastProbeTime`` never set."""
    return {"lastProbeTime": "", "lastTransitionTime": at, "message": message, "reason": reason,
            "status": status, "type": type_}


def _sha512_prefix(text: str, length: int) -> str:
    return hashlib.sha512(text.encode()).hexdigest()[:length]


def backing_image_manager_name(image: str, disk_uuid: str) -> str:
    return f"backing-image-manager-{_sha512_prefix(image, 4)}-{disk_uuid[:4]}"


def instance_manager_name(node: str, image: str = INSTANCE_MANAGER_IMAGE, data_engine: str = "v1") -> str:
    return f"instance-manager-{_sha512_prefix(node + image + data_engine, 32)}"


def longhorn_node(
    name: str,
    disks: Sequence[Disk],
    *,
    created: str,
    ready_since: str,
    scheduled: Mapping[str, Mapping[str, int]] | None = None,  # disk name -> {replica name: size}
    eviction_requested: bool = False,
) -> Obj:
    """A schedulable Longhorn node with its disks (``spec.disks`` by name, status by name too)."""
    scheduled = scheduled or {}
    disk_specs: Obj = {}
    disk_status: Obj = {}
    for disk in disks:
        disk_specs[disk.name] = {"allowScheduling": True, "diskType": "filesystem", "evictionRequested": False,
                                 "path": disk.path, "storageReserved": disk.storage_reserved, "tags": list(disk.tags)}
        replicas = dict(scheduled.get(disk.name, {}))
        where = f"Disk {disk.name}({disk.path}) on node {name}"
        disk_status[disk.name] = {
            "conditions": [condition("Ready", "True", ready_since, message=f"{where} is ready"),
                           condition("Schedulable", "True", ready_since, message=f"{where} is schedulable")],
            "diskType": "filesystem",
            "diskUUID": disk.uuid,
            "filesystemType": "ext2/ext3",
            "scheduledReplica": replicas,
            "storageAvailable": disk.storage_maximum - disk.storage_used,
            "storageMaximum": disk.storage_maximum,
            "storageScheduled": sum(replicas.values()),
        }
    return {
        "apiVersion": API_VERSION,
        "kind": "Node",
        "metadata": object_meta("longhorn.io/Node", name, LONGHORN_NS, created=created, generation=1,
                                finalizers=[_FINALIZER, "wrangler.cattle.io/harvester-ndm-node-handler"]),
        "spec": {"allowScheduling": True, "disks": disk_specs, "evictionRequested": eviction_requested,
                 "instanceManagerCPURequest": 0, "name": name, "tags": []},
        "status": {
            "autoEvicting": False,
            "conditions": [condition("Ready", "True", ready_since, message=f"Node {name} is ready"),
                           condition("Schedulable", "True", ready_since),
                           condition("MountPropagation", "True", ready_since)],
            "diskStatus": disk_status,
            "region": "",
            "snapshotCheckStatus": {},
            "zone": "",
        },
    }


def backing_image(
    name: str,
    *,
    created: str,
    source_type: str,
    source_parameters: Mapping[str, str],
    uuid: str,
    size: int,
    virtual_size: int,
    checksum: str,
    owner_node: str,
    disks: Sequence[str],
    files: Mapping[str, DiskFile],
    last_ref_at: Mapping[str, str] | None = None,
    image_id: str | None = None,
    expected_checksum: str = "",
    api: BackingImageAPI = "v1.6",
    min_copies: int = 3,
) -> Obj:
    """A backing image; ``disks`` are the disk UUIDs the spec asks for, ``files`` what status holds.

    ``image_id`` (``<ns>/<vmimage>``) is the annotation Harvester puts on images it creates.
    """
    spec: Obj = {"checksum": expected_checksum}
    if api == "v1.6":
        spec["disks"] = {disk: "" for disk in disks}
    else:
        spec |= {"diskFileSpecMap": {disk: {"evictionRequested": False} for disk in disks}, "disks": {},
                 "minNumberOfCopies": min_copies, "secret": "", "secretNamespace": ""}
    spec |= {"sourceParameters": dict(source_parameters), "sourceType": source_type}
    return {
        "apiVersion": API_VERSION,
        "kind": "BackingImage",
        "metadata": object_meta("BackingImage", name, LONGHORN_NS, created=created, generation=len(disks) + 1,
                                labels={"longhorn.io/component": "backing-image", **_MANAGED},
                                annotations={"harvesterhci.io/imageId": image_id} if image_id else None,
                                finalizers=[_FINALIZER]),
        "spec": spec,
        "status": {
            "checksum": checksum,
            "diskFileStatusMap": {
                disk: {"lastStateTransitionTime": file.transitioned, "message": file.message,
                       "progress": file.progress, "state": file.state}
                for disk, file in files.items()
            },
            "diskLastRefAtMap": dict(last_ref_at or {}),
            "ownerID": owner_node,
            "size": size,
            "uuid": uuid,
            "virtualSize": virtual_size,
        },
    }


def backing_image_manager(
    disk: Disk,
    *,
    created: str,
    ip: str,
    files: Sequence[tuple[Obj, DiskFile]],  # (backing image, its file on this disk)
    image: str = BACKING_IMAGE_MANAGER_IMAGE,
) -> Obj:
    """The manager of backing-image files on one disk; ``spec.backingImages`` maps name -> UUID."""
    file_map: Obj = {}
    for bi, file in files:
        status = bi["status"]
        file_map[name_of(bi)] = {
            "currentChecksum": status["checksum"] if file.state == "ready" else "",
            "message": file.message,
            "name": name_of(bi),
            "progress": file.progress,
            "senderManagerAddress": "",
            "sendingReference": 0,
            "size": status["size"],
            "state": file.state,
            "uuid": status["uuid"],
            "virtualSize": status["virtualSize"],
        }
    labels = {"longhorn.io/component": "backing-image-manager", "longhorn.io/disk-uuid": disk.uuid,
              **_MANAGED, "longhorn.io/node": disk.node}
    return {
        "apiVersion": API_VERSION,
        "kind": "BackingImageManager",
        "metadata": object_meta("BackingImageManager", backing_image_manager_name(image, disk.uuid), LONGHORN_NS,
                                created=created, generation=len(files), labels=labels, finalizers=[_FINALIZER]),
        "spec": {"backingImages": {name_of(bi): bi["status"]["uuid"] for bi, _ in files}, "diskPath": disk.path,
                 "diskUUID": disk.uuid, "image": image, "nodeID": disk.node},
        "status": {"apiMinVersion": 3, "apiVersion": 3, "backingImageFileMap": file_map, "currentState": "running",
                   "ip": ip, "ownerID": disk.node, "storageIP": ip},
    }


def backing_image_data_source(bi: Obj, disk: Disk, *, created: str) -> Obj:
    """The data source that produced ``bi``'s first file on ``disk``, its work long done."""
    name, status = name_of(bi), bi["status"]
    labels = {"longhorn.io/backing-image-data-source": name, "longhorn.io/component": "backing-image-data-source",
              "longhorn.io/disk-uuid": disk.uuid, **_MANAGED, "longhorn.io/node": disk.node}
    return {
        "apiVersion": API_VERSION,
        "kind": "BackingImageDataSource",
        "metadata": object_meta("BackingImageDataSource", name, LONGHORN_NS, created=created, generation=2,
                                labels=labels, owners=[owned_by(bi)], finalizers=[_FINALIZER]),
        "spec": {"checksum": bi["spec"]["checksum"], "diskPath": disk.path, "diskUUID": disk.uuid,
                 "fileTransferred": True, "nodeID": disk.node, "parameters": dict(bi["spec"]["sourceParameters"]),
                 "sourceType": bi["spec"]["sourceType"], "uuid": status["uuid"]},
        "status": {"checksum": status["checksum"], "currentState": "ready", "ip": "", "message": "",
                   "ownerID": disk.node, "progress": 100, "runningParameters": {}, "size": status["size"],
                   "storageIP": ""},
    }


def backup_backing_image(bi: Obj, *, created: str, completed_at: str, backup_target: str, manager_address: str,
                         owner_node: str, compression: str = "lz4") -> Obj:
    """The backup Longhorn made of ``bi`` when a volume using it was backed up (state Completed)."""
    name, status = name_of(bi), bi["status"]
    return {
        "apiVersion": API_VERSION,
        "kind": "BackupBackingImage",
        "metadata": object_meta("BackupBackingImage", name, LONGHORN_NS, created=created, generation=1,
                                finalizers=[_FINALIZER]),
        "spec": {"syncRequestedAt": None, "userCreated": True},
        "status": {
            "backingImage": name,
            "backupCreatedAt": completed_at,
            "checksum": status["checksum"],
            "compressionMethod": compression,
            "labels": None,
            "lastSyncedAt": completed_at,
            "managerAddress": manager_address,
            "messages": None,
            "ownerID": owner_node,
            "progress": 100,
            "size": status["size"],
            "state": "Completed",
            "url": f"{backup_target}?backingImage={name}",
        },
    }


def kubernetes_status(claim: Obj, *, pods: Sequence[tuple[str, str, str]] = (), last_pod_ref_at: str = "") -> Obj:
    """``volume.status.kubernetesStatus`` for a volume bound to ``claim``; pods are (pod, phase, VMI)."""
    workloads = [{"podName": pod, "podStatus": phase, "workloadName": vmi, "workloadType": "VirtualMachineInstance"}
                 for pod, phase, vmi in pods]
    return {"lastPVCRefAt": "", "lastPodRefAt": last_pod_ref_at, "namespace": claim["metadata"]["namespace"],
            "pvName": claim["spec"]["volumeName"], "pvStatus": "Bound", "pvcName": claim["metadata"]["name"],
            "workloadsStatus": workloads or None}


def volume(
    name: str,
    *,
    created: str,
    size: int,
    kubernetes: Obj,
    owner_node: str,
    number_of_replicas: int = 3,
    backing_image: str = "",
    attached_to: str = "",
    state: str = "attached",
    robustness: str = "healthy",
    actual_size: int = 0,
    waiting_for_backing_image: bool = False,
    last_backup: tuple[str, str] = ("", ""),  # (backup name, time)
    since: str = "",
) -> Obj:
    """A Harvester VM volume (migratable RWX block volume made by the CSI driver).

    ``attached_to`` is the node the volume is attached (or attaching) to; empty when detached.
    """
    since = since or created
    running = state == "attached"
    return {
        "apiVersion": API_VERSION,
        "kind": "Volume",
        "metadata": object_meta("Volume", name, LONGHORN_NS, created=created, generation=3,
                                labels={"longhornvolume": name, "recurring-job-group.longhorn.io/default": "enabled"},
                                finalizers=[_FINALIZER]),
        "spec": {
            "Standby": False, "accessMode": "rwx", "backendStoreDriver": "", "backingImage": backing_image,
            "backupCompressionMethod": "lz4", "dataEngine": "v1", "dataLocality": "disabled", "dataSource": "",
            "disableFrontend": False, "diskSelector": [], "encrypted": False, "engineImage": "", "fromBackup": "",
            "frontend": "blockdev", "image": ENGINE_IMAGE, "lastAttachedBy": "", "migratable": True,
            "migrationNodeID": "", "nodeID": attached_to, "nodeSelector": [], "numberOfReplicas": number_of_replicas,
            "offlineReplicaRebuilding": "disabled", "replicaAutoBalance": "ignored",
            "replicaDiskSoftAntiAffinity": "ignored", "replicaSoftAntiAffinity": "ignored",
            "replicaZoneSoftAntiAffinity": "ignored", "restoreVolumeRecurringJob": "ignored",
            "revisionCounterDisabled": False, "size": str(size), "snapshotDataIntegrity": "ignored",
            "snapshotMaxCount": 250, "snapshotMaxSize": "0", "staleReplicaTimeout": 30,
            "unmapMarkSnapChainRemoved": "ignored",
        },
        "status": {
            "actualSize": actual_size,
            "cloneStatus": {"snapshot": "", "sourceVolume": "", "state": ""},
            "conditions": [
                condition("Restore", "False", created),
                condition("Scheduled", "True", created),
                condition("TooManySnapshots", "False", created),
                condition("WaitForBackingImage", "True", since, reason="Waiting") if waiting_for_backing_image
                else condition("WaitForBackingImage", "False", created),
            ],
            "currentImage": ENGINE_IMAGE,
            "currentMigrationNodeID": "",
            "currentNodeID": attached_to if running else "",
            "expansionRequired": False,
            "frontendDisabled": False,
            "isStandby": False,
            "kubernetesStatus": kubernetes,
            "lastBackup": last_backup[0],
            "lastBackupAt": last_backup[1],
            "lastDegradedAt": "",
            "offlineReplicaRebuildingRequired": False,
            "ownerID": owner_node,
            "pendingNodeID": "",
            "remountRequestedAt": since,
            "restoreInitiated": False,
            "restoreRequired": False,
            "robustness": robustness,
            "shareEndpoint": "",
            "shareState": "",
            "state": state,
        },
    }


def replica(
    vol: Obj,
    disk: Disk,
    *,
    created: str,
    running: bool,
    ip: str = "",
    port: int = 0,
    waiting_for_backing_image: bool = False,
    healthy_at: str = "",
) -> Obj:
    """One replica of ``vol`` on ``disk``; a stopped replica has no process, IP or port."""
    vol_name, vol_spec = name_of(vol), vol["spec"]
    name = f"{vol_name}-r-{ids.hex_id(8, 'replica', vol_name, disk.uuid)}"
    labels = {"longhorndiskuuid": disk.uuid, "longhornnode": disk.node, "longhornvolume": vol_name}
    if vol_spec["backingImage"]:
        labels["longhorn.io/backing-image"] = vol_spec["backingImage"]
    wait = (condition("WaitForBackingImage", "True", created, reason="Waiting") if waiting_for_backing_image
            else condition("WaitForBackingImage", "False", created))
    return {
        "apiVersion": API_VERSION,
        "kind": "Replica",
        "metadata": object_meta("Replica", name, LONGHORN_NS, created=created, generation=2, labels=labels,
                                owners=[owned_by(vol)], finalizers=[_FINALIZER]),
        "spec": {
            "active": True, "backendStoreDriver": "", "backingImage": vol_spec["backingImage"],
            "dataDirectoryName": f"{vol_name}-{ids.hex_id(8, 'data-dir', vol_name, disk.uuid)}",
            "dataEngine": "v1", "desireState": "running" if running else "stopped", "diskID": disk.uuid,
            "diskPath": disk.path, "engineImage": "", "engineName": f"{vol_name}-e-0", "evictionRequested": False,
            "failedAt": "", "hardNodeAffinity": "", "healthyAt": healthy_at, "image": vol_spec["image"],
            "lastFailedAt": "", "lastHealthyAt": healthy_at, "logRequested": False, "nodeID": disk.node,
            "rebuildRetryCount": 0, "revisionCounterDisabled": False, "salvageRequested": False,
            "snapshotMaxCount": vol_spec["snapshotMaxCount"], "snapshotMaxSize": vol_spec["snapshotMaxSize"],
            "unmapMarkDiskChainRemovedEnabled": False, "volumeName": vol_name, "volumeSize": vol_spec["size"],
        },
        "status": {
            "conditions": [condition("RebuildFailed", "False", created), wait],
            "currentImage": vol_spec["image"] if running else "",
            "currentState": "running" if running else "stopped",
            "evictionRequested": False,
            "instanceManagerName": instance_manager_name(disk.node) if running else "",
            "ip": ip if running else "",
            "logFetched": False,
            "ownerID": disk.node,
            "port": port if running else 0,
            "salvageExecuted": False,
            "started": running,
            "storageIP": ip if running else "",
        },
    }


def scheduled_sizes(replicas: Sequence[Obj], disks: Sequence[Disk]) -> dict[str, dict[str, int]]:
    """``diskStatus[*].scheduledReplica`` for these disks: disk name -> {replica: volume size}."""
    by_uuid = {disk.uuid: disk.name for disk in disks}
    result: dict[str, dict[str, int]] = {}
    for rep in replicas:
        disk_name = by_uuid.get(rep["spec"]["diskID"])
        if disk_name:
            result.setdefault(disk_name, {})[name_of(rep)] = int(rep["spec"]["volumeSize"])
    return result
