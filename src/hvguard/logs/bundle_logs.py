"""Logs and events from a support bundle.

support-bundle-kit (``pkg/manager/cluster.go`` ``generateSupportBundleLogs``) writes each container's
log with ``timestamps=true`` to ``logs/<namespace>/<pod>/<container>.log``. When the container has
restarted it also writes the last terminated run to ``<container>.log.1``, which is where a crash
loop's panic is. Pods and Events come from ``yamls/namespaced/<ns>/v1/{pods,events}.yaml`` through
the bundle source. Members are streamed in chunks, never read whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hvguard.logs.collect import LogScan, Reading
from hvguard.logs.scan import Origin, parse_time
from hvguard.sources.bundle import load_bundle
from hvguard.sources.bundle_files import BundleFiles
from hvguard.state import kinds as k

_LOG_FILE = re.compile(r"(?P<container>[a-z0-9]([a-z0-9-]*[a-z0-9])?)\.log(?P<previous>\.1)?")


def read_bundle(path: Path, since: timedelta | None = None) -> LogScan:
    """Scan the bundle's Longhorn logs and events; ``since`` counts back from when the bundle was made."""
    state = load_bundle(path, k.LOG_KINDS)
    made = parse_time(state.source.collected_at or "") or datetime.now(UTC)
    reading = Reading(state, made - since if since else None)
    files = BundleFiles(path)
    try:
        for rel, origin in _container_logs(files, reading):
            reading.log(origin, rel, files.read_chunks(rel))
    finally:
        files.close()
    reading.events()
    return reading.result()


def _container_logs(files: BundleFiles, reading: Reading) -> Iterator[tuple[str, Origin]]:
    """The log members of wanted containers, each container's previous run before its current one."""
    for namespace in k.PODS.namespaces or ():
        for pod in files.listdir(f"logs/{namespace}"):
            found = [(m, name) for name in files.listdir(f"logs/{namespace}/{pod}")
                     if (m := _LOG_FILE.fullmatch(name)) and reading.wanted(m["container"])]
            for match, name in sorted(found, key=lambda item: (item[0]["container"], not item[0]["previous"])):
                origin = reading.origin(namespace, pod, match["container"], bool(match["previous"]))
                yield f"logs/{namespace}/{pod}/{name}", origin
