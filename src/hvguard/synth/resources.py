"""Where each kind the builders produce lives in the API, and so in a support bundle.

support-bundle-kit walks discovery and writes one file per resource:
``yamls/cluster/<group>/<version>/<plural>.yaml`` or
``yamls/namespaced/<namespace>/<group>/<version>/<plural>.yaml``, with no group segment for the
core group. Whether a type is built in also matters for the bytes (see ``sbk.list_response``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Resource:
    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    builtin: bool  # compiled into kube-apiserver, as opposed to served from a CRD

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def bundle_path(self, namespace: str | None) -> str:
        """The file inside the bundle folder that holds this resource's list."""
        scope = f"namespaced/{namespace}" if self.namespaced else "cluster"
        return f"yamls/{scope}/{self.api_version}/{self.plural}.yaml"


def _table(*rows: tuple[str, str, str, str, bool, bool]) -> dict[tuple[str, str], Resource]:
    resources = [Resource(*row) for row in rows]
    return {(r.api_version, r.kind): r for r in resources}


_BUILTIN, _CRD = True, False
_CLUSTER, _NAMESPACED = False, True

RESOURCES: Mapping[tuple[str, str], Resource] = _table(
    ("", "v1", "Namespace", "namespaces", _CLUSTER, _BUILTIN),
    ("", "v1", "Node", "nodes", _CLUSTER, _BUILTIN),
    ("", "v1", "PersistentVolume", "persistentvolumes", _CLUSTER, _BUILTIN),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", _NAMESPACED, _BUILTIN),
    ("", "v1", "Pod", "pods", _NAMESPACED, _BUILTIN),
    ("", "v1", "Event", "events", _NAMESPACED, _BUILTIN),
    ("", "v1", "ConfigMap", "configmaps", _NAMESPACED, _BUILTIN),
    ("storage.k8s.io", "v1", "StorageClass", "storageclasses", _CLUSTER, _BUILTIN),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", _CLUSTER, _BUILTIN),
    ("longhorn.io", "v1beta2", "BackingImage", "backingimages", _NAMESPACED, _CRD),
    ("longhorn.io", "v1beta2", "BackingImageManager", "backingimagemanagers", _NAMESPACED, _CRD),
    ("longhorn.io", "v1beta2", "BackingImageDataSource", "backingimagedatasources", _NAMESPACED, _CRD),
    ("longhorn.io", "v1beta2", "BackupBackingImage", "backupbackingimages", _NAMESPACED, _CRD),
    ("longhorn.io", "v1beta2", "Volume", "volumes", _NAMESPACED, _CRD),
    ("longhorn.io", "v1beta2", "Replica", "replicas", _NAMESPACED, _CRD),
    ("longhorn.io", "v1beta2", "Node", "nodes", _NAMESPACED, _CRD),
    ("longhorn.io", "v1beta2", "Setting", "settings", _NAMESPACED, _CRD),
    ("harvesterhci.io", "v1beta1", "VirtualMachineImage", "virtualmachineimages", _NAMESPACED, _CRD),
    ("harvesterhci.io", "v1beta1", "VirtualMachineBackup", "virtualmachinebackups", _NAMESPACED, _CRD),
    ("harvesterhci.io", "v1beta1", "Setting", "settings", _CLUSTER, _CRD),
    ("harvesterhci.io", "v1beta1", "Version", "versions", _NAMESPACED, _CRD),
    ("harvesterhci.io", "v1beta1", "Upgrade", "upgrades", _NAMESPACED, _CRD),
    ("kubevirt.io", "v1", "VirtualMachine", "virtualmachines", _NAMESPACED, _CRD),
    ("kubevirt.io", "v1", "VirtualMachineInstance", "virtualmachineinstances", _NAMESPACED, _CRD),
    ("management.cattle.io", "v3", "ManagedChart", "managedcharts", _NAMESPACED, _CRD),
)


def resource_of(obj: Mapping[str, Any]) -> Resource:
    """The resource an object belongs to; a KeyError names the unknown kind."""
    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    try:
        return RESOURCES[key]
    except KeyError:
        raise KeyError(f"no bundle location known for {key[0]} {key[1]}") from None
