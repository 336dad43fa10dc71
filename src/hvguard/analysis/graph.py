"""The dependency graph, built once per state: VM → PVC → PV → Volume → BackingImage → copies.

Answers, per BackingImage: where its copies are (disk UUID → node and path), what state each copy
is in and which manager holds it, who depends on it (volumes, PVCs, VMs, the VM image), and whether
it could be rebuilt if every copy were lost. Everything is joined through dict indexes, so the cost
is linear in the number of objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from hvguard.analysis import facts
from hvguard.analysis.fields import as_int, condition_true, dig, mapping, name, namespace, qualified
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Obj

IMAGE_ID_ANNOTATION = "harvesterhci.io/imageId"
VOLUME_CLAIM_TEMPLATES = "harvesterhci.io/volumeClaimTemplates"
READY = "ready"
FAILED_STATES = frozenset({"failed", "failed-and-cleanup", "unknown"})
# Sources Longhorn can fetch again by itself; the others exist only as the files on disk.
REFETCHABLE_SOURCES = frozenset({"download"})


@dataclass(frozen=True, slots=True)
class Disk:
    uuid: str
    node: str
    path: str
    name: str = ""
    eviction_requested: bool = False


@dataclass(frozen=True, slots=True)
class Copy:
    """One disk's copy of a backing image, as spec, status and the disk's manager describe it."""

    disk: Disk
    state: str  # from status.diskFileStatusMap ("" when the status has no entry)
    desired: bool  # listed in spec.disks / spec.diskFileSpecMap
    progress: int | None = None
    message: str = ""
    manager: str = ""
    manager_state: str = ""
    manager_checksum: str = ""

    @property
    def ready(self) -> bool:
        return self.state == READY


@dataclass(frozen=True, slots=True)
class Backup:
    name: str
    state: str
    checksum: str
    url: str


@dataclass(slots=True)
class ImageNode:
    """Everything known about one BackingImage."""

    obj: Obj
    name: str
    namespace: str
    uuid: str
    source_type: str
    source_parameters: dict[str, Any]
    size: int | None
    checksum: str
    spec_checksum: str
    shape: str  # "disks" (Longhorn <= 1.6) or "diskFileSpecMap" (>= 1.7)
    desired_disks: tuple[str, ...]
    min_copies: int | None
    copies: tuple[Copy, ...] = ()
    vm_image: str = ""  # namespace/name of the VirtualMachineImage, "" when none
    volumes: list[str] = field(default_factory=list)
    pvcs: list[str] = field(default_factory=list)
    vms: list[str] = field(default_factory=list)
    backups: tuple[Backup, ...] = ()

    @property
    def ready_copies(self) -> tuple[Copy, ...]:
        return tuple(c for c in self.copies if c.ready)

    @property
    def in_use(self) -> bool:
        return bool(self.volumes or self.pvcs or self.vms)

    @property
    def matching_backup(self) -> Backup | None:
        """A completed BackupBackingImage whose checksum equals the image's."""
        for backup in self.backups:
            if backup.state == "Completed" and self.checksum and backup.checksum == self.checksum:
                return backup
        return None

    @property
    def rebuildable(self) -> tuple[bool, str]:
        """Whether the image could be rebuilt if every copy were lost, and why."""
        if self.source_type in REFETCHABLE_SOURCES:
            url = self.source_parameters.get("url", "")
            return True, f"re-downloadable from {url}" if url else "re-downloadable"
        backup = self.matching_backup
        if backup:
            return True, f"BackupBackingImage {backup.name} is Completed with a matching checksum"
        return False, f"sourceType {self.source_type or 'unknown'} cannot be fetched again and no matching backup exists"


@dataclass(slots=True)
class Graph:
    images: dict[str, ImageNode]
    disks: dict[str, Disk]
    vm_image_to_backing_image: dict[str, str]  # "ns/name" → backing image name ("" when none exists)
    volume_to_image: dict[str, str]
    volume_vms: dict[str, list[str]]  # Longhorn volume → VMs ("ns/name") that mount it
    state: ClusterState = field(repr=False, compare=False)
    _running: dict[str, bool] | None = field(default=None, init=False, repr=False, compare=False)

    def image_of_volume(self, volume: str) -> ImageNode | None:
        return self.images.get(self.volume_to_image.get(volume, ""))

    @property
    def vm_running(self) -> dict[str, bool]:
        """VM ("ns/name") → whether it runs. Built on first use: only the verify comparisons ask, and it
        reads every VM and VM instance (a tenth of the graph's cost on a large cluster)."""
        if self._running is None:
            self._running = {qualified(vm): _vm_running(vm, self.state) for vm in self.state.objects(k.VMS)}
        return self._running


def build(state: ClusterState) -> Graph:
    disks = _disks(state)
    images = {name(bi): _image_node(bi, disks) for bi in state.objects(k.BACKING_IMAGES)}
    _attach_copies(state, images, disks)
    vm_image_map = _link_vm_images(state, images)
    volume_to_image, volume_vms = _link_consumers(state, images, vm_image_map)
    _attach_backups(state, images)
    return Graph(images, disks, vm_image_map, volume_to_image, volume_vms, state)


# -- disks and copies ------------------------------------------------------------------------------


def _disks(state: ClusterState) -> dict[str, Disk]:
    """Disk UUID → node and path, from Longhorn nodes, completed by the managers' own records."""
    disks: dict[str, Disk] = {}
    for node in state.objects(k.LH_NODES):
        node_name = name(node)
        node_evicting = bool(dig(node, "spec", "evictionRequested"))
        spec_disks = mapping(node, "spec", "disks")
        for disk_name, status in mapping(node, "status", "diskStatus").items():
            uuid = str(dig(status, "diskUUID", default="") or "")
            if uuid:
                spec = mapping(spec_disks, disk_name)
                disks[uuid] = Disk(uuid, node_name, str(spec.get("path", "")), disk_name,
                                   node_evicting or bool(spec.get("evictionRequested")))
    for bim in state.objects(k.BACKING_IMAGE_MANAGERS):
        uuid = str(dig(bim, "spec", "diskUUID", default="") or "")
        if uuid and uuid not in disks:
            disks[uuid] = Disk(uuid, str(dig(bim, "spec", "nodeID", default="")), str(dig(bim, "spec", "diskPath", default="")))
    return disks


def _image_node(bi: Obj, disks: Mapping[str, Disk]) -> ImageNode:
    spec = mapping(bi, "spec")
    if "diskFileSpecMap" in spec and spec.get("diskFileSpecMap") is not None:
        shape, desired = "diskFileSpecMap", mapping(spec, "diskFileSpecMap")
    else:
        shape, desired = "disks", mapping(spec, "disks")
    return ImageNode(
        obj=bi,
        name=name(bi),
        namespace=namespace(bi),
        uuid=str(dig(bi, "status", "uuid", default="") or ""),
        source_type=str(spec.get("sourceType", "") or ""),
        source_parameters=mapping(spec, "sourceParameters"),
        size=as_int(dig(bi, "status", "size")),
        checksum=str(dig(bi, "status", "checksum", default="") or ""),
        spec_checksum=str(spec.get("checksum", "") or ""),
        shape=shape,
        desired_disks=tuple(sorted(desired)),
        min_copies=as_int(spec.get("minNumberOfCopies")),
    )


def _attach_copies(state: ClusterState, images: dict[str, ImageNode], disks: Mapping[str, Disk]) -> None:
    held = _held_files(state)
    for image in images.values():
        status_map = mapping(image.obj, "status", "diskFileStatusMap")
        on_disks = held.get(image.name, {})
        desired = set(image.desired_disks)
        image.copies = tuple(_copy(uuid, status_map.get(uuid), uuid in desired, on_disks.get(uuid, _NOT_HELD), disks)
                             for uuid in sorted(status_map.keys() | desired | on_disks.keys()))


_NOT_HELD: tuple[str, dict[str, Any]] = ("", {})


def _held_files(state: ClusterState) -> dict[str, dict[str, tuple[str, dict[str, Any]]]]:
    """Image name → disk UUID → (manager name, its file record); the manager running the default image wins.

    Keyed by image first, so each image's copies are one dict lookup away (the join stays linear).
    """
    default_image = facts.longhorn_setting(state, "default-backing-image-manager-image")
    held: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
    # Sorted so the default image's managers come last and overwrite the others.
    for bim in sorted(state.objects(k.BACKING_IMAGE_MANAGERS),
                      key=lambda b: dig(b, "spec", "image") == default_image):
        uuid = str(dig(bim, "spec", "diskUUID", default="") or "")
        manager = name(bim)
        for bi_name, record in mapping(bim, "status", "backingImageFileMap").items():
            held.setdefault(bi_name, {})[uuid] = (manager, record if isinstance(record, dict) else {})
    return held


def _copy(uuid: str, file_status: Any, desired: bool, held: tuple[str, dict[str, Any]],
          disks: Mapping[str, Disk]) -> Copy:
    status: Mapping[str, Any] = file_status if isinstance(file_status, Mapping) else {}
    manager, record = held
    return Copy(
        disk=disks.get(uuid) or Disk(uuid, "", ""),
        state=str(status.get("state", "") or ""),
        desired=desired,
        progress=as_int(status.get("progress")),
        message=str(status.get("message", "") or ""),
        manager=manager,
        manager_state=str(record.get("state", "") or ""),
        manager_checksum=str(record.get("currentChecksum", "") or ""),
    )


def _attach_backups(state: ClusterState, images: dict[str, ImageNode]) -> None:
    for bbi in state.objects(k.BACKUP_BACKING_IMAGES):
        target = str(dig(bbi, "status", "backingImage", default="") or dig(bbi, "spec", "backingImage", default="") or name(bbi))
        image = images.get(target)
        if image:
            image.backups += (Backup(name(bbi), str(dig(bbi, "status", "state", default="") or ""),
                                     str(dig(bbi, "status", "checksum", default="") or ""),
                                     str(dig(bbi, "status", "url", default="") or "")),)


# -- consumers -------------------------------------------------------------------------------------


def _link_vm_images(state: ClusterState, images: dict[str, ImageNode]) -> dict[str, str]:
    """VM image → backing image: the BackingImage annotation first, then Harvester's name rules."""
    by_annotation = {
        str(dig(img.obj, "metadata", "annotations", IMAGE_ID_ANNOTATION, default="")): img.name for img in images.values()
    }
    result: dict[str, str] = {}
    for vmi in state.objects(k.VM_IMAGES):
        key = qualified(vmi)
        candidates = [by_annotation.get(key, ""), f"{namespace(vmi)}-{name(vmi)}",
                      f"vmi-{dig(vmi, 'metadata', 'uid', default='')}"]
        found = next((c for c in candidates if c and c in images), "")
        result[key] = found
        if found:
            images[found].vm_image = key
    return result


def _link_consumers(
    state: ClusterState, images: dict[str, ImageNode], vm_images: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, list[str]]]:
    volume_to_image = _link_volumes(state, images)
    pvc_to_volume, pvc_to_image = _link_pvcs(state, images, volume_to_image, vm_images)
    volume_vms = _link_vms(state, images, vm_images, pvc_to_volume, pvc_to_image)
    return volume_to_image, volume_vms


def _link_volumes(state: ClusterState, images: dict[str, ImageNode]) -> dict[str, str]:
    volume_to_image = {
        name(v): str(dig(v, "spec", "backingImage", default="") or "") for v in state.objects(k.LH_VOLUMES)
    }
    for volume in sorted(volume_to_image):
        image = volume_to_image[volume]
        if image in images:
            images[image].volumes.append(volume)
    return volume_to_image


def _link_pvcs(
    state: ClusterState, images: dict[str, ImageNode], volume_to_image: Mapping[str, str], vm_images: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """PVC ("ns/name") → its Longhorn volume, and → its backing image (through the volume, else its imageId)."""
    pv_to_volume = {name(pv): str(dig(pv, "spec", "csi", "volumeHandle", default="") or "") for pv in state.objects(k.PVS)}
    pvc_to_image: dict[str, str] = {}
    pvc_to_volume: dict[str, str] = {}
    for pvc in state.objects(k.PVCS):
        pvc_key = qualified(pvc)
        volume = pv_to_volume.get(str(dig(pvc, "spec", "volumeName", default="") or ""), "")
        pvc_to_volume[pvc_key] = volume
        image = volume_to_image.get(volume, "")
        if not image:
            image = vm_images.get(str(dig(pvc, "metadata", "annotations", IMAGE_ID_ANNOTATION, default="")), "")
        if image in images:
            pvc_to_image[pvc_key] = image
            images[image].pvcs.append(pvc_key)
    return pvc_to_volume, pvc_to_image


def _link_vms(
    state: ClusterState, images: dict[str, ImageNode], vm_images: Mapping[str, str],
    pvc_to_volume: Mapping[str, str], pvc_to_image: Mapping[str, str],
) -> dict[str, list[str]]:
    """Add each VM to the images its PVCs (mounted or still to be created) use; return volume → VMs."""
    volume_vms: dict[str, list[str]] = {}
    for vm in state.objects(k.VMS):
        vm_key = qualified(vm)
        ns = namespace(vm)
        claims = [f"{ns}/{claim}" for claim in _vm_claims(vm)]
        for claim in claims:
            if pvc_to_volume.get(claim):
                volume_vms.setdefault(pvc_to_volume[claim], []).append(vm_key)
        used = {pvc_to_image.get(claim, "") for claim in claims}
        used |= {vm_images.get(image_id, "") for image_id in _vm_template_image_ids(vm)}
        for image in sorted(used - {""}):
            if image in images:
                images[image].vms.append(vm_key)
    return volume_vms


def _vm_claims(vm: Obj) -> list[str]:
    claims = []
    for volume in dig(vm, "spec", "template", "spec", "volumes", default=[]) or []:
        claim = dig(volume, "persistentVolumeClaim", "claimName") or dig(volume, "dataVolume", "name")
        if claim:
            claims.append(str(claim))
    return claims


def _vm_template_image_ids(vm: Obj) -> list[str]:
    """Image ids from Harvester's volumeClaimTemplates annotation (PVCs the VM will create)."""
    raw = dig(vm, "metadata", "annotations", VOLUME_CLAIM_TEMPLATES, default="")
    try:
        templates = orjson.loads(raw) if raw else []  # every VM carries one: orjson reads it 3.5x faster than json
    except (TypeError, ValueError):
        return []
    ids = []
    for template in templates if isinstance(templates, list) else []:
        image_id = dig(template, "metadata", "annotations", IMAGE_ID_ANNOTATION)
        if image_id:
            ids.append(str(image_id))
    return ids


def _vm_running(vm: Obj, state: ClusterState) -> bool:
    """Its instance is in phase Running (an instance stuck Pending or Scheduling is not), or, with no
    instance read, the VM itself reports Running or Ready."""
    instance = state.get(k.VMIS, name(vm), namespace(vm))
    if instance is not None:
        return str(dig(instance, "status", "phase", default="")) == "Running"
    return str(dig(vm, "status", "printableStatus", default="")) == "Running" or condition_true(vm, "Ready")



def copies_by_disk(image: ImageNode) -> dict[str, dict[str, Any]]:
    """Evidence-friendly view of the copies."""
    return {
        c.disk.uuid: {"node": c.disk.node, "path": c.disk.path, "state": c.state or "(no status entry)",
                      "desired": c.desired, "manager": c.manager, "managerChecksum": c.manager_checksum}
        for c in image.copies
    }
