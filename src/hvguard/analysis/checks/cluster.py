"""Cluster-level gates Harvester's upgrade webhook applies: nodes, ManagedCharts, VM backups."""

from __future__ import annotations

from collections.abc import Iterator

from hvguard.analysis.context import CheckContext
from hvguard.analysis.fields import conditions, dig, name, qualified, ref
from hvguard.analysis.findings import Finding
from hvguard.analysis.registry import check
from hvguard.state import kinds as k


@check("nodes-ready", needs=(k.NODES,), produces=("node/not-ready", "node/cordoned"))
def nodes_ready(ctx: CheckContext) -> Iterator[Finding]:
    """Every node is Ready and schedulable."""
    for node in ctx.state.objects(k.NODES):
        ready = conditions(node).get("Ready", {})
        if str(ready.get("status", "")) != "True":
            yield ctx.finding("node/not-ready", f"node {name(node)} is not Ready ({ready.get('reason') or 'no Ready condition'})",
                              resource=ref(node), evidence={"status.conditions[Ready]": ready})
        if dig(node, "spec", "unschedulable"):
            yield ctx.finding("node/cordoned", f"node {name(node)} is cordoned", resource=ref(node),
                              evidence={"spec.unschedulable": True})


@check("managed-charts-ready", needs=(k.MANAGED_CHARTS,), produces=("managed-chart/not-ready",))
def managed_charts_ready(ctx: CheckContext) -> Iterator[Finding]:
    """Every ManagedChart in fleet-local is Ready."""
    for chart in ctx.state.objects(k.MANAGED_CHARTS):
        ready = conditions(chart).get("Ready", {})
        if str(ready.get("status", "")) != "True":
            yield ctx.finding("managed-chart/not-ready",
                              f"ManagedChart {qualified(chart)} is not Ready: {ready.get('message') or ready.get('reason') or 'no Ready condition'}",
                              resource=ref(chart), evidence={"status.conditions[Ready]": ready,
                                                             "spec.paused": bool(dig(chart, "spec", "paused"))})


@check("vm-backups-idle", needs=(k.VM_BACKUPS, k.SCHEDULE_VM_BACKUPS),
       produces=("vm-backup/in-progress", "vm-backup/schedule-active"))
def vm_backups_idle(ctx: CheckContext) -> Iterator[Finding]:
    """No VM backup is being taken and every backup schedule is suspended."""
    for backup in ctx.state.objects(k.VM_BACKUPS):
        ready = dig(backup, "status", "readyToUse")
        error = dig(backup, "status", "error")
        if ready is not True and not error:
            yield ctx.finding("vm-backup/in-progress", f"VM backup {qualified(backup)} is in progress",
                              resource=ref(backup), evidence={"status.readyToUse": ready, "status.error": error})
    for schedule in ctx.state.objects(k.SCHEDULE_VM_BACKUPS):
        if not dig(schedule, "spec", "suspend"):
            yield ctx.finding("vm-backup/schedule-active", f"VM backup schedule {qualified(schedule)} is not suspended",
                              resource=ref(schedule), evidence={"spec.suspend": dig(schedule, "spec", "suspend", default=False),
                                                                "spec.cron": dig(schedule, "spec", "cron", default="")})
