"""Longhorn volumes and what they wait for."""

from __future__ import annotations

from collections.abc import Iterator

from hvguard.analysis.context import CheckContext
from hvguard.analysis.fields import conditions, dig, name, ref
from hvguard.analysis.findings import Finding, ObjectRef
from hvguard.analysis.registry import check
from hvguard.state import kinds as k


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
