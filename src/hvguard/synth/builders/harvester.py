"""Harvester and Rancher objects: VM images, VM backups, the upgrade ``Version``, ManagedCharts.

Shapes follow Harvester v1.3.2's Go types (``omitempty`` honoured) and the v1.3.2 VirtualMachineImage
CRD; ManagedCharts are the two Fleet-deployed charts every Harvester cluster has in ``fleet-local``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hvguard.synth import ids
from hvguard.synth.builders.kubernetes import LONGHORN_CSI
from hvguard.synth.builders.meta import Obj, name_of, object_meta

HARVESTER_API = "harvesterhci.io/v1beta1"
IMAGE_DEFAULT_SC_PARAMETERS = {"migratable": "true", "numberOfReplicas": "3", "staleReplicaTimeout": "30"}


def image_storage_class_name(image_name: str) -> str:
    """Harvester v1.3/v1.4 names each image's StorageClass ``longhorn-<vmimage name>``."""
    return f"longhorn-{image_name}"


def vm_image(
    name: str,
    namespace: str,
    *,
    created: str,
    display_name: str,
    source_type: str,
    size: int,
    imported_at: str,
    url: str = "",
    checksum: str = "",
    source_pvc: tuple[str, str] = ("", ""),  # (namespace, name) for export-from-volume
    storage_class_parameters: Mapping[str, str] | None = None,
) -> Obj:
    """An imported VirtualMachineImage (``Imported=True``, which Harvester never revisits)."""
    status: Obj = {}
    if url:
        status["appliedUrl"] = url
    status |= {
        "conditions": [
            {"lastUpdateTime": imported_at, "reason": "Imported", "status": "True", "type": "Imported"},
            {"lastUpdateTime": created, "reason": "Initialized", "status": "True", "type": "Initialized"},
        ],
        "failed": 0,
        "progress": 100,
        "size": size,
        "storageClassName": image_storage_class_name(name),
    }
    return {
        "apiVersion": HARVESTER_API,
        "kind": "VirtualMachineImage",
        "metadata": object_meta("VirtualMachineImage", name, namespace, created=created, generation=3,
                                labels={"harvesterhci.io/imageDisplayName": display_name},
                                finalizers=["wrangler.cattle.io/vm-image-controller"]),
        "spec": {
            "checksum": checksum,
            "displayName": display_name,
            "pvcName": source_pvc[1],
            "pvcNamespace": source_pvc[0],
            "retry": 3,
            "sourceType": source_type,
            "storageClassParameters": dict(storage_class_parameters or IMAGE_DEFAULT_SC_PARAMETERS),
            "url": url,
        },
        "status": status,
    }


def version(name: str, *, created: str, iso_url: str, iso_checksum: str, release_date: str,
            min_upgradable: str, tags: Sequence[str] = ()) -> Obj:
    """An upgrade target offered to the cluster (``versions.harvesterhci.io`` in harvester-system)."""
    return {
        "apiVersion": HARVESTER_API,
        "kind": "Version",
        "metadata": object_meta("Version", name, "harvester-system", created=created, generation=1,
                                annotations={"harvesterhci.io/minFreeDiskSpaceGB": "30"}),
        "spec": {"isoChecksum": iso_checksum, "isoURL": iso_url, "minUpgradableVersion": min_upgradable,
                 "releaseDate": release_date, "tags": list(tags)},
    }


def _fleet_condition(type_: str, status: str, at: str) -> Obj:
    return {"lastUpdateTime": at, "status": status, "type": type_}


def managed_chart(
    name: str,
    *,
    created: str,
    updated: str,
    chart_version: str,
    values: Mapping[str, Any],
    ready: bool = True,
    take_ownership: bool = False,
    compare_patches: Sequence[Obj] = (),
    generation: int = 4,
) -> Obj:
    """A ``fleet-local`` ManagedChart deploying one Harvester chart to the local cluster."""
    spec: Obj = {
        "chart": name,
        "defaultNamespace": "harvester-system",
        "releaseName": name,
        "repoName": "harvester-charts",
        "targets": [{"clusterName": "local", "clusterSelector": {"matchExpressions": [
            {"key": "provisioning.cattle.io/unmanaged-system-agent", "operator": "DoesNotExist"}]}}],
        "timeoutSeconds": 600,
        "values": dict(values),
        "version": chart_version,
    }
    if take_ownership:
        spec["takeOwnership"] = True
    if compare_patches:
        spec["diff"] = {"comparePatches": list(compare_patches)}
    state = "True" if ready else "False"
    ready_count = 1 if ready else 0
    summary = {"desiredReady": 1, "ready": ready_count}
    return {
        "apiVersion": "management.cattle.io/v3",
        "kind": "ManagedChart",
        "metadata": object_meta("ManagedChart", name, "fleet-local", created=created, generation=generation,
                                finalizers=["wrangler.cattle.io/managed-chart"]),
        "spec": spec,
        "status": {
            "conditions": [_fleet_condition("Processed", "True", updated), _fleet_condition("Defined", "True", updated),
                           _fleet_condition("Ready", state, updated)],
            "display": {"readyClusters": f"{ready_count}/1"},
            "maxNew": 50,
            "maxUnavailable": 1,
            "maxUnavailablePartitions": 0,
            "observedGeneration": generation,
            "partitions": [{"count": 1, "maxUnavailable": 1, "name": "All", "summary": summary}],
            "resourcesSha256Sum": ids.hex_id(64, "managedchart", name, chart_version),
            "summary": summary,
            "unavailable": 1 - ready_count,
            "unavailablePartitions": 0,
        },
    }


def vm_backup(name: str, vm: Obj, claim: Obj, *, created: str, completed_at: str, backup_target: str,
              longhorn_backup: str, volume_size: int) -> Obj:
    """A finished (``readyToUse``) Harvester backup of a one-disk VM to the backup target."""
    namespace = vm["metadata"]["namespace"]
    claim_meta = claim["metadata"]
    volume_backup = {
        "creationTime": completed_at,
        "csiDriverName": LONGHORN_CSI,
        "longhornBackupName": longhorn_backup,
        "name": f"{name}-volume-{claim_meta['name']}",
        "persistentVolumeClaim": {
            "metadata": {"name": claim_meta["name"], "namespace": namespace,
                         "annotations": {"harvesterhci.io/imageId": claim_meta["annotations"]["harvesterhci.io/imageId"]}},
            "spec": {key: claim["spec"][key] for key in ("accessModes", "resources", "storageClassName", "volumeMode")},
        },
        "progress": 100,
        "readyToUse": True,
        "volumeName": "disk-0",
        "volumeSize": volume_size,
    }
    return {
        "apiVersion": HARVESTER_API,
        "kind": "VirtualMachineBackup",
        "metadata": object_meta("VirtualMachineBackup", name, namespace, created=created, generation=1,
                                finalizers=["wrangler.cattle.io/harvester-vm-backup-controller"]),
        "spec": {"source": {"apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": name_of(vm)}, "type": "backup"},
        "status": {
            "backupTarget": {"endpoint": backup_target},
            "conditions": [{"lastTransitionTime": completed_at, "lastUpdateTime": completed_at, "status": "False",
                            "type": "InProgress"},
                           {"lastTransitionTime": completed_at, "lastUpdateTime": completed_at, "status": "True",
                            "type": "Ready"}],
            "creationTime": created,
            "progress": 100,
            "readyToUse": True,
            "source": {"metadata": {"name": name_of(vm), "namespace": namespace}, "spec": vm["spec"]},
            "sourceUID": vm["metadata"]["uid"],
            "volumeBackups": [volume_backup],
        },
    }
