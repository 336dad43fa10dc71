"""Record of every request the emulator answered, for assertions such as
"one LIST per resource type per page" or "no write was made"."""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    verb: str  # get | list | watch | create | update | patch | delete | deletecollection
    group: str
    version: str
    resource: str | None  # plural; None for discovery and other non-resource paths
    subresource: str | None
    namespace: str | None
    name: str | None
    status: int
    body: Any = None  # parsed JSON request body, if any

    @property
    def is_write(self) -> bool:
        """A write attempt (any status); server-side dry runs (``dryRun=All``) do not count."""
        return self.verb in WRITE_VERBS and not self.query.get("dryRun")


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[RecordedRequest] = []

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(request)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def select(
        self,
        verb: str | Collection[str] | None = None,
        resource: str | None = None,
        *,
        group: str | None = None,
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
        status: int | None = None,
    ) -> list[RecordedRequest]:
        verbs = {verb} if isinstance(verb, str) else (set(verb) if verb is not None else None)
        wanted = {"resource": resource, "group": group, "namespace": namespace,
                  "name": name, "subresource": subresource, "status": status}
        with self._lock:
            entries = list(self._entries)
        return [
            r for r in entries
            if (verbs is None or r.verb in verbs)
            and all(v is None or getattr(r, k) == v for k, v in wanted.items())
        ]
