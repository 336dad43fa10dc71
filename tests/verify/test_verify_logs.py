"""verify on a bundle carrying the harvester#7958 log trail: each lost image cites the lines and
events that record what happened to it (migration, pruned fields, file deletions), oldest first."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hvguard.synth.bundle_writer import write_bundle
from hvguard.synth.demo import demo_cluster
from hvguard.synth.log_trail import pruned_migration_trail, with_trail
from hvguard.synth.scenarios import MIGRATED_AT, after_pruned_upgrade


def _verify(snapshot: Path, bundle: Path, *flags: str) -> dict:  # type: ignore[type-arg]
    result = subprocess.run([sys.executable, "-m", "hvguard", "verify", "--against", str(snapshot), "--bundle",
                             str(bundle), "-o", "json", *flags], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_lost_images_cite_their_log_trail(snapshot: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "after.zip"
    write_bundle(with_trail(after_pruned_upgrade(), pruned_migration_trail(demo_cluster(), migrated_at=MIGRATED_AT)),
                 bundle)
    report = _verify(snapshot, bundle)
    lost = [f for f in report["findings"] if f["id"] == "verify/backing-image-lost"]
    assert lost
    for finding in lost:
        trail = finding["evidence"]["logTrail"]
        signatures = [entry["signature"] for entry in trail]
        assert any("deleted" in s or "deleting" in s for s in signatures), signatures
        firsts = [entry["first"] for entry in trail if entry["first"]]
        assert firsts == sorted(firsts)  # the story, oldest first
    ids = {f["id"] for f in report["findings"]}
    assert "log/pruned-disk-file-spec-map" in ids
    assert any(c["name"] == "log-signatures" and c["status"] == "fail" for c in report["checks"])


def test_no_logs_flag_leaves_logs_out(snapshot: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "after.zip"
    write_bundle(with_trail(after_pruned_upgrade(), pruned_migration_trail(demo_cluster(), migrated_at=MIGRATED_AT)),
                 bundle)
    report = _verify(snapshot, bundle, "--no-logs")
    assert not any(f["id"].startswith("log/") for f in report["findings"])
    assert all(f["evidence"]["logTrail"] == [] for f in report["findings"] if f["id"] == "verify/backing-image-lost")
