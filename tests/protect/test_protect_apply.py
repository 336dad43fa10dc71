"""protect --apply on the demo cluster, served by the API emulator with real structural-schema pruning."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kubeapi import KubeAPIServer
from kubeapi.helpers import raw
from protect_support import (
    LH_NS,
    TARGET,
    WINDOWS_IMAGE,
    BackupControllers,
    Run,
    hvguard_process,
    image_name,
    journal,
    plan_errors,
    protect_args,
    without_backup_target,
)

from hvguard.actions.executor import Executor
from hvguard.actions.journal import Journal
from hvguard.actions.plan import Plan
from hvguard.cli.exit_codes import ExitCode
from hvguard.knowledge.catalog import load_catalog
from hvguard.kube.client import connect
from hvguard.kube.writer import KubeWriter
from hvguard.sources.snapshot import load_snapshot
from hvguard.state import kinds as k
from hvguard.synth.model import SyntheticCluster

BI_CRD = "backingimages.longhorn.io"
PROTECTED = {"crd/prunes-target-fields", "backing-image/not-rebuildable"}


def writes(api: KubeAPIServer) -> list[tuple[str, str]]:
    return [(w.verb, w.resource) for w in api.writes()]


def disk_map_round_trip(api: KubeAPIServer, image: str) -> dict[str, Any] | None:
    """harvester#7958 in one request: write spec.diskFileSpecMap through the API and read it back."""
    path = f"/apis/longhorn.io/v1beta2/namespaces/{LH_NS}/backingimages/{image}"
    status, _, _ = raw(api, "PATCH", path, {"spec": {"diskFileSpecMap": {"disk-uuid-1": {}}, "minNumberOfCopies": 3}},
                       {"Content-Type": "application/merge-patch+json"})
    assert status == 200
    _, _, stored = raw(api, "GET", path)
    return stored["spec"].get("diskFileSpecMap")


def protected_findings(kubeconfig: Path, run: Run) -> list[tuple[str, str, str]]:
    """The findings protect answers that preflight still reports: (severity, id, object)."""
    code, out, _ = run("preflight", "--kubeconfig", kubeconfig, "--to", TARGET, "-o", "json")
    assert code in (ExitCode.OK, ExitCode.FINDINGS)
    findings = json.loads(out)["findings"]
    return [(f["severity"], f["id"], f["resource"]["name"]) for f in findings if f["id"] in PROTECTED]


class TestApply:
    def test_protect_makes_the_upgrade_safe(self, api: KubeAPIServer, kubeconfig: Path, workdir: Path,
                                            controllers: BackupControllers, hvguard: Run,
                                            demo: SyntheticCluster) -> None:
        windows = image_name(demo, WINDOWS_IMAGE)
        assert disk_map_round_trip(api, windows) is None  # the v1.6.2 CRD prunes it: the bug, before protect
        api.clear_requests()

        code, out, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes", "-o", "json"))
        assert code == ExitCode.OK, err
        assert plan_errors(json.loads(out)) == []
        assert writes(api) == [("patch", "managedcharts"), ("update", "customresourcedefinitions"),
                               ("patch", "managedcharts"), ("update", "customresourcedefinitions"),
                               ("create", "backupbackingimages")]
        assert f"{windows}: status.state='Completed' (100%)" in err

        assert disk_map_round_trip(api, windows) == {"disk-uuid-1": {}}
        chart = api.get("managedcharts", "harvester", "fleet-local")
        assert [(e["name"], e["jsonPointers"]) for e in chart["spec"]["diff"]["comparePatches"]] == [
            (BI_CRD, ["/spec", "/metadata/annotations", "/metadata/labels", "/status"]),
            ("nodes.longhorn.io", ["/spec", "/metadata/annotations", "/metadata/labels", "/status"])]
        backup = api.get("backupbackingimages", windows, LH_NS)
        assert backup["status"]["checksum"] == api.get("backingimages", windows, LH_NS)["status"]["checksum"]

        remaining = protected_findings(kubeconfig, hvguard)
        assert remaining == [("info", "crd/prunes-target-fields", "volumes.longhorn.io")]  # left to the upgrade

        snapshots = sorted(workdir.glob("hvguard-pre-upgrade-*.zip"))
        assert len(snapshots) == 1
        before = load_snapshot(snapshots[0])  # taken first: it holds the CRD as it was
        assert before.source.details["original_source"].startswith("live:")
        crd = before.get(k.CRDS, BI_CRD)
        assert crd is not None and crd["metadata"]["labels"]["app.kubernetes.io/version"] == "v1.6.2"
        done = [e["step"] for e in journal(workdir) if e["event"] == "step-done"]
        assert done == ["snapshot", f"apply-target-crd/{BI_CRD}", "apply-target-crd/nodes.longhorn.io",
                        f"backup-backing-image/longhorn-system/{windows}"]

        api.clear_requests()
        code, out, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes"))
        assert code == ExitCode.OK, err
        assert api.writes() == []
        assert "0 write(s)" in err

    def test_as_a_subprocess_with_a_kubeconfig(self, api: KubeAPIServer, kubeconfig: Path, workdir: Path,
                                               controllers: BackupControllers, demo: SyntheticCluster) -> None:
        result = hvguard_process(*protect_args(kubeconfig, workdir, "--apply", "--yes"))
        assert result.returncode == 0, result.stderr
        assert "[will apply] apply-target-crd" in result.stdout
        assert len([w for w in writes(api) if w == ("create", "backupbackingimages")]) == 1
        assert disk_map_round_trip(api, image_name(demo, WINDOWS_IMAGE)) == {"disk-uuid-1": {}}

    def test_vm_backups_when_asked(self, api: KubeAPIServer, kubeconfig: Path, workdir: Path,
                                   controllers: BackupControllers, hvguard: Run) -> None:
        code, _, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes", "--with-vm-backups"))
        assert code == ExitCode.OK, err
        assert api.get("virtualmachinebackups", "win-ad-01-before-v1-4-0", "default")["status"]["readyToUse"] is True
        assert writes(api)[-1] == ("create", "virtualmachinebackups")


    def test_the_volumes_crd_is_left_to_the_upgrade_because_applying_it_now_strips_live_fields(
            self, api: KubeAPIServer, kubeconfig: Path, workdir: Path, controllers: BackupControllers,
            hvguard: Run) -> None:
        code, _, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes"))
        assert code == ExitCode.OK, err
        volume = api.list("volumes", LH_NS)[0]["metadata"]["name"]
        assert api.get("volumes", volume, LH_NS)["spec"]["offlineReplicaRebuilding"] == "disabled"
        api.install_crd(load_catalog().longhorn_crds("v1.7.2").crds["volumes.longhorn.io"])  # by hand, as it were
        assert "offlineReplicaRebuilding" not in api.get("volumes", volume, LH_NS)["spec"]


class TestNothingWritten:
    def test_without_apply_nothing_is_written(self, api: KubeAPIServer, kubeconfig: Path, workdir: Path,
                                              hvguard: Run) -> None:
        code, out, _ = hvguard(*protect_args(kubeconfig, workdir, "-o", "json"))
        assert code == ExitCode.OK
        assert api.writes() == [] and list(workdir.iterdir()) == []
        doc = json.loads(out)
        assert plan_errors(doc) == [] and doc["source"].startswith("live ")
        assert [a["action"] for a in doc["actions"]][:3] == ["snapshot", "apply-target-crd", "apply-target-crd"]

    def test_no_confirmation_without_yes_on_a_non_tty(self, api: KubeAPIServer, kubeconfig: Path,
                                                      workdir: Path) -> None:
        result = hvguard_process(*protect_args(kubeconfig, workdir, "--apply"))
        assert result.returncode == ExitCode.USAGE
        assert "refusing to apply without --yes" in result.stderr
        assert api.writes() == []

    def test_plan_from_a_bundle_but_no_apply(self, demo_bundle: Path, workdir: Path) -> None:
        result = hvguard_process("protect", "--bundle", demo_bundle, "--to", TARGET, "-o", "markdown")
        assert result.returncode == 0, result.stderr
        assert "# hvguard protect plan" in result.stdout and "`apply-target-crd`" in result.stdout
        refused = hvguard_process("protect", "--bundle", demo_bundle, "--to", TARGET, "--apply", "--yes",
                                  "--snapshot-dir", workdir)
        assert refused.returncode == ExitCode.USAGE
        assert "--apply needs a live cluster" in refused.stderr
        assert list(workdir.iterdir()) == []


class TestStops:
    def test_api_failure_mid_way_stops_and_a_rerun_resumes(self, api: KubeAPIServer, kubeconfig: Path, workdir: Path,
                                                           controllers: BackupControllers, hvguard: Run,
                                                           demo: SyntheticCluster) -> None:
        windows = image_name(demo, WINDOWS_IMAGE)
        with api.faults.fail("backupbackingimages", verbs={"create"}, times=100):
            code, _, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes"))
        assert code == ExitCode.APPLY_STOPPED
        assert "500" in err and "backup-backing-image" in err
        events = [(e["event"], e["step"]) for e in journal(workdir) if e["event"] in ("step-done", "step-failed")]
        assert events[-2:] == [("step-done", "apply-target-crd/nodes.longhorn.io"),
                               ("step-failed", f"backup-backing-image/longhorn-system/{windows}")]

        api.clear_requests()
        code, _, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes"))
        assert code == ExitCode.OK, err
        assert writes(api) == [("create", "backupbackingimages")]
        assert journal(workdir)[-1]["event"] == "step-done"

    def test_backup_error_stops(self, api: KubeAPIServer, kubeconfig: Path, workdir: Path,
                                controllers: BackupControllers, hvguard: Run) -> None:
        controllers.outcome = "Error"
        code, _, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes"))
        assert code == ExitCode.APPLY_STOPPED
        assert "status.state='Error'" in err

        code, out, _ = hvguard(*protect_args(kubeconfig, workdir, "-o", "json"))
        step = next(a for a in json.loads(out)["actions"] if a["action"] == "backup-backing-image")
        assert step["automatic"] is False and "already exists and is Error" in step["notes"][0]

    def test_backup_with_another_checksum_stops(self, api: KubeAPIServer, kubeconfig: Path, workdir: Path,
                                                controllers: BackupControllers, hvguard: Run) -> None:
        controllers.checksum = "0" * 128
        code, _, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes"))
        assert code == ExitCode.APPLY_STOPPED
        assert f"completed with checksum {'0' * 128}, but the image's is" in err
        assert journal(workdir)[-1]["event"] == "step-failed"

    def test_a_backup_that_never_finishes_times_out(self, api: KubeAPIServer, kubeconfig: Path, workdir: Path,
                                                    controllers: BackupControllers, hvguard: Run) -> None:
        controllers.outcome = None
        code, _, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes", "--step-timeout", "1"))
        assert code == ExitCode.APPLY_STOPPED
        assert "timed out waiting for status.state='Completed'" in err


class TestNoBackupTarget:
    @pytest.fixture
    def cluster(self, demo: SyntheticCluster) -> SyntheticCluster:
        return without_backup_target(demo)

    def test_the_backup_is_left_to_a_human_and_the_rest_applies(self, api: KubeAPIServer, kubeconfig: Path,
                                                                workdir: Path, hvguard: Run) -> None:
        code, out, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes"))
        assert code == ExitCode.OK, err
        assert "[manual] backup-backing-image" in out and "no backup target is configured" in out
        assert ("create", "backupbackingimages") not in writes(api)
        assert [v for v, _ in writes(api)] == ["patch", "update", "patch", "update"]
        remaining = [(severity, fid) for severity, fid, _ in protected_findings(kubeconfig, hvguard)]
        assert ("warn", "backing-image/not-rebuildable") in remaining


class TestInterrupted:
    def test_ctrl_c_while_waiting_leaves_the_journal_and_a_rerun_finishes(
            self, api: KubeAPIServer, kubeconfig: Path, workdir: Path, controllers: BackupControllers,
            hvguard: Run) -> None:
        controllers.outcome = None  # the backup stays InProgress until "Longhorn" is let go below
        plan = live_plan(kubeconfig, workdir)

        def interrupt_on_wait(line: str) -> None:
            if "status.state=" in line:
                raise KeyboardInterrupt

        kube = connect(kubeconfig, None)
        try:
            executor = Executor(KubeWriter(kube), Journal(workdir / "journal.jsonl"), progress=interrupt_on_wait,
                                poll_interval=0.1)
            with pytest.raises(KeyboardInterrupt):
                executor.run(plan)
        finally:
            kube.close()
        assert journal(workdir)[-1]["event"] == "interrupted"
        assert journal(workdir)[-1]["step"].startswith("backup-backing-image/")

        controllers.outcome = "Completed"
        for backup in api.list("backupbackingimages", LH_NS):
            if backup.get("status", {}).get("state") == "InProgress":
                api.patch("backupbackingimages", backup["metadata"]["name"], {"status": {"state": ""}}, LH_NS)
        api.clear_requests()
        code, _, err = hvguard(*protect_args(kubeconfig, workdir, "--apply", "--yes"))
        assert code == ExitCode.OK, err
        assert api.writes() == []  # the CRDs and the backup were already there: the rerun only waited


def live_plan(kubeconfig: Path, workdir: Path) -> Plan:
    from hvguard.actions.protect import plan_protect
    from hvguard.analysis import runner
    from hvguard.sources.live import load_live

    kube = connect(kubeconfig, None)
    try:
        state = load_live(kube)
    finally:
        kube.close()
    return plan_protect(state, runner.run(state, target=TARGET), snapshot_path=workdir / "s.zip")
