"""``hvguard recover`` end to end, as a subprocess: plan output, the JSON plan document, usage errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from kubeapi import KubeAPIServer
from recover_support import PLAN_SCHEMA

from hvguard.synth.bundle_writer import write_bundle
from hvguard.synth.model import SyntheticCluster


def hvguard(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hvguard", "recover", *map(str, args)], capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def bundle(pruned: SyntheticCluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bundle") / "after-upgrade.zip"
    write_bundle(pruned, path)
    return path


class TestPlanOutput:
    def test_table_lists_options_with_kubectl_commands(self, bundle: Path) -> None:
        result = hvguard("--bundle", bundle)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("hvguard recover plan for bundle ")
        assert "[will apply] redownload" in result.stdout and "[will apply] restore-backup" in result.stdout
        assert "[manual] manual" in result.stdout and "[manual] restore-vm-backup" in result.stdout
        assert "$ kubectl -n longhorn-system delete backingimagedatasources.longhorn.io vmi-" in result.stdout
        assert "readopt-orphan" not in result.stdout  # no disk is known without --against

    def test_json_is_a_plan_v1_document(self, bundle: Path) -> None:
        result = hvguard("--bundle", bundle, "-o", "json")
        assert result.returncode == 0, result.stderr
        doc = json.loads(result.stdout)
        assert doc["schema"] == "hvguard.plan/v1" and doc["tool"]["command"] == "recover"
        jsonschema.validate(doc, json.loads(PLAN_SCHEMA.read_text()))
        assert {a["action"] for a in doc["actions"]} == {"redownload", "restore-backup", "restore-vm-backup", "manual"}

    def test_markdown_to_a_file(self, bundle: Path, tmp_path: Path) -> None:
        out = tmp_path / "plan.md"
        result = hvguard("--bundle", bundle, "-o", "markdown", "--output", out)
        assert result.returncode == 0 and result.stdout == ""
        assert out.read_text().startswith("# hvguard recover plan")

    def test_against_a_snapshot_lists_readopt_first_and_picks_it_only_when_asked(self, bundle: Path,
                                                                                 baseline: Path) -> None:
        listed = json.loads(hvguard("--bundle", bundle, "--against", baseline, "-o", "json").stdout)
        first = {}
        for action in listed["actions"]:
            first.setdefault(action["target"]["name"], action)
        assert {a["action"] for a in first.values()} == {"readopt-orphan"}
        assert not any(a["picked"] for a in first.values())
        picked = json.loads(hvguard("--bundle", bundle, "--against", baseline, "--readopt-orphans",
                                    "-o", "json").stdout)
        assert {a["action"] for a in picked["actions"] if a["picked"] and a["automatic"]} == {"readopt-orphan"}


class TestUsageErrors:
    def test_apply_with_a_bundle_is_a_usage_error(self, bundle: Path) -> None:
        result = hvguard("--bundle", bundle, "--apply", "--yes")
        assert result.returncode == 2
        assert "needs a live cluster" in result.stderr and "Traceback" not in result.stderr

    def test_refuses_to_apply_without_yes_when_nobody_can_confirm(self, pruned_api: KubeAPIServer,
                                                                  kubeconfig: Path, tmp_path: Path) -> None:
        result = hvguard("--kubeconfig", kubeconfig, "--apply", "--journal", tmp_path / "j.jsonl")
        assert result.returncode == 2
        assert "refusing to apply without --yes" in result.stderr
        assert pruned_api.writes() == [] and not (tmp_path / "j.jsonl").exists()

    def test_a_missing_against_snapshot_is_an_input_error(self, bundle: Path, tmp_path: Path) -> None:
        result = hvguard("--bundle", bundle, "--against", tmp_path / "none.zip")
        assert result.returncode == 2
        assert "snapshot not found" in result.stderr

    def test_plan_only_on_a_live_cluster_writes_nothing(self, pruned_api: KubeAPIServer, kubeconfig: Path) -> None:
        assert hvguard("--kubeconfig", kubeconfig).returncode == 0
        assert pruned_api.writes() == []
