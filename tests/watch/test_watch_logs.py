"""The watcher follows the longhorn-manager logs: the first pruned-field warning, the earliest sign of
harvester#7958, is an alert within seconds; pods replaced by the upgrade are followed, broken streams
reconnect without losing a line, and --no-logs reads no log at all."""

from __future__ import annotations

import io
import math
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubeapi import KubeAPIServer
from kubeapi.helpers import NS
from watch_support import AT, Running, Watch, eventually, scrape_metrics

from hvguard.kube.client import connect
from hvguard.logs.collect import container_origin
from hvguard.logs.lines import LineStats, line_blocks
from hvguard.logs.scan import scan_log
from hvguard.watch import alerts
from hvguard.watch.alerts import LOG_SIGNATURE, Alert
from hvguard.watch.metrics import Metrics
from hvguard.watch.outputs import TextLog
from hvguard.watch.podlogs import LOGS_KEY, Hits, LogFollowing, LogHit, live_signatures
from hvguard.watch.streams import WATCHED

LATENCY = 2.0
MANAGERS = ("longhorn-manager-nhx6k", "longhorn-manager-vvlh7", "longhorn-manager-zx62c")  # the demo's
MANAGER = "longhorn-manager-vvlh7"
PRUNED = 'W0324 13:47:05.123456       1 warnings.go:70] unknown field "spec.diskFileSpecMap"'
PRUNED_COPIES = 'W0324 13:47:05.123501       1 warnings.go:70] unknown field "spec.minNumberOfCopies"'
STRICT = ('time="2026-11-27T10:00:01Z" level=fatal msg="Error starting manager: upgrade resources failed: '
          'BackingImage in version \\"v1beta2\\" cannot be handled as a BackingImage: strict decoding error: '
          'unknown field \\"spec.diskFileSpecMap\\""')
DELETING = ('time="2026-11-27T10:05:00Z" level=info msg="Deleting the file for invalid backing image vmi-1, in '
            'backing image manager spec UUID , backing image correct UUID ab12cd34" '
            'backingImageManager=backing-image-manager-c16a-a56f diskUUID=d-0 nodeID=node-0')
FOLLOW = LogFollowing(lookback=5.0)


def _hits(*lines: str, image: str = "longhornio/longhorn-manager:v1.7.2") -> list[LogHit]:
    """The hits of these lines, stamped as the kubelet does, in the log of a manager pod on node-0."""
    pod = {"spec": {"nodeName": "node-0", "containers": [{"name": "longhorn-manager", "image": image}]}}
    text = "".join(f"2026-11-27T10:00:0{i}.000000001Z {line}\n" for i, line in enumerate(lines))
    hits: list[LogHit] = []
    scan_log(line_blocks([text.encode()], LineStats()), container_origin(NS, MANAGER, pod, "longhorn-manager"),
             live_signatures(), Hits(hits.append))
    return hits


def _raise(hits: list[LogHit]) -> list[Alert]:
    """Every alert the rule raises for these hits, in order, each seeing the ones before."""
    raised: list[Alert] = []
    for hit in hits:
        raised += alerts.log_signature(hit, raised, AT)
    return raised


# -- the rule --------------------------------------------------------------------------------------


def test_live_signatures_are_the_managers_lines_that_call_for_action_now() -> None:
    live = {s.id for s in live_signatures()}
    assert {"pruned-disk-file-spec-map", "pruned-backing-image-fields", "strict-validation-refused",
            "eviction-panic", "invalid-backing-image-file-deleting", "backing-image-file-deleted",
            "all-backing-image-files-deleting"} <= live
    assert not live & {"upgrade-path-v16x-to-v170", "replica-waiting-for-backing-image",
                       "backing-image-manager-deleting-file"}  # context, repeats, another container


def test_the_first_pruned_field_warning_is_a_critical_alert_and_its_repeats_are_not() -> None:
    raised = _raise(_hits(PRUNED, PRUNED, PRUNED_COPIES, PRUNED, DELETING, STRICT))
    assert [(a.evidence["signature"], a.level) for a in raised] == [
        ("pruned-disk-file-spec-map", "critical"), ("pruned-backing-image-fields", "warning"),
        ("invalid-backing-image-file-deleting", "warning"), ("strict-validation-refused", "warning")]
    first = raised[0]
    assert first.id == LOG_SIGNATURE and first.at == AT
    assert {key: first.evidence[key] for key in ("pod", "container", "node", "loggedAt", "line", "knownVersion")} == {
        "pod": MANAGER, "container": "longhorn-manager", "node": "node-0", "loggedAt": "2026-11-27T10:00:00.000000Z",
        "line": f"2026-11-27T10:00:00.000000001Z {PRUNED}", "knownVersion": True}
    assert first.spec.remediation.startswith("Act before the Longhorn 1.7 CRD lands")  # the signature's way out
    assert first.as_dict()["whatToDo"] == first.spec.remediation and first.evidence["finding"] == \
        "log/pruned-disk-file-spec-map"
    deleting = raised[2]
    assert deleting.evidence["objects"] == {"backingImage": "vmi-1", "backingImageManager":
                                            "backing-image-manager-c16a-a56f", "disk": "d-0", "node": "node-0"}
    assert [str(o) for o in deleting.objects] == [f"Pod {NS}/{MANAGER}", f"BackingImage {NS}/vmi-1",
                                                  f"BackingImageManager {NS}/backing-image-manager-c16a-a56f"]
    plain = io.StringIO()
    TextLog(plain).alert(first)
    assert "CRITICAL watch/log-signature: The API server pruned spec.diskFileSpecMap" in plain.getvalue()
    assert "what to do: Act before the Longhorn 1.7 CRD lands" in plain.getvalue()


def test_a_line_from_a_manager_it_is_not_known_for_says_so() -> None:
    (alert,) = _raise(_hits(PRUNED, image="longhornio/longhorn-manager:v1.7.4"))  # writes strictly: no warning
    assert alert.evidence["knownVersion"] is False and alert.critical


# -- on the emulator -------------------------------------------------------------------------------


def test_the_first_pruned_field_warning_is_in_json_lines_within_2s_and_once(api: KubeAPIServer,
                                                                            kubeconfig: Path) -> None:
    watch = Watch(kubeconfig, "--json")
    api.wait_for_watches(len(WATCHED), timeout=10)
    api.wait_for_log_streams(len(MANAGERS), timeout=10)
    written = time.monotonic()
    api.add_pod_log(NS, MANAGER, PRUNED, container="longhorn-manager")
    line = watch.until(LOG_SIGNATURE)
    assert time.monotonic() - written < LATENCY
    api.add_pod_log(NS, MANAGER, [PRUNED] * 3 + [PRUNED_COPIES], container="longhorn-manager")
    watch.until(LOG_SIGNATURE)  # the next alert is the other field's: the repeats raised nothing
    watch.process.send_signal(signal.SIGINT)
    code, lines, _ = watch.finish()
    raised = [(seen["evidence"]["signature"], seen["severity"]) for seen in lines if seen.get("id") == LOG_SIGNATURE]
    assert code == 130 and raised == [("pruned-disk-file-spec-map", "critical"),
                                      ("pruned-backing-image-fields", "warning")]
    evidence = line["evidence"]
    assert (evidence["pod"], evidence["container"], evidence["node"]) == (MANAGER, "longhorn-manager",
                                                                           "harvester-node-0")
    assert evidence["line"].endswith(f"Z {PRUNED}") and evidence["loggedAt"].startswith(evidence["line"][:19])
    assert line["whatToDo"].startswith("Act before the Longhorn 1.7 CRD lands")
    assert {r.query["container"] for r in api.requests(verb="get", resource="pods", subresource="log")} == {
        "longhorn-manager"}


def test_no_logs_reads_no_log(api: KubeAPIServer, kubeconfig: Path) -> None:
    watch = Watch(kubeconfig, "--json", "--no-logs")
    api.wait_for_watches(len(WATCHED), timeout=10)
    time.sleep(0.3)
    watch.process.send_signal(signal.SIGINT)
    assert watch.finish()[0] == 130
    assert api.requests(subresource="log") == [] and api.log_streams == []


def _replacement(api: KubeAPIServer, old: str, new: str) -> dict[str, Any]:
    """The DaemonSet's next pod for the same node: new name and uid, the upgraded image."""
    pod = api.get("pods", old, NS)
    pod["metadata"] = {key: pod["metadata"][key] for key in ("namespace", "labels", "ownerReferences")} | {
        "name": new}
    pod["spec"]["containers"][0]["image"] = "longhornio/longhorn-manager:v1.7.2"
    return pod


def test_a_manager_pod_replaced_mid_watch_is_followed(api: KubeAPIServer,
                                                      start_watcher: Callable[..., Running]) -> None:
    rec = start_watcher(logs=FOLLOW).recorder
    api.wait_for_log_streams(len(MANAGERS))
    replacement = _replacement(api, MANAGER, "longhorn-manager-new01")
    api.delete("pods", MANAGER, NS)
    api.apply(replacement)
    written = time.monotonic()
    api.add_pod_log(NS, "longhorn-manager-new01", [PRUNED], container="longhorn-manager")  # the new leader migrates
    rec.wait_for(lambda r: len(r.of(LOG_SIGNATURE)) == 1)
    ((at, alert),) = rec.of(LOG_SIGNATURE)
    assert at - written < LATENCY
    assert (alert.evidence["pod"], alert.evidence["signature"], alert.evidence["knownVersion"]) == (
        "longhorn-manager-new01", "pruned-disk-file-spec-map", True)
    eventually(lambda: api.log_streams == sorted([*set(MANAGERS) - {MANAGER}, "longhorn-manager-new01"]))
    assert not [reason for key, up, reason in rec.streams if key == LOGS_KEY and not up]  # a replacement is no loss


def test_a_broken_log_stream_reconnects_and_loses_no_line(api: KubeAPIServer,
                                                          start_watcher: Callable[..., Running]) -> None:
    metrics = Metrics(0, "127.0.0.1")
    rec = start_watcher(metrics, logs=FOLLOW).recorder
    api.wait_for_log_streams(len(MANAGERS))
    with api.faults.delay(0.5, resource="pods", verbs={"get"}):  # the reconnects wait
        assert api.faults.drop_log_streams() == len(MANAGERS)
        rec.wait_for(lambda r: any(key == LOGS_KEY and not up for key, up, _ in r.streams))
        api.add_pod_log(NS, MANAGER, ["I1127 stream was down", PRUNED], container="longhorn-manager")
    rec.wait_for(lambda r: len(r.of(LOG_SIGNATURE)) == 1 and r.streams[-1] == (LOGS_KEY, True, ""))
    assert rec.of(LOG_SIGNATURE)[0][1].evidence["signature"] == "pruned-disk-file-spec-map"
    scraped = scrape_metrics(metrics.port)
    assert scraped[("hvguard_watch_alerts_total", (("id", LOG_SIGNATURE), ("severity", "critical")))] == 1
    assert scraped[("hvguard_watch_reconnects_total", (("resource", LOGS_KEY),))] >= 1
    assert scraped[("hvguard_watch_stream_up", (("resource", LOGS_KEY),))] == 1


def test_a_silent_followed_log_ends_at_the_idle_timeout_rather_than_failing(api: KubeAPIServer,
                                                                           kubeconfig: Path) -> None:
    api.add_pod_log(NS, MANAGER, "I1127 the only line", container="longhorn-manager")
    kube = connect(kubeconfig, None, deadline=math.inf)
    opened: list[float] = []
    started = time.monotonic()
    chunks = list(kube.stream(f"/api/v1/namespaces/{NS}/pods/{MANAGER}/log", {"follow": "true"},
                              idle_timeout=0.3, on_open=lambda: opened.append(time.monotonic())))
    kube.close()
    assert b"".join(chunks) == b"I1127 the only line\n" and len(opened) == 1
    assert 0.3 <= time.monotonic() - started < 2

