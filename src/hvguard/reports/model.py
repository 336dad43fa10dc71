"""The report document: a plain, JSON-ready dict with a versioned schema (``hvguard.report/v1``).

Every renderer (table, JSON, Markdown, JUnit) reads this one document, so no format can drift from
another, and none of them filters or recomputes anything. The schema is in
``schemas/report-v1.json``; adding optional keys is compatible, anything else needs ``/v2``.
"""

from __future__ import annotations

from typing import Any

from hvguard import __version__
from hvguard.analysis import facts
from hvguard.analysis.graph import Graph, ImageNode
from hvguard.analysis.runner import Analysis
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState

SCHEMA = "hvguard.report/v1"
Report = dict[str, Any]


def build(state: ClusterState, analysis: Analysis, *, command: str, target: str | None = None) -> Report:
    counts = {sev: 0 for sev in ("block", "warn", "info")}
    for finding in analysis.findings:
        counts[finding.severity.label] += 1
    return {
        "schema": SCHEMA,
        "tool": {"name": "hvguard", "version": __version__, "command": command},
        "source": {
            "type": state.source.type,
            "location": state.source.location,
            "collectedAt": state.source.collected_at,
            "details": dict(state.source.details),
        },
        "cluster": {
            "harvesterVersion": facts.harvester_version(state) or None,
            "longhornVersion": facts.longhorn_version(state) or None,
            "kubernetesVersion": state.source.details.get("kubernetes_version") or None,
            "nodes": len(state.objects(k.NODES)),
        },
        "target": target,
        "verdict": analysis.verdict.value,
        "summary": counts,
        "findings": [f.as_dict() for f in analysis.findings],
        "checks": [
            {"name": r.name, "status": r.status.value, "description": r.description,
             "findings": list(r.finding_ids), "detail": r.detail}
            for r in analysis.results
        ],
        "coverage": [
            {"resource": c.kind, "status": c.status.value, "apiVersion": c.api_version, "where": c.where,
             "reason": c.reason, "count": c.count}
            for c in sorted(state.coverage.values(), key=lambda c: c.kind)
        ],
        "namespacesNotCollected": list(state.namespaces_not_collected),
        "inventory": inventory(analysis.graph),
        "upgrade": _upgrade(analysis),
        "predictions": [p.as_dict() for p in analysis.predictions],
        "baseline": _baseline(analysis.baseline),
    }


def _baseline(state: ClusterState | None) -> dict[str, Any] | None:
    """The pre-upgrade snapshot ``verify`` compared against (None for every other command)."""
    if state is None:
        return None
    return {
        "type": state.source.type,
        "location": state.source.location,
        "takenAt": state.source.details.get("snapshot_created") or None,
        "collectedAt": state.source.collected_at,
        "originalSource": state.source.details.get("original_source") or None,
        "harvesterVersion": facts.harvester_version(state) or None,
        "longhornVersion": facts.longhorn_version(state) or None,
    }


def _upgrade(analysis: Analysis) -> dict[str, Any] | None:
    up = analysis.upgrade
    if up is None:
        return None
    route = up.catalog.route(up.source, up.target) if up.known and up.source else None
    return {
        "from": up.source_text or None,
        "to": str(up.target),
        "longhornFrom": str(up.longhorn_source) if up.longhorn_source else None,
        "longhornTo": str(up.longhorn_target) if up.longhorn_target else None,
        "known": up.known,
        "supported": up.catalog.is_supported(up.source, up.target) if up.known and up.source else None,
        "route": [str(v) for v in route or ()],
        "migrations": [{"id": p.rule.id, "upgradePath": p.rule.upgrade_path, "crd": p.rule.crd,
                        "writeValidation": "strict" if p.strict else "lenient"} for p in up.migrations()],
    }


def inventory(graph: Graph) -> dict[str, Any]:
    return {"backingImages": [_image(image) for image in sorted(graph.images.values(), key=lambda i: i.name)]}


def _image(image: ImageNode) -> dict[str, Any]:
    rebuildable, why = image.rebuildable
    return {
        "name": image.name,
        "namespace": image.namespace,
        "uuid": image.uuid,
        "vmImage": image.vm_image or None,
        "sourceType": image.source_type,
        "sourceParameters": image.source_parameters,
        "size": image.size,
        "checksum": image.checksum,
        "specChecksum": image.spec_checksum,
        "diskMapField": image.shape,
        "minNumberOfCopies": image.min_copies,
        "readyCopies": len(image.ready_copies),
        "copies": [
            {"diskUUID": c.disk.uuid, "node": c.disk.node, "diskPath": c.disk.path, "state": c.state,
             "desired": c.desired, "progress": c.progress, "message": c.message, "manager": c.manager,
             "managerState": c.manager_state, "managerChecksum": c.manager_checksum}
            for c in image.copies
        ],
        "usedBy": {"volumes": sorted(image.volumes), "pvcs": sorted(image.pvcs), "vms": sorted(image.vms)},
        "rebuildable": rebuildable,
        "rebuildReason": why,
        "backups": [{"name": b.name, "state": b.state, "checksum": b.checksum, "url": b.url} for b in image.backups],
    }
