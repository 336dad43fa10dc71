"""The protect plan, pure: which steps the demo cluster and its variants get, and the exact changes in them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from protect_support import (
    TARGET,
    WINDOWS_IMAGE,
    edited,
    image_name,
    plan_errors,
    state_of,
    without_backup_target,
)

from hvguard.actions.plan import Plan
from hvguard.actions.protect import plan_protect
from hvguard.actions.protect_backups import backing_image_backup
from hvguard.actions.protect_crds import JSON_POINTERS, crd_body, regressions, with_compare_patch
from hvguard.analysis import runner
from hvguard.analysis.graph import build
from hvguard.knowledge.catalog import load_catalog
from hvguard.knowledge.versions import parse
from hvguard.synth.demo import demo_cluster
from hvguard.synth.model import SyntheticCluster

SNAPSHOT = Path("/backups/hvguard-pre-upgrade-20250324T093000Z.zip")
BI_CRD = "backingimages.longhorn.io"


def plan_for(cluster: SyntheticCluster, *, with_vm_backups: bool = False) -> Plan:
    state = state_of(cluster)
    return plan_protect(state, runner.run(state, target=TARGET), snapshot_path=SNAPSHOT,
                        with_vm_backups=with_vm_backups)


def actions(plan: Plan) -> dict[str, dict[str, Any]]:
    return {a["id"]: a for a in plan.as_dict()["actions"]}


@pytest.fixture(scope="module")
def plan(demo: SyntheticCluster) -> Plan:
    return plan_for(demo)


class TestDemoPlan:
    def test_is_a_valid_plan_document(self, plan: Plan) -> None:
        doc = plan.as_dict()
        assert plan_errors(doc) == []
        assert doc["tool"]["command"] == "protect"

    def test_steps_and_their_order(self, plan: Plan, demo: SyntheticCluster) -> None:
        windows = image_name(demo, WINDOWS_IMAGE)
        broken = image_name(demo, "default/opensuse-leap-15.5")
        assert [(s.id, s.automatic) for s in plan.steps] == [
            ("snapshot", True),
            (f"apply-target-crd/{BI_CRD}", True),
            ("apply-target-crd/nodes.longhorn.io", True),
            ("apply-target-crd/volumes.longhorn.io", False),
            (f"backup-backing-image/longhorn-system/{windows}", True),
            (f"repair-backing-image/backing-image/no-ready-copy/BackingImage/longhorn-system/{broken}", False),
        ]

    def test_every_step_names_the_finding_it_answers(self, plan: Plan) -> None:
        assert {s.action: s.finding for s in plan.steps[1:]} == {
            "apply-target-crd": "crd/prunes-target-fields",
            "backup-backing-image": "backing-image/not-rebuildable",
            "repair-backing-image": "backing-image/no-ready-copy",
        }
        assert all(s.reason for s in plan.steps)

    def test_snapshot_comes_first_and_names_the_file(self, plan: Plan) -> None:
        first = plan.steps[0]
        assert (first.action, first.target.name, first.changes) == ("snapshot", str(SNAPSHOT), ())

    def test_crd_step_patches_compare_patches_then_replaces_the_crd(self, plan: Plan) -> None:
        step = actions(plan)[f"apply-target-crd/{BI_CRD}"]
        patch, replace = step["changes"]
        assert patch["verb"] == "patch"
        assert patch["target"] == {"apiVersion": "management.cattle.io/v3", "kind": "ManagedChart",
                                   "namespace": "fleet-local", "name": "harvester"}
        assert patch["body"] == {"spec": {"diff": {"comparePatches": [
            {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "name": BI_CRD,
             "jsonPointers": ["/spec", "/metadata/annotations", "/metadata/labels", "/status"]}]}}}
        assert patch["kubectl"].startswith("kubectl -n fleet-local patch managedcharts.management.cattle.io harvester "
                                           "--type merge -p ")
        assert (replace["verb"], replace["target"]["name"]) == ("replace", BI_CRD)
        shipped = load_catalog().longhorn_crds("v1.7.2").crds[BI_CRD]
        assert replace["body"]["spec"]["versions"] == shipped["spec"]["versions"]
        assert replace["body"]["metadata"]["labels"]["app.kubernetes.io/version"] == "v1.7.2"

    def test_second_crd_keeps_the_first_entry_so_each_patch_is_the_whole_list(self, plan: Plan) -> None:
        patch = actions(plan)["apply-target-crd/nodes.longhorn.io"]["changes"][0]
        assert [e["name"] for e in patch["body"]["spec"]["diff"]["comparePatches"]] == [BI_CRD, "nodes.longhorn.io"]

    def test_a_crd_that_would_strip_fields_the_running_longhorn_writes_is_left_to_a_human(self, plan: Plan) -> None:
        step = actions(plan)["apply-target-crd/volumes.longhorn.io"]
        assert (step["automatic"], step["changes"]) == (False, [])
        assert "spec.offlineReplicaRebuilding" in step["notes"][0]
        assert any(note.startswith("if left as is:") for note in step["notes"])

    def test_backup_of_the_upload_image_only(self, plan: Plan, demo: SyntheticCluster) -> None:
        windows = image_name(demo, WINDOWS_IMAGE)
        step = actions(plan)[f"backup-backing-image/longhorn-system/{windows}"]
        (create,) = step["changes"]
        assert create["verb"] == "create"
        assert create["body"] == {"apiVersion": "longhorn.io/v1beta2", "kind": "BackupBackingImage",
                                  "metadata": {"name": windows, "namespace": "longhorn-system"},
                                  "spec": {"userCreated": True, "labels": {}}}
        assert step["wait"] == {"apiVersion": "longhorn.io/v1beta2", "plural": "backupbackingimages", "name": windows,
                                "namespace": "longhorn-system", "path": "status.state", "equals": "Completed",
                                "failOn": ["Error"], "progress": "status.progress"}
        # golden-rhel9 already has a Completed backup with its checksum; download images can be fetched again
        assert [s.target.name for s in plan.steps if s.action == "backup-backing-image"] == [windows]

    def test_vm_backups_only_when_asked(self, plan: Plan, demo: SyntheticCluster) -> None:
        assert not [s for s in plan.steps if s.action == "backup-vms"]
        assert any("--with-vm-backups" in note and "default/win-ad-01" in note for note in plan.notes)
        with_vms = plan_for(demo, with_vm_backups=True)
        step = actions(with_vms)["backup-vms/default/win-ad-01"]
        assert step["changes"][0]["body"] == {
            "apiVersion": "harvesterhci.io/v1beta1", "kind": "VirtualMachineBackup",
            "metadata": {"name": "win-ad-01-before-v1-4-0", "namespace": "default"},
            "spec": {"source": {"apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": "win-ad-01"},
                     "type": "backup"}}
        assert (step["wait"]["path"], step["wait"]["equals"]) == ("status.readyToUse", True)
        assert plan_errors(with_vms.as_dict()) == []

    def test_planning_is_pure(self, demo: SyntheticCluster, plan: Plan) -> None:
        assert plan_for(demo).as_dict() == plan.as_dict()


class TestVariants:
    def test_no_backup_target_makes_the_backup_manual_and_says_why(self, demo: SyntheticCluster) -> None:
        step = next(s for s in plan_for(without_backup_target(demo)).steps if s.action == "backup-backing-image")
        assert (step.automatic, step.changes, step.wait) == (False, (), {})
        assert "no backup target is configured" in step.notes[0]

    def test_mitigated_cluster_gets_no_backingimages_step_and_keeps_its_entry(self) -> None:
        plan = plan_for(demo_cluster("v1.7.2"))
        assert f"apply-target-crd/{BI_CRD}" not in actions(plan)
        patch = actions(plan)["apply-target-crd/nodes.longhorn.io"]["changes"][0]
        assert [e["name"] for e in patch["body"]["spec"]["diff"]["comparePatches"]] == [BI_CRD, "nodes.longhorn.io"]

    def test_no_harvester_managed_chart_means_no_automatic_crd_step(self, demo: SyntheticCluster) -> None:
        cluster = copy.deepcopy(demo)
        cluster.objects = [o for o in cluster.objects
                           if not (o["kind"] == "ManagedChart" and o["metadata"]["name"] == "harvester")]
        step = actions(plan_for(cluster))[f"apply-target-crd/{BI_CRD}"]
        assert step["automatic"] is False and "comparePatches" in step["notes"][0]

    def test_a_failed_backup_of_the_same_name_is_left_to_a_human(self, demo: SyntheticCluster) -> None:
        name = image_name(demo, "default/golden-rhel9")
        cluster = edited(demo, "BackupBackingImage", name, lambda b: b["status"].update(state="Error", checksum=""))
        step = next(s for s in plan_for(cluster).steps if s.target.name == name and s.action == "backup-backing-image")
        assert step.automatic is False
        assert "already exists and is Error" in step.notes[0] and "hvguard never deletes" in step.notes[0]

    def test_what_needs_a_human(self, demo: SyntheticCluster) -> None:
        cluster = edited(demo, "Node", "harvester-node-1", lambda n: n["spec"].update(evictionRequested=True),
                         group="longhorn.io/")
        cluster = edited(cluster, "ManagedChart", "harvester-crd", lambda c: c["spec"].update(paused=True))
        manual = {s.action: s for s in plan_for(cluster).steps if not s.automatic}
        assert manual["cancel-eviction"].finding == "longhorn/eviction-requested"
        assert manual["cancel-eviction"].target.name == "harvester-node-1"
        assert manual["unpause-managed-chart"].target.name == "harvester-crd"
        assert {"repair-backing-image", "apply-target-crd"} <= set(manual)
        assert all(s.notes for s in manual.values())

    def test_bundle_and_live_states_plan_alike(self, plan: Plan, demo_bundle_plan: dict[str, Any]) -> None:
        ids = [a["id"] for a in demo_bundle_plan["actions"]]
        assert ids == [s.id for s in plan.steps]


@pytest.fixture(scope="module")
def demo_bundle_plan(demo_bundle: Path) -> dict[str, Any]:
    from hvguard.sources.bundle import load_bundle

    state = load_bundle(demo_bundle)
    return plan_protect(state, runner.run(state, target=TARGET), snapshot_path=SNAPSHOT).as_dict()


class TestPieces:
    def test_compare_patch_entry_is_added_once_and_widened_in_place(self) -> None:
        other = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "name": "x",
                 "jsonPointers": ["/spec"]}
        once = with_compare_patch([other], BI_CRD)
        assert with_compare_patch(once, BI_CRD) == once
        narrow = dict(once[1], jsonPointers=["/status"])
        widened = with_compare_patch([other, narrow], BI_CRD)
        assert widened[0] == other
        assert widened[1]["jsonPointers"] == ["/status", *[p for p in JSON_POINTERS if p != "/status"]]

    def test_crd_body_keeps_live_metadata_and_injected_ca_bundle(self) -> None:
        shipped = load_catalog().longhorn_crds("v1.7.2").crds[BI_CRD]
        live = copy.deepcopy(load_catalog().longhorn_crds("v1.6.2").crds[BI_CRD])
        helm = {"meta.helm.sh/release-name": "harvester"}
        live["metadata"] |= {"uid": "u-1", "resourceVersion": "9", "annotations": helm,
                             "labels": {"app.kubernetes.io/version": "v1.6.2", "app.kubernetes.io/managed-by": "Helm"}}
        live["spec"]["conversion"] = {"strategy": "Webhook", "webhook": {"clientConfig": {"caBundle": "Q0E="}}}
        body = crd_body(live, shipped)
        assert body["metadata"] == {"name": BI_CRD, "annotations": helm, "labels": {
            "app.kubernetes.io/version": "v1.7.2", "app.kubernetes.io/managed-by": "Helm"}}
        assert body["spec"]["conversion"]["webhook"]["clientConfig"]["caBundle"] == "Q0E="
        assert body["spec"]["conversion"]["webhook"]["clientConfig"]["service"]["port"] == 9501
        assert body["spec"]["versions"] == shipped["spec"]["versions"]
        assert "status" not in body

    def test_regressions_are_fields_the_target_crd_drops(self) -> None:
        catalog = load_catalog()
        old, new = catalog.longhorn_crds("v1.6.2").crds, catalog.longhorn_crds("v1.7.2").crds
        assert regressions(old[BI_CRD], new[BI_CRD]) == []
        volumes = "volumes.longhorn.io"
        assert "v1beta2: spec.offlineReplicaRebuilding" in regressions(old[volumes], new[volumes])

    def test_backup_shape_follows_the_running_longhorn(self, demo: SyntheticCluster) -> None:
        image = build(state_of(demo)).images[image_name(demo, WINDOWS_IMAGE)]
        assert backing_image_backup(image, parse("v1.7.2"))["spec"] == {"userCreated": True, "labels": {}}
        assert backing_image_backup(image, parse("v1.8.1"))["spec"] == {
            "userCreated": True, "labels": {}, "backingImage": image.name, "backupTargetName": "default"}
