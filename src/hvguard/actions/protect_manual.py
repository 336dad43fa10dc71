"""Steps only a human may take (``automatic=False``): protect reports them and never changes them.

Each answers a preflight finding whose fix is a judgement call on live storage — cancelling an
eviction someone asked for, repairing a degraded or faulted volume, un-pausing or repairing a
ManagedChart, bringing back an image with no ready copy (``hvguard recover``). The step carries the
finding's own remediation, so the plan and the preflight report say the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable

from hvguard.actions.plan import Step
from hvguard.analysis.fields import dig, qualified, ref
from hvguard.analysis.findings import Finding
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState

# Finding id → the action kind of the step that answers it.
HUMAN_ACTIONS = {
    "longhorn/eviction-requested": "cancel-eviction",
    "volume/degraded": "repair-volume",
    "volume/faulted": "repair-volume",
    "managed-chart/not-ready": "repair-managed-chart",
    "backing-image/no-ready-copy": "repair-backing-image",
}
PAUSED_CHART_ACTION = "unpause-managed-chart"


def manual_steps(state: ClusterState, findings: Iterable[Finding]) -> list[Step]:
    steps = [_from_finding(f) for f in findings if f.id in HUMAN_ACTIONS and f.resource is not None]
    steps += _paused_charts(state, {str(s.target) for s in steps})
    return steps


def _from_finding(finding: Finding) -> Step:
    action = HUMAN_ACTIONS[finding.id]
    target = finding.resource
    assert target is not None  # every finding these answer names its object
    return Step(
        id=f"{action}/{finding.id}/{target.kind}/{target.namespace}/{target.name}",
        action=action,
        target=target,
        title=finding.message,
        reason=finding.why,
        finding=finding.id,
        automatic=False,
        notes=(finding.remediation,),
    )


def _paused_charts(state: ClusterState, covered: set[str]) -> list[Step]:
    """Paused ManagedCharts the not-ready finding did not already name (a paused chart can still read Ready)."""
    steps = []
    for chart in state.objects(k.MANAGED_CHARTS):
        target = ref(chart)
        if not dig(chart, "spec", "paused") or str(target) in covered:
            continue
        steps.append(Step(
            id=f"{PAUSED_CHART_ACTION}/{qualified(chart)}",
            action=PAUSED_CHART_ACTION,
            target=target,
            title=f"ManagedChart {qualified(chart)} is paused",
            reason=("Fleet rolls out nothing of a paused chart, so drift (such as a hand-applied CRD) goes unseen, and "
                    "the upgrade's own pause/unpause of the charts then releases everything held back at once"),
            automatic=False,
            notes=(f"find out why it was paused, then: kubectl -n {target.namespace} patch managedcharts.management."
                   f"cattle.io {target.name} --type merge -p '{{\"spec\":{{\"paused\":false}}}}'",),
        ))
    return steps
