"""The watcher on the API emulator serving the demo cluster, driven through the harvester#7958 sequence."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

from kubeapi import KubeAPIServer
from kubeapi.helpers import NS
from watch_support import (
    Recorder,
    Running,
    apply_longhorn_172_backingimage_crd,
    delete_backing_image,
    drop_status_entry,
    eventually,
    migrate_backing_image,
    scrape_metrics,
    set_longhorn_version,
    upgrade,
)

from hvguard.analysis.fields import name
from hvguard.kube.client import connect
from hvguard.sources.live import load_live
from hvguard.sources.snapshot import load_snapshot, write_snapshot
from hvguard.state import kinds as k
from hvguard.watch.metrics import Metrics
from hvguard.watch.state import WatchState, ready_disks
from hvguard.watch.streams import WATCHED

LATENCY = 2.0  # an alert must arrive this soon after the change that causes it
UBUNTU = "vmi-9ce8236a-ff34-51c8-8bb9-8addd850af62"  # 3 ready copies in the demo cluster
WINDOWS = "vmi-0974c797-79b1-533a-b16b-16712aea8df9"  # 1 ready copy, upload: nothing else can rebuild it
DEBIAN = "vmi-be1aba1e-35f3-591a-9d9f-a68e1c31b1e7"
OPENSUSE_VOLUME = "pvc-d7da2963-d5a7-5853-b545-93ad214b11ff"  # already waiting for its image in the demo


def _ready_images(api: KubeAPIServer) -> dict[str, list[str]]:
    return {name(bi): sorted(ready_disks(bi)) for bi in api.list("lhbi", NS) if ready_disks(bi)}


def _disk_nodes(api: KubeAPIServer) -> dict[str, str]:
    return {status["diskUUID"]: name(node) for node in api.list("nodes.longhorn.io", NS)
            for status in node["status"]["diskStatus"].values()}


def test_pruned_migration_alerts_come_before_the_copies_reach_zero(
        api: KubeAPIServer, start_watcher: Callable[..., Running]) -> None:
    rec = start_watcher().recorder
    images, nodes = _ready_images(api), _disk_nodes(api)
    changed: dict[str, float] = {}

    set_longhorn_version(api, "v1.7.2")  # the migration ran against the v1.6.2 CRD and recorded itself
    changed["version"] = time.monotonic()
    time.sleep(0.2)
    for image in images:
        migrate_backing_image(api, image)
        changed[image] = time.monotonic()
    time.sleep(0.2)
    apply_longhorn_172_backingimage_crd(api)  # the CRD lands late; the v1.7.2 controllers start deleting
    for image, disks in images.items():
        for disk in disks:
            drop_status_entry(api, image, disk)
            time.sleep(0.02)
    rec.wait_for(lambda r: sum(a.critical for _, a in r.of("watch/ready-copies-dropped")) == len(images))

    (migration_at, migration), = rec.of("watch/migration-before-crd")
    assert migration_at - changed["version"] < LATENCY
    assert set(migration.evidence["readyDisksByImage"]) == set(images)
    emptied = {alert.objects[0].name: (at, alert) for at, alert in rec.of("watch/disk-map-emptied")}
    assert set(emptied) == set(images)  # one each; the opensuse image had no ready copy to lose
    order = [alert for _, alert in rec.alerts]
    for image, disks in images.items():
        at, alert = emptied[image]
        assert alert.critical and at - changed[image] < LATENCY
        assert [(f["diskUUID"], f["node"]) for f in alert.evidence["filesStillOnDisk"]] == [
            (disk, nodes[disk]) for disk in disks]
        assert all(f["file"].endswith(f"/backing-images/{image}-{alert.evidence['uuid']}/backing")
                   for f in alert.evidence["filesStillOnDisk"])
        zero = next(a for _, a in rec.of("watch/ready-copies-dropped") if a.objects[0].name == image and a.critical)
        assert order.index(migration) < order.index(alert) < order.index(zero)
    ubuntu = [(a.evidence["before"]["readyCopies"], a.evidence["after"]["readyCopies"], a.level)
              for _, a in rec.of("watch/ready-copies-dropped") if a.objects[0].name == UBUNTU]
    assert ubuntu == [(3, 2, "warning"), (2, 1, "warning"), (1, 0, "critical")]


def _backing_images_down(rec: Recorder) -> bool:
    return any(key == k.BACKING_IMAGES.key and not up for key, up, _ in rec.streams)


def test_a_cut_watch_loses_no_event(api: KubeAPIServer, start_watcher: Callable[..., Running]) -> None:
    rec = start_watcher().recorder
    with api.faults.delay(0.5, resource="backingimages", verbs={"watch"}):
        api.faults.drop_watches()
        rec.wait_for(_backing_images_down)
        migrate_backing_image(api, UBUNTU)  # while the backing-image stream is down: the resumed one brings it
        rec.wait_for(lambda r: len(r.of("watch/disk-map-emptied")) == 1)
    time.sleep(0.3)
    assert [a.objects[0].name for _, a in rec.of("watch/disk-map-emptied")] == [UBUNTU]  # once, not replayed


def test_a_410_relists_and_loses_no_event(api: KubeAPIServer, start_watcher: Callable[..., Running]) -> None:
    rec = start_watcher().recorder
    with api.faults.delay(0.5, resource="backingimages", verbs={"list"}):
        api.faults.expire_next_watch("backingimages")
        api.faults.drop_watches()
        rec.wait_for(_backing_images_down)
        migrate_backing_image(api, UBUNTU)  # while down; the history is "gone", so only the relist can bring it
        delete_backing_image(api, WINDOWS)
        rec.wait_for(lambda r: len(r.of("watch/ready-copies-dropped")) == len(r.of("watch/disk-map-emptied")) == 1)
    (_, deleted), = rec.of("watch/ready-copies-dropped")
    assert deleted.critical and deleted.objects[0].name == WINDOWS and deleted.evidence["after"]["deleted"]
    assert any("410" in reason for key, up, reason in rec.streams if key == k.BACKING_IMAGES.key and not up)


def test_stall_is_reported_once_per_phase(api: KubeAPIServer, start_watcher: Callable[..., Running]) -> None:
    rec = start_watcher(stall_after=0.3).recorder
    api.apply(upgrade(phase="PreparingNodes", nodes={"harvester-node-0": "Images preloading"}))
    rec.wait_for(lambda r: len(r.of("watch/upgrade-stalled")) == 1)
    (_, stalled), = rec.of("watch/upgrade-stalled")
    assert stalled.evidence["stuckInPhase"] == "PreparingNodes" and stalled.level == "warning"
    time.sleep(0.5)
    assert len(rec.of("watch/upgrade-stalled")) == 1
    api.apply(upgrade(phase="PreparingNodes", nodes={"harvester-node-0": "Images preloaded"}))
    rec.wait_for(lambda r: len(r.of("watch/upgrade-stalled")) == 2)
    assert [p.upgrade.nodes for p in rec.phases] == [(("harvester-node-0", "Images preloading"),),
                                                      (("harvester-node-0", "Images preloaded"),)]


def test_metrics_are_served_and_follow_the_cluster(api: KubeAPIServer, start_watcher: Callable[..., Running]) -> None:
    metrics = Metrics(0, "127.0.0.1")
    rec = start_watcher(metrics).recorder
    ready = ("hvguard_watch_backing_image_ready_copies", (("image", UBUNTU),))
    eventually(lambda: scrape_metrics(metrics.port).get(ready) == 3)
    assert scrape_metrics(metrics.port)[("hvguard_watch_alerts_total", (("id", "watch/disk-map-emptied"),
                                                                 ("severity", "critical")))] == 0
    drop_status_entry(api, UBUNTU, _ready_images(api)[UBUNTU][0])
    migrate_backing_image(api, WINDOWS)
    api.apply(upgrade(phase="UpgradingSystemServices"))
    api.faults.drop_watches()
    rec.wait_for(lambda r: len(r.of("watch/disk-map-emptied")) == 1)
    rec.wait_for(lambda r: sum(up for _, up, _ in r.streams) >= 2 * len(WATCHED))  # all back after the cut
    scraped = scrape_metrics(metrics.port)
    assert scraped[ready] == 2
    assert scraped[("hvguard_watch_alerts_total", (("id", "watch/disk-map-emptied"), ("severity", "critical")))] == 1
    assert scraped[("hvguard_watch_upgrade_phase", (("phase", "UpgradingSystemServices"),
                                                   ("upgrade", "harvester-system/hvst-upgrade-abcde")))] == 1
    assert scraped[("hvguard_watch_reconnects_total", (("resource", k.BACKING_IMAGES.key),))] >= 1
    assert scraped[("hvguard_watch_stream_up", (("resource", k.BACKING_IMAGES.key),))] == 1


def test_against_a_snapshot_reports_what_happened_before_the_watch_started(
        api: KubeAPIServer, kubeconfig: Path, tmp_path: Path, start_watcher: Callable[..., Running]) -> None:
    kube = connect(kubeconfig, None, deadline=math.inf)
    write_snapshot(load_live(kube), tmp_path / "pre.zip")
    kube.close()
    migrate_backing_image(api, UBUNTU)
    drop_status_entry(api, WINDOWS, _ready_images(api)[WINDOWS][0])
    delete_backing_image(api, DEBIAN)

    baseline = load_snapshot(tmp_path / "pre.zip")
    seeded = WatchState.seeded(baseline, {w.kind: w.matches for w in WATCHED})
    snapshot_ready = {name(bi): len(ready_disks(bi)) for bi in baseline.objects(k.BACKING_IMAGES)}
    rec = start_watcher(state=seeded, snapshot_ready=snapshot_ready).recorder
    rec.wait_for(lambda r: len(r.of("watch/ready-copies-dropped")) == 2)
    assert [a.objects[0].name for _, a in rec.of("watch/disk-map-emptied")] == [UBUNTU]
    dropped = {a.objects[0].name: a for _, a in rec.of("watch/ready-copies-dropped")}
    assert set(dropped) == {WINDOWS, DEBIAN} and all(a.critical for a in dropped.values())
    assert dropped[DEBIAN].evidence["after"]["deleted"] and dropped[DEBIAN].evidence["snapshotReadyCopies"] == 2
    # Already waiting in the snapshot: not news. Nothing moved the Longhorn version: no migration alert.
    assert "watch/volume-waiting-for-backing-image" not in rec.ids() and "watch/migration-before-crd" not in rec.ids()


def test_without_a_snapshot_conditions_found_at_start_are_reported(start_watcher: Callable[..., Running]) -> None:
    rec = start_watcher().recorder
    rec.wait_for(lambda r: len(r.of("watch/volume-waiting-for-backing-image")) == 1)
    (_, waiting), = rec.of("watch/volume-waiting-for-backing-image")
    assert waiting.objects[0].name == OPENSUSE_VOLUME and waiting.evidence["imageReadyCopies"] == 0
