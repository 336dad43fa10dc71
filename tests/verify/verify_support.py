"""Helpers for the verify tests: the scenarios by name, verify run in process, and finding lookups."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hvguard.analysis import runner
from hvguard.reports import model
from hvguard.state.cluster import ClusterState
from hvguard.synth.model import SyntheticCluster
from hvguard.synth.scenarios import after_clean_upgrade, after_partial_loss, after_pruned_upgrade

Report = dict[str, Any]
SCENARIOS: dict[str, Callable[[], SyntheticCluster]] = {
    "pruned": after_pruned_upgrade, "partial": after_partial_loss, "clean": after_clean_upgrade,
}


def verify_report(state: ClusterState, baseline: ClusterState) -> Report:
    """What ``hvguard verify`` prints with ``-o json``, without the subprocess."""
    return model.build(state, runner.run(state, baseline=baseline), command="verify")


def found(report: Report, finding_id: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["id"] == finding_id]


def by_image(findings: list[dict[str, Any]], image_ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Findings about backing images, keyed by their VM image id (see the ``image_ids`` fixture)."""
    return {image_ids[f["resource"]["name"]]: f for f in findings}
