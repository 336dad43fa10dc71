"""Preflight on a generated cluster: it completes, says the same thing every time, and says the same
thing whether it reads the support bundle or the cluster served by the test API server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from live.live_support import comparable, served

from hvguard.analysis import runner
from hvguard.kube.client import connect
from hvguard.reports import model
from hvguard.sources.bundle import load_bundle
from hvguard.sources.live import load_live
from hvguard.state.cluster import ClusterState
from hvguard.synth.bundle_writer import write_bundle
from hvguard.synth.generator import generate
from hvguard.synth.model import SyntheticCluster


def _report(state: ClusterState) -> dict[str, Any]:
    return model.build(state, runner.run(state, target="v1.4.0"), command="preflight", target="v1.4.0")


def test_preflight_of_the_small_bundle_is_the_same_every_time(small_bundle: Path) -> None:
    first, second = _report(load_bundle(small_bundle)), _report(load_bundle(small_bundle))
    assert first == second
    assert first["verdict"] == "block"  # Longhorn v1.6.2's backingimages CRD prunes what v1.4.0 migrates
    assert {f["id"] for f in first["findings"]} >= {"crd/prunes-target-fields", "backing-image/not-rebuildable"}
    assert len(first["inventory"]["backingImages"]) == 10


def test_the_cli_reads_a_generated_bundle(small_bundle: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "hvguard", "preflight", "--bundle", str(small_bundle), "--to",
                           "v1.4.0", "-o", "json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr  # findings at the default --fail-on
    assert json.loads(done.stdout)["cluster"]["nodes"] == 3


def test_live_and_bundle_agree_on_a_generated_cluster(small: SyntheticCluster, small_bundle: Path,
                                                      tmp_path: Path) -> None:
    with served(small) as api:
        kube = connect(api.write_kubeconfig(tmp_path / "kubeconfig"), None)
        try:
            live = _report(load_live(kube))
        finally:
            kube.close()
    bundle = _report(load_bundle(small_bundle))
    assert comparable(live["findings"]) == comparable(bundle["findings"])
    assert live["inventory"] == bundle["inventory"]
    assert live["predictions"] == bundle["predictions"]


def test_two_seeds_give_reports_of_the_same_structure(tmp_path: Path) -> None:
    reports = []
    for seed in (1, 2):
        path = tmp_path / f"seed-{seed}.zip"
        write_bundle(generate("small", seed=seed), path)
        reports.append(_report(load_bundle(path)))
    first, second = reports
    assert [(c["name"], c["status"]) for c in first["checks"]] == [(c["name"], c["status"]) for c in second["checks"]]
    assert [c["resource"] for c in first["coverage"]] == [c["resource"] for c in second["coverage"]]
    assert len(first["inventory"]["backingImages"]) == len(second["inventory"]["backingImages"]) == 10
    assert first["verdict"] == second["verdict"] == "block"
