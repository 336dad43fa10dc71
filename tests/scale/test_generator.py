"""The large-cluster generator: objects the API server would store unchanged, the inventory each size
promises, the links between objects that make it a Harvester cluster, and determinism."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from support import crds_with_schema, objects_checked_against_crds

from hvguard.synth.bundle_writer import bundle_zip
from hvguard.synth.generator import generate
from hvguard.synth.model import SyntheticCluster
from hvguard.synth.scale_plan import REPLICAS, SIZES, plan

LH = "longhorn.io/v1beta2"
Objects = dict[str, list[dict[str, Any]]]


def by_kind(cluster: SyntheticCluster) -> Objects:
    """Objects by ``<apiVersion>/<kind>`` (core and Longhorn Nodes apart)."""
    grouped: Objects = {}
    for obj in cluster.objects:
        grouped.setdefault(f"{obj['apiVersion']}/{obj['kind']}", []).append(obj)
    return grouped


def inventory(cluster: SyntheticCluster) -> dict[str, int]:
    return {key: len(objs) for key, objs in sorted(by_kind(cluster).items())}


def test_every_small_object_with_a_crd_is_valid_and_unpruned(small: SyntheticCluster) -> None:
    counts = objects_checked_against_crds(small)
    assert all(counts[name] for name in crds_with_schema(small)), counts  # every real schema saw objects


def test_small_inventory(small: SyntheticCluster) -> None:
    vms = by_kind(small)["kubevirt.io/v1/VirtualMachine"]
    running = sum(vm["status"]["printableStatus"] == "Running" for vm in vms)
    assert inventory(small) == {
        "harvesterhci.io/v1beta1/Setting": 4, "harvesterhci.io/v1beta1/Version": 1,
        "harvesterhci.io/v1beta1/VirtualMachineBackup": 1, "harvesterhci.io/v1beta1/VirtualMachineImage": 10,
        "kubevirt.io/v1/VirtualMachine": 50, "kubevirt.io/v1/VirtualMachineInstance": running,
        f"{LH}/BackingImage": 10, f"{LH}/BackingImageDataSource": 10, f"{LH}/BackingImageManager": 4,
        f"{LH}/BackupBackingImage": 1, f"{LH}/Node": 3, f"{LH}/Replica": 150, f"{LH}/Setting": 13,
        f"{LH}/Volume": 50, "management.cattle.io/v3/ManagedChart": 2, "storage.k8s.io/v1/StorageClass": 10,
        "v1/Namespace": 22, "v1/Node": 3, "v1/PersistentVolume": 50, "v1/PersistentVolumeClaim": 50, "v1/Pod": 10,
    }
    assert 40 <= running < 50  # about 8% of VMs are stopped
    assert len(small.crds) == 16


def test_medium_inventory() -> None:
    counts = inventory(generate("medium"))
    assert {key: counts[key] for key in ("v1/Node", "harvesterhci.io/v1beta1/VirtualMachineImage",
                                         "kubevirt.io/v1/VirtualMachine", f"{LH}/Volume", f"{LH}/Replica",
                                         f"{LH}/BackingImageManager")} == {
        "v1/Node": 20, "harvesterhci.io/v1beta1/VirtualMachineImage": 200, "kubevirt.io/v1/VirtualMachine": 2_000,
        f"{LH}/Volume": 2_000, f"{LH}/Replica": 6_000, f"{LH}/BackingImageManager": 25}


@pytest.mark.parametrize(("size", "nodes", "images", "vms"),
                         [("small", 3, 10, 50), ("medium", 20, 200, 2_000), ("large", 50, 1_000, 10_000)])
def test_every_size_plans_what_it_promises(size: str, nodes: int, images: int, vms: int) -> None:
    planned = plan(SIZES[size], seed=0)
    assert (len(planned.nodes), len(planned.images), len(planned.vms)) == (nodes, images, vms)
    assert sum(len(vm.replicas) for vm in planned.vms) == REPLICAS * vms  # 30,000 replicas at large
    assert all(len({disk.node for disk in vm.replicas}) == REPLICAS for vm in planned.vms)  # one per node
    sources = Counter(image.source_type for image in planned.images)
    assert sources["download"] >= 0.8 * images and sources["upload"] and sources["export-from-volume"]
    assert sum(image.backed_up for image in planned.images) >= 1


def test_objects_refer_to_each_other_as_in_a_real_cluster(small: SyntheticCluster) -> None:
    objs = by_kind(small)
    images = {bi["metadata"]["name"]: bi for bi in objs[f"{LH}/BackingImage"]}
    volumes = {v["metadata"]["name"]: v for v in objs[f"{LH}/Volume"]}
    claims = {(c["metadata"]["namespace"], c["metadata"]["name"]) for c in objs["v1/PersistentVolumeClaim"]}
    pv_handles = {pv["spec"]["csi"]["volumeHandle"] for pv in objs["v1/PersistentVolume"]}
    for vm in objs["kubevirt.io/v1/VirtualMachine"]:
        claim = vm["spec"]["template"]["spec"]["volumes"][0]["persistentVolumeClaim"]["claimName"]
        assert (vm["metadata"]["namespace"], claim) in claims
    assert pv_handles == set(volumes)
    for replica in objs[f"{LH}/Replica"]:  # every replica's disk holds a copy of its volume's image
        bi = images[volumes[replica["spec"]["volumeName"]]["spec"]["backingImage"]]
        assert bi["status"]["diskFileStatusMap"][replica["spec"]["diskID"]]["state"] == "ready"
    held = {(name, bim["spec"]["diskUUID"]) for bim in objs[f"{LH}/BackingImageManager"]
            for name in bim["status"]["backingImageFileMap"]}
    assert held == {(name, disk) for name, bi in images.items() for disk in bi["status"]["diskFileStatusMap"]}
    exported = [bi for bi in images.values() if bi["spec"]["sourceType"] == "export-from-volume"]
    assert exported and all(bi["spec"]["sourceParameters"]["volume-name"] in volumes for bi in exported)


def test_the_same_seed_writes_the_same_bytes_and_another_seed_another_cluster() -> None:
    assert bundle_zip(generate("small", seed=7)) == bundle_zip(generate("small", seed=7))
    assert bundle_zip(generate("small", seed=8)) != bundle_zip(generate("small", seed=7))


def test_seeds_change_the_draws_not_the_structure() -> None:
    first, second = generate("small", seed=1), generate("small", seed=2)
    fixed = {key: n for key, n in inventory(first).items() if "VirtualMachineInstance" not in key}
    assert fixed == {key: n for key, n in inventory(second).items() if "VirtualMachineInstance" not in key}
    assert {bi["metadata"]["name"] for bi in by_kind(first)[f"{LH}/BackingImage"]} != {
        bi["metadata"]["name"] for bi in by_kind(second)[f"{LH}/BackingImage"]}
