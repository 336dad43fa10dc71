"""The demo bundle has support-bundle-kit's layout and quirks, and is reproducible to the byte."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from hvguard.synth.bundle_writer import bundle_zip, write_bundle
from hvguard.synth.demo import demo_cluster
from hvguard.synth.model import SyntheticCluster
from hvguard.synth.resources import RESOURCES

TOP = re.compile(r"supportbundle_[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ/")
KUBELET_LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z \S")
DEMO_ZIP = Path(__file__).resolve().parents[2] / "src" / "hvguard" / "demo" / "demo-bundle.zip"


def _lists(bundle: dict[str, bytes]) -> dict[str, Any]:
    return {path: yaml.safe_load(data) for path, data in bundle.items() if path.startswith("yamls/")}


def _empty_strings(node: object) -> bool:
    if isinstance(node, dict):
        return any(key == "" or _empty_strings(value) for key, value in node.items())
    if isinstance(node, list):
        return any(_empty_strings(item) for item in node)
    return node == ""


def test_one_top_folder_named_like_support_bundle_kit_names_it(demo: SyntheticCluster, zip_names: list[str]) -> None:
    tops = {name.split("/", 1)[0] + "/" for name in zip_names}
    assert len(tops) == 1 and TOP.fullmatch(tops.pop())
    harvester_system = next(o for o in demo.objects if o["kind"] == "Namespace"
                            and o["metadata"]["name"] == "harvester-system")
    assert zip_names[0] == f"supportbundle_{harvester_system['metadata']['uid']}_2025-03-24T09-30-12Z/"
    assert zip_names == sorted(zip_names)


def test_metadata_has_yaml_v2_struct_keys(demo: SyntheticCluster, bundle: dict[str, bytes]) -> None:
    text = bundle["metadata.yaml"].decode()
    assert [line.split(":")[0] for line in text.splitlines()] == [
        "bundlename", "bundleversion", "kubernetesversion", "projectnamespaceuuid", "bundlecreatedat",
        "issueurl", "issuedescription"]
    meta = yaml.safe_load(text)
    assert meta["kubernetesversion"] == "v1.28.12+rke2r1" and meta["bundlecreatedat"] == demo.created_at
    assert 'issueurl: ""' in text  # written straight from the struct, without the "null" rewrite


def test_every_yaml_file_is_one_non_empty_list_of_the_resource_its_path_names(bundle: dict[str, bytes]) -> None:
    by_path = {(r.api_version, r.plural): r for r in RESOURCES.values()}
    for path, data in _lists(bundle).items():
        parts = path.removesuffix(".yaml").split("/")
        scope, rest = parts[1], parts[2:] if parts[1] == "cluster" else parts[3:]
        resource = by_path[("/".join(rest[:-1]), rest[-1])]
        assert set(data) == {"apiVersion", "items", "kind", "metadata"} and data["kind"] == "List", path
        assert data["apiVersion"] == "v1" and data["metadata"]["resourceVersion"], path
        assert data["items"], f"{path}: empty lists are not written"
        assert resource.namespaced == (scope == "namespaced"), path
        for item in data["items"]:
            assert (item["apiVersion"], item["kind"]) == (resource.api_version, resource.kind), path
            if resource.namespaced:
                assert item["metadata"]["namespace"] == parts[2], path


def test_core_group_has_no_group_segment_and_longhorn_is_v1beta2(bundle: dict[str, bytes]) -> None:
    for path in ("yamls/cluster/v1/nodes.yaml", "yamls/cluster/v1/namespaces.yaml",
                 "yamls/cluster/v1/persistentvolumes.yaml", "yamls/namespaced/default/v1/persistentvolumeclaims.yaml",
                 "yamls/cluster/apiextensions.k8s.io/v1/customresourcedefinitions.yaml",
                 "yamls/cluster/harvesterhci.io/v1beta1/settings.yaml",
                 "yamls/namespaced/default/harvesterhci.io/v1beta1/virtualmachineimages.yaml",
                 "yamls/namespaced/fleet-local/management.cattle.io/v3/managedcharts.yaml"):
        assert path in bundle
    longhorn = {p.split("/")[3] + "/" + p.split("/")[4] for p in bundle if "/longhorn.io/" in p}
    assert longhorn == {"longhorn.io/v1beta2"}


def test_only_collected_namespaces_have_folders_but_all_are_listed(demo: SyntheticCluster,
                                                                   bundle: dict[str, bytes]) -> None:
    folders = {p.split("/")[2] for p in bundle if p.startswith("yamls/namespaced/")}
    assert folders == set(demo.collected_namespaces)
    assert "team-b" in demo.namespaces and "team-b" not in folders
    listed = [item["metadata"]["name"] for item in yaml.safe_load(bundle["yamls/cluster/v1/namespaces.yaml"])["items"]]
    assert listed == sorted(demo.namespaces)


def test_installed_crds_are_in_the_bundle(demo: SyntheticCluster, bundle: dict[str, bytes]) -> None:
    items = yaml.safe_load(bundle["yamls/cluster/apiextensions.k8s.io/v1/customresourcedefinitions.yaml"])["items"]
    assert [i["metadata"]["name"] for i in items] == sorted(c["metadata"]["name"] for c in demo.crds)
    bi = next(i for i in items if i["metadata"]["name"] == "backingimages.longhorn.io")
    spec_fields = next(v for v in bi["spec"]["versions"] if v["name"] == "v1beta2")["schema"]["openAPIV3Schema"]
    assert "diskFileSpecMap" not in spec_fields["properties"]["spec"]["properties"]  # the v1.6.2 schema


def test_logs_and_generation_errors(demo: SyntheticCluster, bundle: dict[str, bytes]) -> None:
    logs = {p for p in bundle if p.startswith("logs/")}
    assert logs == {f"logs/{p}" for p in demo.logs}
    assert any("/longhorn-manager-" in p for p in logs) and any("/backing-image-manager-" in p for p in logs)
    for path in logs:
        parts = path.split("/")
        assert len(parts) == 4 and parts[1] in demo.collected_namespaces and parts[3].endswith(".log"), path
        lines = bundle[path].decode().splitlines()
        assert lines and all(KUBELET_LINE.match(line) for line in lines), path
        stamps = [line.split(" ", 1)[0] for line in lines]
        assert stamps == sorted(stamps, key=lambda s: (s[:19], s[20:-1].ljust(9, "0"))), path
    errors = bundle["bundleGenerationError.log"].decode().splitlines()
    assert "Failed to get /api/v1/namespaces/default/bindings: the server does not allow this method on the " \
           "requested resource" in errors
    assert any(line.startswith("BUG: Support bundle: cannot get log for pod virt-launcher-lab-opensuse-")
               for line in errors)


def test_quirks_are_in_the_written_text(bundle: dict[str, bytes]) -> None:
    backing_images = bundle["yamls/namespaced/longhorn-system/longhorn.io/v1beta2/backingimages.yaml"].decode()
    assert 'checksum: "null"' in backing_images  # an empty string
    assert re.search(r"size: \d\.\d+e\+0[89]\n", backing_images)  # an int64 through float64
    vms = bundle["yamls/namespaced/default/kubevirt.io/v1/virtualmachines.yaml"].decode()
    assert 'creationTimestamp: "null"' in vms  # a JSON null followed by more fields
    volumes = bundle["yamls/namespaced/longhorn-system/longhorn.io/v1beta2/volumes.yaml"].decode()
    assert "workloadsStatus: null\n" in volumes  # a JSON null that was the last field survives
    assert not any(_empty_strings(data) for data in _lists(bundle).values())
    nodes = yaml.safe_load(bundle["yamls/namespaced/longhorn-system/longhorn.io/v1beta2/nodes.yaml"])
    reserved = [d["storageReserved"] for n in nodes["items"] for d in n["spec"]["disks"].values()]
    assert "1e+11" in reserved  # YAML 1.1 has no float without a dot: PyYAML reads a string
    assert all(isinstance(r, float) for r in reserved if r != "1e+11")


def test_writing_twice_gives_identical_bytes(tmp_path: Path, demo_zip: bytes) -> None:
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    write_bundle(demo_cluster(), first)
    write_bundle(demo_cluster(), second)
    assert first.read_bytes() == second.read_bytes() == demo_zip
    assert not list(tmp_path.glob(".*.tmp"))  # the atomic write left no temporary behind


def test_the_shipped_demo_bundle_is_up_to_date(demo_zip: bytes) -> None:
    """``tools/make_demo_bundle.py`` was run after the last change to the scenario or the writer."""
    assert DEMO_ZIP.read_bytes() == demo_zip


def test_namespaced_objects_of_uncollected_namespaces_are_left_out(demo: SyntheticCluster) -> None:
    claim = next(o for o in demo.objects if o["kind"] == "PersistentVolumeClaim")
    stray = {**claim, "metadata": {**claim["metadata"], "namespace": "team-b", "name": "hidden"}}
    cluster = SyntheticCluster(**{**vars(demo), "objects": [*demo.objects, stray]})
    assert bundle_zip(cluster) == bundle_zip(demo)
