"""The alert rules as pure functions, on hand-made before/after objects (no server)."""

from __future__ import annotations

import copy
import json

import pytest
from kubeapi.helpers import LONGHORN_162, LONGHORN_172, NS
from watch_support import (
    AT,
    IMAGE_UUID,
    NODES,
    backing_image,
    backingimage_crd,
    manager_pod,
    setting,
    state_of,
    step,
    upgrade,
    volume,
    with_ready,
    with_spec,
)

from hvguard.analysis import findings
from hvguard.analysis.findings import Severity
from hvguard.state import kinds as k
from hvguard.watch import alerts
from hvguard.watch.alerts import Alert, Transition
from hvguard.watch.state import WatchState, upgrade_view


def only(raised: list[Alert], alert_id: str) -> Alert:
    matching = [a for a in raised if a.id == alert_id]
    assert len(matching) == 1, [a.id for a in raised]
    return matching[0]


# -- watch/disk-map-emptied ------------------------------------------------------------------------


def test_pruned_migration_empties_the_map_and_names_the_files_to_copy() -> None:
    bi = backing_image()
    raised = step(state_of(bi, *NODES), with_spec(bi, disks={}))
    alert = only(raised, "watch/disk-map-emptied")
    assert alert.critical and alert.level == "critical"
    assert alert.evidence["lostDisks"] == ["d-0", "d-1"]
    assert alert.evidence["before"]["spec.disks"] == ["d-0", "d-1"]
    assert alert.evidence["after"]["spec.disks"] == [] and alert.evidence["after"]["spec.diskFileSpecMap"] is None
    assert alert.evidence["filesStillOnDisk"] == [
        {"diskUUID": "d-0", "node": "node-0", "diskPath": "/var/lib/harvester/defaultdisk",
         "file": f"/var/lib/harvester/defaultdisk/backing-images/vmi-1-{IMAGE_UUID}/backing"},
        {"diskUUID": "d-1", "node": "node-1", "diskPath": "/var/lib/harvester/defaultdisk",
         "file": f"/var/lib/harvester/defaultdisk/backing-images/vmi-1-{IMAGE_UUID}/backing"}]
    assert "copy them off now: node-0:/var/lib/harvester/defaultdisk/backing-images/" in alert.message
    assert "default/win" in alert.message


def test_a_correct_migration_moves_the_disks_and_raises_nothing() -> None:
    bi = backing_image()
    assert step(state_of(bi, *NODES), with_spec(bi, disks={}, diskFileSpecMap={"d-0": {}, "d-1": {}})) == []


def test_losing_only_a_copy_that_was_not_ready_is_not_an_alarm() -> None:
    bi = backing_image(disks=("d-0", "d-1"), ready=("d-0",), failed=("d-1",))
    assert step(state_of(bi, *NODES), with_spec(bi, disks={"d-0": ""})) == []


def test_losing_one_ready_copy_while_another_stays_wanted_is_a_warning() -> None:
    bi = backing_image(disks=("d-0", "d-1", "d-2"), ready=("d-0", "d-1", "d-2"))
    alert = only(step(state_of(bi, *NODES), with_spec(bi, disks={"d-0": "", "d-1": ""})), "watch/disk-map-emptied")
    assert alert.severity is Severity.WARN and "cleanup" in alert.message
    assert alert.evidence["lostDisks"] == ["d-2"]
    assert alert.evidence["filesStillOnDisk"][2]["file"] == f"/mnt/ssd/backing-images/vmi-1-{IMAGE_UUID}/backing"


def test_new_shape_map_emptied_counts_too() -> None:
    bi = backing_image(disks=(), file_map=("d-0",), ready=("d-0",))
    assert only(step(state_of(bi, *NODES), with_spec(bi, diskFileSpecMap={})), "watch/disk-map-emptied").critical


# -- watch/ready-copies-dropped --------------------------------------------------------------------


@pytest.mark.parametrize(("ready_after", "severity"), [(("d-0",), Severity.WARN), ((), Severity.BLOCK)])
def test_ready_copies_dropping_warns_then_is_critical_at_zero(ready_after: tuple[str, ...], severity: Severity) -> None:
    bi = backing_image()
    alert = only(step(state_of(bi, *NODES), with_ready(bi, *ready_after)), "watch/ready-copies-dropped")
    assert alert.severity is severity
    assert alert.evidence["before"]["readyCopies"] == 2 and alert.evidence["after"]["readyCopies"] == len(ready_after)
    assert "d-1" in {d["diskUUID"] for d in alert.evidence["lostDisks"]}
    assert alert.evidence["refetchable"] is False


def test_a_deleted_image_lost_all_its_copies() -> None:
    bi = backing_image()
    alert = only(step(state_of(bi, *NODES), bi, deleted=True), "watch/ready-copies-dropped")
    assert alert.critical and alert.evidence["after"]["deleted"] is True and "deleted" in alert.message


def test_more_ready_copies_is_not_news() -> None:
    bi = backing_image(ready=("d-0",))
    assert step(state_of(bi, *NODES), with_ready(bi, "d-0", "d-1")) == []


# -- watch/migration-before-crd --------------------------------------------------------------------


def test_longhorn_version_moving_past_a_stale_crd_is_critical() -> None:
    bi = backing_image()
    state = state_of(setting("v1.6.2"), backingimage_crd(LONGHORN_162), bi, *NODES)
    alert = only(step(state, setting("v1.7.2")), "watch/migration-before-crd")
    assert alert.critical
    assert "spec.diskFileSpecMap" in alert.evidence["prunedFields"]
    assert alert.evidence["migrationFieldsPruned"]["v16xto170-backingimages"] == [
        "spec.diskFileSpecMap", "spec.minNumberOfCopies"]
    assert alert.evidence["strictWrites"] is False
    assert alert.evidence["readyDisksByImage"] == {"vmi-1": ["d-0", "d-1"]}
    assert alert.evidence["before"] == {"current-longhorn-version": "v1.6.2", "crdVersion": "v1.6.2"}
    assert alert.evidence["after"] == {"current-longhorn-version": "v1.7.2", "crdVersion": "v1.6.2"}


def test_no_alert_when_the_crd_was_updated_first() -> None:
    state = state_of(setting("v1.6.2"), backingimage_crd(LONGHORN_172))
    assert step(state, setting("v1.7.2")) == []


def test_the_alert_fires_once_and_not_before_both_types_are_listed() -> None:
    lagging = state_of(setting("v1.7.2"), backingimage_crd(LONGHORN_162))
    assert step(lagging, setting("v1.7.2", touched="yes")) == []
    assert step(state_of(setting("v1.6.2"), backingimage_crd(LONGHORN_162), synced=False), setting("v1.7.2")) == []


# -- watch/manager-crashloop -----------------------------------------------------------------------


def test_crashloopbackoff_raises_with_the_last_exit() -> None:
    panic = "panic: runtime error: invalid memory address or nil pointer dereference"
    alert = only(step(state_of(manager_pod(0)), manager_pod(2, "CrashLoopBackOff", message=panic)),
                 "watch/manager-crashloop")
    assert alert.critical and "node-1" in alert.message and panic in alert.message
    assert alert.evidence["before"] == {"restartCount": 0, "state": "running", "reason": ""}
    assert alert.evidence["after"]["reason"] == "CrashLoopBackOff"
    assert alert.evidence["lastTermination"]["exitCode"] == 1


def test_restarts_reaching_the_threshold_raise_once() -> None:
    assert alerts.manager_crashloop is not None
    assert only(step(state_of(manager_pod(2)), manager_pod(3)), "watch/manager-crashloop")
    assert step(state_of(manager_pod(3)), manager_pod(4)) == []


def test_old_restarts_seen_at_start_are_not_news() -> None:
    change = WatchState().change(k.PODS.key, "ADDED", manager_pod(12))
    assert alerts.evaluate(Transition(WatchState(), change, WatchState().apply(change), AT)) == []


# -- watch/volume-waiting-for-backing-image --------------------------------------------------------


def test_a_volume_starting_to_wait_names_its_image() -> None:
    alert = only(step(state_of(volume(False), backing_image(ready=())), volume(True)),
                 "watch/volume-waiting-for-backing-image")
    assert alert.level == "warning" and alert.evidence["backingImage"] == "vmi-1"
    assert alert.evidence["imageReadyCopies"] == 0 and "GetBackingImageFailed" in alert.message
    assert step(state_of(volume(True)), volume(True)) == []


# -- the upgrade -----------------------------------------------------------------------------------


def test_a_successful_upgrade_finishes_with_a_summary() -> None:
    critical = Alert("watch/disk-map-emptied", Severity.BLOCK, "m", (), {}, AT)
    state = state_of(upgrade(phase="UpgradingNodes"), backing_image(), backing_image("vmi-2", ready=()))
    finished = step(state, upgrade(phase="Succeeded", completed="True"), history=(critical,))
    alert = only(finished, "watch/upgrade-finished")
    assert alert.severity is Severity.INFO and alert.evidence["succeeded"] is True
    assert alert.evidence["before"]["phase"] == "UpgradingNodes" and alert.evidence["after"]["phase"] == "Succeeded"
    assert alert.evidence["imagesWithoutReadyCopy"] == ["vmi-2 (default/win)"]
    assert alert.evidence["criticalAlerts"] == ["watch/disk-map-emptied"]
    assert "1/2 backing images have a ready copy" in alert.message and "1 critical" in alert.message
    assert "snapshot" not in alert.message


def test_the_finish_summary_names_images_lost_since_the_snapshot() -> None:
    state = state_of(upgrade(phase="UpgradingNodes"), backing_image(), backing_image("vmi-2", ready=()))
    change = state.change(k.UPGRADES.key, "MODIFIED", upgrade(phase="Succeeded", completed="True"))
    raised = alerts.evaluate(Transition(state, change, state.apply(change), AT,
                                        snapshot_ready={"vmi-1": 2, "vmi-2": 1, "vmi-gone": 3, "vmi-never": 0}))
    alert = only(raised, "watch/upgrade-finished")
    assert alert.evidence["lostSinceSnapshot"] == ["vmi-2", "vmi-gone"]
    assert "2 image(s) had a ready copy in the snapshot and have none now" in alert.message


def test_a_failed_upgrade_finishes_as_a_warning() -> None:
    unlabelled = upgrade(phase="")
    failed = copy.deepcopy(unlabelled)
    failed["status"]["conditions"][0]["status"] = "False"
    alert = only(step(state_of(unlabelled), failed), "watch/upgrade-finished")
    assert alert.severity is Severity.WARN and alert.evidence["after"]["phase"] == "Failed"


def test_stalled_alert_names_the_phase() -> None:
    alert = alerts.upgrade_stalled(upgrade_view(upgrade(phase="PreparingNodes")), 3725, "2026-11-27T09:00:00Z", AT)
    assert alert.id == "watch/upgrade-stalled" and alert.level == "warning"
    assert "1h02m" in alert.message and "PreparingNodes" in alert.message
    assert alert.evidence["stuckInPhase"] == "PreparingNodes" and alert.evidence["after"]["idleSeconds"] == 3725


# -- ids and meanings ------------------------------------------------------------------------------


def test_alert_ids_are_exactly_the_public_ones_and_catalogued() -> None:
    public = {"watch/disk-map-emptied", "watch/ready-copies-dropped", "watch/migration-before-crd",
              "watch/manager-crashloop", "watch/upgrade-stalled", "watch/volume-waiting-for-backing-image",
              "watch/upgrade-finished", "watch/log-signature"}
    assert public == alerts.ALERT_IDS
    assert {fid for fid in findings.catalog() if fid.startswith("watch/")} == public


def test_alert_documents_carry_meaning_and_are_json() -> None:
    bi = backing_image()
    alert = only(step(state_of(bi, *NODES), with_spec(bi, disks={})), "watch/disk-map-emptied")
    document = json.loads(json.dumps(alert.as_dict()))
    assert document["type"] == "alert" and document["severity"] == "critical" and document["at"] == AT
    assert document["title"] and document["why"] and document["whatToDo"] and document["references"]
    assert {"before", "after"} <= set(document["evidence"])
    assert document["objects"] == [{"apiVersion": "longhorn.io/v1beta2", "kind": "BackingImage",
                                    "namespace": NS, "name": "vmi-1"}]
