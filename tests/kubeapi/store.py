"""Versioned in-memory object store: the emulator's etcd.

One global resourceVersion counter is bumped by every write, and a bounded history of change
events backs three real behaviours: watches resumed from a resourceVersion, ``410 Expired``
once that version has fallen out of the history, and paginated LISTs that stay consistent
with the first page's resourceVersion.

Stored objects are never mutated after a write (every write stores a new dict), so readers may
serialize them without copying. The store knows nothing about schemas; :mod:`operations` does.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

ResKey = tuple[str, str]  # (group, plural)
ObjKey = tuple[str, str]  # (namespace or "", name)


class Entry(NamedTuple):
    """A stored object plus the schema epoch of its resource when it was written."""

    obj: dict[str, Any]
    epoch: int


@dataclass(frozen=True)
class Event:
    rv: int
    resource: ResKey
    type: str  # ADDED | MODIFIED | DELETED
    entry: Entry  # state after the change; for DELETED the last state, stamped with the deletion rv
    prev: Entry | None


class Expired(Exception):
    """The requested resourceVersion is older than the retained history."""

    def __init__(self, requested: int, oldest: int) -> None:
        super().__init__(f"resourceVersion {requested} is older than the history ({oldest})")
        self.requested = requested
        self.oldest = oldest


def obj_key(obj: dict[str, Any]) -> ObjKey:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta["name"])


class Store:
    def __init__(self, history: int) -> None:
        self.lock = threading.RLock()
        self._changed = threading.Condition(self.lock)
        self._objects: dict[ResKey, dict[ObjKey, Entry]] = {}
        self._history: deque[Event] = deque(maxlen=history)
        self._rv = 0
        self._closed = False

    @property
    def resource_version(self) -> int:
        with self.lock:
            return self._rv

    def get(self, res: ResKey, key: ObjKey) -> Entry | None:
        with self.lock:
            return self._objects.get(res, {}).get(key)

    def entries(self, res: ResKey, namespace: str | None = None) -> list[Entry]:
        """Current entries in (namespace, name) order, optionally within one namespace."""
        with self.lock:
            return _ordered(self._objects.get(res, {}), namespace)

    def write(self, res: ResKey, obj: dict[str, Any], epoch: int) -> dict[str, Any]:
        """Store ``obj`` (stamping a new resourceVersion into it) and emit ADDED/MODIFIED."""
        with self.lock:
            self._rv += 1
            obj.setdefault("metadata", {})["resourceVersion"] = str(self._rv)
            bucket = self._objects.setdefault(res, {})
            key = obj_key(obj)
            prev = bucket.get(key)
            bucket[key] = Entry(obj, epoch)
            self._emit(Event(self._rv, res, "MODIFIED" if prev else "ADDED", bucket[key], prev))
            return obj

    def remove(self, res: ResKey, key: ObjKey) -> dict[str, Any]:
        """Delete an object and emit DELETED carrying its last state at the deletion rv."""
        with self.lock:
            prev = self._objects[res].pop(key)
            self._rv += 1
            last = {**prev.obj, "metadata": {**prev.obj["metadata"], "resourceVersion": str(self._rv)}}
            self._emit(Event(self._rv, res, "DELETED", Entry(last, prev.epoch), prev))
            return last

    def _emit(self, event: Event) -> None:
        self._history.append(event)
        self._changed.notify_all()

    def _check_retained(self, rv: int) -> None:
        oldest = self._history[0].rv if self._history else self._rv + 1
        if rv < oldest - 1:
            raise Expired(rv, oldest)

    def snapshot(self, res: ResKey, rv: int, namespace: str | None = None) -> list[Entry]:
        """Entries as they were at ``rv``, rebuilt by undoing later events (for LIST continue)."""
        with self.lock:
            self._check_retained(rv)
            state = dict(self._objects.get(res, {}))
            for event in reversed(self._history):
                if event.rv <= rv:
                    break
                if event.resource != res:
                    continue
                key = obj_key(event.entry.obj)
                if event.prev is None:
                    state.pop(key, None)
                else:
                    state[key] = event.prev
            return _ordered(state, namespace)

    def wait(self, after: int, timeout: float) -> tuple[list[Event], int]:
        """Events with rv > ``after`` and the current rv; blocks up to ``timeout`` if there are none.

        Returns early (possibly with no events) on :meth:`wake` or :meth:`close`, so callers loop.
        """
        with self.lock:
            self._check_retained(after)
            if self._rv <= after and not self._closed:
                self._changed.wait(max(timeout, 0.0))
                self._check_retained(after)
            return [e for e in self._history if e.rv > after], self._rv

    def wake(self) -> None:
        """Wake all waiting watchers so they re-check their own stop conditions."""
        with self.lock:
            self._changed.notify_all()

    def close(self) -> None:
        with self.lock:
            self._closed = True
            self._changed.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed


def _ordered(bucket: dict[ObjKey, Entry], namespace: str | None) -> list[Entry]:
    keys: Iterable[ObjKey] = sorted(bucket)
    if namespace is not None:
        keys = (k for k in keys if k[0] == namespace)
    return [bucket[k] for k in keys]
