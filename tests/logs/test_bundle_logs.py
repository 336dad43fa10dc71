"""Logs and events from support bundles: layout, rotated runs, --since, and members that cannot be read."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from logkit import BUNDLE_AT, dir_bundle, event, example, lh_pod, stamped, zip_bundle
from support import METADATA, V10_SAMPLE

from hvguard.errors import InputError
from hvguard.logs.bundle_logs import read_bundle
from hvguard.logs.collect import LogScan

MANAGER = "longhorn-manager-x7k2p"
BIM = "backing-image-manager-5ae6-a56f"


def bundle_logs() -> dict[str, str]:
    before = BUNDLE_AT - timedelta(hours=3)
    return {
        f"longhorn-system/{MANAGER}/longhorn-manager.log.1": stamped(
            ["E0324 observed a panic", example("eviction-panic")], before),
        f"longhorn-system/{MANAGER}/longhorn-manager.log": stamped(
            [example("upgrade-path-v16x-to-v170"), example("pruned-disk-file-spec-map"),
             example("replica-waiting-for-backing-image")], BUNDLE_AT - timedelta(minutes=30)),
        f"longhorn-system/{BIM}/backing-image-manager.log": stamped(
            [example("backing-image-manager-deleting-file")], BUNDLE_AT - timedelta(minutes=20)),
        "longhorn-system/longhorn-manager-nopod/longhorn-manager.log": stamped(
            [example("replica-waiting-for-backing-image")], BUNDLE_AT - timedelta(minutes=10)),
        "longhorn-system/instance-manager-abc/instance-manager.log": stamped(
            [example("replica-waiting-for-backing-image")], BUNDLE_AT),
        f"longhorn-system/{MANAGER}/notes.txt": "not a log\n",
    }


def objects() -> list[dict[str, Any]]:
    return [lh_pod(MANAGER, "longhorn-manager", "longhornio/longhorn-manager:v1.7.2", "harvester-node-0", restarts=4),
            lh_pod(BIM, "backing-image-manager", "longhornio/backing-image-manager:v1.7.2", "harvester-node-0"),
            event("BackingImageManager", BIM, example("backing-image-file-deleted"), BUNDLE_AT - timedelta(minutes=20))]


@pytest.fixture(params=["zip", "folder"])
def bundle(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "zip":
        return zip_bundle(tmp_path / "bundle.zip", bundle_logs(), objects())
    return dir_bundle(tmp_path / "bundle", bundle_logs(), objects())


def logs_read(scan: LogScan) -> dict[str, dict[str, Any]]:
    return {entry.where: entry.as_dict() for entry in scan.inputs if entry.type == "log"}


def test_every_wanted_container_log_is_read_with_its_pod(bundle: Path) -> None:
    scan = read_bundle(bundle)
    read = logs_read(scan)
    assert sorted(read) == sorted(f"logs/{path}" for path in bundle_logs() if "instance-manager" not in path
                                  and path.endswith((".log", ".log.1")))
    previous = read[f"logs/longhorn-system/{MANAGER}/longhorn-manager.log.1"]
    assert previous["origin"] == {"label": f"{MANAGER}/longhorn-manager (previous)", "type": "log",
                                  "namespace": "longhorn-system", "pod": MANAGER, "container": "longhorn-manager",
                                  "previous": True, "node": "harvester-node-0",
                                  "image": "longhornio/longhorn-manager:v1.7.2"}
    assert (previous["status"], previous["lines"]) == ("read", 2)
    assert read["logs/longhorn-system/longhorn-manager-nopod/longhorn-manager.log"]["origin"]["node"] == ""
    assert {entry.type: entry.status for entry in scan.inputs if entry.type != "log"} == {"pods": "read",
                                                                                          "events": "read"}


def test_the_story_comes_out_oldest_first_across_files_and_events(bundle: Path) -> None:
    ids = [group.signature.id for group in read_bundle(bundle).groups]
    assert ids == ["eviction-panic", "upgrade-path-v16x-to-v170", "pruned-disk-file-spec-map",
                   "replica-waiting-for-backing-image", "backing-image-file-deleted",
                   "backing-image-manager-deleting-file", "replica-waiting-for-backing-image"]


def test_since_counts_back_from_when_the_bundle_was_made(bundle: Path) -> None:
    scan = read_bundle(bundle, timedelta(minutes=25))
    assert scan.since == BUNDLE_AT - timedelta(minutes=25)
    assert [group.signature.id for group in scan.groups] == [
        "backing-image-file-deleted", "backing-image-manager-deleting-file", "replica-waiting-for-backing-image"]


def test_a_member_corrupt_part_way_costs_that_log_only(tmp_path: Path) -> None:
    text = stamped([example("upgrade-path-v16x-to-v170")] + ["filler line"] * 40000, BUNDLE_AT)
    path = tmp_path / "bundle.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("b/metadata.yaml", METADATA)
        archive.writestr("b/yamls/cluster/v1/namespaces.yaml", "kind: List\nitems: []\n")
        archive.writestr(f"b/logs/longhorn-system/{MANAGER}/longhorn-manager.log", text)  # stored: bytes as they are
        archive.writestr(f"b/logs/longhorn-system/{BIM}/backing-image-manager.log",
                         stamped([example("backing-image-manager-deleting-file")], BUNDLE_AT))
    data = bytearray(buffer.getvalue())
    data[data.rfind(b"filler line")] ^= 0x20  # the CRC check fails only at the member's end
    path.write_bytes(bytes(data))
    scan = read_bundle(path)
    read = logs_read(scan)
    broken = read[f"logs/longhorn-system/{MANAGER}/longhorn-manager.log"]
    assert broken["status"] == "partial" and "Bad CRC-32" in broken["reason"]
    assert read[f"logs/longhorn-system/{BIM}/backing-image-manager.log"]["status"] == "read"
    assert {group.signature.id for group in scan.groups} == {"upgrade-path-v16x-to-v170",
                                                             "backing-image-manager-deleting-file"}


def test_a_member_that_inflates_like_a_bomb_is_refused(tmp_path: Path) -> None:
    logs = {f"longhorn-system/{MANAGER}/longhorn-manager.log": b"\0" * (20 * 2**20)}
    scan = read_bundle(zip_bundle(tmp_path / "bomb.zip", logs))
    [entry] = [e for e in scan.inputs if e.type == "log"]
    assert entry.status == "unreadable" and "possible zip bomb" in entry.reason


def test_a_symlink_out_of_the_bundle_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.log"
    secret.write_text(stamped([example("eviction-panic")], BUNDLE_AT))
    root = dir_bundle(tmp_path / "bundle", {f"longhorn-system/{BIM}/backing-image-manager.log": ""})
    os.symlink(secret, root / "logs" / "longhorn-system" / BIM / "longhorn-manager.log")
    scan = read_bundle(root)
    entry = logs_read(scan)[f"logs/longhorn-system/{BIM}/longhorn-manager.log"]
    assert entry["status"] == "unreadable" and "points outside the bundle folder" in entry["reason"]
    assert scan.groups == ()


def test_the_real_v1_0_sample_has_no_storage_warning() -> None:
    """A healthy Harvester v1.0 bundle: the backing-image manager only fetched an image."""
    scan = read_bundle(V10_SAMPLE)
    [entry] = [e for e in scan.inputs if e.type == "log"]
    assert (entry.status, entry.lines, entry.origin.container if entry.origin else "") == (
        "read", 174, "backing-image-manager")
    assert scan.groups == ()
    assert scan.source.collected_at


def test_a_path_that_is_no_bundle_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="bundle not found"):
        read_bundle(tmp_path / "missing.zip")
