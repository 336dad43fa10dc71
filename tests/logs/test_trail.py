"""A bundle carrying the harvester#7958 trail tells the story in order, with findings and a valid document."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from logkit import TRAIL_BUNDLE_AT, TRAIL_CRD_APPLIED_AT, TRAIL_MIGRATED_AT

from hvguard.logs.bundle_logs import read_bundle
from hvguard.logs.findings import scan_findings
from hvguard.reports import logs as document
from hvguard.synth.demo import demo_cluster
from hvguard.synth.log_trail import LogTrail, pruned_migration_trail
from hvguard.synth.model import SyntheticCluster

LogsDoc = dict[str, Any]


def test_the_story_runs_migration_pruning_deletion_recovery_waiting(trail_bundle: Path) -> None:
    scan = read_bundle(trail_bundle)
    stages = [group.signature.stage for group in scan.groups]
    assert list(dict.fromkeys(stages)) == ["migration", "pruned-write", "pruned-window", "deletion", "recovery",
                                           "consumer"]
    times = [group.first for group in scan.groups]
    assert times == sorted(times)  # every trail line and event carries a time


def test_the_document_names_what_was_lost_and_where(trail_bundle: Path, validate: Callable[[LogsDoc], LogsDoc]) -> None:
    scan = read_bundle(trail_bundle)
    doc = validate(document.build(scan, scan_findings(scan)))
    findings = {f["id"]: f for f in doc["findings"]}
    assert [f["severity"] for f in doc["findings"]] == sorted((f["severity"] for f in doc["findings"]),
                                                              key=("block", "warn", "info").index)
    pruned = findings["log/pruned-disk-file-spec-map"]
    assert pruned["severity"] == "block" and pruned["evidence"]["count"] == 6  # one per backing image
    assert pruned["evidence"]["knownVersion"] is True
    lost = findings["log/backing-image-unrecoverable"]
    images = {bi["metadata"]["name"]: bi["spec"]["sourceType"] for bi in demo_cluster().objects
              if bi["kind"] == "BackingImage"}
    assert lost["evidence"]["objects"]["backingImage"] == sorted(n for n, t in images.items() if t != "download")
    assert {ref["kind"] for ref in lost["related"]} == {"BackingImage"}
    deleted = findings["log/invalid-backing-image-file-deleting"]
    assert set(deleted["evidence"]["objects"]["backingImage"]) == set(images)
    assert {s["type"] for s in findings["log/backing-image-file-deleted"]["evidence"]["sources"]} == {"log", "event"}
    assert [stage["stage"] for stage in doc["story"]] == ["migration", "pruned-write", "pruned-window", "deletion",
                                                          "recovery", "consumer"]
    assert doc["summary"]["incomplete"] == 0


def test_events_older_than_the_api_server_keeps_them_are_gone(trail: LogTrail) -> None:
    later = pruned_migration_trail(demo_cluster(), migrated_at=TRAIL_MIGRATED_AT, observed_at="2025-03-24T18:00:00Z")
    assert trail.events and not later.events
    assert later.logs == pruned_migration_trail(demo_cluster(), migrated_at=TRAIL_MIGRATED_AT).logs


def test_the_trail_replaces_the_longhorn_pods_and_their_logs(trail_cluster: SyntheticCluster, trail: LogTrail) -> None:
    pods = [o for o in trail_cluster.objects if o["kind"] == "Pod" and o["metadata"]["namespace"] == "longhorn-system"]
    assert sorted(p["metadata"]["name"] for p in pods) == sorted(p["metadata"]["name"] for p in trail.pods)
    assert {c["image"] for p in pods for c in p["spec"]["containers"]} == {"longhornio/longhorn-manager:v1.7.2"}
    longhorn_logs = [path for path in trail_cluster.logs if path.startswith("longhorn-system/")]
    assert sorted(longhorn_logs) == sorted(trail.logs)
    assert any(path.startswith("default/virt-launcher-") for path in trail_cluster.logs)


def test_the_trail_is_reproducible_and_in_time_order(trail: LogTrail) -> None:
    again = pruned_migration_trail(demo_cluster(), migrated_at=TRAIL_MIGRATED_AT, crd_applied_at=TRAIL_CRD_APPLIED_AT,
                                   observed_at=TRAIL_BUNDLE_AT)
    assert again == trail
    for text in trail.logs.values():
        stamps = [line.split(" ", 1)[0] for line in text.splitlines()]
        assert stamps == sorted(stamps)


def test_a_crd_that_lands_at_once_leaves_no_window() -> None:
    quick = pruned_migration_trail(demo_cluster(), migrated_at=TRAIL_MIGRATED_AT, crd_applied_at="2025-03-24T13:48:00Z")
    assert "has not started disk file handling" not in "".join(quick.logs.values())
