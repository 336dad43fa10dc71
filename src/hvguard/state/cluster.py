"""ClusterState: what a source read, from where, and what it could not read.

Every source (support bundle, live API, snapshot) produces one of these; every check is a pure
function of it. Objects are kept in their API (JSON) form, already cleaned of source quirks, so a
check cannot tell which source fed it. Treat the state and its objects as read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from hvguard.state import kinds as k

Obj = dict[str, Any]


T = TypeVar("T")


class _Arriving(Mapping[str, T]):
    """A mapping whose values arrive by key: reading one waits for its future, then keeps the value."""

    def __init__(self, reads: Mapping[str, Future[Any]], value: Callable[[Any], T]) -> None:
        self._reads = reads
        self._value = value
        self._arrived: dict[str, T] = {}

    def __getitem__(self, key: str) -> T:
        if key not in self._arrived:
            self._arrived[key] = self._value(self._reads[key].result())
        return self._arrived[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._reads)

    def __len__(self) -> int:
        return len(self._reads)


class ReadStatus(StrEnum):
    """How completely a resource type was read."""

    READ = "read"  # every object of the type was read
    ABSENT = "absent"  # the cluster does not serve the type (e.g. CRD not installed): known to be empty
    PARTIAL = "partial"  # read, but some namespaces were not collected
    MISSING = "missing"  # the source does not hold it (file not in the bundle, namespace not collected)
    UNREADABLE = "unreadable"  # an error prevented reading it (403, API fault, bundle generation error)

    @property
    def usable(self) -> bool:
        """True when a check may rely on the objects (possibly with a coverage warning)."""
        return self in (ReadStatus.READ, ReadStatus.ABSENT, ReadStatus.PARTIAL)


@dataclass(frozen=True, slots=True)
class Coverage:
    """The read outcome for one resource type."""

    kind: str
    status: ReadStatus
    api_version: str | None = None
    where: str = ""
    reason: str = ""
    count: int = 0


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where the state came from."""

    type: str  # "bundle" | "live" | "snapshot"
    location: str
    collected_at: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)


class ClusterState:
    """Objects by resource type plus the coverage record. Built once by a source."""

    def __init__(
        self,
        source: SourceInfo,
        objects: Mapping[str, Iterable[Obj]],
        coverage: Mapping[str, Coverage],
        namespaces_not_collected: Iterable[str] = (),
    ) -> None:
        self.source = source
        self._objects: Mapping[str, tuple[Obj, ...]] = {key: tuple(objs) for key, objs in objects.items()}
        self.coverage: Mapping[str, Coverage] = dict(coverage)
        self.namespaces_not_collected: tuple[str, ...] = tuple(sorted(namespaces_not_collected))
        self._index: dict[str, dict[tuple[str, str], Obj]] = {}

    @classmethod
    def arriving(cls, source: SourceInfo, reads: Mapping[str, Future[tuple[list[Obj], Coverage]]]) -> ClusterState:
        """A state whose types are still being read, one future per type (the live source).

        Looking at a type, its objects or its coverage, waits for that type alone; so the analysis
        starts on what has arrived while the biggest LISTs are still paging. Each future must hand
        over finished objects: nothing may change them once it resolves.
        """
        state = cls(source, {}, {})
        state._objects = _Arriving(reads, lambda read: tuple(read[0]))
        state.coverage = _Arriving(reads, lambda read: read[1])
        return state

    def wait(self) -> None:
        """Return once every type has arrived; raises what reading one raised."""
        for _ in self.coverage.values():
            pass

    def objects(self, kind: k.Kind) -> tuple[Obj, ...]:
        return self._objects.get(kind.key, ())

    def get(self, kind: k.Kind, name: str, namespace: str = "") -> Obj | None:
        """One object by name; the per-type index is built on first use."""
        index = self._index.get(kind.key)
        if index is None:
            index = {
                (o.get("metadata", {}).get("namespace", "") or "", o.get("metadata", {}).get("name", "")): o
                for o in self.objects(kind)
            }
            self._index[kind.key] = index
        if not kind.namespaced:
            namespace = ""
        elif not namespace and kind.namespaces:
            namespace = kind.namespaces[0]
        return index.get((namespace, name))

    def status(self, kind: k.Kind) -> ReadStatus:
        cov = self.coverage.get(kind.key)
        return cov.status if cov else ReadStatus.MISSING

    def usable(self, kind: k.Kind) -> bool:
        return self.status(kind).usable
