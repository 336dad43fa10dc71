"""Every source hands the analysis trimmed objects: managedFields and each type's drop list are gone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from support import V10_SAMPLE

from hvguard.sources.bundle import load_bundle
from hvguard.sources.snapshot import load_snapshot, write_snapshot
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Coverage, ReadStatus, SourceInfo
from hvguard.state.trim import trim

MANAGED = [{"manager": "kubectl", "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]


def _replica() -> dict[str, Any]:
    return {
        "apiVersion": "longhorn.io/v1beta2", "kind": "Replica",
        "metadata": {"name": "pvc-1-r-0", "namespace": "longhorn-system", "managedFields": MANAGED,
                     "labels": {"longhornvolume": "pvc-1"}, "finalizers": ["longhorn.io"]},
        "spec": {"volumeName": "pvc-1", "nodeID": "n1", "diskID": "d1", "backingImage": "img"},
        "status": {"currentState": "running", "conditions": [{"type": "RebuildFailed", "status": "False"}],
                   "ip": "10.52.0.9", "port": 10000},
    }


def test_trim_drops_the_declared_paths_and_nothing_else() -> None:
    replica = trim(_replica(), k.LH_REPLICAS)
    assert replica["metadata"] == {"name": "pvc-1-r-0", "namespace": "longhorn-system", "finalizers": ["longhorn.io"]}
    assert replica["spec"] == _replica()["spec"]
    assert replica["status"] == {"currentState": "running"}


def test_trim_keeps_every_field_of_types_without_a_drop_list() -> None:
    image = {"apiVersion": "longhorn.io/v1beta2", "kind": "BackingImage",
             "metadata": {"name": "img", "managedFields": MANAGED}, "spec": {"diskFileSpecMap": {"d1": {}}}}
    assert trim(image, k.BACKING_IMAGES) == {"apiVersion": "longhorn.io/v1beta2", "kind": "BackingImage",
                                             "metadata": {"name": "img"}, "spec": {"diskFileSpecMap": {"d1": {}}}}


def test_trim_passes_malformed_objects_through() -> None:
    for junk in ("a string", None, ["a", "list"], {"metadata": "not a map", "status": ["x"]}):
        assert trim(junk, k.LH_REPLICAS) == junk


def test_the_real_bundle_sample_loses_its_managed_fields() -> None:
    """support-bundle-kit writes objects with their managedFields, as the API server serves them."""
    nodes = V10_SAMPLE / "yamls/namespaced/longhorn-system/longhorn.io/v1beta1/nodes.yaml"
    assert "managedFields:" in nodes.read_text()
    state = load_bundle(V10_SAMPLE)
    objects = [o for kind in k.ALL for o in state.objects(kind)]
    assert len(objects) > 50
    assert not [o for o in objects if "managedFields" in o["metadata"]]


def test_old_whole_snapshots_are_trimmed_on_load(tmp_path: Path) -> None:
    state = ClusterState(SourceInfo("live", "https://example:6443"), {k.LH_REPLICAS.key: [_replica()]},
                         {k.LH_REPLICAS.key: Coverage(k.LH_REPLICAS.key, ReadStatus.READ, count=1)})
    write_snapshot(state, tmp_path / "before.zip")  # the state was built whole, as an older hvguard saved it
    (replica,) = load_snapshot(tmp_path / "before.zip").objects(k.LH_REPLICAS)
    assert replica == trim(_replica(), k.LH_REPLICAS)
