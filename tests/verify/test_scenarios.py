"""The post-upgrade scenarios are what the v1.4.0 upgrade and the v1.7.2 controllers leave behind
(domain §2.4), valid under the CRDs they install, and the same every time they are built."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from verify_support import SCENARIOS

from hvguard.knowledge.crdschema import pruned_paths, version_schema
from hvguard.synth.bundle_writer import bundle_zip
from hvguard.synth.model import SyntheticCluster

Obj = dict[str, Any]


def of(cluster: SyntheticCluster, kind: str, api_version: str = "") -> Iterator[Obj]:
    return (o for o in cluster.objects if o["kind"] == kind and (not api_version or o["apiVersion"] == api_version))


def one(cluster: SyntheticCluster, kind: str, name: str) -> Obj:
    return next(o for o in of(cluster, kind) if o["metadata"]["name"] == name)


def images(cluster: SyntheticCluster) -> dict[str, Obj]:
    """Backing images by their VM image id (``default/ubuntu-22.04``)."""
    return {bi["metadata"]["annotations"]["harvesterhci.io/imageId"]: bi for bi in of(cluster, "BackingImage")}


def states(bi: Obj) -> dict[str, str]:
    return {disk: entry["state"] for disk, entry in bi["status"]["diskFileStatusMap"].items()}


def vm_status(cluster: SyntheticCluster) -> dict[str, str]:
    return {o["metadata"]["name"]: o["status"]["printableStatus"] for o in of(cluster, "VirtualMachine")}


def longhorn_setting(cluster: SyntheticCluster, name: str) -> str:
    return next(o["value"] for o in of(cluster, "Setting", "longhorn.io/v1beta2") if o["metadata"]["name"] == name)


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_object_is_valid_and_unpruned_under_the_installed_crds(clusters: dict[str, SyntheticCluster],
                                                                      name: str) -> None:
    """Served by the API emulator or written as a bundle, nothing is dropped from what the scenario says."""
    cluster = clusters[name]
    checked = 0
    for crd in cluster.crds:
        spec = crd["spec"]
        schema = version_schema(crd, "v1beta2") if spec["group"] == "longhorn.io" else None
        for obj in of(cluster, spec["names"]["kind"], f"{spec['group']}/v1beta2"):
            if schema is not None:
                assert pruned_paths(schema, obj) == [], obj["metadata"]["name"]
                jsonschema.Draft7Validator(_json_schema(schema)).validate(obj)
                checked += 1
    assert checked > 50
    labels = {crd["metadata"]["name"]: crd["metadata"].get("labels", {}).get("app.kubernetes.io/version")
              for crd in cluster.crds}
    assert labels["backingimages.longhorn.io"] == labels["volumes.longhorn.io"] == "v1.7.2"


def _json_schema(node: Any) -> Any:
    """OpenAPI to JSON Schema, enough for these CRDs: drop the x-kubernetes extensions, allow nullable."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items()
                 if not key.startswith("x-kubernetes-") and key != "nullable"}
    if node.get("nullable") and "type" in converted:
        converted["type"] = [converted["type"], "null"]
    return converted


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_platform_is_upgraded(clusters: dict[str, SyntheticCluster], name: str) -> None:
    cluster = clusters[name]
    assert one(cluster, "Setting", "server-version")["value"] == "v1.4.0"
    assert longhorn_setting(cluster, "current-longhorn-version") == "v1.7.2"
    assert longhorn_setting(cluster, "default-backing-image-manager-image") == "longhornio/backing-image-manager:v1.7.2"
    assert {chart["spec"]["version"] for chart in of(cluster, "ManagedChart")} == {"1.4.0"}
    managers = list(of(cluster, "BackingImageManager"))
    assert {m["spec"]["image"] for m in managers} <= {"longhornio/backing-image-manager:v1.7.2"}
    upgrade = one(cluster, "Upgrade", next(o["metadata"]["name"] for o in of(cluster, "Upgrade")))
    assert upgrade["metadata"]["annotations"]["harvesterhci.io/replica-replenishment-wait-interval"] == "600"


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_admins_pre_upgrade_fixes_are_in_every_scenario(clusters: dict[str, SyntheticCluster], name: str) -> None:
    """win-ad-01's volume has a second replica (the upgrade webhook demands it), so windows-2022 was on 2 disks."""
    cluster = clusters[name]
    volume = next(v for v in of(cluster, "Volume")
                  if (v["status"]["kubernetesStatus"]["workloadsStatus"] or [{}])[0].get("workloadName") == "win-ad-01")
    assert volume["spec"]["numberOfReplicas"] == 2
    assert len([r for r in of(cluster, "Replica") if r["spec"]["volumeName"] == volume["metadata"]["name"]]) == 2


def test_the_pruned_upgrade_is_harvester_7958(clusters: dict[str, SyntheticCluster]) -> None:
    cluster = clusters["pruned"]
    for bi in images(cluster).values():
        spec = bi["spec"]
        assert spec["disks"] == {} and spec["diskFileSpecMap"] == {}
        assert not {"minNumberOfCopies", "secret", "secretNamespace"} & set(spec)  # pruned, never written again
        assert bi["status"]["diskLastRefAtMap"] == {}
    assert list(of(cluster, "BackingImageManager")) == []  # old ones deleted, no default one holds a file
    by_image = images(cluster)
    assert {image: set(states(bi).values()) for image, bi in by_image.items()} == {
        "default/ubuntu-22.04": {"in-progress"}, "default/opensuse-leap-15.5": {"in-progress"},
        "default/debian-12-old": {"failed"}, "default/centos-stream-8": {"failed"},
        "default/windows-2022": set(), "default/golden-rhel9": set(),
    }
    sources = {s["metadata"]["name"]: s for s in of(cluster, "BackingImageDataSource")}
    transferred = {image: sources[bi["metadata"]["name"]]["spec"]["fileTransferred"] for image, bi in by_image.items()}
    assert transferred == {"default/ubuntu-22.04": False, "default/opensuse-leap-15.5": False,
                           "default/debian-12-old": False, "default/centos-stream-8": False,
                           "default/windows-2022": True, "default/golden-rhel9": True}  # no restart for these types
    ubuntu = sources[by_image["default/ubuntu-22.04"]["metadata"]["name"]]
    assert (ubuntu["status"]["currentState"], ubuntu["status"]["progress"]) == ("in-progress", 45)
    assert vm_status(cluster) == dict.fromkeys(("web-01", "web-02", "win-ad-01", "db-01", "lab-opensuse"), "Starting")
    assert all(_waiting(v) for v in of(cluster, "Volume") if v["spec"]["backingImage"])
    imported = {vmi["metadata"]["name"]: vmi["status"]["conditions"][0] for vmi in of(cluster, "VirtualMachineImage")}
    assert {(c["type"], c["status"]) for c in imported.values()} == {("Imported", "True")}  # never resynced
    assert len(imported) == 5
    assert longhorn_setting(cluster, "replica-replenishment-wait-interval") == "1800"


def test_the_partial_loss_keeps_everything_but_windows(clusters: dict[str, SyntheticCluster]) -> None:
    cluster = clusters["partial"]
    by_image = images(cluster)
    lost = by_image.pop("default/windows-2022")
    assert lost["spec"]["diskFileSpecMap"] == {} and states(lost) == {}
    for bi in by_image.values():
        assert bi["spec"]["minNumberOfCopies"] == 3 and set(bi["spec"]["diskFileSpecMap"]) == set(states(bi))
        assert set(states(bi).values()) == {"ready"}
    held = {name for m in of(cluster, "BackingImageManager") for name in m["spec"]["backingImages"]}
    assert lost["metadata"]["name"] not in held and len(held) == 5
    assert vm_status(cluster) == {"web-01": "Running", "web-02": "Running", "win-ad-01": "Starting", "db-01": "Running",
                                  "lab-opensuse": "Running"}
    assert longhorn_setting(cluster, "replica-replenishment-wait-interval") == "600"


def test_the_clean_upgrade_migrated_every_image(clusters: dict[str, SyntheticCluster]) -> None:
    cluster = clusters["clean"]
    for bi in images(cluster).values():
        spec = bi["spec"]
        assert spec["disks"] == {} and spec["minNumberOfCopies"] == 3 and spec["secret"] == ""
        assert set(spec["diskFileSpecMap"]) == set(states(bi)) and set(states(bi).values()) == {"ready"}
    assert set(vm_status(cluster).values()) == {"Running"}
    assert not any(_waiting(v) for v in of(cluster, "Volume"))
    assert {node["status"]["nodeInfo"]["kubeletVersion"] for node in of(cluster, "Node", "v1")} == {"v1.29.9+rke2r1"}


def _waiting(volume: Obj) -> bool:
    return any(c["type"] == "WaitForBackingImage" and c["status"] == "True" for c in volume["status"]["conditions"])


def test_scenarios_are_deterministic() -> None:
    for make in SCENARIOS.values():
        assert bundle_zip(make()) == bundle_zip(make())
