"""Pairs of states for verify: the snapshot of the demo (as ``hvguard snapshot`` writes it from the demo's
bundle) and each post-upgrade scenario as a support bundle, plus the report verify makes of each pair."""

from __future__ import annotations

from pathlib import Path

import pytest
from verify_support import SCENARIOS, Report, verify_report

from hvguard.sources.bundle import load_bundle
from hvguard.sources.snapshot import load_snapshot, write_snapshot
from hvguard.synth.bundle_writer import write_bundle
from hvguard.synth.demo import demo_cluster
from hvguard.synth.model import SyntheticCluster


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("verify")


@pytest.fixture(scope="session")
def snapshot(files: Path) -> Path:
    """The pre-upgrade snapshot: the demo's bundle, loaded and saved by ``write_snapshot``."""
    bundle = files / "demo.zip"
    write_bundle(demo_cluster(), bundle)
    write_snapshot(load_bundle(bundle), files / "pre-upgrade.zip")
    return files / "pre-upgrade.zip"


@pytest.fixture(scope="session")
def clusters() -> dict[str, SyntheticCluster]:
    return {name: make() for name, make in SCENARIOS.items()}


@pytest.fixture(scope="session")
def bundles(files: Path, clusters: dict[str, SyntheticCluster]) -> dict[str, Path]:
    paths = {}
    for name, cluster in clusters.items():
        paths[name] = files / f"{name}.zip"
        write_bundle(cluster, paths[name])
    return paths


@pytest.fixture(scope="session")
def reports(snapshot: Path, bundles: dict[str, Path]) -> dict[str, Report]:
    """``hvguard verify --against <snapshot> --bundle <scenario>``, in process."""
    baseline = load_snapshot(snapshot)
    return {name: verify_report(load_bundle(path), baseline) for name, path in bundles.items()}


@pytest.fixture(scope="session")
def image_ids() -> dict[str, str]:
    """Backing image name → the VM image it was made for (``default/ubuntu-22.04``), from Harvester's
    annotation; the leftover ``centos-stream-8`` keeps its deleted VM image's id."""
    return {bi["metadata"]["name"]: bi["metadata"]["annotations"]["harvesterhci.io/imageId"]
            for bi in demo_cluster().objects if bi["kind"] == "BackingImage"}
