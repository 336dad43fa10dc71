"""The only code that writes to a cluster, used by commands run with --apply.

Writes are few and deliberate: merge patches, creates, replaces, and deletes of exactly one kind of
object (``BackingImageDataSource``, whose deletion is the documented way to make Longhorn fetch an
image again). Deleting anything else — a BackingImage, a VirtualMachineImage, a volume — is refused
here, below every caller, because that is user data.
"""

from __future__ import annotations

import json
import time
from typing import Any

from hvguard.kube.client import RETRYABLE, Kube
from hvguard.kube.errors import KubeError, status_message

DELETABLE_KINDS = frozenset({"BackingImageDataSource"})
_CONTENT = {"merge": "application/merge-patch+json", "json": "application/json-patch+json"}


def api_path(api_version: str, plural: str, name: str = "", namespace: str = "") -> str:
    root = f"/apis/{api_version}" if "/" in api_version else f"/api/{api_version}"
    scoped = f"{root}/namespaces/{namespace}/{plural}" if namespace else f"{root}/{plural}"
    return f"{scoped}/{name}" if name else scoped


class KubeWriter:
    """Read-modify-write access for actions; every request also goes through ``Kube``'s deadline."""

    def __init__(self, kube: Kube, *, field_manager: str = "hvguard") -> None:
        self.kube = kube
        self.field_manager = field_manager

    def get(self, path: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        try:
            return dict(self.kube.get_json(path))
        except KubeError as exc:
            if exc.not_found:
                return None
            raise

    def patch(self, path: str, body: Any, patch_type: str = "merge") -> dict[str, Any]:
        return self._send("PATCH", path, body, _CONTENT[patch_type])

    def create(self, collection_path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send("POST", collection_path, body, "application/json")

    def replace(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._send("PUT", path, body, "application/json")

    def delete(self, path: str, kind: str) -> None:
        if kind not in DELETABLE_KINDS:
            raise ValueError(f"hvguard never deletes a {kind}")
        try:
            self._send("DELETE", path, None, "application/json")
        except KubeError as exc:
            if not exc.not_found:
                raise

    def _send(self, method: str, path: str, body: Any, content_type: str) -> dict[str, Any]:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        api = self.kube._api  # noqa: SLF001 - same package: the writer shares the reader's connection
        attempt = 0
        while True:
            params = api.param_serialize(
                method, path, query_params=[("fieldManager", self.field_manager)],
                header_params={"Accept": "application/json", "Content-Type": content_type},
                body=body, auth_settings=["BearerToken"],  # the REST layer JSON-encodes every */*+json body
            )
            try:
                response = api.call_api(*params, _request_timeout=self.kube.request_timeout)
                data = response.read()
            except ApiException as exc:
                raise KubeError(exc.status or None, str(exc.reason or "API error"), status_message(exc.body)) from exc
            except (HTTPError, OSError) as exc:
                raise KubeError(None, "connection failed", str(exc).splitlines()[0][:300]) from exc
            if response.status < 400:
                return dict(json.loads(data)) if data else {}
            error = KubeError(response.status, str(response.reason or "error"), status_message(data))
            if response.status not in RETRYABLE or attempt >= self.kube.retries:
                raise error
            retry_after = response.headers.get("Retry-After")
            time.sleep(float(retry_after) if retry_after and retry_after.isdigit() else self.kube.backoff * 2**attempt)
            attempt += 1
