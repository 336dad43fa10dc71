"""One small builder per kind, for synthetic clusters of any size.

Each builder returns one object in clean API form (what ``kubectl get -o json`` shows) and derives
identity (UID, resourceVersion, generated name suffixes) from the names it is given, so the same
call always returns the same object. Builders that describe a dependent object take the object it
depends on (``pv(claim)``, ``replica(volume, disk)``, ``backing_image_data_source(backing_image, disk)``)
rather than repeating its fields.
"""

from hvguard.synth.builders.harvester import image_storage_class_name, managed_chart, version, vm_backup, vm_image
from hvguard.synth.builders.kubernetes import (
    config_map,
    crd,
    namespace,
    node,
    pod,
    provisioned_volume_name,
    pv,
    pvc,
    schemaless_crd_manifest,
    storage_class,
)
from hvguard.synth.builders.kubevirt import virtual_machine, vmi
from hvguard.synth.builders.longhorn import (
    Disk,
    DiskFile,
    backing_image,
    backing_image_data_source,
    backing_image_manager,
    backing_image_manager_name,
    backup_backing_image,
    instance_manager_name,
    kubernetes_status,
    longhorn_node,
    replica,
    scheduled_sizes,
    volume,
)
from hvguard.synth.builders.meta import object_meta, owned_by, owner_reference
from hvguard.synth.builders.settings import setting

__all__ = [
    "Disk", "DiskFile", "backing_image", "backing_image_data_source", "backing_image_manager",
    "backing_image_manager_name", "backup_backing_image", "config_map", "crd", "image_storage_class_name",
    "instance_manager_name", "kubernetes_status", "longhorn_node", "managed_chart", "namespace", "node",
    "object_meta", "owned_by", "owner_reference", "pod", "provisioned_volume_name", "pv", "pvc", "replica",
    "scheduled_sizes", "schemaless_crd_manifest", "setting", "storage_class", "version", "virtual_machine", "vm_backup", "vm_image", "vmi", "volume",
]
