"""Fixtures for recover: the cluster before the upgrade, after a pruned one, and an API server serving it.

Post-upgrade clusters come from ``hvguard.synth.scenarios``; the Longhorn 1.6 cases are the demo
(its ``opensuse-leap-15.5`` is already lost) with more images lost by ``recover_support.lose``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kubeapi import KubeAPIServer
from live.live_support import served
from recover_support import state_of

from hvguard.sources.snapshot import write_snapshot
from hvguard.synth.demo import demo_cluster
from hvguard.synth.model import SyntheticCluster
from hvguard.synth.scenarios import after_pruned_upgrade


@pytest.fixture(scope="session")
def before() -> SyntheticCluster:
    """The demo cluster before the upgrade (Longhorn 1.6.2)."""
    return demo_cluster()


@pytest.fixture(scope="session")
def pruned() -> SyntheticCluster:
    """After the v1.4.0 upgrade whose migration ran against the stale CRD (Longhorn 1.7.2)."""
    return after_pruned_upgrade()


@pytest.fixture(scope="session")
def baseline(before: SyntheticCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the cluster before the upgrade, as ``hvguard snapshot`` writes it (for --against)."""
    path = tmp_path_factory.mktemp("snapshot") / "before-upgrade.zip"
    write_snapshot(state_of(before), path)
    return path


@pytest.fixture
def pruned_api(pruned: SyntheticCluster) -> Iterator[KubeAPIServer]:
    with served(pruned) as api:
        yield api


@pytest.fixture
def kubeconfig(pruned_api: KubeAPIServer, tmp_path: Path) -> Path:
    return pruned_api.write_kubeconfig(tmp_path / "kubeconfig")
