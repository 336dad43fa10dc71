"""The demo cluster keeps the promises its docstring makes (names, copies, states, counts)."""

from __future__ import annotations

from typing import Any

import pytest

from hvguard.synth.builders import backing_image_manager_name
from hvguard.synth.demo import demo_cluster
from hvguard.synth.model import SyntheticCluster

Objects = dict[str, list[dict[str, Any]]]
LH = "longhorn.io/v1beta2"


def _named(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects}


def _ready_disks(bi: dict[str, Any]) -> set[str]:
    return {disk for disk, f in bi["status"]["diskFileStatusMap"].items() if f["state"] == "ready"}


@pytest.fixture(scope="module")
def images(by_kind: Objects) -> dict[str, dict[str, Any]]:
    """Backing images by the VM image their annotation names (``default/<name>`` -> ``<name>``)."""
    return {bi["metadata"]["annotations"]["harvesterhci.io/imageId"].split("/")[1]: bi
            for bi in by_kind[f"{LH}/BackingImage"]}


def test_versions_and_settings(by_kind: Objects) -> None:
    harvester = _named(by_kind["harvesterhci.io/v1beta1/Setting"])
    longhorn = _named(by_kind[f"{LH}/Setting"])
    assert harvester["server-version"]["value"] == "v1.3.2"
    assert harvester["support-bundle-namespaces"]["value"] == "team-a"
    assert longhorn["current-longhorn-version"]["value"] == "v1.6.2"
    assert longhorn["backup-target"]["value"].startswith("nfs://")
    bim_image = longhorn["default-backing-image-manager-image"]["value"]
    assert {bim["spec"]["image"] for bim in by_kind[f"{LH}/BackingImageManager"]} == {bim_image}
    (target,) = by_kind["harvesterhci.io/v1beta1/Version"]
    assert (target["metadata"]["name"], target["metadata"]["namespace"]) == ("v1.4.0", "harvester-system")
    charts = _named(by_kind["management.cattle.io/v3/ManagedChart"])
    assert set(charts) == {"harvester", "harvester-crd"}
    for chart in charts.values():
        assert chart["metadata"]["namespace"] == "fleet-local"
        assert {"type": "Ready", "status": "True"}.items() <= next(
            c for c in chart["status"]["conditions"] if c["type"] == "Ready").items()
    assert "diff" not in charts["harvester"]["spec"]


def test_nodes_and_disks(by_kind: Objects) -> None:
    nodes = _named(by_kind["v1/Node"])
    assert sorted(nodes) == ["harvester-node-0", "harvester-node-1", "harvester-node-2"]
    for node in nodes.values():
        assert next(c for c in node["status"]["conditions"] if c["type"] == "Ready")["status"] == "True"
        assert node["status"]["nodeInfo"]["kubeletVersion"] == "v1.28.12+rke2r1"
    disks = {name: n["spec"]["disks"] for name, n in _named(by_kind[f"{LH}/Node"]).items()}
    assert {name: len(d) for name, d in disks.items()} == {"harvester-node-0": 1, "harvester-node-1": 1,
                                                           "harvester-node-2": 2}
    default_paths = [d["path"] for node_disks in disks.values() for d in node_disks.values()
                     if d["path"] == "/var/lib/harvester/defaultdisk"]
    assert len(default_paths) == 3


def test_backing_images_and_their_copies(by_kind: Objects, images: dict[str, dict[str, Any]]) -> None:
    vm_images = _named(by_kind["harvesterhci.io/v1beta1/VirtualMachineImage"])
    assert sorted(vm_images) == ["debian-12-old", "golden-rhel9", "opensuse-leap-15.5", "ubuntu-22.04", "windows-2022"]
    assert sorted(images) == sorted([*vm_images, "centos-stream-8"])  # 5 images + 1 leftover
    for name, vm_image in vm_images.items():
        assert images[name]["metadata"]["name"] == f"vmi-{vm_image['metadata']['uid']}"
        assert vm_image["metadata"]["namespace"] == "default"
        assert images[name]["spec"]["sourceType"] == vm_image["spec"]["sourceType"]
    assert {name: len(_ready_disks(bi)) for name, bi in images.items()} == {
        "ubuntu-22.04": 3, "windows-2022": 1, "golden-rhel9": 2, "opensuse-leap-15.5": 0, "debian-12-old": 2,
        "centos-stream-8": 1}
    assert {name: bi["spec"]["sourceType"] for name, bi in images.items()} == {
        "ubuntu-22.04": "download", "windows-2022": "upload", "golden-rhel9": "export-from-volume",
        "opensuse-leap-15.5": "download", "debian-12-old": "download", "centos-stream-8": "download"}
    for bi in images.values():  # a copy in status is a disk the spec asks for (the v1.6 spec shape)
        assert set(bi["status"]["diskFileStatusMap"]) <= set(bi["spec"]["disks"])
        assert "diskFileSpecMap" not in bi["spec"]


def test_the_broken_image(images: dict[str, dict[str, Any]]) -> None:
    bi = images["opensuse-leap-15.5"]
    (failed,) = bi["status"]["diskFileStatusMap"].values()
    assert failed["state"] == "failed" and "different checksum" in failed["message"]
    assert len(bi["spec"]["disks"]) == 3  # two of the wanted copies are gone


def test_managers_hold_the_copies(by_kind: Objects, images: dict[str, dict[str, Any]]) -> None:
    managers = by_kind[f"{LH}/BackingImageManager"]
    disks = [m["spec"]["diskUUID"] for m in managers]
    assert len(disks) == len(set(disks)) == 4  # one per disk
    for bim in managers:
        assert bim["metadata"]["name"] == backing_image_manager_name(bim["spec"]["image"], bim["spec"]["diskUUID"])
    for bi in images.values():
        name = bi["metadata"]["name"]
        for disk, file in bi["status"]["diskFileStatusMap"].items():
            bim = next(m for m in managers if m["spec"]["diskUUID"] == disk)
            held = bim["status"]["backingImageFileMap"][name]
            assert bim["spec"]["backingImages"][name] == bi["status"]["uuid"] == held["uuid"]
            assert held["state"] == file["state"]
            if file["state"] == "ready":
                assert held["currentChecksum"] == bi["status"]["checksum"]
    sources = _named(by_kind[f"{LH}/BackingImageDataSource"])
    assert set(sources) == {bi["metadata"]["name"] for bi in images.values()}
    assert all(s["spec"]["fileTransferred"] is True for s in sources.values())


def test_backups(by_kind: Objects, images: dict[str, dict[str, Any]]) -> None:
    (bbi,) = by_kind[f"{LH}/BackupBackingImage"]
    golden = images["golden-rhel9"]
    assert bbi["metadata"]["name"] == golden["metadata"]["name"]
    assert bbi["status"]["state"] == "Completed" and bbi["status"]["checksum"] == golden["status"]["checksum"]
    (vm_backup,) = by_kind["harvesterhci.io/v1beta1/VirtualMachineBackup"]
    assert vm_backup["status"]["readyToUse"] is True and vm_backup["spec"]["source"]["name"] == "db-01"


def test_vm_to_backing_image_chains(by_kind: Objects, images: dict[str, dict[str, Any]]) -> None:
    claims = {(c["metadata"]["namespace"], c["metadata"]["name"]): c for c in by_kind["v1/PersistentVolumeClaim"]}
    pvs = _named(by_kind["v1/PersistentVolume"])
    volumes = _named(by_kind[f"{LH}/Volume"])
    storage_classes = _named(by_kind["storage.k8s.io/v1/StorageClass"])
    instances = {(i["metadata"]["namespace"], i["metadata"]["name"]): i for i in by_kind["kubevirt.io/v1/VirtualMachineInstance"]}
    uses: dict[str, list[str]] = {}
    for vm in by_kind["kubevirt.io/v1/VirtualMachine"]:
        namespace = vm["metadata"]["namespace"]
        (disk,) = [v for v in vm["spec"]["template"]["spec"]["volumes"] if "persistentVolumeClaim" in v]
        claim = claims[(namespace, disk["persistentVolumeClaim"]["claimName"])]
        image = claim["metadata"]["annotations"]["harvesterhci.io/imageId"].split("/")[1]
        assert claim["spec"]["storageClassName"] == f"longhorn-{image}" and f"longhorn-{image}" in storage_classes
        assert '"harvesterhci.io/imageId":"default/' + image in vm["metadata"]["annotations"][
            "harvesterhci.io/volumeClaimTemplates"]
        pv = pvs[claim["spec"]["volumeName"]]
        assert pv["spec"]["csi"]["driver"] == "driver.longhorn.io"
        bi_name = images[image]["metadata"]["name"]
        assert pv["spec"]["csi"]["volumeAttributes"]["backingImage"] == bi_name
        volume = volumes[pv["spec"]["csi"]["volumeHandle"]]
        assert volume["spec"]["backingImage"] == bi_name
        replicas = [r for r in by_kind[f"{LH}/Replica"] if r["spec"]["volumeName"] == volume["metadata"]["name"]]
        assert len(replicas) == volume["spec"]["numberOfReplicas"]
        assert all(r["spec"]["backingImage"] == bi_name for r in replicas)
        running = vm["status"]["printableStatus"] == "Running"
        assert (instances[(namespace, vm["metadata"]["name"])]["status"]["phase"] == "Running") == running
        if running:  # a running replica sits on a disk that holds a ready copy of its image
            assert {r["spec"]["diskID"] for r in replicas} <= _ready_disks(images[image])
            assert volume["status"]["robustness"] == "healthy"
        uses.setdefault(image, []).append(f"{namespace}/{vm['metadata']['name']}" + ("" if running else " (down)"))
    assert uses == {"ubuntu-22.04": ["default/web-01", "default/web-02"], "windows-2022": ["default/win-ad-01"],
                    "golden-rhel9": ["team-a/db-01"], "opensuse-leap-15.5": ["default/lab-opensuse (down)"]}


def test_the_broken_images_volume_waits(by_kind: Objects, images: dict[str, dict[str, Any]]) -> None:
    bi_name = images["opensuse-leap-15.5"]["metadata"]["name"]
    (volume,) = [v for v in by_kind[f"{LH}/Volume"] if v["spec"]["backingImage"] == bi_name]
    waiting = next(c for c in volume["status"]["conditions"] if c["type"] == "WaitForBackingImage")
    assert waiting["status"] == "True" and volume["status"]["state"] == "attaching"
    replicas = [r for r in by_kind[f"{LH}/Replica"] if r["spec"]["volumeName"] == volume["metadata"]["name"]]
    assert [r["status"]["currentState"] for r in replicas] == ["stopped"] * 3


def test_counts(by_kind: Objects, images: dict[str, dict[str, Any]]) -> None:
    volumes = by_kind[f"{LH}/Volume"]
    assert len(by_kind["kubevirt.io/v1/VirtualMachine"]) == 5
    assert len(by_kind["kubevirt.io/v1/VirtualMachineInstance"]) == 5  # 4 running, 1 still scheduling
    assert len(volumes) == 6  # 5 VM disks + the detached source of golden-rhel9 (no backing image)
    assert len(by_kind[f"{LH}/Replica"]) == 15
    assert sorted(v["spec"]["numberOfReplicas"] for v in volumes) == [1, 2, 3, 3, 3, 3]
    used = {v["spec"]["backingImage"] for v in volumes}
    unused = {name for name, bi in images.items() if bi["metadata"]["name"] not in used}
    assert unused == {"debian-12-old", "centos-stream-8"}
    assert "" in used  # the builder volume
    assert all(int(v["spec"]["size"]) % 2**30 == 0 and int(v["spec"]["size"]) >= 20 * 2**30 for v in volumes)


def test_the_mitigated_variant_only_swaps_the_backing_image_crd(demo: SyntheticCluster,
                                                                mitigated_demo: SyntheticCluster) -> None:
    generators = {c["metadata"]["name"]: c["metadata"]["annotations"]["controller-gen.kubebuilder.io/version"]
                  for c in mitigated_demo.crds if c["spec"]["group"] == "longhorn.io"}
    assert generators.pop("backingimages.longhorn.io") == "v0.15.0"
    assert set(generators.values()) == {"v0.7.0"}  # the rest are still Longhorn v1.6.2's
    chart = next(o for o in mitigated_demo.objects if o["kind"] == "ManagedChart" and o["metadata"]["name"] == "harvester")
    assert chart["spec"]["diff"]["comparePatches"][0]["name"] == "backingimages.longhorn.io"
    same = [o for o in demo.objects if o["kind"] != "ManagedChart"]
    assert same == [o for o in mitigated_demo.objects if o["kind"] != "ManagedChart"]


def test_the_demo_is_deterministic(demo: SyntheticCluster) -> None:
    assert demo_cluster() == demo


def test_unknown_crd_choice_is_refused() -> None:
    with pytest.raises(ValueError, match="backingimage_crd"):
        demo_cluster("v1.8.0")  # type: ignore[arg-type]
