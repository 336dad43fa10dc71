"""Helpers for tests that drive the emulator: CRD locations, object builders, raw HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .server import KubeAPIServer

CRDS = Path(__file__).resolve().parents[2] / "src" / "hvguard" / "knowledge" / "crds"
LONGHORN_162 = CRDS / "longhorn-v1.6.2"
LONGHORN_172 = CRDS / "longhorn-v1.7.2"
LH = ("longhorn.io", "v1beta2")
NS = "longhorn-system"
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an env proxy


def backing_image(name: str, namespace: str = NS, labels: dict[str, str] | None = None,
                  **spec: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "longhorn.io/v1beta2", "kind": "BackingImage", "metadata": meta,
            "spec": {"disks": {"disk-1": ""}, "sourceType": "download", **spec}}


def raw(api: KubeAPIServer, method: str, path: str, body: Any = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    """One plain HTTP request, for what the official client hides (exact bodies and headers)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(api.url + path, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with _DIRECT.open(request, timeout=10) as response:
            status, head, payload = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        status, head, payload = exc.code, dict(exc.headers), exc.read()
    is_json = head.get("Content-Type", "").startswith("application/json")
    return status, head, json.loads(payload) if is_json and payload else payload.decode()
