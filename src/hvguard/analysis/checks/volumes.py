"""Longhorn volumes: what they wait for, and their health as Harvester's upgrade webhook sees it."""

from __future__ import annotations

from collections.abc import Iterator

from hvguard.analysis.context import CheckContext
from hvguard.analysis.fields import as_int, condition, dig, name, ref
from hvguard.analysis.findings import Finding, ObjectRef
from hvguard.analysis.registry import check
from hvguard.state import kinds as k
from hvguard.state.cluster import Obj

_ACTIVE_STATES = frozenset({"creating", "attaching", "attached"})


@check("volume-backing-image-wait", needs=(k.LH_VOLUMES,), produces=("volume/waiting-for-backing-image",))
def waiting_for_backing_image(ctx: CheckContext) -> Iterator[Finding]:
    """No volume waits for its backing image (condition WaitForBackingImage=True)."""
    for volume in ctx.state.objects(k.LH_VOLUMES):
        cond = condition(volume, "WaitForBackingImage") or {}
        if str(cond.get("status", "")).lower() != "true":
            continue
        image_name = str(dig(volume, "spec", "backingImage", default="") or "")
        related = (ObjectRef("BackingImage", image_name, "longhorn-system", "longhorn.io/v1beta2"),) if image_name else ()
        vms = sorted(ctx.graph.volume_vms.get(name(volume), []))
        yield ctx.finding(
            "volume/waiting-for-backing-image",
            f"volume {name(volume)} waits for backing image {image_name or '?'}"
            + (f" ({cond.get('reason')})" if cond.get("reason") else "")
            + (f"; blocks VM {', '.join(vms)}" if vms else ""),
            resource=ref(volume),
            related=related,
            evidence={"status.conditions[WaitForBackingImage]": cond, "spec.backingImage": image_name,
                      "status.state": dig(volume, "status", "state", default=""), "vms": vms},
        )


@check("volume-health", needs=(k.LH_VOLUMES, k.NODES), produces=("volume/degraded", "volume/faulted", "volume/single-replica"))
def health(ctx: CheckContext) -> Iterator[Finding]:
    """No volume is degraded (clusters of 3+ nodes), faulted, or single-replica (multi-node clusters)."""
    nodes = len(ctx.state.objects(k.NODES))
    for volume in ctx.state.objects(k.LH_VOLUMES):
        robustness = str(dig(volume, "status", "robustness", default="") or "")
        replicas = as_int(dig(volume, "spec", "numberOfReplicas"))
        problem = ("faulted" if robustness == "faulted" else
                   "degraded" if robustness == "degraded" and nodes >= 3 else "")
        single = replicas == 1 and nodes > 1
        if problem or single:  # most volumes are healthy: the evidence is gathered only for the others
            yield from _health_findings(ctx, volume, problem, single, robustness, replicas, nodes)


def _health_findings(ctx: CheckContext, volume: Obj, problem: str, single: bool, robustness: str,
                     replicas: int | None, nodes: int) -> Iterator[Finding]:
    state = str(dig(volume, "status", "state", default="") or "")
    vms = sorted(ctx.graph.volume_vms.get(name(volume), []))
    evidence = {"status.robustness": robustness, "status.state": state, "spec.numberOfReplicas": replicas,
                "vms": vms, "clusterNodes": nodes}
    suffix = f" (VM {', '.join(vms)})" if vms else ""
    if problem:
        yield ctx.finding(f"volume/{problem}", f"volume {name(volume)} is {problem}{suffix}",
                          resource=ref(volume), evidence=evidence)
    if single:
        yield ctx.finding("volume/single-replica",
                          f"volume {name(volume)} has 1 replica ({state or 'unknown state'}){suffix}",
                          resource=ref(volume), evidence=evidence | {"active": state in _ACTIVE_STATES})
