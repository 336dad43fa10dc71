"""Builders for the log tests: kubelet-stamped log text, Pods and Events, bundles that carry them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from support import METADATA, k8s_list, write_bundle_zip

from hvguard.knowledge.logsigs import Signature, load_signatures
from hvguard.synth.builders import pod

Obj = dict[str, Any]
NS = "longhorn-system"
BUNDLE_AT = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)  # support.METADATA's bundlecreatedat
SIGNATURES: dict[str, Signature] = {s.id: s for s in load_signatures()}
# The harvester#7958 trail of the demo cluster (conftest): migration, CRD applied late, bundle made.
TRAIL_MIGRATED_AT = "2025-03-24T13:47:05Z"
TRAIL_CRD_APPLIED_AT = "2025-03-24T13:52:30Z"
TRAIL_BUNDLE_AT = "2025-03-24T14:20:00Z"


def stamp(at: datetime) -> str:
    """The kubelet's ``timestamps=true`` prefix (RFC 3339 with nanoseconds)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "417Z"


def stamped(lines: Iterable[str], start: datetime, step: timedelta = timedelta(seconds=1)) -> str:
    """Log text as a bundle holds it: each line after the previous by ``step``."""
    return "".join(f"{stamp(start + index * step)} {line}\n" for index, line in enumerate(lines))


def example(signature_id: str) -> str:
    """The signature's own example line (or event message)."""
    return SIGNATURES[signature_id].example


def lh_pod(name: str, container: str, image: str, node: str, restarts: int = 0) -> Obj:
    """A running Longhorn pod with one container that has restarted ``restarts`` times."""
    obj = pod(name, NS, created="2026-10-30T08:00:00Z", node_name=node, host_ip="10.10.0.11", pod_ip="10.52.0.17",
              containers=[(container, image)], labels={"app": container})
    obj["status"]["containerStatuses"][0]["restartCount"] = restarts
    return obj


def event(kind: str, name: str, message: str, at: datetime, *, reason: str = "Delete", count: int = 1) -> Obj:
    text = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{name}.{int(at.timestamp()):x}", "namespace": NS, "creationTimestamp": text},
            "involvedObject": {"kind": kind, "namespace": NS, "name": name, "apiVersion": "longhorn.io/v1beta2"},
            "reason": reason, "message": message, "source": {"component": "longhorn-backing-image-controller"},
            "firstTimestamp": text, "lastTimestamp": text, "count": count, "type": "Normal"}


def bundle_files(logs: Mapping[str, str | bytes], objects: Sequence[Obj] = ()) -> dict[str, str | bytes]:
    """The members of a bundle holding ``logs`` (paths under logs/) and the Pods and Events in ``objects``."""
    files: dict[str, str | bytes] = {"yamls/cluster/v1/namespaces.yaml": k8s_list([{"metadata": {"name": NS}}])}
    for kind, plural in (("Pod", "pods"), ("Event", "events")):
        files[f"yamls/namespaced/{NS}/v1/{plural}.yaml"] = k8s_list(o for o in objects if o["kind"] == kind)
    files.update((f"logs/{path}", text) for path, text in logs.items())
    return files


def dir_bundle(root: Path, logs: Mapping[str, str | bytes], objects: Sequence[Obj] = ()) -> Path:
    """An extracted bundle folder."""
    for rel, data in {"metadata.yaml": METADATA, **bundle_files(logs, objects)}.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode() if isinstance(data, str) else data)
    return root


def zip_bundle(path: Path, logs: Mapping[str, str | bytes], objects: Sequence[Obj] = ()) -> Path:
    return write_bundle_zip(path, bundle_files(logs, objects))


def hvguard(*args: str | Path, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m hvguard ...`` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "hvguard", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=None if env is None else dict(env))
