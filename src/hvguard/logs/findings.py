"""Findings ``log/<signature>`` from the groups of a log scan.

A signature carries its own meaning and way out (``knowledge/data/log_signatures.yaml``), so its
``FindingSpec`` is built from it rather than catalogued twice. One finding per signature that
matched: when it was first and last seen, how often, in which pods and events, the objects the lines
name, and a few sample lines. The named backing images, managers and replicas become ``related``
references, so a log finding can be joined with the cluster-state findings about the same objects.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hvguard.analysis import graph as g
from hvguard.analysis.context import CheckContext
from hvguard.analysis.findings import Finding, FindingSpec, ObjectRef, Severity
from hvguard.knowledge.logsigs import ROLE_KINDS, Signature
from hvguard.logs.collect import LogScan
from hvguard.logs.scan import SAMPLES, Group, Origin, stamp
from hvguard.state import kinds as k

CHECK = "log-signatures"
# Where the objects a line names live: longhorn-system, Longhorn's preferred API version.
_NAMESPACE, _API = k.LONGHORN_NS[0], k.BACKING_IMAGES.api_version(k.BACKING_IMAGES.versions[0])


def spec_for(signature: Signature) -> FindingSpec:
    """The meaning of ``log/<id>``, from the signature's own data."""
    return FindingSpec(
        id=signature.finding_id,
        severity=Severity.parse(signature.severity),
        title=signature.title,
        why=signature.meaning,
        remediation=signature.action,
        references=signature.urls,
    )


def scan_findings(scan: LogScan) -> list[Finding]:
    """The findings of a whole scan, in the context of the Pods and Events it read."""
    return log_findings(CheckContext(scan.state, g.build(scan.state), check=CHECK), scan.groups)


def log_findings(ctx: CheckContext, groups: Sequence[Group]) -> list[Finding]:
    """One finding per signature that matched, worst first, then by when it was first seen.

    ``ctx`` may carry a full cluster state: disk UUIDs the graph knows are then given with their node
    and path, which is where orphaned files are to be looked for.
    """
    by_signature: dict[str, list[Group]] = {}
    for group in groups:
        by_signature.setdefault(group.signature.id, []).append(group)
    found = [_finding(ctx, matched) for matched in by_signature.values()]
    return sorted(found, key=lambda f: (-f.severity, f.evidence["firstSeen"] is None, f.evidence["firstSeen"] or ""))


def _finding(ctx: CheckContext, groups: list[Group]) -> Finding:
    signature = groups[0].signature
    count = sum(group.count for group in groups)
    first, last = _span(groups)
    objects = _objects(groups)
    images = objects.get("backingImage", [])
    sources = _sources(groups)
    where = f"{len(sources)} source(s)" if len(sources) > 1 else sources[0]["label"]
    named = f"; backing image(s) {', '.join(images[:5])}" + (" …" if len(images) > 5 else "") if images else ""
    known = {group.known_version for group in groups}
    evidence: dict[str, Any] = {
        "stage": signature.stage,
        "count": count,
        "firstSeen": stamp(first),
        "lastSeen": stamp(last),
        "sources": sources,
        "objects": objects,
        "disks": [_disk(ctx, uuid) for uuid in objects.get("disk", [])],
        "samples": [s for group in groups for s in group.samples][:SAMPLES],
        "knownVersion": None if None in known else all(known),
        "confidence": signature.evidence.confidence,
    }
    return ctx.finding(
        signature.finding_id,
        f"Seen {count} time(s) {_when(first, last)} in {where}{named}",
        resource=named_ref("backingImage", images[0]) if len(images) == 1 else None,
        evidence=evidence,
        related=tuple(named_ref(role, name) for role, names in objects.items() if role in ROLE_KINDS for name in names),
        spec=spec_for(signature),
    )


def _when(first: datetime | None, last: datetime | None) -> str:
    if first is None:
        return "at unknown times"
    return f"at {stamp(first)}" if last in (None, first) else f"from {stamp(first)} to {stamp(last)}"


def _span(groups: list[Group]) -> tuple[datetime | None, datetime | None]:
    firsts = [group.first for group in groups if group.first]
    lasts = [group.last for group in groups if group.last]
    return (min(firsts) if firsts else None), (max(lasts) if lasts else None)


def _sources(groups: list[Group]) -> list[dict[str, Any]]:
    """Per origin: how often and when, in the order the groups come (oldest first)."""
    sources = []
    for origin, same in itertools.groupby(sorted(groups, key=lambda group: _origin_key(group.origin)),
                                          key=lambda group: group.origin):
        members = list(same)
        first, last = _span(members)
        sources.append({**origin.as_dict(), "count": sum(m.count for m in members),
                        "firstSeen": stamp(first), "lastSeen": stamp(last)})
    return sorted(sources, key=lambda source: (source["firstSeen"] is None, source["firstSeen"] or ""))


def _origin_key(origin: Origin) -> tuple[str, str, str, str, bool]:
    return origin.type, origin.namespace, origin.pod, origin.container, origin.previous


def _objects(groups: list[Group]) -> dict[str, list[str]]:
    named: dict[str, set[str]] = {}
    for group in groups:
        for role, name in group.objects:
            named.setdefault(role, set()).add(name)
    return {role: sorted(names) for role, names in sorted(named.items())}


def _disk(ctx: CheckContext, uuid: str) -> dict[str, str]:
    disk = ctx.graph.disks.get(uuid)
    return {"uuid": uuid, "node": disk.node, "path": disk.path} if disk else {"uuid": uuid}


def named_ref(role: str, name: str) -> ObjectRef:
    """The Longhorn object a log line names in one of the ``ROLE_KINDS`` roles."""
    return ObjectRef(ROLE_KINDS[role], name, _NAMESPACE, _API)
