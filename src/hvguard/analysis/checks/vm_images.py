"""Harvester VirtualMachineImages and the BackingImages that store them."""

from __future__ import annotations

from collections.abc import Iterator

from hvguard.analysis.context import CheckContext
from hvguard.analysis.fields import condition_true, dig, ref
from hvguard.analysis.findings import Finding
from hvguard.analysis.registry import check
from hvguard.state import kinds as k


@check("vm-image-backing-image", needs=(k.VM_IMAGES, k.BACKING_IMAGES), produces=("vm-image/backing-image-missing",))
def backing_image_exists(ctx: CheckContext) -> Iterator[Finding]:
    """Every VM image has its BackingImage."""
    for vmi in ctx.state.objects(k.VM_IMAGES):
        key = f"{dig(vmi, 'metadata', 'namespace')}/{dig(vmi, 'metadata', 'name')}"
        if ctx.graph.vm_image_to_backing_image.get(key):
            continue
        tried = [f"{dig(vmi, 'metadata', 'namespace')}-{dig(vmi, 'metadata', 'name')}",
                 f"vmi-{dig(vmi, 'metadata', 'uid', default='')}"]
        yield ctx.finding(
            "vm-image/backing-image-missing",
            f"VM image {key} ({dig(vmi, 'spec', 'displayName', default='')}) has no BackingImage",
            resource=ref(vmi),
            evidence={"backingImageNamesTried": tried,
                      "status.conditions[Imported]": condition_true(vmi, "Imported"),
                      "spec.sourceType": dig(vmi, "spec", "sourceType", default="")},
        )
