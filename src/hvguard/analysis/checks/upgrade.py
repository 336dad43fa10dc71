"""Target-aware checks: is the path supported, and do the installed CRDs survive its migrations?"""

from __future__ import annotations

from collections.abc import Iterator

from hvguard.analysis import crd_drift
from hvguard.analysis.context import CheckContext
from hvguard.analysis.findings import Finding, ObjectRef, Severity
from hvguard.analysis.registry import check
from hvguard.analysis.upgrade import Upgrade
from hvguard.state import kinds as k

# Risks a silent prune turns into lost or corrupted data: those block. Others are reported for context.
_DESTRUCTIVE = frozenset({"data-loss", "data-corruption", "cluster-outage"})


def _target(ctx: CheckContext) -> Upgrade:
    assert ctx.upgrade is not None  # needs_target checks run only with a target
    return ctx.upgrade


@check("upgrade-path", needs=(k.HARVESTER_SETTINGS,), needs_target=True,
       produces=("upgrade-path/unsupported", "upgrade-path/unknown-version"))
def upgrade_path(ctx: CheckContext) -> Iterator[Finding]:
    """The path from the running Harvester version to the target is supported."""
    up = _target(ctx)
    setting = ObjectRef("Setting", "server-version", "", "harvesterhci.io/v1beta1")
    evidence = {"settings.harvesterhci.io/server-version.value": up.source_text, "target": str(up.target)}
    if not up.known:
        unknown = []
        if up.source_release is None:
            unknown.append(f"current version {up.source_text or '(unreadable)'}")
        if up.target_release is None:
            unknown.append(f"target {up.target}")
        yield ctx.finding("upgrade-path/unknown-version",
                          f"cannot judge the path: {' and '.join(unknown)} not in hvguard's knowledge",
                          resource=setting, evidence=evidence)
        return
    assert up.source is not None
    if up.catalog.is_supported(up.source, up.target):
        return
    route = up.catalog.route(up.source, up.target)
    route_text = " → ".join(map(str, route)) if route else "none (downgrade or no known route)"
    yield ctx.finding("upgrade-path/unsupported",
                      f"{up.source} → {up.target} is not a supported upgrade; supported route: {route_text}",
                      resource=setting,
                      evidence=evidence | {"route": [str(v) for v in route or ()],
                                           "targetMinUpgradable": str(up.target_release.min_upgradable)
                                           if up.target_release else None})


@check("crd-target-fields", needs=(k.CRDS, k.BACKING_IMAGES, k.LH_SETTINGS, k.HARVESTER_SETTINGS), needs_target=True,
       produces=("crd/prunes-target-fields",))
def crd_target_fields(ctx: CheckContext) -> Iterator[Finding]:
    """The installed CRDs declare every field the upgrade's Longhorn migrations write."""
    up = _target(ctx)
    for drift in crd_drift.drifts(ctx.state, up):
        destructive = drift.migration.risk.severity in _DESTRUCTIVE
        severity = Severity.BLOCK if destructive and not drift.strict else Severity.WARN if destructive else Severity.INFO
        mode = (up.catalog.write_validation.strict_effect if drift.strict else up.catalog.write_validation.lenient_effect)
        carriers = f"; {len(drift.carriers)} object(s) hold data it moves there" if drift.carriers else ""
        yield ctx.finding(
            "crd/prunes-target-fields",
            f"CRD {drift.crd_name} (installed {drift.installed_version or 'unlabelled'}) would prune "
            f"{', '.join(drift.pruned)} written by Longhorn {up.longhorn_target} migration {drift.migration.upgrade_path}"
            + carriers,
            severity=severity,
            resource=ObjectRef("CustomResourceDefinition", drift.crd_name, "", "apiextensions.k8s.io/v1"),
            evidence={
                "installedCRDVersionLabel": drift.installed_version,
                "longhorn": f"{up.longhorn_source} → {up.longhorn_target}",
                "migration": drift.migration.id,
                "prunedFields": list(drift.pruned),
                "allFieldsTargetCRDAdds": crd_drift.all_pruned_fields(ctx.state, up, drift.crd_name),
                "writeValidation": "strict" if drift.strict else "lenient",
                "whatHappens": f"{mode} {drift.migration.risk.effect}",
                "objectsCarryingData": list(drift.carriers),
                "objectsRewritten": drift.objects,
            },
        )


@check("longhorn-eviction", needs=(k.LH_NODES, k.BACKING_IMAGES), produces=("longhorn/eviction-requested",))
def eviction_requested(ctx: CheckContext) -> Iterator[Finding]:
    """No Longhorn node or disk has eviction requested while backing-image status and spec disagree."""
    evicting = sorted({(d.node, d.uuid, d.name) for d in ctx.graph.disks.values() if d.eviction_requested})
    mismatched = {
        image.name: sorted({c.disk.uuid for c in image.copies if c.state and not c.desired})
        for image in ctx.graph.images.values()
    }
    mismatched = {name: disks for name, disks in mismatched.items() if disks}
    if not evicting:
        return
    severity, why_now = _eviction_severity(ctx)
    for node, uuid, disk in evicting:
        yield ctx.finding(
            "longhorn/eviction-requested",
            f"eviction requested on node {node} disk {disk or uuid}{why_now}"
            + (f"; {len(mismatched)} backing image(s) list disks their spec does not" if mismatched else ""),
            severity=severity,
            resource=ObjectRef("Node", node, "longhorn-system", "longhorn.io/v1beta2"),
            evidence={"diskUUID": uuid, "disk": disk, "evictionRequested": True,
                      "backingImagesWithStatusDisksMissingFromSpec": mismatched,
                      "targetLonghorn": str(ctx.upgrade.longhorn_target) if ctx.upgrade else None},
        )


def _eviction_severity(ctx: CheckContext) -> tuple[Severity, str]:
    """Block when the target Longhorn is one the eviction panic (harvester-7717 / longhorn#10464) hits."""
    up = ctx.upgrade
    if up is None or up.longhorn_target is None:
        return Severity.WARN, ""
    issue = up.catalog.issue("harvester-7717")
    if issue.longhorn_to.contains(up.longhorn_target):
        return Severity.BLOCK, f" and the target Longhorn {up.longhorn_target} crash-loops on it"
    return Severity.WARN, ""
