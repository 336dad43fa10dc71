"""The WATCH event loop, independent of HTTP framing.

Semantics follow the API server's watch cache: without a resourceVersion (or with ``0``) the
stream starts with synthetic ADDED events for current objects; with one it replays history
after it, or sends a single 410 ``Expired`` ERROR when that history is gone. With selectors,
an object that starts or stops matching is reported as ADDED or DELETED. Bookmarks carry only
``metadata.resourceVersion``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import status_body
from .operations import Operations
from .resources import Registry
from .store import Event, Expired, ResKey


@dataclass(frozen=True)
class WatchRequest:
    resource: ResKey
    version: str
    namespace: str | None
    matches: Callable[[Mapping[str, Any]], bool]  # label and field selectors
    start: int | None  # None: begin with the current state
    timeout: float
    bookmark_interval: float | None  # None: no bookmarks
    drop_after: int | None  # cut the connection after this many events (fault injection)


def expired_event(requested: int, oldest: int) -> dict[str, Any]:
    message = f"too old resource version: {requested} ({oldest})"
    return {"type": "ERROR", "object": status_body(410, "Expired", message)}


class WatchLoop:
    """Runs one watch; returns True to end the stream cleanly, False to cut the connection."""

    def __init__(self, ops: Operations, registry: Registry, request: WatchRequest,
                 send: Callable[[dict[str, Any]], None], dropped: threading.Event) -> None:
        self.ops, self.registry, self.req = ops, registry, request
        self.send, self.dropped = send, dropped
        self.sent = 0

    def _in_scope(self, obj: Mapping[str, Any]) -> bool:
        ns = self.req.namespace
        return (ns is None or obj["metadata"].get("namespace") == ns) and self.req.matches(obj)

    def _event_type(self, event: Event) -> str | None:
        now = self._in_scope(event.entry.obj)
        before = event.prev is not None and self._in_scope(event.prev.obj)
        if event.type == "DELETED":
            return "DELETED" if before else None
        if now:
            return "MODIFIED" if before else "ADDED"
        return "DELETED" if before else None

    def _emit(self, kind: str, obj: Mapping[str, Any]) -> bool:
        """Send one event; False once the connection must be cut."""
        self.send({"type": kind, "object": obj})
        self.sent += 1
        return not (self.req.drop_after is not None and self.sent >= self.req.drop_after)

    def run(self) -> bool:
        req, store = self.req, self.ops.store
        rt = self.registry.get(*req.resource)
        if rt is None:
            return True
        if req.start is None:
            with store.lock:
                last = store.resource_version
                initial = [e for e in store.entries(req.resource) if self._in_scope(e.obj)]
            for entry in initial:
                if not self._emit("ADDED", self.ops.view(rt, req.version, entry)):
                    return False
        else:
            last = req.start
        deadline = time.monotonic() + req.timeout
        next_bookmark = time.monotonic() + (req.bookmark_interval or req.timeout)
        while not self.dropped.is_set():
            now = time.monotonic()
            if now >= deadline or store.closed:
                return True
            try:
                events, current = store.wait(last, min(deadline, next_bookmark) - now)
            except Expired as gone:
                self.send(expired_event(gone.requested, gone.oldest))
                return True
            rt = self.registry.get(*req.resource)
            if rt is None:  # CRD deleted: the server ends such watches
                return True
            for event in events:
                kind = self._event_type(event) if event.resource == req.resource else None
                if kind and not self._emit(kind, self.ops.view(rt, req.version, event.entry)):
                    return False
            last = max(last, current)
            if req.bookmark_interval is not None and time.monotonic() >= next_bookmark:
                self.send({"type": "BOOKMARK", "object": {
                    "kind": rt.kind, "apiVersion": rt.api_version(req.version),
                    "metadata": {"resourceVersion": str(last)},
                }})
                next_bookmark = time.monotonic() + req.bookmark_interval
        return False
