"""The live source against the test API server: same answers as the bundle, one LIST per type per
page, and every fault recorded where the verdict can see it."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from kubeapi import KubeAPIServer
from live.live_support import comparable, serve

from hvguard.analysis import runner
from hvguard.errors import ClusterAccessError
from hvguard.kube.client import connect
from hvguard.reports import model
from hvguard.sources.bundle import load_bundle
from hvguard.sources.live import load_live, start_live
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, ReadStatus
from hvguard.synth.model import SyntheticCluster


def _live(kubeconfig: Path, page_size: int = 500, **options: float) -> ClusterState:
    """Read the cluster with fast retries (the waits are not what these tests measure)."""
    kube = connect(kubeconfig, None, **{"backoff": 0.05, **options})
    try:
        return load_live(kube, page_size=page_size)
    finally:
        kube.close()


def _report(state: ClusterState, target: str = "v1.4.0") -> dict[str, Any]:
    return model.build(state, runner.run(state, target=target), command="preflight", target=target)


def _cli(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hvguard", *map(str, args)], capture_output=True, text=True, timeout=120)


class TestSameAnswer:
    def test_live_and_bundle_give_identical_findings_and_inventory(self, kubeconfig: Path, demo_bundle: Path) -> None:
        live = _report(_live(kubeconfig))
        bundle = _report(load_bundle(demo_bundle))
        assert live["verdict"] == bundle["verdict"] == "block"
        assert comparable(live["findings"]) == comparable(bundle["findings"])
        assert live["inventory"] == bundle["inventory"]
        assert live["predictions"] == bundle["predictions"]
        assert {f["id"] for f in live["findings"]} >= {"crd/prunes-target-fields", "known-issue/harvester-7958"}

    def test_cli_end_to_end_matches(self, kubeconfig: Path, demo_bundle: Path) -> None:
        # Cluster state only: the bundle's logs are from its collection day, a live read looks at the last 24 h.
        live = _cli("preflight", "--kubeconfig", kubeconfig, "--to", "v1.4.0", "-o", "json", "--no-logs")
        bundle = _cli("preflight", "--bundle", demo_bundle, "--to", "v1.4.0", "-o", "json", "--no-logs")
        assert live.returncode == bundle.returncode == 1, live.stderr
        assert comparable(json.loads(live.stdout)["findings"]) == comparable(json.loads(bundle.stdout)["findings"])

    def test_live_snapshot_round_trip(self, kubeconfig: Path, tmp_path: Path) -> None:
        snap = tmp_path / "pre.zip"
        assert _cli("snapshot", "--kubeconfig", kubeconfig, "--output", snap).returncode == 0
        live = json.loads(_cli("preflight", "--kubeconfig", kubeconfig, "--to", "v1.4.0", "-o", "json").stdout)
        saved = json.loads(_cli("preflight", "--snapshot", snap, "--to", "v1.4.0", "-o", "json").stdout)
        assert saved["findings"] == live["findings"]
        assert saved["source"]["type"] == "snapshot"


class TestRequests:
    def test_one_list_per_type_per_page(self, demo_api: KubeAPIServer, kubeconfig: Path) -> None:
        demo_api.clear_requests()
        state = _live(kubeconfig, page_size=2)
        lists = demo_api.requests(verb="list")
        for kind in k.ALL:
            count = state.coverage[kind.key].count
            calls = [r for r in lists if r.resource == kind.plural and (r.group or "") == kind.group]
            pages = max(1, -(-count // 2))
            assert len(calls) == pages * len(kind.namespaces or [None]), kind.key
        assert not demo_api.writes()
        assert all(r.verb in {"get", "list"} for r in demo_api.requests())

    def test_small_pages_read_every_object(self, kubeconfig: Path, demo: SyntheticCluster) -> None:
        state = _live(kubeconfig, page_size=1)
        expected = sum(1 for o in demo.objects if o["kind"] == "BackingImage")
        assert len(state.objects(k.BACKING_IMAGES)) == expected

    def test_every_page_arrives_trimmed(self, demo: SyntheticCluster, tmp_path: Path) -> None:
        """Objects served whole (managedFields and all) come out trimmed, page after page."""
        managed = [{"manager": "virt-controller", "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": {}}]
        cluster = copy.deepcopy(demo)
        for obj in cluster.objects:
            obj["metadata"]["managedFields"] = managed
        api = serve(cluster)
        try:
            state = _live(api.write_kubeconfig(tmp_path / "kubeconfig"), page_size=2)
        finally:
            api.stop()
        objects = [o for kind in k.ALL for o in state.objects(kind)]
        assert len(objects) > 100
        assert not [o for o in objects if "managedFields" in o["metadata"]]
        instances = state.objects(k.VMIS)
        assert instances and all("spec" not in vmi and vmi["status"]["phase"] for vmi in instances)

    def test_start_live_hands_over_each_type_as_its_list_ends(self, demo_api: KubeAPIServer, kubeconfig: Path) -> None:
        """The analysis can start on backing images while the replicas LIST is still slow in coming."""
        demo_api.faults.delay(1.0, resource="replicas")
        closed = threading.Event()
        kube = connect(kubeconfig, None)
        state = start_live(kube, when_read=lambda: (kube.close(), closed.set()))
        assert state.objects(k.BACKING_IMAGES)
        assert not closed.is_set()  # the replicas are still on their way; the client stays open for them
        assert state.objects(k.LH_REPLICAS)  # waits for them
        assert closed.wait(5)
        state.wait()


class TestFaults:
    def test_forbidden_resource_is_unreadable_and_verdict_incomplete_or_worse(self, demo_api: KubeAPIServer,
                                                                            kubeconfig: Path) -> None:
        with demo_api.faults.deny("backingimages", group="longhorn.io", verbs={"list"}, code=403):
            state = _live(kubeconfig)
        cov = state.coverage[k.BACKING_IMAGES.key]
        assert cov.status is ReadStatus.UNREADABLE and "forbidden" in cov.reason
        report = _report(state)
        incomplete = [f for f in report["findings"] if f["id"] == "source/incomplete"]
        assert any(f["evidence"]["resource"] == k.BACKING_IMAGES.key for f in incomplete)
        assert report["verdict"] != "pass"

    def test_forbidden_everywhere_but_discovery_never_passes(self, demo_api: KubeAPIServer, kubeconfig: Path) -> None:
        with demo_api.faults.deny("volumes", group="longhorn.io", verbs={"list"}, code=401):
            report = _report(_live(kubeconfig), target="v1.4.0")
        assert report["verdict"] in ("incomplete", "block")
        assert any(c["status"] == "unknown" for c in report["checks"])

    def test_absent_crd_is_recorded_as_absent(self, demo: SyntheticCluster, tmp_path: Path) -> None:
        trimmed = copy.deepcopy(demo)
        trimmed.crds = [c for c in trimmed.crds if c["metadata"]["name"] != "backupbackingimages.longhorn.io"]
        trimmed.objects = [o for o in trimmed.objects if o["kind"] != "BackupBackingImage"]
        api = serve(trimmed)
        try:
            state = _live(api.write_kubeconfig(tmp_path / "kc"))
        finally:
            api.stop()
        assert state.status(k.BACKUP_BACKING_IMAGES) is ReadStatus.ABSENT
        assert state.objects(k.BACKUP_BACKING_IMAGES) == ()

    def test_server_errors_are_retried(self, demo_api: KubeAPIServer, kubeconfig: Path) -> None:
        demo_api.faults.fail("backingimages", group="longhorn.io", times=2, code=503)
        state = _live(kubeconfig)
        assert state.status(k.BACKING_IMAGES) is ReadStatus.READ
        assert len(demo_api.requests(verb="list", resource="backingimages", status=503)) == 2

    def test_persistent_server_errors_end_unreadable_not_fatal(self, demo_api: KubeAPIServer, kubeconfig: Path) -> None:
        demo_api.faults.fail("replicas", group="longhorn.io", times=50, code=500)
        state = _live(kubeconfig, retries=2)
        assert state.status(k.LH_REPLICAS) is ReadStatus.UNREADABLE
        assert "500" in state.coverage[k.LH_REPLICAS.key].reason

    def test_429_honours_retry_after(self, demo_api: KubeAPIServer, kubeconfig: Path) -> None:
        demo_api.faults.throttle("volumes", group="longhorn.io", times=1, retry_after=1)
        started = time.monotonic()
        state = _live(kubeconfig)
        assert state.status(k.LH_VOLUMES) is ReadStatus.READ
        assert time.monotonic() - started >= 1.0

    def test_overall_deadline(self, demo_api: KubeAPIServer, kubeconfig: Path) -> None:
        demo_api.faults.delay(0.6, resource="replicas")
        state = _live(kubeconfig, deadline=2.0, request_timeout=0.3, retries=1)
        assert state.status(k.LH_REPLICAS) is ReadStatus.UNREADABLE

    def test_bad_token_is_a_clear_exit_3(self, tmp_path: Path) -> None:
        api = KubeAPIServer(token="right").start()
        try:
            wrong = api.write_kubeconfig(tmp_path / "kc", token="wrong")
            with pytest.raises(ClusterAccessError, match="rejected the credentials"):
                _live(wrong)
            result = _cli("preflight", "--kubeconfig", wrong)
        finally:
            api.stop()
        assert result.returncode == 3 and "Traceback" not in result.stderr


def test_v1beta1_only_longhorn(demo: SyntheticCluster, tmp_path: Path) -> None:
    """An old cluster serving only longhorn.io/v1beta1: discovery picks it and the objects still load."""
    old = copy.deepcopy(demo)
    v1beta1_only = []
    for crd in old.crds:
        if crd["spec"]["group"] == "longhorn.io":
            crd["spec"]["versions"] = [v for v in crd["spec"]["versions"] if v["name"] == "v1beta1"]
            for version in crd["spec"]["versions"]:
                version["storage"] = version["served"] = True
        if crd["spec"]["versions"]:  # types born in v1beta2 (BackupBackingImage) did not exist yet
            v1beta1_only.append(crd)
    old.crds = v1beta1_only
    old.objects = [o for o in old.objects if o["kind"] != "BackupBackingImage"]
    for obj in old.objects:
        if obj["apiVersion"] == "longhorn.io/v1beta2":
            obj["apiVersion"] = "longhorn.io/v1beta1"
    api = serve(old)
    try:
        state = _live(api.write_kubeconfig(tmp_path / "kc"))
    finally:
        api.stop()
    assert state.coverage[k.BACKING_IMAGES.key].api_version == "longhorn.io/v1beta1"
    assert len(state.objects(k.BACKING_IMAGES)) == sum(1 for o in old.objects if o["kind"] == "BackingImage")
