"""What a check receives: the state, the dependency graph, the target, and a finding factory."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hvguard.analysis import findings as f
from hvguard.analysis.graph import Graph
from hvguard.analysis.upgrade import Upgrade
from hvguard.state.cluster import ClusterState

if TYPE_CHECKING:
    from hvguard.logs.scan import Group


@dataclass(frozen=True, slots=True)
class CheckContext:
    state: ClusterState
    graph: Graph
    upgrade: Upgrade | None = None  # set when the run has a --to target
    check: str = ""
    log_groups: tuple[Group, ...] = ()  # known log signatures matched in the source's logs, if it had any

    def log_trail(self, backing_image: str) -> list[dict[str, Any]]:
        """The matched log lines that name ``backing_image``, oldest first: evidence of what happened to it."""
        groups = sorted((g for g in self.log_groups if ("backingImage", backing_image) in g.objects),
                        key=lambda g: g.sort_key())
        return [{"signature": g.signature.finding_id, "first": g.first.isoformat() if g.first else None,
                 "last": g.last.isoformat() if g.last else None, "count": g.count, "where": g.origin.label,
                 "sample": g.samples[0] if g.samples else ""} for g in groups]

    def finding(
        self,
        finding_id: str,
        message: str,
        *,
        resource: f.ObjectRef | None = None,
        evidence: Mapping[str, Any] | None = None,
        severity: f.Severity | None = None,
        related: tuple[f.ObjectRef, ...] = (),
        spec: f.FindingSpec | None = None,
    ) -> f.Finding:
        """A finding whose meaning (title, why, remediation, references) comes from the catalog."""
        meaning = spec or f.spec(finding_id)
        return f.Finding(
            id=finding_id,
            severity=meaning.severity if severity is None else severity,
            title=meaning.title,
            message=message,
            resource=resource,
            evidence=dict(evidence or {}),
            why=meaning.why,
            remediation=meaning.remediation,
            references=meaning.references,
            check=self.check,
            related=related,
        )
