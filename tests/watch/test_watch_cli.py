"""`hvguard watch` as a process: JSON lines, --until-complete exit codes, metrics over HTTP, Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from kubeapi import KubeAPIServer
from prometheus_client.parser import text_string_to_metric_families
from watch_support import Watch, migrate_backing_image, set_longhorn_version, upgrade

from hvguard.watch.streams import WATCHED

UBUNTU = "vmi-9ce8236a-ff34-51c8-8bb9-8addd850af62"


def _start_upgrade(api: KubeAPIServer) -> None:
    api.wait_for_watches(len(WATCHED), timeout=10)  # every stream open
    api.apply(upgrade(phase="UpgradingSystemServices"))


def _finish_upgrade(api: KubeAPIServer) -> None:
    api.apply(upgrade(phase="UpgradingNodes", nodes={"harvester-node-0": "Succeeded"}))
    api.apply(upgrade(phase="Succeeded", completed="True", nodes={"harvester-node-0": "Succeeded"}))


def test_a_clean_upgrade_exits_0_with_json_lines_and_metrics(api: KubeAPIServer, kubeconfig: Path) -> None:
    watch = Watch(kubeconfig, "--json", "--until-complete", "--metrics-port", "0")
    assert watch.process.stderr is not None
    announced = watch.process.stderr.readline()
    assert "metrics on http://0.0.0.0:" in announced
    port = int(announced.rsplit(":", 1)[1].split("/")[0])
    _start_upgrade(api)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        families = {f.name for f in text_string_to_metric_families(response.read().decode())}
    assert {"hvguard_watch_backing_image_ready_copies", "hvguard_watch_alerts",
            "hvguard_watch_reconnects", "hvguard_watch_upgrade_phase"} <= families
    _finish_upgrade(api)
    code, lines, _ = watch.finish()
    assert code == 0
    phases = [(line["phase"], line["previous"]) for line in lines if line["type"] == "phase"]
    assert phases == [("UpgradingSystemServices", None), ("UpgradingNodes", "UpgradingSystemServices"),
                      ("Succeeded", "UpgradingNodes")]
    finished = lines[-1]
    assert (finished["type"], finished["id"], finished["severity"]) == ("alert", "watch/upgrade-finished", "info")
    assert {line["severity"] for line in lines if line["type"] == "alert"} <= {"info", "warning"}


def test_critical_alerts_make_it_exit_1(api: KubeAPIServer, kubeconfig: Path) -> None:
    watch = Watch(kubeconfig, "--json", "--until-complete")
    _start_upgrade(api)
    set_longhorn_version(api, "v1.7.2")
    migrate_backing_image(api, UBUNTU)
    watch.until("watch/disk-map-emptied")
    _finish_upgrade(api)
    code, lines, _ = watch.finish()
    assert code == 1
    critical = {line["id"] for line in lines if line["type"] == "alert" and line["severity"] == "critical"}
    assert critical == {"watch/migration-before-crd", "watch/disk-map-emptied"}
    emptied = next(line for line in lines if line.get("id") == "watch/disk-map-emptied")
    assert len(emptied["evidence"]["filesStillOnDisk"]) == 3 and emptied["whatToDo"].startswith("Act before")
    assert lines[-1]["evidence"]["criticalAlerts"] == ["watch/disk-map-emptied", "watch/migration-before-crd"]


def test_ctrl_c_exits_130(api: KubeAPIServer, kubeconfig: Path) -> None:
    watch = Watch(kubeconfig, "--json")
    api.wait_for_watches(len(WATCHED), timeout=10)
    watch.process.send_signal(signal.SIGINT)
    code, _, err = watch.finish()
    assert code == 130 and "Traceback" not in err


@pytest.mark.parametrize(("args", "message"), [
    (("--webhook", "ftp://example"), "must be an http:// or https:// URL"),
    (("--stall-after", "0"), "must be longer than zero"),
    (("--stall-after", "10 minutes"), "is not a duration"),
    (("--against", "missing.zip"), "snapshot not found"),
])
def test_bad_options_exit_2(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "hvguard", "watch", "--kubeconfig", str(tmp_path / "none"), *args],
                            capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr
