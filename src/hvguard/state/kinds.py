"""The API resource types hvguard reads, and where each lives.

This table is the single answer to "what does hvguard read?": the live source LISTs exactly these,
the bundle source looks for exactly these files, the RBAC manifest grants exactly these, and checks
declare their inputs by naming them. Secrets are deliberately absent.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Kind:
    """One API resource type.

    ``versions`` lists the API versions hvguard understands, preferred first; a source reads the
    first one the server (or bundle) offers. ``namespaces`` narrows where a namespaced type is
    looked for (``None``: every namespace).
    """

    key: str
    group: str
    versions: tuple[str, ...]
    plural: str
    kind: str
    namespaced: bool
    namespaces: tuple[str, ...] | None = None
    # A cluster always has objects of this type, so an empty or absent list means "not read".
    never_empty: bool = False
    # Dotted paths of subtrees no analysis reads, dropped as objects are read (see ``state/trim.py``).
    drop: tuple[str, ...] = ()

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version


LONGHORN_NS = ("longhorn-system",)
_LH = ("v1beta2", "v1beta1")


def _lh(plural: str, kind: str, drop: tuple[str, ...] = ()) -> Kind:
    return Kind(f"longhorn.io/{plural}", "longhorn.io", _LH, plural, kind, True, LONGHORN_NS, drop=drop)


NODES = Kind("nodes", "", ("v1",), "nodes", "Node", False, never_empty=True)
NAMESPACES = Kind("namespaces", "", ("v1",), "namespaces", "Namespace", False, never_empty=True)
PVS = Kind("persistentvolumes", "", ("v1",), "persistentvolumes", "PersistentVolume", False)
PVCS = Kind("persistentvolumeclaims", "", ("v1",), "persistentvolumeclaims", "PersistentVolumeClaim", True)
# Longhorn pods (longhorn-manager restarts and crash loops are what `hvguard watch` reads from them).
PODS = Kind("pods", "", ("v1",), "pods", "Pod", True, LONGHORN_NS)
STORAGE_CLASSES = Kind("storage.k8s.io/storageclasses", "storage.k8s.io", ("v1",), "storageclasses", "StorageClass", False)
CRDS = Kind(
    "apiextensions.k8s.io/customresourcedefinitions", "apiextensions.k8s.io", ("v1",),
    "customresourcedefinitions", "CustomResourceDefinition", False, never_empty=True,
)

BACKING_IMAGES = _lh("backingimages", "BackingImage")
BACKING_IMAGE_MANAGERS = _lh("backingimagemanagers", "BackingImageManager")
BACKING_IMAGE_DATA_SOURCES = _lh("backingimagedatasources", "BackingImageDataSource")
BACKUP_BACKING_IMAGES = _lh("backupbackingimages", "BackupBackingImage")
# Drop lists cover the types a large cluster has tens of thousands of, where they halve memory.
LH_VOLUMES = _lh("volumes", "Volume", drop=(
    "status.kubernetesStatus.workloadsStatus",  # the pods using it; the graph links VMs through PVCs
    "status.cloneStatus",
))
# Only where a replica lives (spec: volumeName, nodeID, diskID, diskPath, backingImage) and its state is
# read; its labels and owner repeat those spec fields, and its endpoint matters to its engine only.
LH_REPLICAS = _lh("replicas", "Replica", drop=(
    "metadata.labels", "metadata.ownerReferences", "status.conditions",
    "status.ip", "status.storageIP", "status.port", "status.instanceManagerName",
))
LH_NODES = _lh("nodes", "Node")
LH_SETTINGS = _lh("settings", "Setting")

VM_IMAGES = Kind(
    "harvesterhci.io/virtualmachineimages", "harvesterhci.io", ("v1beta1",),
    "virtualmachineimages", "VirtualMachineImage", True,
)
HARVESTER_SETTINGS = Kind("harvesterhci.io/settings", "harvesterhci.io", ("v1beta1",), "settings", "Setting", False)
UPGRADES = Kind(
    "harvesterhci.io/upgrades", "harvesterhci.io", ("v1beta1",), "upgrades", "Upgrade", True, ("harvester-system",),
)
VM_BACKUPS = Kind(
    "harvesterhci.io/virtualmachinebackups", "harvesterhci.io", ("v1beta1",),
    "virtualmachinebackups", "VirtualMachineBackup", True,
)
SCHEDULE_VM_BACKUPS = Kind(
    "harvesterhci.io/schedulevmbackups", "harvesterhci.io", ("v1beta1",),
    "schedulevmbackups", "ScheduleVMBackup", True,
)
# A VM's disks, image annotations and status are read; not the virtual hardware it runs on.
VMS = Kind("kubevirt.io/virtualmachines", "kubevirt.io", ("v1",), "virtualmachines", "VirtualMachine", True, drop=(
    "spec.template.spec.domain", "spec.template.spec.networks", "spec.template.spec.affinity",
    "status.volumeSnapshotStatuses",
))
# An instance only tells whether its VM runs (status.phase, status.conditions, status.nodeName); its spec
# repeats the VM's template.
VMIS = Kind(
    "kubevirt.io/virtualmachineinstances", "kubevirt.io", ("v1",),
    "virtualmachineinstances", "VirtualMachineInstance", True, drop=(
        "spec", "status.interfaces", "status.volumeStatus", "status.phaseTransitionTimestamps",
        "status.activePods", "status.guestOSInfo", "status.currentCPUTopology", "status.migrationState",
    ),
)
MANAGED_CHARTS = Kind(
    "management.cattle.io/managedcharts", "management.cattle.io", ("v3",), "managedcharts", "ManagedChart", True,
    ("fleet-local",),
)

ALL: tuple[Kind, ...] = (
    NODES, NAMESPACES, PVS, PVCS, PODS, STORAGE_CLASSES, CRDS,
    BACKING_IMAGES, BACKING_IMAGE_MANAGERS, BACKING_IMAGE_DATA_SOURCES, BACKUP_BACKING_IMAGES,
    LH_VOLUMES, LH_REPLICAS, LH_NODES, LH_SETTINGS,
    VM_IMAGES, HARVESTER_SETTINGS, UPGRADES, VM_BACKUPS, SCHEDULE_VM_BACKUPS,
    VMS, VMIS, MANAGED_CHARTS,
)
BY_KEY: dict[str, Kind] = {k.key: k for k in ALL}

# Read by `hvguard logs` only, beside the pod logs themselves: not part of a ClusterState snapshot.
EVENTS = Kind("events", "", ("v1",), "events", "Event", True, LONGHORN_NS)
LOG_KINDS: tuple[Kind, ...] = (PODS, EVENTS)
# Subresources hvguard reads, as (kind, subresource): container logs.
SUBRESOURCES: tuple[tuple[Kind, str], ...] = ((PODS, "log"),)
