"""Plan selection: which options each lost image gets, in which order, which one is picked, and the
exact changes, on Longhorn 1.6 (``spec.disks``) and 1.7 (``spec.diskFileSpecMap``)."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
from recover_support import PLAN_SCHEMA, backing_image_of, by_vm_image, lose, plan_of, state_of

from hvguard.actions.plan import Plan, Step
from hvguard.actions.recover import disk_map, lost_images
from hvguard.analysis.graph import build
from hvguard.synth.model import SyntheticCluster
from hvguard.synth.scenarios import after_clean_upgrade, after_partial_loss

UBUNTU, WINDOWS, GOLDEN, OPENSUSE, DEBIAN = (
    "default/ubuntu-22.04", "default/windows-2022", "default/golden-rhel9", "default/opensuse-leap-15.5",
    "default/debian-12-old")
READOPT_OFF = ("readopt-orphan", False, False)  # (action, picked, automatic)


def steps_for(plan: Plan, cluster: SyntheticCluster, vm_image: str) -> list[Step]:
    name = backing_image_of(cluster, vm_image)["metadata"]["name"]
    return [s for s in plan.steps if s.target.name == name]


def step(plan: Plan, cluster: SyntheticCluster, vm_image: str, action: str) -> Step:
    return next(s for s in steps_for(plan, cluster, vm_image) if s.action == action)


def data_source_of(cluster: SyntheticCluster, name: str) -> dict[str, Any]:
    return next(o for o in cluster.objects if o["kind"] == "BackingImageDataSource" and o["metadata"]["name"] == name)


def patch_of(step: Step) -> dict[str, Any]:
    patches = [c for c in step.changes if c.verb == "patch"]
    assert len(patches) == 1 and patches[0].plural == "backingimages"
    return dict(patches[0].body["spec"])


def assert_deletes_data_source(step: Step) -> None:
    delete = step.changes[-1]
    assert (delete.verb, delete.plural) == ("delete", "backingimagedatasources")
    assert delete.target.kind == "BackingImageDataSource"
    assert delete.target.name == step.target.name  # by name: the KB's command omits it
    assert delete.kubectl == f"kubectl -n longhorn-system delete backingimagedatasources.longhorn.io {step.target.name}"


class TestLonghorn16:
    """The demo cluster before the upgrade: Longhorn 1.6.2 reads ``spec.disks``."""

    def test_only_the_lost_image_gets_a_plan(self, before: SyntheticCluster) -> None:
        assert by_vm_image(plan_of(before), before) == {OPENSUSE: [READOPT_OFF, ("redownload", True, True)]}

    def test_redownload_clears_spec_disks_key_by_key_and_sets_no_min_copies(self, before: SyntheticCluster) -> None:
        redownload = step(plan_of(before), before, OPENSUSE, "redownload")
        listed = backing_image_of(before, OPENSUSE)["spec"]["disks"]
        assert len(listed) == 3
        assert patch_of(redownload) == {"disks": {uuid: None for uuid in listed}}  # a bare {} would merge as no-op
        assert_deletes_data_source(redownload)
        assert any("byte-identical" in note and "sha512sum" in note for note in redownload.notes)

    def test_upload_without_backup_is_manual(self, before: SyntheticCluster) -> None:
        cluster = lose(before, WINDOWS)
        options = by_vm_image(plan_of(cluster), cluster)[WINDOWS]
        assert options == [READOPT_OFF, ("manual", True, False)]
        manual = step(plan_of(cluster), cluster, WINDOWS, "manual")
        assert manual.changes == ()
        assert any("original upload file" in note for note in manual.notes)
        assert any("Never delete the BackingImage" in note for note in manual.notes)

    def test_export_with_a_matching_backup_is_restored_from_it(self, before: SyntheticCluster) -> None:
        cluster = lose(before, GOLDEN)
        plan = plan_of(cluster)
        assert by_vm_image(plan, cluster)[GOLDEN] == [
            READOPT_OFF, ("restore-backup", True, True), ("restore-vm-backup", False, False)]
        restore = step(plan, cluster, GOLDEN, "restore-backup")
        backup = next(o for o in cluster.objects if o["kind"] == "BackupBackingImage")
        spec = patch_of(restore)
        assert spec["sourceType"] == "restore"
        assert spec["sourceParameters"] == {"backup-url": backup["status"]["url"], "concurrent-limit": "2",
                                            "export-type": None, "volume-name": None}
        assert set(spec["disks"].values()) == {None} and "minNumberOfCopies" not in spec
        assert_deletes_data_source(restore)
        assert any("not lab-tested" in note for note in restore.notes)

    def test_a_backup_with_another_checksum_does_not_count(self, before: SyntheticCluster) -> None:
        cluster = lose(before, GOLDEN)
        next(o for o in cluster.objects if o["kind"] == "BackupBackingImage")["status"]["checksum"] = "0" * 128
        assert [a for a, _, _ in by_vm_image(plan_of(cluster), cluster)[GOLDEN]] == [
            "readopt-orphan", "restore-vm-backup", "manual"]

    def test_vms_with_backups_get_a_vm_restore_to_create_by_hand(self, before: SyntheticCluster) -> None:
        cluster = lose(before, GOLDEN)
        vm_restore = step(plan_of(cluster), cluster, GOLDEN, "restore-vm-backup")
        (change,) = vm_restore.changes
        assert (change.verb, change.plural, change.target.namespace) == ("create", "virtualmachinerestores", "team-a")
        assert change.body["spec"] == {
            "target": {"apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": "db-01-restored"},
            "virtualMachineBackupName": "db-01-nightly-20250323", "virtualMachineBackupNamespace": "team-a",
            "newVM": True, "deletionPolicy": "retain"}
        assert change.kubectl.startswith("kubectl -n team-a create -f - <<'EOF'")
        assert not vm_restore.automatic and not vm_restore.picked

    def test_readopt_names_the_file_on_each_disk_and_asks_for_a_host_copy(self, before: SyntheticCluster) -> None:
        readopt = step(plan_of(before), before, OPENSUSE, "readopt-orphan")
        bi = backing_image_of(before, OPENSUSE)
        directory = f"backing-images/{bi['metadata']['name']}-{bi['status']['uuid']}/backing"
        failed = set(bi["status"]["diskFileStatusMap"])  # node 2's copy failed its checksum: no usable file there
        candidates = set(bi["spec"]["disks"]) - failed
        assert len(candidates) == 2 and len(failed) == 1
        assert sum(directory in note for note in readopt.notes) == 2
        assert "copy it" in readopt.notes[0] and "off the host" in readopt.notes[0]
        assert patch_of(readopt) == {"disks": {uuid: "" for uuid in candidates}}
        assert any("already in spec.disks" in note for note in readopt.notes)


class TestWhatIsLost:
    def test_a_copy_being_made_leaves_the_image_alone(self, before: SyntheticCluster) -> None:
        cluster = copy.deepcopy(before)
        status = backing_image_of(cluster, OPENSUSE)["status"]["diskFileStatusMap"]
        next(iter(status.values()))["state"] = "in-progress"
        assert plan_of(cluster).steps == ()

    def test_a_data_source_preparing_a_file_leaves_the_image_alone(self, before: SyntheticCluster) -> None:
        cluster = copy.deepcopy(before)
        name = backing_image_of(cluster, OPENSUSE)["metadata"]["name"]
        bids = data_source_of(cluster, name)
        bids["spec"]["fileTransferred"], bids["status"]["currentState"] = False, "in-progress"
        assert plan_of(cluster).steps == ()

    def test_a_failed_data_source_does_not_count_as_progress(self, before: SyntheticCluster) -> None:
        cluster = copy.deepcopy(before)
        name = backing_image_of(cluster, OPENSUSE)["metadata"]["name"]
        bids = data_source_of(cluster, name)
        bids["spec"]["fileTransferred"], bids["status"]["currentState"] = False, "failed"
        state = state_of(cluster)
        assert [image.name for image in lost_images(state, build(state))] == [name]


class TestPlanShape:
    def test_exactly_one_pick_per_image_and_options_numbered_best_first(self, before: SyntheticCluster) -> None:
        cluster = lose(before, WINDOWS, GOLDEN, UBUNTU)
        plan = plan_of(cluster)
        for image in (WINDOWS, GOLDEN, UBUNTU, OPENSUSE):
            steps = steps_for(plan, cluster, image)
            assert [s.option for s in steps] == list(range(1, len(steps) + 1))
            assert sum(s.picked for s in steps) == 1
            assert len({s.id for s in steps}) == len(steps)
        assert all(s.finding == "backing-image/no-ready-copy" for s in plan.steps)

    def test_manual_and_vm_restores_are_never_applied(self, before: SyntheticCluster) -> None:
        cluster = lose(before, WINDOWS, GOLDEN)
        assert {s.action for s in plan_of(cluster, readopt=True).to_apply} == {"readopt-orphan"}
        assert {s.action for s in plan_of(cluster).to_apply} == {"restore-backup", "redownload"}

    def test_every_action_kind_fits_the_plan_v1_schema(self, pruned: SyntheticCluster,
                                                       before: SyntheticCluster) -> None:
        doc = plan_of(pruned, baseline=before).as_dict()
        assert doc["schema"] == "hvguard.plan/v1" and doc["tool"]["command"] == "recover"
        assert {a["action"] for a in doc["actions"]} == {
            "readopt-orphan", "redownload", "restore-backup", "restore-vm-backup", "manual"}
        jsonschema.validate(doc, json.loads(PLAN_SCHEMA.read_text()))


def test_disk_map_field_follows_the_running_longhorn_not_the_pruned_object(pruned: SyntheticCluster,
                                                                           before: SyntheticCluster) -> None:
    for cluster, field in ((before, "disks"), (pruned, "diskFileSpecMap")):
        state = state_of(cluster)
        graph = build(state)
        assert {disk_map(state, image).field for image in graph.images.values()} == {field}


class TestAfterPrunedUpgrade:
    """Longhorn 1.7.2 after harvester#7958: every spec pruned; ubuntu and openSUSE are re-downloading,
    the Debian and CentOS re-downloads failed (their URLs answer 404)."""

    def test_each_source_type_gets_its_pick(self, pruned: SyntheticCluster) -> None:
        centos = backing_image_of(pruned, "default/centos-stream-8")["metadata"]["name"]  # its VM image is gone
        assert by_vm_image(plan_of(pruned), pruned) == {
            WINDOWS: [("manual", True, False)],
            GOLDEN: [("restore-backup", True, True), ("restore-vm-backup", False, False)],
            DEBIAN: [("redownload", True, True)],
            centos: [("redownload", True, True)],
        }

    def test_redownload_clears_disk_file_spec_map_and_restores_min_copies(self, pruned: SyntheticCluster) -> None:
        redownload = step(plan_of(pruned), pruned, DEBIAN, "redownload")
        assert patch_of(redownload) == {"diskFileSpecMap": {}, "minNumberOfCopies": 3}
        assert_deletes_data_source(redownload)

    def test_restore_backup_switches_the_source_and_clears_the_map(self, pruned: SyntheticCluster) -> None:
        spec = patch_of(step(plan_of(pruned), pruned, GOLDEN, "restore-backup"))
        assert spec["sourceType"] == "restore" and spec["sourceParameters"]["concurrent-limit"] == "2"
        assert spec["diskFileSpecMap"] == {} and spec["minNumberOfCopies"] == 3

    def test_the_pre_upgrade_snapshot_names_the_disks_readopt_is_listed_first(
            self, pruned: SyntheticCluster, before: SyntheticCluster) -> None:
        options = by_vm_image(plan_of(pruned, baseline=before), pruned)
        assert all(first == READOPT_OFF for first, *_ in options.values())
        assert options[GOLDEN][1] == ("restore-backup", True, True)
        readopt = step(plan_of(pruned, baseline=before), pruned, GOLDEN, "readopt-orphan")
        held = backing_image_of(before, GOLDEN)["spec"]["disks"]  # node 1's default disk and node 2's SSD
        assert patch_of(readopt) == {"diskFileSpecMap": {uuid: {} for uuid in held}, "minNumberOfCopies": 3}
        assert any("/var/lib/harvester/extra-disks/" in note and "harvester-node-2" in note for note in readopt.notes)

    def test_readopt_is_picked_only_with_readopt_orphans(self, pruned: SyntheticCluster,
                                                         before: SyntheticCluster) -> None:
        plan = plan_of(pruned, baseline=before, readopt=True)
        assert [s.action for s in plan.to_apply] == ["readopt-orphan"] * 4
        assert {s.action for s in plan.steps if not s.picked} >= {"redownload", "restore-backup"}

    def test_a_snapshot_of_another_image_with_the_same_name_is_ignored(self, pruned: SyntheticCluster,
                                                                       before: SyntheticCluster) -> None:
        other = copy.deepcopy(before)
        for obj in other.objects:
            if obj["kind"] == "BackingImage":
                obj["status"]["uuid"] = "recreated"  # the UUID names the file's directory
        assert "readopt-orphan" not in {s.action for s in plan_of(pruned, baseline=other).steps}

    def test_a_clean_upgrade_needs_no_recovery(self) -> None:
        assert plan_of(after_clean_upgrade()).steps == ()

    def test_a_partial_loss_plans_only_the_lost_image(self) -> None:
        partial = after_partial_loss()
        assert by_vm_image(plan_of(partial), partial) == {WINDOWS: [("manual", True, False)]}

    def test_a_stale_crd_is_called_out(self, pruned: SyntheticCluster, before: SyntheticCluster) -> None:
        stale = copy.deepcopy(pruned)
        old = next(c for c in before.crds if c["metadata"]["name"] == "backingimages.longhorn.io")
        stale.crds = [old if c["metadata"]["name"] == old["metadata"]["name"] else c for c in stale.crds]
        assert any("prunes spec.diskFileSpecMap" in note for note in plan_of(stale).notes)
        assert not any("prunes" in note for note in plan_of(pruned).notes)

    def test_a_failed_re_download_is_reported_with_the_plan(self, pruned: SyntheticCluster) -> None:
        redownload = step(plan_of(pruned), pruned, DEBIAN, "redownload")
        assert "404 Not Found" in redownload.notes[0] and "last attempt failed" in redownload.notes[0]
