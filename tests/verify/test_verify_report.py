"""verify on pairs of states: the demo's snapshot against each post-upgrade scenario, and minimal
mutations of the demo for the findings no scenario needs (gone, new checksum, fewer copies)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from support import state_from
from verify_support import Report, by_image, found, verify_report

from hvguard.state import kinds as k
from hvguard.synth.demo import demo_cluster
from hvguard.synth.scenarios import after_clean_upgrade, after_pruned_upgrade

Obj = dict[str, Any]
LOST_IN_PRUNED = {"default/windows-2022", "default/golden-rhel9", "default/debian-12-old", "default/centos-stream-8"}


class TestPrunedUpgrade:
    def test_blocks_and_names_every_lost_image_with_the_vms_it_takes_down(self, reports: dict[str, Report],
                                                                           image_ids: dict[str, str]) -> None:
        report = reports["pruned"]
        assert report["verdict"] == "block"
        assert report["tool"]["command"] == "verify"
        lost = by_image(found(report, "verify/backing-image-lost"), image_ids)
        assert set(lost) == LOST_IN_PRUNED
        vms = {image: finding["evidence"]["vms"] for image, finding in lost.items()}
        assert vms == {"default/windows-2022": ["default/win-ad-01"], "default/golden-rhel9": ["team-a/db-01"],
                       "default/debian-12-old": [], "default/centos-stream-8": []}
        assert "takes down VM default/win-ad-01" in lost["default/windows-2022"]["message"]
        assert "takes down VM team-a/db-01" in lost["default/golden-rhel9"]["message"]

    def test_lost_evidence_tells_metadata_loss_from_data_loss_and_where_files_may_lie(
            self, reports: dict[str, Report], image_ids: dict[str, str]) -> None:
        lost = by_image(found(reports["pruned"], "verify/backing-image-lost"), image_ids)
        windows = lost["default/windows-2022"]["evidence"]
        assert windows["metadataLoss"] == {"specEmptied": True, "statusEmptied": True}
        assert windows["dataLoss"] is True and windows["managersListingFile"] == []
        assert "orphaned" in windows["notKnowableFromAPI"]
        name, uuid = lost["default/windows-2022"]["resource"]["name"], windows["before"]["status.uuid"]
        expected = f"/var/lib/harvester/defaultdisk/backing-images/{name}-{uuid}/backing"
        places = {(p["node"], p["path"], p["why"].split(" ")[0]) for p in windows["lookForFilesAt"]}
        assert places == {("harvester-node-0", expected, "ready"),  # the copy the snapshot holds
                          ("harvester-node-1", expected, "disk")}  # the second replica added after the snapshot
        # The Debian image's failed re-download left a status entry: only its spec is emptied.
        debian = lost["default/debian-12-old"]["evidence"]
        assert debian["metadataLoss"] == {"specEmptied": True, "statusEmptied": False}
        assert "404" in debian["dataSource"]["status.message"]
        golden = lost["default/golden-rhel9"]["evidence"]
        assert golden["rebuildable"]["possible"] is True and "BackupBackingImage" in golden["rebuildable"]["how"]
        assert {p["node"] for p in golden["lookForFilesAt"]} == {"harvester-node-1", "harvester-node-2"}

    def test_flags_the_pruned_migration_fingerprint_on_every_image(self, reports: dict[str, Report],
                                                                    image_ids: dict[str, str]) -> None:
        (finding,) = found(reports["pruned"], "verify/pruned-migration")
        assert finding["severity"] == "block"
        assert finding["resource"]["name"] == "backingimages.longhorn.io"
        assert {image_ids[r["name"]] for r in finding["related"]} == set(image_ids.values())
        evidence = finding["evidence"]
        assert evidence["longhorn"] == {"before": "v1.6.2", "after": "v1.7.2"}
        assert evidence["backingImageCRD"] == {"before": "v1.6.2", "after": "v1.7.2"}
        assert evidence["imagesStillListingReadyCopies"] == []
        ubuntu = next(e for name, e in evidence["images"].items() if image_ids[name] == "default/ubuntu-22.04")
        assert ubuntu["spec.minNumberOfCopies"] == "(absent)" and ubuntu["spec.diskFileSpecMap"] == {}
        assert len(ubuntu["disksBefore"]) == 3  # the disks to patch back, from the snapshot

    def test_the_images_being_downloaded_again_are_recovering_not_lost(self, reports: dict[str, Report],
                                                                        image_ids: dict[str, str]) -> None:
        recovering = by_image(found(reports["pruned"], "verify/backing-image-recovering"), image_ids)
        assert set(recovering) == {"default/ubuntu-22.04", "default/opensuse-leap-15.5"}
        ubuntu = recovering["default/ubuntu-22.04"]
        assert ubuntu["severity"] == "warn"
        assert "in-progress 45% on harvester-node-1" in ubuntu["message"]
        assert ubuntu["evidence"]["vms"] == ["default/web-01", "default/web-02"]
        assert ubuntu["evidence"]["dataSource"]["spec.fileTransferred"] is False
        assert ubuntu["evidence"]["expectedChecksum"] == ubuntu["evidence"]["before"]["status.checksum"]

    def test_vm_images_volumes_and_vms_are_each_tied_to_the_image_that_blocks_them(
            self, reports: dict[str, Report], image_ids: dict[str, str]) -> None:
        report = reports["pruned"]
        stale = {f["resource"]["name"] for f in found(report, "verify/vm-image-stale")}
        assert stale == {"windows-2022", "golden-rhel9", "debian-12-old"}  # lost and still Imported=True
        blocked = {f["evidence"]["vms"][0]: (image_ids[f["evidence"]["backingImage"]],
                                             f["evidence"]["backingImageFate"])
                   for f in found(report, "verify/volume-blocked")}
        assert blocked == {"default/web-01": ("default/ubuntu-22.04", "recovering"),
                           "default/web-02": ("default/ubuntu-22.04", "recovering"),
                           "default/win-ad-01": ("default/windows-2022", "lost"),
                           "team-a/db-01": ("default/golden-rhel9", "lost")}  # lab-opensuse waited before already
        not_running = {f"{f['resource']['namespace']}/{f['resource']['name']}": [image_ids[n] for n in
                                                                                 f["evidence"]["blockedBy"]]
                       for f in found(report, "verify/vm-not-running")}
        assert not_running == {"default/web-01": ["default/ubuntu-22.04"], "default/web-02": ["default/ubuntu-22.04"],
                               "default/win-ad-01": ["default/windows-2022"], "team-a/db-01": ["default/golden-rhel9"]}

    def test_the_wait_interval_the_upgrade_raised_is_reported(self, reports: dict[str, Report]) -> None:
        (finding,) = found(reports["pruned"], "verify/unexpected-change")
        assert finding["resource"]["name"] == "replica-replenishment-wait-interval"
        assert finding["evidence"]["value"] == {"before": None, "after": "1800"}  # the demo does not list it
        assert finding["evidence"]["savedByUpgrade"] == "600"
        assert finding["evidence"]["upgradeState"] == "UpgradingNodes"

    def test_versions_baseline_and_the_preflight_checks_are_in_the_report(self, reports: dict[str, Report],
                                                                           snapshot: Any) -> None:
        report = reports["pruned"]
        (versions,) = found(report, "verify/versions")
        assert versions["severity"] == "info"
        assert versions["evidence"]["harvester"] == {"before": "v1.3.2", "after": "v1.4.0"}
        assert report["baseline"] | {"takenAt": None} == {
            "type": "snapshot", "location": str(snapshot), "takenAt": None, "collectedAt": "2025-03-24T09:30:12Z",
            "originalSource": f"bundle:{snapshot.parent / 'demo.zip'}", "harvesterVersion": "v1.3.2",
            "longhornVersion": "v1.6.2"}
        checks = {c["name"]: c["status"] for c in report["checks"]}
        assert checks["verify-backing-images"] == checks["backing-image-ready-copies"] == "fail"
        assert checks["upgrade-path"] == "skipped"  # preflight without a target
        assert found(report, "backing-image/no-ready-copy")


def test_a_partial_loss_names_the_one_lost_image(reports: dict[str, Report], image_ids: dict[str, str]) -> None:
    report = reports["partial"]
    assert report["verdict"] == "block"
    lost = by_image(found(report, "verify/backing-image-lost"), image_ids)
    assert set(lost) == {"default/windows-2022"}
    assert lost["default/windows-2022"]["evidence"]["vms"] == ["default/win-ad-01"]
    (migration,) = found(report, "verify/pruned-migration")
    assert [image_ids[r["name"]] for r in migration["related"]] == ["default/windows-2022"]
    assert [f["resource"]["name"] for f in found(report, "verify/vm-not-running")] == ["win-ad-01"]
    assert not found(report, "verify/backing-image-recovering") and not found(report, "verify/unexpected-change")


def test_a_clean_upgrade_verifies_without_block_findings(reports: dict[str, Report]) -> None:
    report = reports["clean"]
    assert report["summary"]["block"] == 0, [f["id"] for f in report["findings"] if f["severity"] == "block"]
    assert report["verdict"] == "warn"  # the bundle misses two namespaces; windows-2022 has no backup
    assert [f["id"] for f in report["findings"] if f["id"].startswith("verify/")] == ["verify/versions"]
    assert {c["status"] for c in report["checks"] if c["name"].startswith("verify-")} == {"pass"}


# -- minimal mutations of the demo ----------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_objects() -> list[Obj]:
    cluster = demo_cluster()
    return cluster.objects + cluster.crds


def verify_change(before: list[Obj], change: Callable[[list[Obj]], None]) -> Report:
    """verify of ``before`` against a copy changed by ``change`` (both as fully read states)."""
    after = copy.deepcopy(before)
    change(after)
    return verify_report(state_from(after), state_from(before))


def backing_image(objects: list[Obj], image_id: str) -> Obj:
    return next(o for o in objects if o["kind"] == "BackingImage"
                and o["metadata"]["annotations"]["harvesterhci.io/imageId"] == image_id)


def drop_copy(objects: list[Obj], image_id: str, node: str) -> None:
    """The image's copy on ``node``'s default disk is gone: no status entry, no manager record."""
    bi = backing_image(objects, image_id)
    manager = next(o for o in objects if o["kind"] == "BackingImageManager" and o["spec"]["nodeID"] == node
                   and o["spec"]["diskPath"] == "/var/lib/harvester/defaultdisk")
    del bi["status"]["diskFileStatusMap"][manager["spec"]["diskUUID"]]
    del manager["status"]["backingImageFileMap"][bi["metadata"]["name"]]


def test_an_image_gone_from_the_cluster_is_missing(demo_objects: list[Obj]) -> None:
    name = backing_image(demo_objects, "default/ubuntu-22.04")["metadata"]["name"]
    report = verify_change(demo_objects, lambda objs: objs.remove(backing_image(objs, "default/ubuntu-22.04")))
    (finding,) = found(report, "verify/backing-image-missing")
    assert finding["resource"]["name"] == name and finding["severity"] == "block"
    assert finding["evidence"]["vms"] == ["default/web-01", "default/web-02"]
    assert {p["node"] for p in finding["evidence"]["lookForFilesAt"]} == {f"harvester-node-{i}" for i in range(3)}
    assert report["verdict"] == "block"


def test_a_deleted_vm_that_ran_is_reported_gone(demo_objects: list[Obj]) -> None:
    def delete(objs: list[Obj]) -> None:
        objs[:] = [o for o in objs if not (o["kind"] in ("VirtualMachine", "VirtualMachineInstance")
                                           and o["metadata"]["name"] == "web-02")]

    (finding,) = found(verify_change(demo_objects, delete), "verify/vm-not-running")
    assert "VM default/web-02 ran before the upgrade and is gone now" in finding["message"]
    assert finding["evidence"]["status.printableStatus"] == {"before": "Running", "after": None}


def test_a_new_checksum_is_checksum_changed(demo_objects: list[Obj]) -> None:
    def change(objs: list[Obj]) -> None:
        backing_image(objs, "default/golden-rhel9")["status"]["checksum"] = "0" * 128

    (finding,) = found(verify_change(demo_objects, change), "verify/checksum-changed")
    assert finding["evidence"]["status.checksum"]["after"] == "0" * 128
    assert finding["evidence"]["vms"] == ["team-a/db-01"]


def test_fewer_ready_copies_is_degraded(demo_objects: list[Obj]) -> None:
    report = verify_change(demo_objects, lambda objs: drop_copy(objs, "default/ubuntu-22.04", "harvester-node-2"))
    (finding,) = found(report, "verify/backing-image-degraded")
    assert finding["severity"] == "warn"
    assert "2 ready copies now, 3 before" in finding["message"]
    assert [c["node"] for c in finding["evidence"]["copiesNoLongerReady"]] == ["harvester-node-2"]
    assert not found(report, "verify/backing-image-lost")


def test_emptied_metadata_with_the_file_still_listed_is_metadata_loss_only(demo_objects: list[Obj]) -> None:
    """The status lost its entry but the disk's manager still lists the file: recoverable by re-adding the disk."""
    def change(objs: list[Obj]) -> None:
        backing_image(objs, "default/windows-2022")["status"]["diskFileStatusMap"] = {}

    (finding,) = found(verify_change(demo_objects, change), "verify/backing-image-lost")
    evidence = finding["evidence"]
    assert evidence["dataLoss"] is False
    assert evidence["metadataLoss"] == {"specEmptied": False, "statusEmptied": True}
    assert [m["node"] for m in evidence["managersListingFile"]] == ["harvester-node-0"]
    assert "still listed by backing-image-manager-" in finding["message"]


@pytest.mark.parametrize("shape", ["absent", "empty"])
def test_the_fingerprint_holds_with_the_disk_map_absent_or_empty(demo_objects: list[Obj], shape: str) -> None:
    pruned = after_pruned_upgrade()
    after = pruned.objects + pruned.crds
    for bi in after:
        if bi["kind"] == "BackingImage" and shape == "absent":
            del bi["spec"]["diskFileSpecMap"]
    report = verify_report(state_from(after), state_from(demo_objects))
    (finding,) = found(report, "verify/pruned-migration")
    assert len(finding["related"]) == 6


def test_no_fingerprint_before_longhorn_1_7_or_with_min_copies_set(demo_objects: list[Obj]) -> None:
    def empty_disks(objs: list[Obj]) -> None:  # Longhorn 1.6.2 still: an empty spec.disks is just an unused image
        backing_image(objs, "default/debian-12-old")["spec"]["disks"] = {}

    assert not found(verify_change(demo_objects, empty_disks), "verify/pruned-migration")
    clean = after_clean_upgrade()
    report = verify_report(state_from(clean.objects + clean.crds), state_from(demo_objects))
    assert not found(report, "verify/pruned-migration")


def test_a_managed_chart_left_paused_is_an_unexpected_change(demo_objects: list[Obj]) -> None:
    def pause(objs: list[Obj]) -> None:
        chart = next(o for o in objs if o["kind"] == "ManagedChart" and o["metadata"]["name"] == "harvester")
        chart["spec"]["paused"] = True

    (finding,) = found(verify_change(demo_objects, pause), "verify/unexpected-change")
    assert finding["resource"]["name"] == "harvester"
    assert finding["evidence"]["spec.paused"] == {"before": False, "after": True}
    paused_before = copy.deepcopy(demo_objects)
    pause(paused_before)
    assert not found(verify_change(paused_before, lambda objs: None), "verify/unexpected-change")


def test_an_unreadable_baseline_input_makes_the_comparison_unknown(demo_objects: list[Obj]) -> None:
    clean = after_clean_upgrade()
    report = verify_report(state_from(clean.objects + clean.crds),
                           state_from(demo_objects, unreadable=[k.BACKING_IMAGES]))
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["verify-backing-images"]["status"] == "unknown"
    assert "longhorn.io/backingimages (in the baseline)" in checks["verify-backing-images"]["detail"]
    assert checks["backing-image-ready-copies"]["status"] != "unknown"  # the current state was read
    (incomplete,) = found(report, "source/incomplete")
    assert incomplete["evidence"]["in"] == "baseline"
    assert report["verdict"] == "incomplete"
