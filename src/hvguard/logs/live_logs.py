"""Logs and events from a live cluster, read-only.

Pods and Events of ``longhorn-system`` are LISTed through the live source (so an unreachable server
or rejected credentials stop the run, exit 3, while a refused list is recorded). Then every wanted
container's log is streamed from ``GET /api/v1/namespaces/{ns}/pods/{pod}/log`` (several at once) with
``timestamps=true``, as support bundles have them. A container that has restarted is also read with
``previous=true``: a crash loop's panic is only in the run before.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from hvguard.kube.client import Kube
from hvguard.logs.collect import LogScan, Reading, Scanned
from hvguard.logs.scan import Origin
from hvguard.sources.live import load_live
from hvguard.state import kinds as k

READERS = 6  # container logs read at once


def read_live(kube: Kube, since: timedelta | None = None, tail: int | None = None,
              context: str | None = None) -> LogScan:
    """Scan the live Longhorn logs and events: the last ``since`` and at most ``tail`` lines per container."""
    state = load_live(kube, k.LOG_KINDS, context=context)
    reading = Reading(state, datetime.now(UTC) - since if since else None)
    base = {"timestamps": "true", "sinceSeconds": int(since.total_seconds()) if since else None, "tailLines": tail}
    logs: list[tuple[Origin, str, str, dict[str, Any]]] = []  # (origin, where, path, query), in a fixed order
    for pod in sorted(state.objects(k.PODS), key=lambda p: p["metadata"]["name"]):
        namespace, name = pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
        path = f"/api/v1/namespaces/{namespace}/pods/{name}/log"
        for container, restarted in _containers(pod):
            if not reading.wanted(container):
                continue
            for previous in (True, False) if restarted else (False,):
                query = {**base, "container": container, "previous": "true" if previous else None}
                where = f"{path}?container={container}" + ("&previous=true" if previous else "")
                logs.append((reading.origin(namespace, name, container, previous), where, path, query))

    def scan(log: tuple[Origin, str, str, dict[str, Any]]) -> Scanned:
        origin, where, path, query = log
        return reading.scan(origin, where, kube.stream(path, query))

    # A cluster has a few Longhorn containers per node, and each log is one request that mostly waits on the
    # network: read them side by side, and add them in order so the result does not depend on timing.
    with ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="hvguard-log") as pool:
        for scanned in pool.map(scan, logs):
            reading.add(scanned)
    reading.events()
    return reading.result()


def _containers(pod: dict[str, Any]) -> list[tuple[str, bool]]:
    """Each container of the pod and whether it has restarted (so a previous run's log exists)."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    restarts = {status.get("name"): status.get("restartCount") or 0 for status in statuses}
    return [(c["name"], restarts.get(c["name"], 0) > 0) for c in (pod.get("spec") or {}).get("containers") or []]
