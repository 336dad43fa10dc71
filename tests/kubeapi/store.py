"""Versioned in-memory object store: the emulator's etcd.

One global resourceVersion counter is bumped by every write, and a bounded history of change
events backs three real behaviours: watches resumed from a resourceVersion, ``410 Expired``
once that version has fallen out of the history, and paginated LISTs that stay consistent
with the first page's resourceVersion.

Stored objects are never mutated after a write (every write stores a new dict), so readers may
serialize them without copying. The store knows nothing about schemas; :mod:`operations` does.

Each resource's keys are kept sorted (rebuilt only after an insert or a removal), so a LIST page
costs a binary search plus the page, not a sort of the whole resource: paging through N objects
stays linear in N, as on a real API server, which the benchmarks rely on.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import takewhile
from operator import itemgetter
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
        self._sorted: dict[ResKey, list[ObjKey]] = {}  # each bucket's keys in order, dropped on insert/remove
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
            keys, bucket = self.ordered(res, namespace)
            return [bucket[k] for k in keys]

    def ordered(self, res: ResKey, namespace: str | None = None, after: ObjKey | None = None,
                rv: int | None = None) -> tuple[list[ObjKey], Mapping[ObjKey, Entry]]:
        """Keys in (namespace, name) order (within ``namespace``, past ``after``) and the entries they name.

        ``rv`` asks for the entries as they were at that resourceVersion (``Expired`` once that is
        older than the history). Call with :attr:`lock` held for as long as the entries are read.
        """
        with self.lock:
            live = self._objects.get(res, {})
            bucket = live if rv is None else self._as_of(res, rv)
            keys = self._sorted_keys(res) if bucket is live else sorted(bucket)
            return _window(keys, namespace, after), bucket

    def _sorted_keys(self, res: ResKey) -> list[ObjKey]:
        keys = self._sorted.get(res)
        if keys is None:
            keys = self._sorted[res] = sorted(self._objects.get(res, {}))
        return keys

    def write(self, res: ResKey, obj: dict[str, Any], epoch: int) -> dict[str, Any]:
        """Store ``obj`` (stamping a new resourceVersion into it) and emit ADDED/MODIFIED."""
        with self.lock:
            self._rv += 1
            obj.setdefault("metadata", {})["resourceVersion"] = str(self._rv)
            bucket = self._objects.setdefault(res, {})
            key = obj_key(obj)
            prev = bucket.get(key)
            bucket[key] = Entry(obj, epoch)
            if prev is None:
                self._sorted.pop(res, None)
            self._emit(Event(self._rv, res, "MODIFIED" if prev else "ADDED", bucket[key], prev))
            return obj

    def remove(self, res: ResKey, key: ObjKey) -> dict[str, Any]:
        """Delete an object and emit DELETED carrying its last state at the deletion rv."""
        with self.lock:
            prev = self._objects[res].pop(key)
            self._sorted.pop(res, None)
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

    def _as_of(self, res: ResKey, rv: int) -> Mapping[ObjKey, Entry]:
        """The bucket at ``rv`` (for LIST continue): the live one when nothing changed it since, else
        a copy rebuilt by undoing the later events."""
        self._check_retained(rv)
        current = self._objects.get(res, {})
        later = [event for event in takewhile(lambda e: e.rv > rv, reversed(self._history)) if event.resource == res]
        if not later:
            return current
        state = dict(current)
        for event in later:  # newest first, so each key ends up as it was before its oldest later event
            key = obj_key(event.entry.obj)
            if event.prev is None:
                state.pop(key, None)
            else:
                state[key] = event.prev
        return state

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


def _window(keys: list[ObjKey], namespace: str | None, after: ObjKey | None) -> list[ObjKey]:
    """The sorted ``keys`` within ``namespace`` (None: all) and greater than ``after``."""
    low, high = 0, len(keys)
    if namespace is not None:
        low = bisect_left(keys, namespace, key=itemgetter(0))
        high = bisect_right(keys, namespace, low, key=itemgetter(0))
    if after is not None:
        low = max(low, bisect_right(keys, after, low, high))
    return keys[low:high]
