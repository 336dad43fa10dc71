"""Integrity of Longhorn BackingImages: copies, their states, and checksums."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hvguard.analysis.context import CheckContext
from hvguard.analysis.fields import as_int, dig, mapping, name, ref
from hvguard.analysis.findings import Finding
from hvguard.analysis.graph import FAILED_STATES, Copy, ImageNode, copies_by_disk
from hvguard.analysis.registry import check
from hvguard.state import kinds as k

_COPY_INPUTS = (k.BACKING_IMAGES, k.BACKING_IMAGE_MANAGERS, k.LH_NODES)
_USAGE_INPUTS = (k.LH_VOLUMES, k.PVS, k.PVCS, k.VMS, k.VM_IMAGES)


def _base_evidence(image: ImageNode) -> dict[str, Any]:
    return {
        "spec.sourceType": image.source_type,
        f"spec.{image.shape}": list(image.desired_disks),
        "status.checksum": image.checksum,
        "status.diskFileStatusMap": copies_by_disk(image),
    }


def _users(image: ImageNode) -> str:
    parts = [f"{len(image.vms)} VM(s)", f"{len(image.volumes)} volume(s)"]
    return ", ".join(parts)


@check("backing-image-ready-copies", needs=_COPY_INPUTS + _USAGE_INPUTS,
       produces=("backing-image/no-ready-copy", "backing-image/single-ready-copy"))
def ready_copies(ctx: CheckContext) -> Iterator[Finding]:
    """Every backing image has at least one ready copy, and images in use have more than one."""
    for image in ctx.graph.images.values():
        ready = image.ready_copies
        if not ready:
            states = sorted({c.state or "(none)" for c in image.copies}) or ["no copies at all"]
            yield ctx.finding(
                "backing-image/no-ready-copy",
                f"{image.name}: no ready copy (copy states: {', '.join(states)}); used by {_users(image)}",
                resource=ref(image.obj), evidence=_ready_evidence(image, ready),
            )
        elif len(ready) == 1 and (image.in_use or image.vm_image):
            only = ready[0].disk
            yield ctx.finding(
                "backing-image/single-ready-copy",
                f"{image.name}: only one ready copy (node {only.node or '?'}, disk {only.uuid}); used by {_users(image)}",
                resource=ref(image.obj), evidence=_ready_evidence(image, ready),
            )


def _ready_evidence(image: ImageNode, ready: tuple[Copy, ...]) -> dict[str, Any]:
    """Built only for the images reported: it lists every copy."""
    return _base_evidence(image) | {"readyCopies": len(ready), "usedBy": image.vms or image.volumes}


@check("backing-image-failed-copies", needs=_COPY_INPUTS, produces=("backing-image/failed-copy",))
def failed_copies(ctx: CheckContext) -> Iterator[Finding]:
    """No copy of a backing image is failed or in an unknown state."""
    for image in ctx.graph.images.values():
        for copy in image.copies:
            if copy.state in FAILED_STATES:
                yield ctx.finding(
                    "backing-image/failed-copy",
                    f"{image.name}: copy on node {copy.disk.node or '?'} disk {copy.disk.uuid} is {copy.state}"
                    + (f": {copy.message}" if copy.message else ""),
                    resource=ref(image.obj),
                    evidence={f"status.diskFileStatusMap.{copy.disk.uuid}.state": copy.state,
                              f"status.diskFileStatusMap.{copy.disk.uuid}.message": copy.message,
                              "node": copy.disk.node, "diskPath": copy.disk.path},
                )


@check("backing-image-checksums", needs=_COPY_INPUTS, produces=("backing-image/checksum-mismatch",))
def checksums(ctx: CheckContext) -> Iterator[Finding]:
    """Ready copies carry the image's checksum, and spec.checksum agrees with status.checksum."""
    for image in ctx.graph.images.values():
        if image.spec_checksum and image.checksum and image.spec_checksum != image.checksum:
            yield ctx.finding(
                "backing-image/checksum-mismatch",
                f"{image.name}: spec.checksum differs from status.checksum",
                resource=ref(image.obj),
                evidence={"spec.checksum": image.spec_checksum, "status.checksum": image.checksum},
            )
        for copy in image.ready_copies:
            if image.checksum and copy.manager_checksum and copy.manager_checksum != image.checksum:
                yield ctx.finding(
                    "backing-image/checksum-mismatch",
                    f"{image.name}: ready copy on node {copy.disk.node or '?'} disk {copy.disk.uuid} has another checksum",
                    resource=ref(image.obj),
                    evidence={"status.checksum": image.checksum,
                              f"backingimagemanager/{copy.manager}.status.backingImageFileMap.{image.name}.currentChecksum":
                                  copy.manager_checksum},
                )


@check("backing-image-references", needs=(k.BACKING_IMAGES,) + _USAGE_INPUTS, produces=("backing-image/unreferenced",))
def unreferenced(ctx: CheckContext) -> Iterator[Finding]:
    """Report backing images no VM image and no volume refers to."""
    for image in ctx.graph.images.values():
        if not image.vm_image and not image.volumes:
            yield ctx.finding(
                "backing-image/unreferenced",
                f"{image.name}: no VM image and no volume refers to it",
                resource=ref(image.obj),
                evidence={"metadata.annotations[harvesterhci.io/imageId]": "", "volumes": []},
            )


@check("backing-image-rebuildable", needs=(k.BACKING_IMAGES, k.BACKUP_BACKING_IMAGES) + _USAGE_INPUTS,
       produces=("backing-image/not-rebuildable",))
def rebuildable(ctx: CheckContext) -> Iterator[Finding]:
    """Every image in use could be rebuilt if lost: re-downloadable, or backed up with a matching checksum."""
    for image in ctx.graph.images.values():
        ok, why = image.rebuildable
        if image.in_use and not ok:
            yield ctx.finding(
                "backing-image/not-rebuildable",
                f"{image.name} ({image.vm_image or 'no VM image'}): {why}; used by {_users(image)}",
                resource=ref(image.obj),
                evidence={"spec.sourceType": image.source_type, "status.checksum": image.checksum,
                          "backupBackingImages": [{"name": b.name, "state": b.state, "checksum": b.checksum}
                                                  for b in image.backups],
                          "vms": image.vms},
            )


@check("longhorn-disk-space", needs=(k.LH_NODES, k.BACKING_IMAGES), produces=("longhorn/disk-space",))
def disk_space(ctx: CheckContext) -> Iterator[Finding]:
    """Every schedulable Longhorn disk can hold another copy of the largest image in use."""
    sizes = [image.size or 0 for image in ctx.graph.images.values() if image.in_use or image.vm_image]
    largest = max(sizes, default=0)
    if not largest:
        return
    for node in ctx.state.objects(k.LH_NODES):
        specs = mapping(node, "spec", "disks")
        for disk_name, status in mapping(node, "status", "diskStatus").items():
            if not dig(specs, disk_name, "allowScheduling", default=True):
                continue
            available = as_int(dig(status, "storageAvailable"))
            if available is not None and available < largest:
                yield ctx.finding(
                    "longhorn/disk-space",
                    f"disk {disk_name} on node {name(node)} has {_gib(available)} free, less than the largest image "
                    f"in use ({_gib(largest)})",
                    resource=ref(node),
                    evidence={f"status.diskStatus.{disk_name}.storageAvailable": available,
                              f"status.diskStatus.{disk_name}.storageMaximum": as_int(dig(status, "storageMaximum")),
                              "largestImageBytes": largest},
                )


def _gib(value: int) -> str:
    return f"{value / 2**30:.1f} GiB"
