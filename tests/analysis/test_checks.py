"""Each check on realistic objects (the demo cluster, shaped on upstream CRDs): the finding it must
raise, and the clean case it must not — in both Longhorn backing-image shapes."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support import state_from

from hvguard.analysis import runner
from hvguard.analysis.findings import Finding, Severity
from hvguard.analysis.results import CheckStatus
from hvguard.state import kinds as k
from hvguard.synth.demo import demo_cluster

Obj = dict[str, Any]
UBUNTU = "default/ubuntu-22.04"  # 3 ready copies, two running VMs
WINDOWS = "default/windows-2022"  # upload, one ready copy, no backup
RHEL = "default/golden-rhel9"  # export-from-volume with a Completed backup
OPENSUSE = "default/opensuse-leap-15.5"  # already broken: no ready copy


@pytest.fixture(scope="module")
def _demo() -> list[Obj]:
    cluster = demo_cluster()
    return cluster.objects + cluster.crds


@pytest.fixture
def objects(_demo: list[Obj]) -> list[Obj]:
    return copy.deepcopy(_demo)


def of(objects: list[Obj], kind: str) -> Iterator[Obj]:
    return (o for o in objects if o["kind"] == kind)


def image(objects: list[Obj], image_id: str) -> Obj:
    return next(o for o in of(objects, "BackingImage")
                if o["metadata"].get("annotations", {}).get("harvesterhci.io/imageId") == image_id)


def to_longhorn_17(bi: Obj) -> Obj:
    """The shape a correct v16xto170 migration leaves: disks moved to diskFileSpecMap."""
    spec = bi["spec"]
    spec["diskFileSpecMap"] = {disk: {"evictionRequested": False} for disk in spec.get("disks") or {}}
    spec["disks"], spec["minNumberOfCopies"] = {}, 3
    return bi


def findings(objects: list[Obj], finding_id: str, target: str | None = None) -> list[Finding]:
    analysis = runner.run(state_from(objects), target=target)
    return [f for f in analysis.findings if f.id == finding_id]


def names(found: list[Finding]) -> set[str]:
    return {f.resource.name for f in found if f.resource}


SHAPES: list[Callable[[Obj], Obj]] = [lambda bi: bi, to_longhorn_17]


@pytest.fixture(params=SHAPES, ids=["longhorn-1.6", "longhorn-1.7"])
def shaped(request: pytest.FixtureRequest, objects: list[Obj]) -> list[Obj]:
    for bi in of(objects, "BackingImage"):
        request.param(bi)
    return objects


class TestReadyCopies:
    def test_broken_image_blocks_and_names_its_vm(self, shaped: list[Obj]) -> None:
        (finding,) = findings(shaped, "backing-image/no-ready-copy")
        assert finding.resource and finding.resource.name == image(shaped, OPENSUSE)["metadata"]["name"]
        assert finding.severity is Severity.BLOCK
        assert finding.evidence["readyCopies"] == 0
        assert finding.evidence["usedBy"] == ["default/lab-opensuse"]

    def test_healthy_images_do_not(self, shaped: list[Obj]) -> None:
        healthy = {image(shaped, i)["metadata"]["name"] for i in (UBUNTU, RHEL, WINDOWS)}
        assert not healthy & names(findings(shaped, "backing-image/no-ready-copy"))

    def test_single_ready_copy_in_use_warns(self, shaped: list[Obj]) -> None:
        found = findings(shaped, "backing-image/single-ready-copy")
        assert image(shaped, WINDOWS)["metadata"]["name"] in names(found)
        assert image(shaped, UBUNTU)["metadata"]["name"] not in names(found)

    def test_single_copy_of_unused_unlinked_image_is_not_a_warning(self, objects: list[Obj]) -> None:
        windows = image(objects, WINDOWS)
        windows["metadata"]["annotations"].pop("harvesterhci.io/imageId")
        objects[:] = [o for o in objects if o["kind"] not in ("VirtualMachineImage", "Volume", "PersistentVolume",
                                                                 "PersistentVolumeClaim", "VirtualMachine")]
        assert windows["metadata"]["name"] not in names(findings(objects, "backing-image/single-ready-copy"))


class TestFailedCopies:
    def test_failed_copy_warns_with_its_message(self, shaped: list[Obj]) -> None:
        found = findings(shaped, "backing-image/failed-copy")
        assert image(shaped, OPENSUSE)["metadata"]["name"] in names(found)
        assert all(f.severity is Severity.WARN for f in found)

    @pytest.mark.parametrize("state", ["failed-and-cleanup", "unknown"])
    def test_other_bad_states(self, objects: list[Obj], state: str) -> None:
        ubuntu = image(objects, UBUNTU)
        first = sorted(ubuntu["status"]["diskFileStatusMap"])[0]
        ubuntu["status"]["diskFileStatusMap"][first]["state"] = state
        assert ubuntu["metadata"]["name"] in names(findings(objects, "backing-image/failed-copy"))

    def test_ready_copies_are_not_failed(self, objects: list[Obj]) -> None:
        assert image(objects, UBUNTU)["metadata"]["name"] not in names(findings(objects, "backing-image/failed-copy"))


class TestChecksums:
    def test_manager_reporting_another_checksum_blocks(self, shaped: list[Obj]) -> None:
        ubuntu = image(shaped, UBUNTU)
        bim = next(b for b in of(shaped, "BackingImageManager")
                   if ubuntu["metadata"]["name"] in (b.get("status", {}).get("backingImageFileMap") or {}))
        bim["status"]["backingImageFileMap"][ubuntu["metadata"]["name"]]["currentChecksum"] = "0" * 128
        (finding,) = [f for f in findings(shaped, "backing-image/checksum-mismatch")
                      if f.resource and f.resource.name == ubuntu["metadata"]["name"]]
        assert finding.severity is Severity.BLOCK
        assert "0" * 128 in finding.evidence.values()

    def test_spec_checksum_differing_from_status_blocks(self, objects: list[Obj]) -> None:
        ubuntu = image(objects, UBUNTU)
        ubuntu["spec"]["checksum"] = "f" * 128
        assert ubuntu["metadata"]["name"] in names(findings(objects, "backing-image/checksum-mismatch"))

    def test_agreeing_checksums_pass(self, shaped: list[Obj]) -> None:
        assert findings(shaped, "backing-image/checksum-mismatch") == []


class TestReferences:
    def test_leftover_image_is_unreferenced_info(self, objects: list[Obj]) -> None:
        (finding,) = findings(objects, "backing-image/unreferenced")
        assert finding.severity is Severity.INFO
        assert finding.resource and finding.resource.name == image(objects, "default/centos-stream-8")["metadata"]["name"]

    def test_vm_image_without_backing_image_blocks(self, objects: list[Obj]) -> None:
        ubuntu = image(objects, UBUNTU)
        objects.remove(ubuntu)
        (finding,) = findings(objects, "vm-image/backing-image-missing")
        assert finding.resource and finding.resource.name == "ubuntu-22.04"
        assert finding.evidence["backingImageNamesTried"][1] == ubuntu["metadata"]["name"]

    def test_vm_images_resolve_by_annotation_and_by_name_rule(self, objects: list[Obj]) -> None:
        for bi in of(objects, "BackingImage"):
            bi["metadata"].get("annotations", {}).pop("harvesterhci.io/imageId", None)  # vmi-<uid> rule alone
        assert findings(objects, "vm-image/backing-image-missing") == []


class TestVolumes:
    def test_volume_waiting_for_backing_image_blocks_its_vm(self, objects: list[Obj]) -> None:
        (finding,) = findings(objects, "volume/waiting-for-backing-image")
        assert finding.evidence["vms"] == ["default/lab-opensuse"]
        assert finding.related[0].name == image(objects, OPENSUSE)["metadata"]["name"]

    def test_no_wait_condition_no_finding(self, objects: list[Obj]) -> None:
        for volume in of(objects, "Volume"):
            for condition in volume["status"]["conditions"]:
                if condition["type"] == "WaitForBackingImage":
                    condition["status"] = "False"
        assert findings(objects, "volume/waiting-for-backing-image") == []

    def test_degraded_and_faulted(self, objects: list[Obj]) -> None:
        volumes = list(of(objects, "Volume"))
        volumes[0]["status"]["robustness"] = "degraded"
        volumes[1]["status"]["robustness"] = "faulted"
        assert names(findings(objects, "volume/degraded")) == {volumes[0]["metadata"]["name"]}
        assert names(findings(objects, "volume/faulted")) == {volumes[1]["metadata"]["name"]}

    def test_degraded_is_ignored_below_three_nodes_as_the_webhook_does(self, objects: list[Obj]) -> None:
        next(of(objects, "Volume"))["status"]["robustness"] = "degraded"
        nodes = [o for o in objects if o["kind"] == "Node" and o["apiVersion"] == "v1"]
        objects.remove(nodes[0])
        assert findings(objects, "volume/degraded") == []

    def test_single_replica(self, objects: list[Obj]) -> None:
        found = findings(objects, "volume/single-replica")
        assert all(f.evidence["spec.numberOfReplicas"] == 1 for f in found) and found


class TestClusterGates:
    def test_node_not_ready_and_cordoned(self, objects: list[Obj]) -> None:
        node = next(o for o in objects if o["kind"] == "Node" and o["apiVersion"] == "v1")
        node["spec"]["unschedulable"] = True
        for condition in node["status"]["conditions"]:
            if condition["type"] == "Ready":
                condition["status"] = "False"
        assert names(findings(objects, "node/not-ready")) == names(findings(objects, "node/cordoned")) == {node["metadata"]["name"]}

    def test_managed_chart_not_ready(self, objects: list[Obj]) -> None:
        chart = next(of(objects, "ManagedChart"))
        for condition in chart["status"]["conditions"]:
            if condition["type"] == "Ready":
                condition["status"], condition["message"] = "False", "Modified(1) [Cluster fleet-local/local]"
        (finding,) = findings(objects, "managed-chart/not-ready")
        assert "Modified" in finding.message

    def test_vm_backup_in_progress_and_active_schedule(self, objects: list[Obj]) -> None:
        backup = next(of(objects, "VirtualMachineBackup"))
        backup["status"]["readyToUse"] = False
        objects.append({"apiVersion": "harvesterhci.io/v1beta1", "kind": "ScheduleVMBackup",
                        "metadata": {"name": "nightly", "namespace": "default"},
                        "spec": {"cron": "0 2 * * *", "suspend": False}})
        assert findings(objects, "vm-backup/in-progress") and findings(objects, "vm-backup/schedule-active")

    def test_clean_demo_passes_the_gates(self, objects: list[Obj]) -> None:
        for fid in ("node/not-ready", "node/cordoned", "managed-chart/not-ready", "vm-backup/in-progress"):
            assert findings(objects, fid) == [], fid


class TestRebuildable:
    def test_upload_without_backup_warns_export_with_backup_does_not(self, objects: list[Obj]) -> None:
        found = names(findings(objects, "backing-image/not-rebuildable"))
        assert image(objects, WINDOWS)["metadata"]["name"] in found
        assert image(objects, RHEL)["metadata"]["name"] not in found

    def test_backup_with_another_checksum_does_not_count(self, objects: list[Obj]) -> None:
        next(of(objects, "BackupBackingImage"))["status"]["checksum"] = "0" * 128
        assert image(objects, RHEL)["metadata"]["name"] in names(findings(objects, "backing-image/not-rebuildable"))


class TestUpgradeTarget:
    def test_demo_blocks_on_crd_pruning_and_7958(self, objects: list[Obj]) -> None:
        drifts = findings(objects, "crd/prunes-target-fields", "v1.4.0")
        (crd,) = [f for f in drifts if f.severity is Severity.BLOCK]
        assert crd.resource and crd.resource.name == "backingimages.longhorn.io"
        # other CRDs drift too (volumes, nodes), but their migrations only write re-filled defaults
        assert all(f.severity is Severity.INFO for f in drifts if f is not crd)
        assert set(crd.evidence["prunedFields"]) == {"spec.diskFileSpecMap", "spec.minNumberOfCopies"}
        assert len(crd.evidence["objectsCarryingData"]) == 6
        (issue,) = findings(objects, "known-issue/harvester-7958", "v1.4.0")
        assert issue.severity is Severity.BLOCK

    def test_mitigated_cluster_does_not_block_on_them(self) -> None:
        mitigated = demo_cluster(backingimage_crd="v1.7.2")
        objects = mitigated.objects + mitigated.crds
        drifts = findings(objects, "crd/prunes-target-fields", "v1.4.0")
        assert "backingimages.longhorn.io" not in names(drifts)
        assert all(f.severity is Severity.INFO for f in drifts)
        (issue,) = findings(objects, "known-issue/harvester-7958", "v1.4.0")
        assert issue.severity is Severity.INFO

    def test_unsupported_path_gives_the_route(self, objects: list[Obj]) -> None:
        next(o for o in of(objects, "Setting") if o["metadata"]["name"] == "server-version")["value"] = "v1.3.1"
        (finding,) = findings(objects, "upgrade-path/unsupported", "v1.4.0")
        assert finding.evidence["route"] == ["v1.3.1", "v1.3.2", "v1.4.0"]

    def test_unknown_target_warns(self, objects: list[Obj]) -> None:
        (finding,) = findings(objects, "upgrade-path/unknown-version", "v1.99.0")
        assert finding.severity is Severity.WARN

    def test_eviction_blocks_for_an_affected_target_and_warns_otherwise(self, objects: list[Obj]) -> None:
        node = next(o for o in objects if o["kind"] == "Node" and o["apiVersion"].startswith("longhorn.io"))
        node["spec"]["evictionRequested"] = True
        (blocking,) = {f.severity for f in findings(objects, "longhorn/eviction-requested", "v1.4.0")}
        (plain,) = {f.severity for f in findings(objects, "longhorn/eviction-requested")}
        assert (blocking, plain) == (Severity.BLOCK, Severity.WARN)


class TestIncomplete:
    def test_unreadable_input_makes_checks_unknown_and_verdict_never_pass(self, objects: list[Obj]) -> None:
        analysis = runner.run(state_from(objects, unreadable=[k.BACKING_IMAGE_MANAGERS]))
        statuses = {r.name: r.status for r in analysis.results}
        assert statuses["backing-image-ready-copies"] is CheckStatus.UNKNOWN
        assert any(f.id == "source/incomplete" for f in analysis.findings)
        assert analysis.verdict.value in ("incomplete", "block")

    def test_crashing_check_is_an_error_not_a_pass(self, objects: list[Obj]) -> None:
        next(of(objects, "Volume"))["status"] = "not-a-mapping"
        analysis = runner.run(state_from(objects))
        assert analysis.verdict.value in ("incomplete", "block")
