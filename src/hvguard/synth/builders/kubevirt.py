"""KubeVirt ``kubevirt.io/v1`` VirtualMachines and their instances, as Harvester v1.3 creates them.

A Harvester VM carries its disk requests twice: the ``harvesterhci.io/volumeClaimTemplates``
annotation (a JSON list of PVCs, each with the image it was made from) and
``spec.template.spec.volumes[].persistentVolumeClaim.claimName``. Resource requests follow
Harvester's default overcommit (CPU 1600%, memory 150%) and its 100Mi memory reserve.
"""

from __future__ import annotations

import json
from typing import Literal

from hvguard.synth import ids
from hvguard.synth.builders.meta import Obj, name_of, object_meta, owned_by

KUBEVIRT_API = "kubevirt.io/v1"
LAUNCHER_IMAGE = "registry.suse.com/suse/sles/15.5/virt-launcher:1.1.1-150500.8.15.1"

VMStatus = Literal["Running", "Starting", "Stopped"]


def _claim_template(claim: Obj) -> Obj:
    spec = claim["spec"]
    return {
        "metadata": {"name": claim["metadata"]["name"],
                     "annotations": {"harvesterhci.io/imageId": claim["metadata"]["annotations"]["harvesterhci.io/imageId"]}},
        "spec": {"accessModes": spec["accessModes"], "resources": spec["resources"], "volumeMode": spec["volumeMode"],
                 "storageClassName": spec["storageClassName"]},
    }


def _condition(type_: str, status: str, at: str | None, reason: str = "", message: str = "") -> Obj:
    cond: Obj = {"lastProbeTime": None, "lastTransitionTime": at}
    if message:
        cond["message"] = message
    if reason:
        cond["reason"] = reason
    return cond | {"status": status, "type": type_}


def mac_address(namespace: str, name: str) -> str:
    octets = bytes.fromhex(ids.hex_id(8, "mac", namespace, name))
    return "52:54:00:" + ":".join(f"{octet:02x}" for octet in octets[:3])


def virtual_machine(
    name: str,
    namespace: str,
    claim: Obj,
    *,
    created: str,
    since: str,
    cores: int,
    memory_mib: int,
    os: str,
    status: VMStatus = "Running",
    network: str = "default/vlan20",
) -> Obj:
    """A one-disk Harvester VM booting from ``claim`` (a PVC made from a VM image)."""
    cloud_init = f"{name}-{ids.suffix(5, 'cloudinit', namespace, name)}"
    template_spec: Obj = {
        "affinity": {},
        "architecture": "amd64",
        "domain": {
            "cpu": {"cores": cores, "sockets": 1, "threads": 1},
            "devices": {
                "disks": [{"bootOrder": 1, "disk": {"bus": "virtio"}, "name": "disk-0"},
                          {"disk": {"bus": "virtio"}, "name": "cloudinitdisk"}],
                "inputs": [{"bus": "usb", "name": "tablet", "type": "tablet"}],
                "interfaces": [{"bridge": {}, "macAddress": mac_address(namespace, name), "model": "virtio",
                                "name": "default"}],
            },
            "features": {"acpi": {"enabled": True}},
            "machine": {"type": "q35"},
            "memory": {"guest": f"{memory_mib - 100}Mi"},
            "resources": {"limits": {"cpu": str(cores), "memory": f"{memory_mib}Mi"},
                          "requests": {"cpu": f"{cores * 1000 // 16}m", "memory": f"{memory_mib * 2 // 3}Mi"}},
        },
        "evictionStrategy": "LiveMigrate",
        "hostname": name,
        "networks": [{"multus": {"networkName": network}, "name": "default"}],
        "terminationGracePeriodSeconds": 120,
        "volumes": [
            {"name": "disk-0", "persistentVolumeClaim": {"claimName": name_of(claim)}},
            {"cloudInitNoCloud": {"networkDataSecretRef": {"name": cloud_init}, "secretRef": {"name": cloud_init}},
             "name": "cloudinitdisk"},
        ],
    }
    run_strategy = "Halted" if status == "Stopped" else "RerunOnFailure"
    return {
        "apiVersion": KUBEVIRT_API,
        "kind": "VirtualMachine",
        "metadata": object_meta(
            "VirtualMachine", name, namespace, created=created, generation=2,
            labels={"harvesterhci.io/creator": "harvester", "harvesterhci.io/os": os},
            annotations={
                "harvesterhci.io/vmRunStrategy": "RerunOnFailure",
                "harvesterhci.io/volumeClaimTemplates": json.dumps([_claim_template(claim)], separators=(",", ":")),
                "kubevirt.io/latest-observed-api-version": "v1",
                "kubevirt.io/storage-observed-api-version": "v1",
                "network.harvesterhci.io/ips": "[]",
            },
            finalizers=["harvesterhci.io/VMController.UnsetOwnerOfPVCs", "kubevirt.io/virtualMachineControllerFinalize"],
        ),
        "spec": {
            "runStrategy": run_strategy,
            "template": {
                "metadata": {"annotations": {"harvesterhci.io/sshNames": "[]"}, "creationTimestamp": None,
                             "labels": {"harvesterhci.io/vmName": name}},
                "spec": template_spec,
            },
        },
        "status": _vm_status(status, since),
    }


def _vm_status(status: VMStatus, since: str) -> Obj:
    snapshots = [{"enabled": True, "name": "disk-0"},
                 {"enabled": False, "name": "cloudinitdisk",
                  "reason": "Snapshot is not supported for this volumeSource type [cloudinitdisk]"}]
    if status == "Running":
        conditions = [_condition("Ready", "True", since), _condition("LiveMigratable", "True", None),
                      _condition("AgentConnected", "True", since)]
        return {"conditions": conditions, "created": True, "desiredGeneration": 2, "observedGeneration": 2,
                "printableStatus": "Running", "ready": True, "volumeSnapshotStatuses": snapshots}
    if status == "Starting":
        conditions = [_condition("Ready", "False", since, "PodNotReady", "containers with unready status: [compute]")]
        return {"conditions": conditions, "created": True, "desiredGeneration": 2, "observedGeneration": 2,
                "printableStatus": "Starting", "volumeSnapshotStatuses": snapshots}
    return {"desiredGeneration": 2, "observedGeneration": 2, "printableStatus": "Stopped",
            "volumeSnapshotStatuses": snapshots}


def vmi(vm: Obj, claim: Obj, *, created: str, node: str, pod_uid: str, ip: str = "", scheduled: bool = True) -> Obj:
    """The instance of a started ``vm``; not ``scheduled`` means its launcher pod is still creating."""
    name, namespace = name_of(vm), vm["metadata"]["namespace"]
    template = vm["spec"]["template"]
    spec = json.loads(json.dumps(template["spec"]))  # the instance gets its own copy of the VM's spec
    spec["domain"]["firmware"] = {"uuid": ids.uid("firmware", namespace, name)}
    cores = spec["domain"]["cpu"]["cores"]
    revision = f"revision-start-vm-{vm['metadata']['uid']}-2"
    phases = ["Pending", "Scheduling", "Scheduled", "Running"] if scheduled else ["Pending", "Scheduling"]
    status: Obj = {"activePods": {pod_uid: node}}
    if scheduled:
        mac = spec["domain"]["devices"]["interfaces"][0]["macAddress"]
        size = claim["spec"]["resources"]["requests"]["storage"]
        status |= {
            "conditions": [_condition("Ready", "True", created), _condition("LiveMigratable", "True", None),
                           _condition("AgentConnected", "True", created)],
            "currentCPUTopology": {"cores": cores, "sockets": 1, "threads": 1},
            "guestOSInfo": {"id": vm["metadata"]["labels"]["harvesterhci.io/os"]},
            "interfaces": [{"infoSource": "domain, guest-agent", "interfaceName": "enp1s0", "ipAddress": ip,
                            "ipAddresses": [ip], "mac": mac, "name": "default", "queueCount": 1}],
            "launcherContainerImageVersion": LAUNCHER_IMAGE,
            "machine": {"type": "pc-q35-7.1"},
            "migrationMethod": "LiveMigration",
            "migrationTransport": "Unix",
            "nodeName": node,
        }
    else:
        status |= {"conditions": [_condition("Ready", "False", created, "PodNotReady",
                                             "containers with unready status: [compute]")],
                   "guestOSInfo": {}}
    status |= {
        "phase": phases[-1],
        "phaseTransitionTimestamps": [{"phase": phase, "phaseTransitionTimestamp": created} for phase in phases],
        "qosClass": "Burstable",
        "runtimeUser": 107,
        "virtualMachineRevisionName": revision,
    }
    if scheduled:
        status["volumeStatus"] = [
            {"name": "cloudinitdisk", "size": 1048576, "target": "vdb"},
            {"name": "disk-0", "persistentVolumeClaimInfo": {"accessModes": claim["spec"]["accessModes"],
                                                             "capacity": {"storage": size},
                                                             "filesystemOverhead": "0", "requests": {"storage": size},
                                                             "volumeMode": "Block"},
             "target": "vda"},
        ]
    labels = {"harvesterhci.io/vmName": name} | ({"kubevirt.io/nodeName": node} if scheduled else {})
    return {
        "apiVersion": KUBEVIRT_API,
        "kind": "VirtualMachineInstance",
        "metadata": object_meta(
            "VirtualMachineInstance", name, namespace, created=created, generation=8, labels=labels,
            annotations={"harvesterhci.io/sshNames": "[]", "kubevirt.io/latest-observed-api-version": "v1",
                         "kubevirt.io/storage-observed-api-version": "v1", "kubevirt.io/vm-generation": "2"},
            owners=[owned_by(vm)],
            finalizers=["kubevirt.io/virtualMachineControllerFinalize", "foregroundDeleteVirtualMachine"],
        ),
        "spec": spec,
        "status": status,
    }
