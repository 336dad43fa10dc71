"""``recover --apply`` against the API emulator serving the cluster after a pruned upgrade: the exact
requests, idempotence, a fault mid-way that stops with exit 4 and a journal a rerun resumes from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from kubeapi import KubeAPIServer
from recover_support import plan_of

from hvguard.actions.plan import Plan
from hvguard.cli.recover_cmd import _unchanged_since_planning
from hvguard.errors import ApplyStopped
from hvguard.synth.model import SyntheticCluster

NS = "longhorn-system"


def recover(kubeconfig: Path, journal: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hvguard", "recover", "--kubeconfig", str(kubeconfig), "--apply",
                           "--yes", "--journal", str(journal), "-o", "json", *args],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def requests(api: KubeAPIServer) -> list[tuple[str, str, str]]:
    return [(r.verb, str(r.resource), str(r.name)) for r in api.writes()]


def expected(plan: Plan) -> list[tuple[str, str, str]]:
    """What the picked steps send, in order: one merge patch per image, then its data source's DELETE."""
    return [(c.verb, c.plural, c.target.name) for s in plan.to_apply for c in s.changes]


def journal_events(path: Path) -> list[tuple[str, str]]:
    return [(e["event"], e["step"]) for e in map(json.loads, path.read_text().splitlines())]


def counts(api: KubeAPIServer) -> dict[str, int]:
    return {kind: len(api.list(kind)) for kind in ("lhbi", "virtualmachineimages.harvesterhci.io", "lhv", "pvc")}


@pytest.fixture
def plan(pruned: SyntheticCluster) -> Plan:
    return plan_of(pruned)


class TestApply:
    def test_sends_exactly_the_planned_patches_and_data_source_deletes(
            self, pruned_api: KubeAPIServer, kubeconfig: Path, plan: Plan, tmp_path: Path) -> None:
        before = counts(pruned_api)
        result = recover(kubeconfig, tmp_path / "journal.jsonl")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["schema"] == "hvguard.plan/v1"
        sent = requests(pruned_api)
        assert sent == expected(plan) and sent
        assert {(verb, resource) for verb, resource, _ in sent} == {("patch", "backingimages"),
                                                                   ("delete", "backingimagedatasources")}
        bodies = [r.body for r in pruned_api.writes() if r.verb == "patch"]
        assert bodies == [c.body for s in plan.to_apply for c in s.changes if c.verb == "patch"]
        assert counts(pruned_api) == before  # no BackingImage, VM image, volume or claim deleted

    def test_leaves_each_image_as_the_kb_procedure_does(
            self, pruned_api: KubeAPIServer, kubeconfig: Path, plan: Plan, tmp_path: Path) -> None:
        assert recover(kubeconfig, tmp_path / "journal.jsonl").returncode == 0
        for name in {s.target.name for s in plan.to_apply}:
            spec = pruned_api.get("lhbi", name, NS)["spec"]
            assert spec["diskFileSpecMap"] == {} and spec["minNumberOfCopies"] == 3
            data_source = next((b for b in pruned_api.list("lhbids", NS) if b["metadata"]["name"] == name), None)
            assert data_source is None or data_source["metadata"].get("deletionTimestamp")  # its finalizer holds it

    def test_a_second_run_sends_no_write(self, pruned_api: KubeAPIServer, kubeconfig: Path, tmp_path: Path) -> None:
        assert recover(kubeconfig, tmp_path / "journal.jsonl").returncode == 0
        pruned_api.clear_requests()
        again = recover(kubeconfig, tmp_path / "journal.jsonl")
        assert again.returncode == 0, again.stderr
        assert pruned_api.writes() == []
        assert "0 write(s)" in again.stderr

    def test_progress_names_each_step(self, pruned_api: KubeAPIServer, kubeconfig: Path, plan: Plan,
                                      tmp_path: Path) -> None:
        result = recover(kubeconfig, tmp_path / "journal.jsonl")
        total = len(plan.to_apply)
        for number, step in enumerate(plan.to_apply, 1):
            assert f"[{number}/{total}] {step.action} {step.target}" in result.stderr


class TestReadopt:
    def test_only_patches_the_disk_maps_and_a_rerun_sends_nothing(
            self, pruned_api: KubeAPIServer, kubeconfig: Path, baseline: Path, pruned: SyntheticCluster,
            before: SyntheticCluster, tmp_path: Path) -> None:
        plan = plan_of(pruned, baseline=before, readopt=True)
        journal = tmp_path / "journal.jsonl"
        assert recover(kubeconfig, journal, "--against", str(baseline), "--readopt-orphans").returncode == 0
        assert requests(pruned_api) == expected(plan) and {v for v, _, _ in requests(pruned_api)} == {"patch"}
        for step in plan.to_apply:
            spec = pruned_api.get("lhbi", step.target.name, NS)["spec"]
            assert spec["diskFileSpecMap"] == step.changes[0].body["spec"]["diskFileSpecMap"] != {}
            assert spec["minNumberOfCopies"] == 3
        pruned_api.clear_requests()
        assert recover(kubeconfig, journal, "--against", str(baseline), "--readopt-orphans").returncode == 0
        assert pruned_api.writes() == []


class TestFaultMidway:
    def test_stops_with_exit_4_and_a_rerun_resumes_from_the_journal(
            self, pruned_api: KubeAPIServer, kubeconfig: Path, plan: Plan, tmp_path: Path) -> None:
        journal = tmp_path / "journal.jsonl"
        first = plan.to_apply[0]
        with pruned_api.faults.fail("backingimagedatasources", verbs={"delete"}, times=4):  # outlasts the retries
            stopped = recover(kubeconfig, journal)
        assert stopped.returncode == 4, stopped.stderr
        assert "Traceback" not in stopped.stderr and "hvguard: error:" in stopped.stderr
        assert requests(pruned_api) == [expected(plan)[0]] + [expected(plan)[1]] * 4  # patched, then no further
        events = journal_events(journal)
        assert events[:2] == [("step-start", first.id), ("change-applied", first.id)]
        assert events[-1][1] == first.id and "step-done" not in {e for e, _ in events}

        pruned_api.clear_requests()
        resumed = recover(kubeconfig, journal)
        assert resumed.returncode == 0, resumed.stderr
        assert requests(pruned_api) == expected(plan)[1:]  # the landed patch is not sent again
        assert ("step-done", first.id) in journal_events(journal)

    def test_a_refused_patch_stops_before_anything_else(
            self, pruned_api: KubeAPIServer, kubeconfig: Path, tmp_path: Path) -> None:
        with pruned_api.faults.deny("backingimages", verbs={"patch"}):
            stopped = recover(kubeconfig, tmp_path / "journal.jsonl")
        assert stopped.returncode == 4
        assert [verb for verb, _, _ in requests(pruned_api)] == ["patch"]


def test_stops_before_clearing_the_map_of_an_image_that_recovered_meanwhile(
        pruned_api: KubeAPIServer, kubeconfig: Path, plan: Plan) -> None:
    step = next(s for s in plan.to_apply if s.action == "redownload")
    making = {"status": {"diskFileStatusMap": {"disk-x": {"state": "in-progress"}}}}
    pruned_api.patch("lhbi", step.target.name, making, NS)
    with _unchanged_since_planning(kubeconfig, None) as guards, pytest.raises(ApplyStopped, match="since the plan"):
        guards["redownload"](step)
    other = next(s for s in plan.to_apply if s.target.name != step.target.name and s.action in guards)
    with _unchanged_since_planning(kubeconfig, None) as guards:
        guards[other.action](other)  # still lost: no objection
