"""API failures as plain data, free of client types."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass
class KubeError(Exception):
    """An API request that failed for good (after retries). ``status`` is None for transport failures."""

    status: int | None
    reason: str
    message: str = ""
    retry_after: float | None = None  # seconds, from a Retry-After header

    def __str__(self) -> str:
        code = f"{self.status} " if self.status is not None else ""
        detail = f": {self.message}" if self.message else ""
        return f"{code}{self.reason}{detail}"

    @property
    def forbidden(self) -> bool:
        return self.status in (401, 403)

    @property
    def not_found(self) -> bool:
        return self.status == 404


def status_message(body: bytes | str | None) -> str:
    """The ``message`` of a Kubernetes ``Status`` body, or the body's first line."""
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        return str(json.loads(text).get("message", "")) or text.strip().splitlines()[0]
    except (ValueError, AttributeError):
        return text.strip().splitlines()[0][:200] if text.strip() else ""
