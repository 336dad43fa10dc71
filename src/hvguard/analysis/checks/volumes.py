"""Longhorn volumes: what they wait for, and their health as Harvester's upgrade webhook sees it."""

from __future__ import annotations

from collections.abc import Iterator

from hvguard.analysis.context import CheckContext
from hvguard.analysis.fields import as_int, conditions, dig, name, ref
from hvguard.analysis.findings import Finding, ObjectRef
from hvguard.analysis.registry import check
from hvguard.state import kinds as k

_ACTIVE_STATES = frozenset({"creating", "attaching", "attached"})


@check("volume-backing-image-wait", needs=(k.LH_VOLUMES,), produces=("volume/waiting-for-backing-image",))
def waiting_for_backing_image(ctx: CheckContext) -> Iterator[Finding]:
    """No volume waits for its backing image (condition WaitForBackingImage=True)."""
    for volume in ctx.state.objects(k.LH_VOLUMES):
        cond = conditions(volume).get("WaitForBackingImage", {})
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
        state = str(dig(volume, "status", "state", default="") or "")
        replicas = as_int(dig(volume, "spec", "numberOfReplicas"))
        vms = sorted(ctx.graph.volume_vms.get(name(volume), []))
        evidence = {"status.robustness": robustness, "status.state": state, "spec.numberOfReplicas": replicas,
                    "vms": vms, "clusterNodes": nodes}
        suffix = f" (VM {', '.join(vms)})" if vms else ""
        if robustness == "faulted":
            yield ctx.finding("volume/faulted", f"volume {name(volume)} is faulted{suffix}",
                              resource=ref(volume), evidence=evidence)
        elif robustness == "degraded" and nodes >= 3:
            yield ctx.finding("volume/degraded", f"volume {name(volume)} is degraded{suffix}",
                              resource=ref(volume), evidence=evidence)
        if replicas == 1 and nodes > 1:
            yield ctx.finding("volume/single-replica",
                              f"volume {name(volume)} has 1 replica ({state or 'unknown state'}){suffix}",
                              resource=ref(volume), evidence=evidence | {"active": state in _ACTIVE_STATES})
