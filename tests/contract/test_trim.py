"""Sources trim what no analysis reads (``hvguard.state.trim``); the analysis must not be able to tell.

Each synthetic cluster is analysed twice, from its whole objects and from trimmed copies, and every
report hvguard writes from it (preflight with a target, verify against the pre-upgrade demo) must be
the same. A check that starts reading a dropped field fails here, not silently in the field.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from support import state_from

from hvguard.analysis import runner
from hvguard.reports import model
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Obj
from hvguard.state.trim import trim
from hvguard.synth.demo import demo_cluster
from hvguard.synth.generator import generate
from hvguard.synth.model import SyntheticCluster
from hvguard.synth.scenarios import after_clean_upgrade, after_partial_loss, after_pruned_upgrade

CLUSTERS: dict[str, Callable[[], SyntheticCluster]] = {
    "demo": demo_cluster, "small": lambda: generate("small", seed=3), "pruned": after_pruned_upgrade,
    "partial": after_partial_loss, "clean": after_clean_upgrade,
}
MANAGED_FIELDS = [{"manager": "longhorn-manager", "operation": "Update", "apiVersion": "longhorn.io/v1beta2",
                   "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:state": {}}}}]


def _kind_of(obj: Obj) -> k.Kind | None:
    group = str(obj["apiVersion"]).rpartition("/")[0]
    return next((kind for kind in k.ALL if kind.group == group and kind.kind == obj["kind"]), None)


def _states(cluster: SyntheticCluster) -> tuple[ClusterState, ClusterState]:
    """(whole, trimmed): the whole objects also carry managedFields, as real API objects do."""
    whole = [{**o, "metadata": {**o["metadata"], "managedFields": MANAGED_FIELDS}} for o in cluster.objects]
    trimmed = []
    for obj in copy.deepcopy(whole):
        kind = _kind_of(obj)
        trimmed.append(trim(obj, kind) if kind else obj)
    return state_from(whole), state_from(trimmed)


def _comparable(report: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in report.items() if key != "source"}


@pytest.mark.parametrize("name", sorted(CLUSTERS))
def test_preflight_cannot_tell_trimmed_objects(name: str) -> None:
    whole, trimmed = _states(CLUSTERS[name]())
    reports = [model.build(s, runner.run(s, target="v1.4.0"), command="preflight", target="v1.4.0")
               for s in (whole, trimmed)]
    assert reports[0]["findings"], "a cluster without findings would prove little"
    assert _comparable(reports[0]) == _comparable(reports[1])


@pytest.mark.parametrize("name", ["pruned", "partial", "clean"])
def test_verify_cannot_tell_trimmed_objects(name: str) -> None:
    before_whole, before_trimmed = _states(demo_cluster())
    whole, trimmed = _states(CLUSTERS[name]())
    reports = [model.build(s, runner.run(s, baseline=b), command="verify")
               for s, b in ((whole, before_whole), (trimmed, before_trimmed))]
    assert _comparable(reports[0]) == _comparable(reports[1])


def test_trim_really_drops_the_bulk() -> None:
    """The drop lists are not empty promises: on the generated cluster they remove most of an instance."""
    cluster = generate("small", seed=3)
    vmi = next(o for o in cluster.objects if o["kind"] == "VirtualMachineInstance")
    trimmed = trim(copy.deepcopy(vmi), k.VMIS)
    assert "spec" in vmi and "spec" not in trimmed
    assert trimmed["status"]["phase"] == vmi["status"]["phase"]
    assert trimmed["metadata"] == vmi["metadata"]
    assert len(repr(trimmed)) < len(repr(vmi)) / 2
