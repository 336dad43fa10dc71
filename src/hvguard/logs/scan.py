"""Matching log lines and Events against the signatures, and folding the hits into groups.

Pure: blocks of lines and event objects in, groups out. A longhorn-manager can repeat the same
"Waiting for backing image" line every few seconds for days, so hits are never kept one by one. Each
(signature, source, named objects) is one ``Group`` with its first and last time, a count and a few
sample lines. A group is also one row of the timeline.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from hvguard.knowledge.logsigs import ROLE_KINDS, STAGES, Signature
from hvguard.knowledge.versions import UnknownVersionError, Version, parse

SAMPLES = 3
SAMPLE_WIDTH = 400
# Beyond this many groups a new combination of objects folds into its signature's group without
# objects, so a log naming millions of distinct things cannot exhaust memory.
MAX_GROUPS = 5000
# The kubelet's prefix with timestamps=true (RFC 3339, nanoseconds), as support bundles and `logs` have it.
_STAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) ")
# Otherwise the time logrus writes into the line itself.
_LOGRUS_TIME = re.compile(r'\btime="(\d{4}-\d\d-\d\dT[^"]+)"')
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# Events name the object they are about; of these kinds it is one of the objects the event names.
_INVOLVED_ROLE = {kind: role for role, kind in ROLE_KINDS.items()}

Objects = tuple[tuple[str, str], ...]  # (role, name) pairs, sorted


@dataclass(frozen=True, slots=True)
class Origin:
    """Where hits come from: one container's log (``previous``: its last terminated run), or Events."""

    type: str  # "log" | "event"
    namespace: str
    pod: str = ""
    container: str = ""
    previous: bool = False
    node: str = ""
    image: str = ""

    @property
    def label(self) -> str:
        if self.type == "event":
            return f"events in {self.namespace}"
        return f"{self.pod}/{self.container}" + (" (previous)" if self.previous else "")

    @property
    def version(self) -> Version | None:
        """The component version from the container image tag, when the tag is a version."""
        _, _, tag = self.image.rpartition(":")
        try:
            return parse(tag) if tag and "/" not in tag else None
        except UnknownVersionError:
            return None

    def as_dict(self) -> dict[str, Any]:
        if self.type == "event":
            return {"label": self.label, "type": "event", "namespace": self.namespace}
        return {"label": self.label, "type": "log", "namespace": self.namespace, "pod": self.pod,
                "container": self.container, "previous": self.previous, "node": self.node, "image": self.image}


@dataclass(slots=True)
class Group:
    """Every hit of one signature from one origin naming the same objects."""

    signature: Signature
    origin: Origin
    objects: Objects
    first: datetime | None
    last: datetime | None
    count: int = 0
    samples: list[str] = field(default_factory=list)

    @property
    def known_version(self) -> bool | None:
        """Whether the logging component's version is one the signature is known for (None: cannot tell)."""
        return self.signature.known_for(self.origin.version)

    def sort_key(self) -> tuple[bool, datetime | None, int, str, str]:
        """Oldest first; groups without a time last; then in the order of the story."""
        return (self.first is None, self.first, STAGES.index(self.signature.stage), self.signature.id,
                self.origin.label)


class HitSink(Protocol):
    """Where matching puts its hits: a ``Collector`` folds them into groups; ``hvguard watch`` raises each
    as it is read, since a followed log has no end to fold up to."""

    def add(self, signature: Signature, origin: Origin, objects: Objects, first: datetime | None,
            last: datetime | None, count: int, sample: str) -> None: ...


class Collector:
    """Folds hits into groups; hits older than ``since`` are dropped (undated ones are kept)."""

    def __init__(self, since: datetime | None = None, max_groups: int = MAX_GROUPS) -> None:
        self.since = since
        self.max_groups = max_groups
        self._groups: dict[tuple[str, Origin, Objects], Group] = {}

    def add(self, signature: Signature, origin: Origin, objects: Objects, first: datetime | None,
            last: datetime | None, count: int, sample: str) -> None:
        if self.since is not None and last is not None and last < self.since:
            return
        key = (signature.id, origin, objects)
        if key not in self._groups and len(self._groups) >= self.max_groups:
            key = (signature.id, origin, ())
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = Group(signature, origin, key[2], first, last)
        group.first = _earliest(group.first, first)
        group.last = _latest(group.last, last)
        group.count += count
        if len(group.samples) < SAMPLES:
            group.samples.append(sample)

    def absorb(self, group: Group) -> None:
        """Fold in a group another collector made (logs scanned side by side, each into a collector of its own)."""
        for index, sample in enumerate(group.samples or [""]):
            self.add(group.signature, group.origin, group.objects, group.first, group.last,
                     group.count if index == 0 else 0, sample)

    @property
    def groups(self) -> list[Group]:
        return sorted(self._groups.values(), key=Group.sort_key)


def scan_log(blocks: Iterable[bytes], origin: Origin, signatures: Sequence[Signature], collector: HitSink) -> None:
    """Match every line of one container's log (blocks from ``lines.line_blocks``).

    A block is first searched as a whole: most blocks match nothing, and one regex search over a
    block is far cheaper than one per line. Only blocks with a hit are split into lines.
    """
    candidates = [s for s in signatures if origin.container in s.containers]
    if not candidates:
        return
    for block in blocks:
        text = block.decode("utf-8", "replace")
        hits = [s for s in candidates if s.regex.search(text)]
        if not hits:
            continue
        for line in text.split("\n"):
            for signature in hits:
                match = signature.regex.search(line)
                if match:
                    at = line_time(line)
                    collector.add(signature, origin, _objects(signature, match, line), at, at, 1, sample(line))


def scan_events(events: Iterable[Mapping[str, Any]], signatures: Sequence[Signature], collector: HitSink) -> None:
    """Match Events by reason, involved kind and message; an event counts as often as it was recorded."""
    candidates = [(s, (s.event.reason, s.event.kind)) for s in signatures if s.event]
    for event in events:
        involved = event.get("involvedObject") or {}
        message = str(event.get("message") or "")
        for signature, wanted in candidates:
            if (event.get("reason"), involved.get("kind")) != wanted:
                continue
            match = signature.regex.search(message)
            if not match:
                continue
            objects = dict(_objects(signature, match, message))
            role = _INVOLVED_ROLE.get(str(involved.get("kind")))
            if role and involved.get("name"):
                objects.setdefault(role, str(involved["name"]))
            namespace = str(involved.get("namespace") or (event.get("metadata") or {}).get("namespace") or "")
            first, last = event_times(event)
            collector.add(signature, Origin("event", namespace), tuple(sorted(objects.items())), first, last,
                          _event_count(event), sample(f"{event.get('reason')}: {message}"))


def line_time(line: str) -> datetime | None:
    """The kubelet's timestamp prefix, else the line's own logrus ``time=``; None if neither."""
    match = _STAMP.match(line) or _LOGRUS_TIME.search(line)
    return parse_time(match.group(1)) if match else None


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 time (nanoseconds are cut to microseconds); None for anything else."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def stamp(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with microseconds, as the documents write times; None stays None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def event_times(event: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """First and last time an event was recorded (core/v1 timestamps, else events.k8s.io eventTime)."""
    created = (event.get("metadata") or {}).get("creationTimestamp")
    first = event.get("firstTimestamp") or event.get("eventTime") or created
    last = (event.get("series") or {}).get("lastObservedTime") or event.get("lastTimestamp") or first
    return (parse_time(str(first)) if first else None), (parse_time(str(last)) if last else None)


def sample(line: str) -> str:
    """A line fit to show: the timestamp prefix kept, control characters replaced, cut to SAMPLE_WIDTH."""
    text = _CONTROL.sub("\ufffd", line.rstrip("\r"))
    return text if len(text) <= SAMPLE_WIDTH else text[: SAMPLE_WIDTH - 1] + "…"


def _event_count(event: Mapping[str, Any]) -> int:
    count = (event.get("series") or {}).get("count") or event.get("count") or 1
    return count if isinstance(count, int) and count > 0 else 1


def _objects(signature: Signature, match: re.Match[str], line: str) -> Objects:
    """What the line names: the pattern's named groups, then the signature's logrus fields."""
    found = {role: value for role, value in match.groupdict().items() if value}
    for key, role in signature.fields.items():
        if role not in found and (value := logrus_field(line, key)):
            found[role] = value
    return tuple(sorted(found.items()))


def logrus_field(line: str, key: str) -> str | None:
    """The value of ``key=value`` (logrus text) or ``"key":"value"`` (logrus JSON) in a line."""
    match = _field_regex(key).search(line)
    if not match:
        return None
    value = match.group(1) or match.group(2)
    if value.startswith('"'):
        try:
            return str(json.loads(value))
        except ValueError:
            return value.strip('"')
    return value


@functools.cache
def _field_regex(key: str) -> re.Pattern[str]:
    quoted = r'"(?:[^"\\]|\\.)*"'
    name = re.escape(key)
    return re.compile(rf'(?:^|\s){name}=({quoted}|[^\s"]+)|"{name}":({quoted})')


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
