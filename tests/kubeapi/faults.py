"""Fault injection: the failures a real cluster produces that hvguard must survive.

Each rule is a :class:`Fault` handle; call ``remove()`` or use it as a context manager.
Rules match a resource by plural (and optionally group and verbs); ``resource=None`` matches
every request, discovery included (an unreachable or overloaded API server).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .errors import APIError, qualified
from .routing import RequestInfo

USER = "test-user"


@dataclass(eq=False)
class Fault:
    kind: str  # deny | fail | throttle | delay | expire_watch | drop_watch
    resource: str | None
    group: str | None
    verbs: frozenset[str] | None
    remaining: int | None  # None: until removed
    code: int = 0
    seconds: float = 0.0
    after_events: int = 0
    hits: int = 0
    _owner: FaultInjector | None = field(default=None, repr=False)

    def matches(self, info: RequestInfo) -> bool:
        return (
            (self.resource is None or self.resource == info.resource)
            and (self.group is None or (info.is_resource and self.group == info.group))
            and (self.verbs is None or info.verb in self.verbs)
        )

    def remove(self) -> None:
        if self._owner is not None:
            self._owner.remove(self)

    def __enter__(self) -> Fault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _forbidden_message(info: RequestInfo) -> str:
    target = qualified(info.group, info.resource or "")
    if info.name:
        target += f' "{info.name}"'
    scope = f'in the namespace "{info.namespace}"' if info.namespace else "at the cluster scope"
    return (
        f'{target} is forbidden: User "{USER}" cannot {info.verb} resource "{info.resource}" '
        f'in API group "{info.group}" {scope}'
    )


class FaultInjector:
    def __init__(self, drop_open_watches: Callable[[], int], drop_log_streams: Callable[[], int]) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._drop_open_watches = drop_open_watches
        self._drop_log_streams = drop_log_streams

    def _add(self, kind: str, resource: str | None, group: str | None, verbs: Iterable[str] | None,
             remaining: int | None, *, code: int = 0, seconds: float = 0.0, after_events: int = 0) -> Fault:
        fault = Fault(kind, resource, group, frozenset(verbs) if verbs is not None else None, remaining,
                      code=code, seconds=seconds, after_events=after_events, _owner=self)
        with self._lock:
            self._faults.append(fault)
        return fault

    def deny(self, resource: str, *, group: str | None = None,
             verbs: Iterable[str] | None = None, code: int = 403) -> Fault:
        """Answer 403 Forbidden (or 401 Unauthorized with ``code=401``) until removed."""
        if code not in (401, 403):
            raise ValueError("deny() answers 401 or 403")
        return self._add("deny", resource, group, verbs, None, code=code)

    def fail(self, resource: str | None = None, *, times: int = 1, code: int = 500,
             group: str | None = None, verbs: Iterable[str] | None = None) -> Fault:
        """Answer a 5xx ``Status`` to the next ``times`` matching requests."""
        return self._add("fail", resource, group, verbs, times, code=code)

    def throttle(self, resource: str | None = None, *, times: int = 1, retry_after: int = 1,
                 group: str | None = None, verbs: Iterable[str] | None = None) -> Fault:
        """Answer 429 with ``Retry-After: <retry_after>`` to the next ``times`` matching requests."""
        return self._add("throttle", resource, group, verbs, times, seconds=retry_after)

    def delay(self, seconds: float, *, resource: str | None = None, group: str | None = None,
              verbs: Iterable[str] | None = None) -> Fault:
        """Add latency before every matching request is handled, until removed."""
        return self._add("delay", resource, group, verbs, None, seconds=seconds)

    def expire_next_watch(self, resource: str | None = None, *, group: str | None = None) -> Fault:
        """The next matching watch gets one ``ERROR`` event (410 Expired), then the stream ends."""
        return self._add("expire_watch", resource, group, {"watch"}, 1)

    def drop_watch_after(self, events: int, *, resource: str | None = None,
                         group: str | None = None, times: int = 1) -> Fault:
        """The next ``times`` matching watches are cut (no chunked terminator) after ``events`` events."""
        return self._add("drop_watch", resource, group, {"watch"}, times, after_events=events)

    def drop_watches(self) -> int:
        """Cut every open watch connection now; returns how many were cut."""
        return self._drop_open_watches()

    def drop_log_streams(self) -> int:
        """Cut every open ``follow=true`` log stream now (no chunked terminator); returns how many were cut."""
        return self._drop_log_streams()

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    # ---- used by the HTTP layer

    def take(self, kind: str, info: RequestInfo) -> Fault | None:
        """The first active rule of ``kind`` matching ``info``, consuming one of its uses."""
        with self._lock:
            for fault in self._faults:
                if fault.kind == kind and fault.matches(info):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def latency(self, info: RequestInfo) -> float:
        with self._lock:
            delays = [f for f in self._faults if f.kind == "delay" and f.matches(info)]
            for fault in delays:
                fault.hits += 1
        return sum(f.seconds for f in delays)

    def check(self, info: RequestInfo) -> None:
        """Raise the injected error for this request, if a deny/fail/throttle rule matches."""
        if fault := self.take("deny", info):
            if fault.code == 401:
                raise APIError(401, "Unauthorized")
            details = {"kind": info.resource or "", "group": info.group, **({"name": info.name} if info.name else {})}
            raise APIError(403, _forbidden_message(info), details=details)
        if fault := self.take("fail", info):
            raise APIError(fault.code, "Internal error occurred: injected fault"
                           if fault.code == 500 else f"injected fault ({fault.code})")
        if fault := self.take("throttle", info):
            retry = int(fault.seconds)
            raise APIError(429, "Too many requests, please try again later.",
                           details={"retryAfterSeconds": retry}, headers={"Retry-After": str(retry)})
