"""Helpers for the recover tests: states and plans from synthetic clusters, options by VM image.

A module of its own (not conftest) so test modules can import it while other test packages'
conftest modules are loaded too.
"""

from __future__ import annotations

import copy
from pathlib import Path

from support import state_from

from hvguard.actions.plan import Plan
from hvguard.actions.recover import plan_recover
from hvguard.analysis.graph import build
from hvguard.state.cluster import ClusterState
from hvguard.synth.model import SyntheticCluster

PLAN_SCHEMA = Path(__file__).parents[2] / "src/hvguard/reports/schemas/plan-v1.json"
Options = list[tuple[str, bool, bool]]  # (action, picked, automatic), in plan order


def state_of(cluster: SyntheticCluster) -> ClusterState:
    return state_from([*cluster.objects, *cluster.crds])


def plan_of(cluster: SyntheticCluster, baseline: SyntheticCluster | None = None, readopt: bool = False) -> Plan:
    state = state_of(cluster)
    return plan_recover(state, build(state), state_of(baseline) if baseline else None, readopt=readopt)


def by_vm_image(plan: Plan, cluster: SyntheticCluster) -> dict[str, Options]:
    """Each lost image's options, keyed by its VM image (``default/ubuntu-22.04``) or, without one, its name."""
    images = build(state_of(cluster)).images
    result: dict[str, Options] = {}
    for step in plan.steps:
        key = images[step.target.name].vm_image or step.target.name
        result.setdefault(key, []).append((step.action, step.picked, step.automatic))
    return result


def backing_image_of(cluster: SyntheticCluster, vm_image: str) -> dict:
    return next(o for o in cluster.objects if o["kind"] == "BackingImage"
                and o["metadata"].get("annotations", {}).get("harvesterhci.io/imageId") == vm_image)


def lose(cluster: SyntheticCluster, *vm_images: str) -> SyntheticCluster:
    """A copy of ``cluster`` where these images have no copy left: no status entry, no manager record."""
    lost = copy.deepcopy(cluster)
    names = {backing_image_of(lost, image)["metadata"]["name"] for image in vm_images}
    for obj in lost.objects:
        if obj["kind"] == "BackingImage" and obj["metadata"]["name"] in names:
            obj["status"]["diskFileStatusMap"] = {}
        if obj["kind"] == "BackingImageManager":
            for name in names:
                obj["spec"]["backingImages"].pop(name, None)
                obj["status"]["backingImageFileMap"].pop(name, None)
    return lost
