"""Every synthetic object is one the API server would accept unchanged under the installed CRDs.

Two checks per object: it validates against its version's ``openAPIV3Schema`` (converted to JSON
Schema: ``x-kubernetes-*`` dropped, ``nullable`` turned into an allowed null), and the server
would prune none of its fields (``hvguard.knowledge.crdschema`` walks the schema as the apiserver does).
"""

from __future__ import annotations

from typing import Any

import pytest
from support import crd_problems, crds_with_schema, objects_checked_against_crds

from hvguard.knowledge.crdschema import pruned_paths, version_schema
from hvguard.synth import builders as b
from hvguard.synth import crds
from hvguard.synth.model import SyntheticCluster


def test_every_demo_object_with_a_crd_is_valid_and_unpruned(demo: SyntheticCluster) -> None:
    counts = objects_checked_against_crds(demo)
    assert crds_with_schema(demo) == [
        "backingimagedatasources.longhorn.io", "backingimagemanagers.longhorn.io", "backingimages.longhorn.io",
        "backupbackingimages.longhorn.io", "nodes.longhorn.io", "replicas.longhorn.io", "settings.longhorn.io",
        "virtualmachineimages.harvesterhci.io", "volumes.longhorn.io",
    ]
    assert all(counts[name] for name in crds_with_schema(demo)), counts
    with_crd = {(crd["spec"]["group"], crd["spec"]["names"]["kind"]) for crd in demo.crds}
    covered = [o for o in demo.objects if (o["apiVersion"].split("/")[0], o["kind"]) in with_crd]
    assert len(covered) == sum(counts.values())  # no object of a CRD's kind escaped (say, by a wrong version)


def test_the_mitigated_demo_is_valid_under_the_v1_7_2_backing_image_crd(mitigated_demo: SyntheticCluster) -> None:
    bi_crd = next(c for c in mitigated_demo.crds if c["metadata"]["name"] == "backingimages.longhorn.io")
    assert "diskFileSpecMap" in version_schema(bi_crd, "v1beta2")["properties"]["spec"]["properties"]
    counts = objects_checked_against_crds(mitigated_demo)
    assert all(counts[name] for name in crds_with_schema(mitigated_demo)), counts


def _bi(api: b.longhorn.BackingImageAPI) -> dict[str, Any]:
    return b.backing_image("vmi-x", created="2025-01-01T00:00:00Z", source_type="download",
                           source_parameters={"url": "https://example.invalid/x.img"}, uuid="0a1b2c3d", size=1,
                           virtual_size=1, checksum="", owner_node="n", disks=["disk-a"],
                           files={"disk-a": b.DiskFile("2025-01-01T00:00:00Z")}, api=api)


@pytest.mark.parametrize("release", ["longhorn-v1.6.2", "longhorn-v1.7.2"])
def test_the_pre_1_7_backing_image_shape_fits_both_crds(release: str) -> None:
    assert crd_problems(crds.manifests(release)["backingimages.longhorn.io"], "v1beta2", _bi("v1.6")) == []


def test_the_1_7_backing_image_shape_loses_its_new_fields_under_the_1_6_2_crd() -> None:
    """The pruning at the heart of harvester#7958, seen on a builder-made object."""
    shape_17 = _bi("v1.7")
    assert crd_problems(crds.manifests("longhorn-v1.7.2")["backingimages.longhorn.io"], "v1beta2", shape_17) == []
    old = crds.manifests("longhorn-v1.6.2")["backingimages.longhorn.io"]
    assert pruned_paths(version_schema(old, "v1beta2"), shape_17) == [
        "spec.diskFileSpecMap", "spec.minNumberOfCopies", "spec.secret", "spec.secretNamespace"]
