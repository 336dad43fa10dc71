"""The harvester#7958 trail on the demo cluster, its bundle, and the logs document's JSON Schema."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from logkit import TRAIL_BUNDLE_AT, TRAIL_CRD_APPLIED_AT, TRAIL_MIGRATED_AT
from support import validated

from hvguard.synth.bundle_writer import write_bundle
from hvguard.synth.demo import demo_cluster
from hvguard.synth.log_trail import LogTrail, pruned_migration_trail, with_trail
from hvguard.synth.model import SyntheticCluster

LogsDoc = dict[str, Any]


@pytest.fixture(scope="session")
def trail() -> LogTrail:
    return pruned_migration_trail(demo_cluster(), migrated_at=TRAIL_MIGRATED_AT, crd_applied_at=TRAIL_CRD_APPLIED_AT,
                                  observed_at=TRAIL_BUNDLE_AT)


@pytest.fixture(scope="session")
def trail_cluster(trail: LogTrail) -> SyntheticCluster:
    return dataclasses.replace(with_trail(demo_cluster(), trail), created_at=TRAIL_BUNDLE_AT)


@pytest.fixture(scope="session")
def trail_bundle(trail_cluster: SyntheticCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trail") / "after-7958.zip"
    write_bundle(trail_cluster, path)
    return path


@pytest.fixture(scope="session")
def validate() -> Callable[[LogsDoc], LogsDoc]:
    """Validate a document against logs-v1.json (which takes its finding shape from report-v1.json)."""
    return validated("logs-v1.json")
