"""Built-in Kubernetes objects of a Harvester cluster: namespaces, nodes, pods, storage, CRDs.

Shapes follow the objects RKE2 v1.28 serves on a Harvester node (labels, annotations, finalizers
that Harvester, Longhorn's CSI driver and the PV controller put there). Keys are written in Go
struct field order, which is what the API server emits for built-in types.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any

from hvguard.synth import ids
from hvguard.synth.builders.meta import Obj, object_meta

LONGHORN_CSI = "driver.longhorn.io"
_GIB = 2**30


def namespace(name: str, *, created: str, labels: Mapping[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": object_meta("Namespace", name, created=created,
                                labels={"kubernetes.io/metadata.name": name, **(labels or {})}),
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"},
    }


def _node_condition(type_: str, status: str, reason: str, message: str, since: str, heartbeat: str) -> Obj:
    return {"type": type_, "status": status, "lastHeartbeatTime": heartbeat, "lastTransitionTime": since,
            "reason": reason, "message": message}


def node(
    name: str,
    *,
    created: str,
    internal_ip: str,
    pod_cidr: str,
    kubelet_version: str,
    os_image: str,
    heartbeat: str,
    ready_since: str,
    cpus: int = 32,
    memory_gib: int = 256,
    ephemeral_bytes: int = 150 * _GIB,
    roles: Sequence[str] = ("control-plane", "etcd", "master"),
) -> Obj:
    """A Ready Harvester node; the default roles are those of the first three (RKE2 server) nodes."""
    resources = {"cpu": str(cpus), "ephemeral-storage": f"{ephemeral_bytes // 1024}Ki", "hugepages-1Gi": "0",
                 "hugepages-2Mi": "0", "memory": f"{memory_gib * 1024 * 1024}Ki", "pods": "200"}
    allocatable = {**resources, "ephemeral-storage": str(ephemeral_bytes * 19 // 20),
                   "memory": f"{memory_gib * 1024 * 1024 - 358_400}Ki"}
    labels = {
        "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": "rke2", "beta.kubernetes.io/os": "linux",
        "harvesterhci.io/managed": "true", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux", **{f"node-role.kubernetes.io/{role}": "true" for role in roles},
        "node.kubernetes.io/instance-type": "rke2",
    }
    annotations = {
        "csi.volume.kubernetes.io/nodeid": json.dumps({LONGHORN_CSI: name}, separators=(",", ":")),
        "node.alpha.kubernetes.io/ttl": "0",
        "rke2.io/hostname": name,
        "rke2.io/internal-ip": internal_ip,
        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": object_meta("Node", name, created=created, labels=labels, annotations=annotations),
        "spec": {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr], "providerID": f"rke2://{name}"},
        "status": {
            "capacity": resources,
            "allocatable": allocatable,
            "conditions": [
                _node_condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                                "kubelet has sufficient memory available", ready_since, heartbeat),
                _node_condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                                "kubelet has no disk pressure", ready_since, heartbeat),
                _node_condition("PIDPressure", "False", "KubeletHasSufficientPID",
                                "kubelet has sufficient PID available", ready_since, heartbeat),
                _node_condition("Ready", "True", "KubeletReady", "kubelet is posting ready status. AppArmor enabled",
                                ready_since, heartbeat),
            ],
            "addresses": [{"type": "InternalIP", "address": internal_ip}, {"type": "Hostname", "address": name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": ids.hex_id(32, "machine-id", name),
                "systemUUID": ids.uid("system-uuid", name).upper(),
                "bootID": ids.uid("boot-id", name, ready_since),
                "kernelVersion": "5.14.21-150500.55.68-default",
                "osImage": os_image,
                "containerRuntimeVersion": "containerd://1.7.17-k3s1",
                "kubeletVersion": kubelet_version,
                "kubeProxyVersion": kubelet_version,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def config_map(name: str, namespace_: str, data: Mapping[str, str], *, created: str,
               annotations: Mapping[str, str] | None = None) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta("ConfigMap", name, namespace_, created=created, annotations=annotations),
        "data": dict(data),
    }


def pod(
    name: str,
    namespace_: str,
    *,
    created: str,
    node_name: str,
    host_ip: str,
    pod_ip: str,
    containers: Sequence[tuple[str, str]],  # (name, image)
    labels: Mapping[str, str] | None = None,
    owners: Sequence[Obj] = (),
    running: bool = True,
) -> Obj:
    """A scheduled pod; not ``running`` means stuck in ContainerCreating (no log can be read)."""
    if running:
        states = [{"running": {"startedAt": created}} for _ in containers]
        conditions = [("Initialized", "True"), ("Ready", "True"), ("ContainersReady", "True"), ("PodScheduled", "True")]
    else:
        states = [{"waiting": {"reason": "ContainerCreating"}} for _ in containers]
        conditions = [("Initialized", "True"), ("Ready", "False"), ("ContainersReady", "False"), ("PodScheduled", "True")]
    statuses = []
    for (container, image), state in zip(containers, states, strict=True):
        status: Obj = {"name": container, "state": state, "lastState": {}, "ready": running, "restartCount": 0,
                       "image": image, "imageID": ""}
        if running:
            status["imageID"] = f"{image.rsplit(':', 1)[0]}@sha256:{ids.hex_id(64, 'image', image)}"
            status["containerID"] = f"containerd://{ids.hex_id(64, 'container', namespace_, name, container)}"
        status["started"] = running
        statuses.append(status)
    pod_status: Obj = {
        "phase": "Running" if running else "Pending",
        "conditions": [{"type": t, "status": s, "lastProbeTime": None, "lastTransitionTime": created} for t, s in conditions],
        "hostIP": host_ip,
    }
    if running:
        pod_status["podIP"] = pod_ip
        pod_status["podIPs"] = [{"ip": pod_ip}]
    pod_status |= {"startTime": created, "containerStatuses": statuses, "qosClass": "Burstable"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": object_meta("Pod", name, namespace_, created=created, labels=labels, owners=owners),
        "spec": {
            "containers": [{"name": container, "image": image, "imagePullPolicy": "IfNotPresent"} for container, image in containers],
            "restartPolicy": "Always",
            "nodeName": node_name,
        },
        "status": pod_status,
    }


def storage_class(
    name: str,
    *,
    created: str,
    parameters: Mapping[str, str],
    annotations: Mapping[str, str] | None = None,
    provisioner: str = LONGHORN_CSI,
) -> Obj:
    """A StorageClass as Harvester creates them (Delete, Immediate, expandable)."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": object_meta("StorageClass", name, created=created, annotations=annotations),
        "provisioner": provisioner,
        "parameters": dict(parameters),
        "reclaimPolicy": "Delete",
        "allowVolumeExpansion": True,
        "volumeBindingMode": "Immediate",
    }


def provisioned_volume_name(namespace_: str, claim_name: str) -> str:
    """The PV (and Longhorn volume) name the CSI provisioner gives a claim: ``pvc-<claim UID>``."""
    return f"pvc-{ids.uid('PersistentVolumeClaim', namespace_, claim_name)}"


def pvc(
    name: str,
    namespace_: str,
    *,
    created: str,
    size: str,
    storage_class_name: str,
    image_id: str | None = None,
    owner_vm: str | None = None,
    access_mode: str = "ReadWriteMany",
    volume_mode: str = "Block",
) -> Obj:
    """A bound PVC of a Harvester VM disk; ``image_id`` (``<ns>/<vmimage>``) marks an image disk."""
    annotations = {
        "pv.kubernetes.io/bind-completed": "yes",
        "pv.kubernetes.io/bound-by-controller": "yes",
        "volume.beta.kubernetes.io/storage-provisioner": LONGHORN_CSI,
        "volume.kubernetes.io/storage-provisioner": LONGHORN_CSI,
    }
    if image_id:
        annotations["harvesterhci.io/imageId"] = image_id
    if owner_vm:
        annotations["harvesterhci.io/owned-by"] = json.dumps(
            [{"schema": "kubevirt.io.virtualmachine", "refs": [f"{namespace_}/{owner_vm}"]}], separators=(",", ":"))
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": object_meta("PersistentVolumeClaim", name, namespace_, created=created, annotations=annotations,
                                finalizers=["kubernetes.io/pvc-protection"]),
        "spec": {
            "accessModes": [access_mode],
            "resources": {"requests": {"storage": size}},
            "volumeName": provisioned_volume_name(namespace_, name),
            "storageClassName": storage_class_name,
            "volumeMode": volume_mode,
        },
        "status": {"phase": "Bound", "accessModes": [access_mode], "capacity": {"storage": size}},
    }


def pv(claim: Obj, *, created: str, volume_attributes: Mapping[str, str], provisioner_started: int) -> Obj:
    """The PV Longhorn's CSI provisioner made for ``claim``; its name is the Longhorn volume's name.

    ``volume_attributes`` are the StorageClass parameters (``backingImage`` among them), which the
    provisioner copies into ``spec.csi.volumeAttributes``.
    """
    meta, spec = claim["metadata"], claim["spec"]
    name = spec["volumeName"]
    attributes = {**volume_attributes, "storage.kubernetes.io/csiProvisionerIdentity": f"{provisioner_started}-9271-{LONGHORN_CSI}"}
    annotations = {
        "pv.kubernetes.io/provisioned-by": LONGHORN_CSI,
        "volume.kubernetes.io/provisioner-deletion-secret-name": "",
        "volume.kubernetes.io/provisioner-deletion-secret-namespace": "",
    }
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": object_meta("PersistentVolume", name, created=created, annotations=annotations,
                                finalizers=["kubernetes.io/pv-protection", "external-attacher/driver-longhorn-io"]),
        "spec": {
            "capacity": {"storage": spec["resources"]["requests"]["storage"]},
            "csi": {"driver": LONGHORN_CSI, "volumeHandle": name, "volumeAttributes": attributes},
            "accessModes": list(spec["accessModes"]),
            "claimRef": {"kind": "PersistentVolumeClaim", "namespace": meta["namespace"], "name": meta["name"],
                         "uid": meta["uid"], "apiVersion": "v1", "resourceVersion": meta["resourceVersion"]},
            "persistentVolumeReclaimPolicy": "Delete",
            "storageClassName": spec["storageClassName"],
            "volumeMode": spec["volumeMode"],
        },
        "status": {"phase": "Bound"},
    }


def crd(manifest: Mapping[str, Any], *, created: str, release: str | None, generation: int = 1) -> Obj:
    """A CustomResourceDefinition as the API server serves it, from the manifest that installed it.

    The server adds identity, defaults (``conversion``) and ``status``; a ``release`` (Helm, deployed
    by Fleet for a ManagedChart) adds Helm's and Fleet's ownership marks.
    """
    spec = copy.deepcopy(dict(manifest["spec"]))
    spec.setdefault("conversion", {"strategy": "None"})
    source_meta = manifest.get("metadata", {})
    name = source_meta["name"]
    labels = dict(source_meta.get("labels") or {})
    annotations = dict(source_meta.get("annotations") or {})
    if release:
        labels |= {"app.kubernetes.io/managed-by": "Helm", "objectset.rio.cattle.io/hash": ids.hex_id(40, "objectset", release)}
        annotations |= {"meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": "harvester-system",
                        "objectset.rio.cattle.io/id": f"default-mcc-{release}-cattle-fleet-local-system"}
    names = spec["names"]
    accepted = {key: names[key] for key in ("plural", "singular", "shortNames", "kind", "listKind") if key in names}
    storage = [version["name"] for version in spec["versions"] if version.get("storage")]
    return {
        "kind": "CustomResourceDefinition",
        "apiVersion": "apiextensions.k8s.io/v1",
        "metadata": object_meta("CustomResourceDefinition", name, created=created, labels=labels,
                                annotations=annotations, generation=generation),
        "spec": spec,
        "status": {
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "lastTransitionTime": created, "reason": "NoConflicts",
                 "message": "no conflicts found"},
                {"type": "Established", "status": "True", "lastTransitionTime": created,
                 "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"},
            ],
            "acceptedNames": accepted,
            "storedVersions": storage,
        },
    }


def schemaless_crd_manifest(
    group: str,
    kind: str,
    plural: str,
    *,
    versions: Sequence[str],
    namespaced: bool,
    short_names: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
) -> Obj:
    """The manifest of a CRD whose schema is elided (it keeps every field); the first version is stored.

    For installed CRDs whose schemas hvguard never checks against (KubeVirt's, Rancher's, most of
    Harvester's): a reader needs them to exist, with the right names, scope and versions.
    """
    names: Obj = {"kind": kind, "listKind": f"{kind}List", "plural": plural}
    if short_names:
        names["shortNames"] = list(short_names)
    names["singular"] = kind.lower()
    schema = {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}
    return {
        "metadata": {"name": f"{plural}.{group}", "labels": dict(labels or {})},
        "spec": {
            "group": group,
            "names": names,
            "scope": "Namespaced" if namespaced else "Cluster",
            "versions": [{"name": version, "schema": schema, "served": True, "storage": index == 0,
                          "subresources": {"status": {}}} for index, version in enumerate(versions)],
        },
    }
