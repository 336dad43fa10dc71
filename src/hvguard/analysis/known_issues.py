"""Known issues on the planned path, judged against this cluster.

Each known issue is data (``knowledge/data/known_issues.yaml``). Its ``detector`` names what shows
exposure; a detector is simply a check and the finding ids that mean "exposed", so exposure is
decided by the same code that reports the underlying problem. Severity: ``block`` when the detector
fired, ``info`` when it ran clean, ``warn`` when exposure cannot be determined (no detector, or the
detector could not run).
"""

from __future__ import annotations

from collections.abc import Iterable

from hvguard.analysis.context import CheckContext
from hvguard.analysis.findings import Finding, FindingSpec, Severity
from hvguard.analysis.results import CheckResult, CheckStatus
from hvguard.knowledge.catalog import IssueMatch

# detector name (knowledge data) → (check name, finding ids that mean "exposed")
DETECTORS: dict[str, tuple[str, frozenset[str]]] = {
    "crd-prunes-target-fields": ("crd-target-fields", frozenset({"crd/prunes-target-fields"})),
    "eviction-requested": ("longhorn-eviction", frozenset({"longhorn/eviction-requested"})),
    "degraded-volumes": ("volume-health", frozenset({"volume/degraded"})),
    "single-replica-volumes": ("volume-health", frozenset({"volume/single-replica"})),
    "managed-charts-not-ready": ("managed-charts-ready", frozenset({"managed-chart/not-ready"})),
    "nodes-not-ready": ("nodes-ready", frozenset({"node/not-ready", "node/cordoned"})),
    "faulted-volumes": ("volume-health", frozenset({"volume/faulted"})),
    "failed-backing-images": ("backing-image-failed-copies", frozenset({"backing-image/failed-copy"})),
}


def evaluate(ctx: CheckContext, findings: Iterable[Finding], results: Iterable[CheckResult]) -> list[Finding]:
    up = ctx.upgrade
    if up is None or up.source is None or not up.target.is_comparable:
        return []
    findings = list(findings)
    status = {r.name: r.status for r in results}
    out = []
    for match in up.catalog.issues_on_path(up.source, up.target):
        severity, exposure, exposing = _exposure(match, findings, status)
        out.append(_finding(ctx, match, severity, exposure, exposing))
    return out


def _exposure(match: IssueMatch, findings: list[Finding], status: dict[str, CheckStatus]) -> tuple[Severity, str, list[Finding]]:
    detector = match.issue.detector
    if not detector or detector not in DETECTORS:
        return Severity.WARN, "exposure cannot be detected from cluster state; check by hand", []
    check, ids = DETECTORS[detector]
    if status.get(check) not in (CheckStatus.PASS, CheckStatus.FAIL):
        return Severity.WARN, f"exposure unknown: check {check} did not run ({status.get(check, 'not run')})", []
    exposing = [f for f in findings if f.id in ids and f.severity > Severity.INFO]
    if exposing:
        return Severity.BLOCK, f"this cluster is exposed ({len(exposing)} finding(s) of {check})", exposing
    return Severity.INFO, f"this cluster is not exposed (check {check} found nothing)", []


def _finding(ctx: CheckContext, match: IssueMatch, severity: Severity, exposure: str, exposing: list[Finding]) -> Finding:
    issue = match.issue
    hops = [f"{a} → {b}" for a, b in match.hops]
    spec = FindingSpec(
        id=issue.finding_id,
        severity=severity,
        title=issue.title,
        why=f"{issue.severity} risk ({issue.category}). {issue.detect}",
        remediation=issue.mitigation,
        references=issue.urls,
    )
    return ctx.finding(
        issue.finding_id,
        f"{issue.title} [{issue.severity}] on {', '.join(hops)}: {exposure}",
        spec=spec,
        evidence={
            "hops": hops,
            "detector": issue.detector,
            "exposure": exposure,
            "exposingFindings": [{"id": f.id, "resource": str(f.resource or ""), "message": f.message} for f in exposing],
            "fixedIn": str(issue.fixed_in) if issue.fixed_in else None,
            "confidence": issue.evidence.confidence,
        },
        related=tuple(f.resource for f in exposing if f.resource),
    )
