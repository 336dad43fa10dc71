"""Live pod logs and events from the API emulator: same story as the bundle, tailLines, sinceSeconds,
previous runs, and refusals recorded rather than fatal."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from kubeapi import KubeAPIServer
from logkit import NS, event, example, lh_pod

from hvguard.kube.client import Kube, connect
from hvguard.logs.bundle_logs import read_bundle
from hvguard.logs.collect import LogScan
from hvguard.logs.live_logs import read_live
from hvguard.logs.scan import parse_time
from hvguard.synth.model import SyntheticCluster

MANAGER = "longhorn-manager-x7k2p"
BIM = "backing-image-manager-5ae6-a56f"


def serve(cluster: SyntheticCluster) -> KubeAPIServer:
    """The cluster's objects, and each container log line by line at the time its kubelet prefix says."""
    api = KubeAPIServer().start()
    for crd in cluster.crds:
        api.install_crd(crd)
    api.load_objects(cluster.objects)
    for path, text in cluster.logs.items():
        namespace, pod_name, file = path.split("/")
        for line in text.splitlines():
            prefix, _, rest = line.partition(" ")
            api.add_pod_log(namespace, pod_name, [rest], container=file.removesuffix(".log"), at=parse_time(prefix))
    return api


@pytest.fixture
def api() -> Iterator[KubeAPIServer]:
    with KubeAPIServer() as server:
        server.load_objects([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}])
        yield server


@pytest.fixture
def kube(api: KubeAPIServer, tmp_path: Path) -> Iterator[Kube]:
    client = connect(api.write_kubeconfig(tmp_path / "kubeconfig"), None, backoff=0.01, retries=1)
    yield client
    client.close()


def ids(scan: LogScan) -> list[str]:
    return [group.signature.id for group in scan.groups]


def test_the_live_trail_tells_the_same_story_as_its_bundle(trail_cluster: SyntheticCluster, trail_bundle: Path,
                                                          tmp_path: Path) -> None:
    api = serve(trail_cluster)
    try:
        kube = connect(api.write_kubeconfig(tmp_path / "kubeconfig"), None)
        try:
            live = read_live(kube)
        finally:
            kube.close()
    finally:
        api.stop()
    bundle = read_bundle(trail_bundle)
    assert [(g.signature.id, g.origin.pod, g.objects, g.count) for g in live.groups] == [
        (g.signature.id, g.origin.pod, g.objects, g.count) for g in bundle.groups]
    assert live.source.type == "live"
    assert all(entry.status == "read" for entry in live.inputs)
    requests = api.requests("get", "pods", subresource="log")
    assert requests and all(r.query.get("timestamps") == "true" and "container" in r.query for r in requests)


def test_tail_lines_reads_only_the_end_of_each_log(api: KubeAPIServer, kube: Kube) -> None:
    api.load_objects([lh_pod(MANAGER, "longhorn-manager", "longhornio/longhorn-manager:v1.7.2", "harvester-node-0")])
    api.add_pod_log(NS, MANAGER, [example("upgrade-path-v16x-to-v170"), "later line", example("eviction-panic")],
                    container="longhorn-manager")
    assert ids(read_live(kube)) == ["upgrade-path-v16x-to-v170", "eviction-panic"]
    assert ids(read_live(kube, tail=2)) == ["eviction-panic"]
    assert api.requests("get", "pods", subresource="log")[-1].query["tailLines"] == "2"


def test_since_reads_recent_lines_and_events_only(api: KubeAPIServer, kube: Kube) -> None:
    now = datetime.now(UTC)
    api.load_objects([
        lh_pod(MANAGER, "longhorn-manager", "longhornio/longhorn-manager:v1.7.2", "harvester-node-0"),
        event("BackingImageManager", BIM, example("backing-image-file-deleted"), now - timedelta(hours=2)),
        event("BackingImage", "vmi-a", example("unused-backing-image-manager-deleted"), now - timedelta(minutes=5)),
    ])
    api.add_pod_log(NS, MANAGER, [example("upgrade-path-v16x-to-v170")], container="longhorn-manager",
                    at=now - timedelta(hours=2))
    api.add_pod_log(NS, MANAGER, [example("replica-waiting-for-backing-image")], container="longhorn-manager",
                    at=now - timedelta(minutes=5))
    scan = read_live(kube, since=timedelta(minutes=30))
    assert set(ids(scan)) == {"replica-waiting-for-backing-image", "unused-backing-image-manager-deleted"}
    assert api.requests("get", "pods", subresource="log")[-1].query["sinceSeconds"] == "1800"
    assert len(ids(read_live(kube))) == 4


def test_a_restarted_container_is_read_from_its_previous_run_too(api: KubeAPIServer, kube: Kube) -> None:
    api.load_objects([
        lh_pod(MANAGER, "longhorn-manager", "longhornio/longhorn-manager:v1.7.2", "harvester-node-0", restarts=3),
        lh_pod(BIM, "backing-image-manager", "longhornio/backing-image-manager:v1.7.2", "harvester-node-0"),
        lh_pod("instance-manager-abc", "instance-manager", "longhornio/longhorn-instance-manager:v1.7.2", "n"),
    ])
    at = datetime.now(UTC) - timedelta(minutes=3)
    api.add_pod_log(NS, MANAGER, ["panic: runtime error", example("eviction-panic")], container="longhorn-manager",
                    previous=True, at=at)
    api.add_pod_log(NS, MANAGER, [example("upgrade-path-v16x-to-v170")], container="longhorn-manager")
    api.add_pod_log(NS, BIM, [example("backing-image-manager-deleting-file")], container="backing-image-manager")
    scan = read_live(kube)
    origins = {group.signature.id: group.origin for group in scan.groups}
    assert origins["eviction-panic"].previous and not origins["upgrade-path-v16x-to-v170"].previous
    assert origins["eviction-panic"].node == "harvester-node-0"
    requested = [(r.name, r.query.get("previous")) for r in api.requests("get", "pods", subresource="log")]
    assert sorted(requested, key=str) == sorted([(BIM, None), (MANAGER, "true"), (MANAGER, None)], key=str)


def test_refused_logs_and_lists_are_recorded_and_the_run_goes_on(api: KubeAPIServer, kube: Kube) -> None:
    api.load_objects([lh_pod(MANAGER, "longhorn-manager", "longhornio/longhorn-manager:v1.7.2", "harvester-node-0")])
    api.add_pod_log(NS, MANAGER, [example("eviction-panic")], container="longhorn-manager")
    with api.faults.deny("pods", verbs=["get"]), api.faults.deny("events"):
        scan = read_live(kube)
    status = {entry.type: (entry.status, entry.reason) for entry in scan.inputs}
    assert status["log"][0] == "unreadable" and "403" in status["log"][1]
    assert status["events"][0] == "unreadable" and status["pods"][0] == "read"
    assert scan.groups == ()


def test_logs_read_side_by_side_are_reported_in_pod_order(api: KubeAPIServer, kube: Kube) -> None:
    """Six logs at a time, finishing in whatever order: the inputs still come in pod order, every hit counts."""
    pods = [f"longhorn-manager-{index:02d}" for index in range(9)]
    api.load_objects([lh_pod(pod, "longhorn-manager", "longhornio/longhorn-manager:v1.7.2", "harvester-node-0")
                      for pod in pods])
    for pod in pods:
        api.add_pod_log(NS, pod, [example("upgrade-path-v16x-to-v170")], container="longhorn-manager")
    api.faults.delay(0.05, resource="pods", verbs=["get"])  # log GETs in flight together
    scan = read_live(kube)
    assert [i.origin.pod for i in scan.inputs if i.origin] == pods
    assert sum(g.count for g in scan.groups if g.signature.id == "upgrade-path-v16x-to-v170") == len(pods)
