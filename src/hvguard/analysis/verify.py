"""``verify``: what an upgrade did, found by comparing the cluster now with the snapshot taken before it.

Every comparison is a pure function of the two states and their graphs. They live in their own
registry (``COMPARISONS``), not among the preflight checks: they need a baseline, and the runner runs
them only when it is given one, reporting each as a check of its own so JUnit and the report list
them and the verdict is still computed in one place. Backing images are matched by name and each
one's fate (kept, degraded, recovering, lost, missing) is decided once, in ``compare``, so the
findings about an image's VMs, volumes and VM image agree with the finding about the image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hvguard.analysis import facts
from hvguard.analysis import graph as g
from hvguard.analysis.context import CheckContext
from hvguard.analysis.fields import as_int, condition_true, conditions, dig, mapping, name, qualified, ref
from hvguard.analysis.findings import Finding, ObjectRef
from hvguard.analysis.registry import Registry, check
from hvguard.knowledge import versions
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Obj

COMPARISONS = Registry()

# Copy states of a file being fetched again (by the data source, or synced from a ready copy).
FETCHING_STATES = frozenset({"pending", "starting", "in-progress", "ready-for-transfer"})
BACKING_IMAGE_CRD = "backingimages.longhorn.io"
# Longhorn settings Harvester's upgrade changes while it runs, saving the original value in the Upgrade's
# "harvesterhci.io/<setting>" annotation and restoring it in its cleanup (harvester
# pkg/controller/master/upgrade/upgrade_controller.go): setting → the value it holds during the upgrade.
UPGRADE_TEMPORARY_SETTINGS = {"replica-replenishment-wait-interval": "1800",
                              "auto-cleanup-system-generated-snapshot": "false"}
UPGRADE_ANNOTATION_PREFIX = "harvesterhci.io/"
LATEST_UPGRADE_LABEL = "harvesterhci.io/latestUpgrade"
UPGRADE_STATE_LABEL = "harvesterhci.io/upgradeState"
_ABSENT = "(absent)"
_UNKNOWABLE = ("whether the file still exists on a disk: the v1.7.2 controller deletes the old (v1.6.2) "
               "BackingImageManagers without removing their files, so they may sit orphaned on the nodes; "
               "only a look at the paths in lookForFilesAt tells")

_IMAGE_INPUTS = (k.BACKING_IMAGES, k.BACKING_IMAGE_MANAGERS, k.LH_NODES, k.LH_VOLUMES, k.PVS, k.PVCS, k.VMS,
                 k.VM_IMAGES)


class Fate(StrEnum):
    """What the upgrade did to one backing image."""

    KEPT = "kept"  # at least as many ready copies as before
    DEGRADED = "degraded"  # fewer ready copies than before, at least one
    RECOVERING = "recovering"  # no ready copy, one being fetched again
    LOST = "lost"  # had a ready copy, has none now and nothing is being fetched
    MISSING = "missing"  # the object is gone
    UNUSABLE = "unusable"  # had no ready copy before either (preflight reports it)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One backing image before and after the upgrade."""

    name: str
    fate: Fate
    before: g.ImageNode | None
    after: g.ImageNode | None

    @property
    def known(self) -> g.ImageNode:
        """The newest view of the image (after, or before when it is gone)."""
        image = self.after or self.before
        assert image is not None  # compare() never makes an outcome of neither
        return image

    @property
    def vms(self) -> list[str]:
        return sorted({*(self.before.vms if self.before else ()), *(self.after.vms if self.after else ())})

    @property
    def volumes(self) -> list[str]:
        return sorted({*(self.before.volumes if self.before else ()), *(self.after.volumes if self.after else ())})

    @property
    def blocks(self) -> bool:
        """Volumes of this image cannot start now."""
        return self.after is None or not self.after.ready_copies

    def label(self) -> str:
        """``name (vm image)`` for messages."""
        vm_image = self.known.vm_image
        return f"{self.name} ({vm_image})" if vm_image else self.name


@dataclass(frozen=True, slots=True)
class Comparison:
    """The baseline and every backing image's outcome, computed once per run."""

    before: ClusterState
    before_graph: g.Graph
    outcomes: Mapping[str, Outcome]


@dataclass(frozen=True, slots=True)
class VerifyContext(CheckContext):
    """A check context that also carries the pre-upgrade side of the comparison."""

    comparison: Comparison = field(kw_only=True)

    @property
    def before(self) -> ClusterState:
        return self.comparison.before


def compare(before: ClusterState, after: g.Graph) -> Comparison:
    """Match the baseline's backing images with the current ones and decide each one's fate."""
    before_graph = g.build(before)
    outcomes = {}
    for image_name in sorted(set(before_graph.images) | set(after.images)):
        was, now = before_graph.images.get(image_name), after.images.get(image_name)
        outcomes[image_name] = Outcome(image_name, _fate(was, now), was, now)
    return Comparison(before, before_graph, outcomes)


def _fate(before: g.ImageNode | None, after: g.ImageNode | None) -> Fate:
    if after is None:
        return Fate.MISSING
    ready_now = len(after.ready_copies)
    ready_before = len(before.ready_copies) if before else 0
    if not ready_now:
        if any(copy.state in FETCHING_STATES for copy in after.copies):
            return Fate.RECOVERING
        return Fate.LOST if ready_before else Fate.UNUSABLE
    return Fate.DEGRADED if ready_now < ready_before else Fate.KEPT


VerifyFn = Callable[[VerifyContext], Iterable[Finding]]


def comparison(name: str, *, needs: tuple[k.Kind, ...], produces: tuple[str, ...]) -> Callable[[VerifyFn], VerifyFn]:
    """Register a comparison in ``COMPARISONS``; ``needs`` must be readable in both states."""

    def register(func: VerifyFn) -> VerifyFn:
        def run(ctx: CheckContext) -> Iterable[Finding]:
            assert isinstance(ctx, VerifyContext), "comparisons run only with a baseline"
            return func(ctx)

        run.__doc__ = func.__doc__
        check(name, needs=needs, produces=produces, registry=COMPARISONS)(run)
        return func

    return register


# -- backing images ----------------------------------------------------------------------------------


@comparison("verify-backing-images", needs=_IMAGE_INPUTS + (k.BACKING_IMAGE_DATA_SOURCES, k.LH_REPLICAS),
            produces=("verify/backing-image-lost", "verify/backing-image-recovering",
                      "verify/backing-image-degraded", "verify/backing-image-missing"))
def backing_images(ctx: VerifyContext) -> Iterator[Finding]:
    """Every backing image kept its ready copies through the upgrade."""
    for outcome in ctx.comparison.outcomes.values():
        if outcome.fate is Fate.LOST:
            yield _lost(ctx, outcome)
        elif outcome.fate is Fate.RECOVERING:
            yield _recovering(ctx, outcome)
        elif outcome.fate is Fate.DEGRADED:
            yield _degraded(ctx, outcome)
        elif outcome.fate is Fate.MISSING:
            yield _missing(ctx, outcome)


def _lost(ctx: VerifyContext, outcome: Outcome) -> Finding:
    before, after = outcome.before, outcome.after
    assert before is not None and after is not None
    spec_emptied = not after.desired_disks
    status_emptied = not mapping(after.obj, "status", "diskFileStatusMap")
    listing = [c for c in after.copies if c.manager and c.manager_state not in g.FAILED_STATES]
    shows = _loss_text(spec_emptied, status_emptied, listing)
    files = _look_for_files(ctx, outcome)
    nodes = sorted({f["node"] for f in files if f["node"]})
    return ctx.finding(
        "verify/backing-image-lost",
        f"{outcome.label()}: {_copies(len(before.ready_copies))} before the upgrade, none now; {shows}; "
        f"takes down {_vms_text(outcome.vms)}"
        + (f"; look for orphaned files on {', '.join(nodes)}" if nodes else ""),
        resource=ref(after.obj),
        evidence={
            "stateShows": shows,
            "vms": outcome.vms,
            "volumes": outcome.volumes,
            "dataLoss": not listing,
            "metadataLoss": {"specEmptied": spec_emptied, "statusEmptied": status_emptied},
            "managersListingFile": [{"manager": c.manager, "node": c.disk.node, "diskUUID": c.disk.uuid,
                                     "state": c.manager_state} for c in listing],
            "notKnowableFromAPI": _UNKNOWABLE,
            "lookForFilesAt": files,
            "logTrail": ctx.log_trail(outcome.name),
            "dataSource": _data_source(ctx.state, after),
            "rebuildable": {"possible": after.rebuildable[0], "how": after.rebuildable[1]},
            "before": _image_evidence(before),
            "after": _image_evidence(after) | {"spec.minNumberOfCopies": dig(after.obj, "spec", "minNumberOfCopies",
                                                                             default=_ABSENT)},
        },
    )


def _loss_text(spec_emptied: bool, status_emptied: bool, listing: list[g.Copy]) -> str:
    """Which loss the API shows: emptied metadata, and whether any manager still lists the file."""
    emptied = [part for part, gone in (("spec", spec_emptied), ("status", status_emptied)) if gone]
    metadata = f"metadata loss ({' and '.join(emptied)} emptied)" if emptied else "every copy failed"
    if listing:
        held = ", ".join(f"{c.manager} on {c.disk.node or '?'} ({c.manager_state})" for c in listing)
        return f"{metadata}, but the file is still listed by {held}"
    return f"{metadata} and data loss as far as the API shows (no BackingImageManager lists the file)"


def _recovering(ctx: VerifyContext, outcome: Outcome) -> Finding:
    after = outcome.after
    assert after is not None
    fetching = [c for c in after.copies if c.state in FETCHING_STATES]
    best = max(fetching, key=lambda c: c.progress or 0)
    return ctx.finding(
        "verify/backing-image-recovering",
        f"{outcome.label()}: no ready copy; being fetched again from {_source_text(after)}: "
        f"{best.state} {best.progress or 0}% on {best.disk.node or '?'} disk {best.disk.uuid}; "
        f"{_vms_text(outcome.vms)} wait for it",
        resource=ref(after.obj),
        evidence={
            "vms": outcome.vms,
            "volumes": outcome.volumes,
            "expectedChecksum": after.checksum,
            "progress": {c.disk.uuid: {"node": c.disk.node, "state": c.state, "progress": c.progress,
                                       "message": c.message} for c in fetching},
            "dataSource": _data_source(ctx.state, after),
            "before": _image_evidence(outcome.before) if outcome.before else None,
            "after": _image_evidence(after),
        },
    )


def _degraded(ctx: VerifyContext, outcome: Outcome) -> Finding:
    before, after = outcome.before, outcome.after
    assert before is not None and after is not None
    ready_now = {c.disk.uuid for c in after.ready_copies}
    states_now = {c.disk.uuid: c.state for c in after.copies}
    gone = [{"node": c.disk.node, "diskUUID": c.disk.uuid, "stateNow": states_now.get(c.disk.uuid) or "(no copy)"}
            for c in before.ready_copies if c.disk.uuid not in ready_now]
    return ctx.finding(
        "verify/backing-image-degraded",
        f"{outcome.label()}: {_copies(len(after.ready_copies))} now, {len(before.ready_copies)} before the upgrade; "
        "no longer ready on "
        + ", ".join(f"{c['node'] or '?'} ({c['stateNow']})" for c in gone),
        resource=ref(after.obj),
        evidence={"copiesNoLongerReady": gone, "vms": outcome.vms, "before": _image_evidence(before),
                  "after": _image_evidence(after)},
    )


def _missing(ctx: VerifyContext, outcome: Outcome) -> Finding:
    before = outcome.before
    assert before is not None
    return ctx.finding(
        "verify/backing-image-missing",
        f"{outcome.label()}: the BackingImage is gone ({_copies(len(before.ready_copies))} before the upgrade); "
        f"takes down {_vms_text(outcome.vms)}",
        resource=ref(before.obj),
        evidence={"vms": outcome.vms, "volumes": outcome.volumes, "lookForFilesAt": _look_for_files(ctx, outcome),
                  "notKnowableFromAPI": _UNKNOWABLE, "before": _image_evidence(before), "after": None},
    )


@comparison("verify-backing-image-checksums", needs=(k.BACKING_IMAGES,), produces=("verify/checksum-changed",))
def checksums(ctx: VerifyContext) -> Iterator[Finding]:
    """No backing image's checksum changed in the upgrade."""
    for outcome in ctx.comparison.outcomes.values():
        before, after = outcome.before, outcome.after
        if before and after and before.checksum and after.checksum and before.checksum != after.checksum:
            yield ctx.finding(
                "verify/checksum-changed",
                f"{outcome.label()}: status.checksum changed in the upgrade; {_vms_text(outcome.vms)} were built on "
                "the old file",
                resource=ref(after.obj),
                evidence={"status.checksum": _before_after(before.checksum, after.checksum),
                          "status.uuid": _before_after(before.uuid, after.uuid),
                          "spec.checksum": _before_after(before.spec_checksum, after.spec_checksum),
                          "vms": outcome.vms},
            )


def _image_evidence(image: g.ImageNode) -> dict[str, Any]:
    return {"readyCopies": len(image.ready_copies), f"spec.{image.shape}": list(image.desired_disks),
            "status.uuid": image.uuid, "status.checksum": image.checksum, "copies": g.copies_by_disk(image)}


def _look_for_files(ctx: VerifyContext, outcome: Outcome) -> list[dict[str, str]]:
    """Where the image's file was: ready copies in the snapshot, and the disks replicas of its volumes use.

    A replica can only run with the file on its own disk, so each of those disks held a copy at some
    point. The directory is ``<name>-<uuid>`` with the UUID the file was written under (the snapshot's).
    """
    image = outcome.before or outcome.known
    places: dict[str, tuple[str, str, str]] = {}  # disk UUID → (node, disk path, why)
    for copy in image.ready_copies:
        places[copy.disk.uuid] = (copy.disk.node, copy.disk.path, "ready copy in the snapshot")
    for state in (ctx.before, ctx.state):
        for replica in state.objects(k.LH_REPLICAS):
            if dig(replica, "spec", "backingImage") == outcome.name:
                disk = str(dig(replica, "spec", "diskID", default="") or "")
                places.setdefault(disk, (str(dig(replica, "spec", "nodeID", default="") or ""),
                                         str(dig(replica, "spec", "diskPath", default="") or ""),
                                         f"disk of replica {name(replica)}"))
    folder = f"backing-images/{outcome.name}-{image.uuid}"
    return [{"node": node, "diskUUID": disk, "path": f"{path.rstrip('/')}/{folder}/backing", "why": why}
            for disk, (node, path, why) in sorted(places.items()) if path]


def _data_source(state: ClusterState, image: g.ImageNode) -> dict[str, Any] | None:
    bids = state.get(k.BACKING_IMAGE_DATA_SOURCES, image.name, image.namespace)
    if bids is None:
        return None
    return {"spec.sourceType": dig(bids, "spec", "sourceType", default=""),
            "spec.fileTransferred": dig(bids, "spec", "fileTransferred"),
            "spec.nodeID": dig(bids, "spec", "nodeID", default=""),
            "spec.diskUUID": dig(bids, "spec", "diskUUID", default=""),
            "status.currentState": dig(bids, "status", "currentState", default=""),
            "status.progress": dig(bids, "status", "progress"),
            "status.message": dig(bids, "status", "message", default="")}


def _source_text(image: g.ImageNode) -> str:
    params = image.source_parameters
    where = params.get("url") or params.get("backup-url") or ""
    return f"{image.source_type} {where}".strip() or "its data source"


def _vms_text(vms: list[str]) -> str:
    return f"VM {', '.join(vms)}" if vms else "no VM"


def _copies(count: int) -> str:
    return f"{count} ready cop{'y' if count == 1 else 'ies'}"


def _before_after(before: Any, after: Any) -> dict[str, Any]:
    return {"before": before, "after": after}


# -- the migration -------------------------------------------------------------------------------------


@comparison("verify-migration", needs=(k.BACKING_IMAGES, k.LH_SETTINGS, k.CRDS),
            produces=("verify/pruned-migration",))
def pruned_migration(ctx: VerifyContext) -> Iterator[Finding]:
    """No backing image carries the fingerprint of the pruned Longhorn v1.6→v1.7 migration (on Longhorn 1.7.x)."""
    longhorn = facts.longhorn_version(ctx.state)
    if _series(longhorn) != (1, 7):
        return  # before 1.7 the migration has not run; 1.8's migration sets minNumberOfCopies and erases the mark
    hit = [image for image in ctx.graph.images.values() if _fingerprinted(image.obj)]
    if not hit:
        return
    still_ready = [image.name for image in hit if image.ready_copies]
    before_images = ctx.comparison.before_graph.images
    yield ctx.finding(
        "verify/pruned-migration",
        f"{len(hit)} of {len(ctx.graph.images)} backing image(s) carry the fingerprint of the pruned v1.6→v1.7 "
        f"migration (Longhorn {facts.longhorn_version(ctx.before) or '?'} → {longhorn}): "
        + ", ".join(image.name for image in hit)
        + (f"; {len(still_ready)} still list ready copies: act before they are deleted" if still_ready
           else "; none has a ready copy left"),
        resource=ObjectRef("CustomResourceDefinition", BACKING_IMAGE_CRD, "", "apiextensions.k8s.io/v1"),
        related=tuple(ref(image.obj) for image in hit),
        evidence={
            "imagesStillListingReadyCopies": still_ready,
            "longhorn": _before_after(facts.longhorn_version(ctx.before) or None, longhorn),
            "backingImageCRD": _before_after(_crd_version(ctx.before), _crd_version(ctx.state)),
            "images": {image.name: {
                "vmImage": image.vm_image or None,
                "spec.disks": mapping(image.obj, "spec", "disks"),
                "spec.diskFileSpecMap": dig(image.obj, "spec", "diskFileSpecMap", default=_ABSENT),
                "spec.minNumberOfCopies": dig(image.obj, "spec", "minNumberOfCopies", default=_ABSENT),
                "readyCopiesNow": len(image.ready_copies),
                "disksBefore": list(before_images[image.name].desired_disks) if image.name in before_images else [],
            } for image in hit},
        },
    )


def _fingerprinted(bi: Obj) -> bool:
    """spec.disks empty, spec.diskFileSpecMap absent or empty, spec.minNumberOfCopies absent or 0 (domain §7.2)."""
    spec = mapping(bi, "spec")
    return not mapping(spec, "disks") and not mapping(spec, "diskFileSpecMap") and not as_int(
        spec.get("minNumberOfCopies"))


def _series(text: str) -> tuple[int, int] | None:
    try:
        return versions.parse(text).series if text else None
    except versions.UnknownVersionError:
        return None


def _crd_version(state: ClusterState) -> str | None:
    """The installed BackingImage CRD's ``app.kubernetes.io/version`` label (None when absent)."""
    label = dig(state.get(k.CRDS, BACKING_IMAGE_CRD), "metadata", "labels", "app.kubernetes.io/version")
    return str(label) if label else None


# -- consumers -------------------------------------------------------------------------------------------


@comparison("verify-vm-images", needs=_IMAGE_INPUTS, produces=("verify/vm-image-stale",))
def vm_images(ctx: VerifyContext) -> Iterator[Finding]:
    """No VM image reports Imported=True while its backing image is lost."""
    before_map = ctx.comparison.before_graph.vm_image_to_backing_image
    for vmi in ctx.state.objects(k.VM_IMAGES):
        key = qualified(vmi)
        image_name = ctx.graph.vm_image_to_backing_image.get(key) or before_map.get(key, "")
        outcome = ctx.comparison.outcomes.get(image_name)
        if outcome is None or outcome.fate not in (Fate.LOST, Fate.MISSING) or not condition_true(vmi, "Imported"):
            continue
        yield ctx.finding(
            "verify/vm-image-stale",
            f"VM image {key} ({dig(vmi, 'spec', 'displayName', default='')}) still reports Imported=True, but its "
            f"backing image {image_name} is {outcome.fate}: the UI shows it Active",
            resource=ref(vmi),
            related=(ref(outcome.known.obj),),
            evidence={"status.conditions[Imported]": conditions(vmi).get("Imported", {}),
                      "backingImage": image_name, "backingImageFate": outcome.fate.value, "vms": outcome.vms},
        )


@comparison("verify-volumes", needs=_IMAGE_INPUTS, produces=("verify/volume-blocked",))
def volumes(ctx: VerifyContext) -> Iterator[Finding]:
    """No volume started waiting for its backing image in the upgrade."""
    for volume in ctx.state.objects(k.LH_VOLUMES):
        if not condition_true(volume, "WaitForBackingImage"):
            continue
        was = ctx.before.get(k.LH_VOLUMES, name(volume), dig(volume, "metadata", "namespace", default=""))
        if was is not None and condition_true(was, "WaitForBackingImage"):
            continue  # waited before the upgrade too: preflight's volume/waiting-for-backing-image reports it
        image_name = str(dig(volume, "spec", "backingImage", default="") or "")
        outcome = ctx.comparison.outcomes.get(image_name)
        fate = outcome.fate.value if outcome else "unknown"
        vms = sorted(ctx.graph.volume_vms.get(name(volume), []))
        yield ctx.finding(
            "verify/volume-blocked",
            f"volume {name(volume)} ({_vms_text(vms)}) waits for backing image {image_name or '?'} ({fate}) "
            "since the upgrade",
            resource=ref(volume),
            related=(ref(outcome.known.obj),) if outcome else (),
            evidence={"backingImage": image_name, "backingImageFate": fate, "vms": vms}
            | _before_after(_volume_evidence(was), _volume_evidence(volume)),
        )


def _volume_evidence(volume: Obj | None) -> dict[str, Any] | None:
    if volume is None:
        return None
    return {"status.state": dig(volume, "status", "state", default=""),
            "status.robustness": dig(volume, "status", "robustness", default=""),
            "status.conditions[WaitForBackingImage]": conditions(volume).get("WaitForBackingImage", {})}


@comparison("verify-vms", needs=_IMAGE_INPUTS + (k.VMIS,), produces=("verify/vm-not-running",))
def vms(ctx: VerifyContext) -> Iterator[Finding]:
    """Every VM that ran before the upgrade runs now."""
    uses: dict[str, list[Outcome]] = {}
    for outcome in ctx.comparison.outcomes.values():
        for user in outcome.vms:
            uses.setdefault(user, []).append(outcome)
    for key, ran in sorted(ctx.comparison.before_graph.vm_running.items()):
        namespace, _, vm_name = key.rpartition("/")
        if not ran or ctx.graph.vm_running.get(key) or namespace in ctx.state.namespaces_not_collected:
            continue  # (a VM in a namespace the current source did not collect is not known to be gone)
        vm = ctx.state.get(k.VMS, vm_name, namespace)
        before_vm = ctx.before.get(k.VMS, vm_name, namespace)
        assert before_vm is not None  # vm_running is keyed by the baseline's VMs
        status = str(dig(vm, "status", "printableStatus", default="") or "not running") if vm else "gone"
        blocking = [o for o in uses.get(key, []) if o.blocks]
        yield ctx.finding(
            "verify/vm-not-running",
            f"VM {key} ran before the upgrade and is {status} now; "
            + (", ".join(f"blocked by backing image {o.label()} ({o.fate})" for o in blocking) if blocking
               else "no backing image blocks it"),
            resource=ref(vm or before_vm),
            related=tuple(ref(o.known.obj) for o in blocking),
            evidence={"status.printableStatus": _before_after(dig(before_vm, "status", "printableStatus"),
                                                              dig(vm, "status", "printableStatus")),
                      "backingImages": {o.name: o.fate.value for o in uses.get(key, [])},
                      "blockedBy": [o.name for o in blocking]},
        )


# -- versions and the upgrade's own changes --------------------------------------------------------------


@comparison("verify-versions", needs=(k.HARVESTER_SETTINGS, k.LH_SETTINGS), produces=("verify/versions",))
def versions_changed(ctx: VerifyContext) -> Iterator[Finding]:
    """Record the Harvester and Longhorn versions before and after."""
    harvester = (facts.harvester_version(ctx.before) or "?", facts.harvester_version(ctx.state) or "?")
    longhorn = (facts.longhorn_version(ctx.before) or "?", facts.longhorn_version(ctx.state) or "?")
    crd = (_crd_version(ctx.before), _crd_version(ctx.state))
    yield ctx.finding(
        "verify/versions",
        f"Harvester {harvester[0]} → {harvester[1]}, Longhorn {longhorn[0]} → {longhorn[1]}"
        + (f" (BackingImage CRD {crd[0] or '?'} → {crd[1] or '?'})" if any(crd) else ""),
        resource=ObjectRef("Setting", "server-version", "", "harvesterhci.io/v1beta1"),
        evidence={"harvester": _before_after(*harvester), "longhorn": _before_after(*longhorn),
                  "backingImageCRD": _before_after(*crd),
                  "kubernetes": _before_after(ctx.before.source.details.get("kubernetes_version"),
                                              ctx.state.source.details.get("kubernetes_version"))},
    )


@comparison("verify-upgrade-cleanup", needs=(k.LH_SETTINGS, k.UPGRADES, k.MANAGED_CHARTS),
            produces=("verify/unexpected-change",))
def upgrade_cleanup(ctx: VerifyContext) -> Iterator[Finding]:
    """The settings and ManagedCharts the upgrade changes while it runs are back as they were."""
    upgrade = _latest_upgrade(ctx.state)
    annotations = mapping(upgrade, "metadata", "annotations") if upgrade else {}
    upgrade_evidence = {"upgrade": qualified(upgrade) if upgrade else None,
                        "upgradeState": dig(upgrade, "metadata", "labels", UPGRADE_STATE_LABEL) if upgrade else None}
    for setting, temporary in UPGRADE_TEMPORARY_SETTINGS.items():
        now = ctx.state.get(k.LH_SETTINGS, setting)
        value = str(dig(now, "value", default="") or "")
        before = facts.longhorn_setting(ctx.before, setting) or None
        saved = annotations.get(UPGRADE_ANNOTATION_PREFIX + setting)
        original = saved or before
        if now is None or value != temporary or not original or original == value:
            continue
        yield ctx.finding(
            "verify/unexpected-change",
            f"Longhorn setting {setting} is still {value}, the value Harvester's upgrade sets while it runs; it was "
            f"{original}" + (f" (Upgrade {upgrade_evidence['upgrade']} is {upgrade_evidence['upgradeState']})"
                             if upgrade else ""),
            resource=ref(now),
            evidence={"value": _before_after(before, value), "savedByUpgrade": saved} | upgrade_evidence,
        )
    for chart in ctx.state.objects(k.MANAGED_CHARTS):
        was = ctx.before.get(k.MANAGED_CHARTS, name(chart), dig(chart, "metadata", "namespace", default=""))
        if dig(chart, "spec", "paused") is True and not (was and dig(was, "spec", "paused") is True):
            yield ctx.finding(
                "verify/unexpected-change",
                f"ManagedChart {qualified(chart)} is paused since the upgrade: Fleet no longer reconciles it",
                resource=ref(chart),
                evidence={"spec.paused": _before_after(dig(was, "spec", "paused", default=False) if was else None,
                                                       True)} | upgrade_evidence,
            )


def _latest_upgrade(state: ClusterState) -> Obj | None:
    """The Upgrade Harvester labels latest, else the newest one."""
    upgrades = sorted(state.objects(k.UPGRADES), key=lambda u: str(dig(u, "metadata", "creationTimestamp", default="")))
    latest = [u for u in upgrades if dig(u, "metadata", "labels", LATEST_UPGRADE_LABEL) == "true"] or upgrades
    return latest[-1] if latest else None
