"""Alerts: pure functions of (state before, change, state after) that say what just went wrong.

Each rule looks at one kind of change and raises on the *edge*: the moment a condition becomes true
(a disk map loses disks, ready copies drop, the Longhorn version moves past a stale CRD), never again
while it stays true. That keeps one alert per event without any memory beyond the two states, and
makes every rule testable on hand-made objects without a server. The meaning of each id (title,
why, what to do, references) is data in ``analysis/catalog/watch.yaml``; rules supply only what they
saw. Ids are public API. Log lines are no change of state: ``log_signature`` is a pure function of
the matched line and the alerts raised so far, and its alerts carry their signature's own meaning.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hvguard.analysis import graph
from hvguard.analysis.fields import as_int, condition_true, conditions, dig, mapping, name, ref
from hvguard.analysis.findings import FindingSpec, ObjectRef, Severity, spec
from hvguard.knowledge import crdschema, versions
from hvguard.knowledge.catalog import load_catalog
from hvguard.knowledge.logsigs import ROLE_KINDS
from hvguard.logs.findings import named_ref, spec_for
from hvguard.logs.scan import stamp
from hvguard.state import kinds as k
from hvguard.state.cluster import Obj
from hvguard.watch.podlogs import LogHit
from hvguard.watch.state import (
    BACKING_IMAGE_CRD,
    DELETED,
    MANAGER_CONTAINER,
    MODIFIED,
    Change,
    UpgradeView,
    WatchState,
    crd_version_label,
    desired_disks,
    longhorn_version,
    manager_container,
    ready_disks,
    upgrade_view,
)

LEVELS = {Severity.BLOCK: "critical", Severity.WARN: "warning", Severity.INFO: "info"}
STALLED = "watch/upgrade-stalled"
FINISHED = "watch/upgrade-finished"
LOG_SIGNATURE = "watch/log-signature"
# Restarts that make a crash loop even before the kubelet reports CrashLoopBackOff.
CRASHLOOP_RESTARTS = 3


@dataclass(frozen=True, slots=True)
class Alert:
    id: str
    severity: Severity
    message: str
    objects: tuple[ObjectRef, ...]
    evidence: Mapping[str, Any]  # "before" and "after", plus what the operator needs to act
    at: str  # ISO 8601 UTC, when the watcher saw the change
    meaning: FindingSpec | None = None  # its own meaning (a log alert's is its signature's); else the catalog's

    @property
    def spec(self) -> FindingSpec:
        return self.meaning or spec(self.id)

    @property
    def level(self) -> str:
        """critical / warning / info."""
        return LEVELS[self.severity]

    @property
    def critical(self) -> bool:
        return self.severity is Severity.BLOCK

    def as_dict(self) -> dict[str, Any]:
        meaning = self.spec
        return {
            "type": "alert", "id": self.id, "severity": self.level, "title": meaning.title,
            "message": self.message, "objects": [o.as_dict() for o in self.objects],
            "evidence": dict(self.evidence), "why": meaning.why, "whatToDo": meaning.remediation,
            "references": list(meaning.references), "at": self.at,
        }


@dataclass(frozen=True, slots=True)
class Transition:
    """What a rule sees: the state before, the change, the state after, the alerts raised so far, and
    the ready copies per image in the ``--against`` snapshot (empty without one)."""

    before: WatchState
    change: Change
    after: WatchState
    at: str
    history: Sequence[Alert] = ()
    snapshot_ready: Mapping[str, int] = field(default_factory=dict)


Rule = Callable[[Transition], Iterator[Alert]]
_RULES: list[tuple[str, frozenset[str], Rule]] = []


def rule(alert_id: str, *, on: tuple[k.Kind, ...]) -> Callable[[Rule], Rule]:
    """Register a rule for changes (and SYNCED marks) of the given types."""
    spec(alert_id)  # an id missing from the catalog fails at import, not at 3 a.m.

    def register(fn: Rule) -> Rule:
        _RULES.append((alert_id, frozenset(kind.key for kind in on), fn))
        return fn
    return register


def evaluate(t: Transition) -> list[Alert]:
    """Every alert this transition raises, in rule order."""
    return [alert for _, kinds, fn in _RULES if t.change.kind in kinds for alert in fn(t)]


def _alert(t_at: str, alert_id: str, message: str, objects: Iterable[ObjectRef], before: Any, after: Any,
           severity: Severity | None = None, **evidence: Any) -> Alert:
    return Alert(alert_id, severity if severity is not None else spec(alert_id).severity, message,
                 tuple(objects), {"before": before, "after": after, **evidence}, t_at)


# -- backing images --------------------------------------------------------------------------------


def _image_label(bi: Obj) -> str:
    vm_image = dig(bi, "metadata", "annotations", graph.IMAGE_ID_ANNOTATION, default="")
    return f"{name(bi)} ({vm_image})" if vm_image else name(bi)


def _disk_maps(bi: Obj | None) -> dict[str, Any]:
    """The image's desired-disk fields as stored (None: the field is absent, i.e. pruned or never set)."""
    spec_ = mapping(bi, "spec")
    return {
        "spec.disks": sorted(spec_["disks"] or {}) if "disks" in spec_ else None,
        "spec.diskFileSpecMap": sorted(spec_["diskFileSpecMap"] or {}) if "diskFileSpecMap" in spec_ else None,
        "spec.minNumberOfCopies": as_int(spec_.get("minNumberOfCopies")),
        "desiredDisks": sorted(desired_disks(bi)),
        "readyDisks": sorted(ready_disks(bi)),
    }


def _file_locations(g: graph.Graph, bi: Obj, disks: Iterable[str]) -> list[dict[str, str]]:
    """Node, disk path and file of the image on each disk: ``<diskPath>/backing-images/<name>-<uuid>/backing``,
    the path backing-image-manager writes."""
    uuid = str(dig(bi, "status", "uuid", default="") or "")
    found = []
    for disk_uuid in sorted(disks):
        disk = g.disks.get(disk_uuid)
        path = disk.path.rstrip("/") if disk else ""
        found.append({"diskUUID": disk_uuid, "node": disk.node if disk else "", "diskPath": path,
                      "file": f"{path}/backing-images/{name(bi)}-{uuid}/backing" if path and uuid else ""})
    return found


def _held(g: graph.Graph, bi: Obj) -> set[str]:
    """Disks whose copy is ready by the image's status or by the disk's backing-image manager."""
    image = g.images.get(name(bi))
    return {c.disk.uuid for c in image.copies if c.ready or c.manager_state == "ready"} if image else set()


def _where(files: Sequence[Mapping[str, str]]) -> str:
    return ", ".join(f"{f['node'] or f['diskUUID']}:{f['file'] or '(disk path unknown)'}" for f in files)


def _image_facts(bi: Obj) -> dict[str, Any]:
    return {"sourceType": str(dig(bi, "spec", "sourceType", default="") or ""),
            "uuid": str(dig(bi, "status", "uuid", default="") or ""),
            "vmImage": str(dig(bi, "metadata", "annotations", graph.IMAGE_ID_ANNOTATION, default="") or "")}


@rule("watch/disk-map-emptied", on=(k.BACKING_IMAGES,))
def disk_map_emptied(t: Transition) -> Iterator[Alert]:
    """The desired-disk map lost disks whose copies were ready: the first, silent step of harvester#7958."""
    c = t.change
    if c.type != MODIFIED or c.before is None or c.after is None:
        return
    before_desired, after_desired = desired_disks(c.before), desired_disks(c.after)
    lost = before_desired - after_desired
    ready_before = ready_disks(c.before)
    if not lost & ready_before:
        return
    g = graph.build(t.after.as_cluster_state())
    files = _file_locations(g, c.after, ready_before | _held(g, c.after))
    still_wanted = after_desired & ready_disks(c.after)
    message = (f"backing image {_image_label(c.after)}: disk map lost {len(lost)} of {len(before_desired)} disk(s)"
               f"{', now empty' if not after_desired else ''} while the copies were ready; "
               f"{len(files)} disk(s) still hold the file, copy them off now: {_where(files)}")
    severity = None
    if still_wanted:  # copies remain wanted: this may be Longhorn's normal cleanup of an unused copy
        severity = Severity.WARN
        message += (f" ({len(still_wanted)} ready copy(ies) still wanted; "
                    "this may be Longhorn's cleanup of unused copies)")
    yield _alert(t.at, "watch/disk-map-emptied", message, [ref(c.after)], _disk_maps(c.before), _disk_maps(c.after),
                 severity, lostDisks=sorted(lost), filesStillOnDisk=files, **_image_facts(c.after))


@rule("watch/ready-copies-dropped", on=(k.BACKING_IMAGES,))
def ready_copies_dropped(t: Transition) -> Iterator[Alert]:
    """Fewer ready copies than a moment ago (or than the snapshot): warning, critical at zero."""
    c = t.change
    if c.type not in (MODIFIED, DELETED) or c.before is None:
        return
    before_ready, after_ready = ready_disks(c.before), ready_disks(c.after)
    if len(after_ready) >= len(before_ready):
        return
    lost = _file_locations(graph.build(t.before.as_cluster_state()), c.before, before_ready - after_ready)
    deleted = " (the BackingImage was deleted)" if c.type == DELETED else ""
    message = f"backing image {_image_label(c.before)}: ready copies {len(before_ready)} → {len(after_ready)}{deleted}"
    if not after_ready:
        message += "; no ready copy left, its volumes cannot start a replica"
    message += f"; check whether these files still exist and copy them off: {_where(lost)}"
    facts = _image_facts(c.before)
    yield _alert(t.at, "watch/ready-copies-dropped", message, [ref(c.before)],
                 {"readyCopies": len(before_ready), "readyDisks": sorted(before_ready)},
                 {"readyCopies": len(after_ready), "readyDisks": sorted(after_ready), "deleted": c.type == DELETED},
                 None if not after_ready else Severity.WARN, lostDisks=lost,
                 snapshotReadyCopies=t.snapshot_ready.get(name(c.before)),
                 refetchable=facts["sourceType"] in graph.REFETCHABLE_SOURCES, **facts)


# -- Longhorn version vs the installed CRD ----------------------------------------------------------


@functools.cache
def _target_crd(longhorn: str) -> tuple[str, dict[str, Any]] | None:
    """The BackingImage CRD hvguard ships for this Longhorn version (and which version it is), if any."""
    try:
        version = versions.parse(longhorn)
    except versions.UnknownVersionError:
        return None
    shipped = load_catalog().longhorn_crds(version) if version.is_comparable else None
    if shipped is None or BACKING_IMAGE_CRD not in shipped.crds:
        return None
    return str(shipped.used), shipped.crds[BACKING_IMAGE_CRD]


@dataclass(frozen=True, slots=True)
class CrdLag:
    """The installed BackingImage CRD lacks fields the recorded Longhorn version writes."""

    longhorn: str  # current-longhorn-version
    compared_with: str  # the Longhorn version of the shipped CRD it was compared with
    pruned: tuple[str, ...]


def crd_lag(state: WatchState) -> CrdLag | None:
    """The lag, or None when the CRD declares every field (or settings and CRD are not listed yet)."""
    if not state.is_synced(k.LH_SETTINGS, k.CRDS):
        return None
    installed, longhorn = state.get(k.CRDS, BACKING_IMAGE_CRD), longhorn_version(state)
    target = _target_crd(longhorn) if installed is not None and longhorn else None
    if target is None or installed is None:
        return None
    pruned = tuple(crdschema.fields_pruned_by(installed, target[1]))
    return CrdLag(longhorn, target[0], pruned) if pruned else None


def _migrations(previous: str, current: str, crd: Obj) -> tuple[dict[str, list[str]], bool | None]:
    """Pruned target fields of each migration ``previous`` → ``current`` runs on backing images, and
    whether the new manager writes strictly (None when either version is unknown)."""
    try:
        source, target = versions.parse(previous), versions.parse(current)
    except versions.UnknownVersionError:
        return {}, None
    if not (source.is_comparable and target.is_comparable and source < target):
        return {}, None
    catalog = load_catalog()
    planned = catalog.longhorn_migrations(source, target)
    return ({p.rule.id: p.rule.pruned_targets(crd) for p in planned if p.rule.crd == BACKING_IMAGE_CRD},
            catalog.write_validation.is_strict(target))


@rule("watch/migration-before-crd", on=(k.LH_SETTINGS, k.CRDS))
def migration_before_crd(t: Transition) -> Iterator[Alert]:
    """current-longhorn-version moved past what the installed BackingImage CRD can hold."""
    lag = crd_lag(t.after)
    if lag is None or crd_lag(t.before) is not None:
        return
    longhorn, pruned = lag.longhorn, lag.pruned
    crd = t.after.get(k.CRDS, BACKING_IMAGE_CRD)
    assert crd is not None  # crd_lag found it
    previous = longhorn_version(t.before)
    migrations, strict = _migrations(previous, longhorn, crd)
    images = t.after.objects(k.BACKING_IMAGES)
    at_risk = {name(bi): sorted(ready_disks(bi)) for bi in images if ready_disks(bi)}
    emptied = sorted(name(bi) for bi in images if ready_disks(bi) and not desired_disks(bi))
    installed = crd_version_label(crd) or "unlabelled"
    message = (f"current-longhorn-version is {longhorn} but the installed {BACKING_IMAGE_CRD} CRD ({installed}) "
               f"prunes {', '.join(pruned)}: the migration's writes were dropped; {len(at_risk)} backing image(s) "
               f"hold ready copies whose disk maps are at risk ({len(emptied)} already emptied); "
               "copy <diskPath>/backing-images/ off every node now")
    setting = t.after.get(k.LH_SETTINGS, "current-longhorn-version")
    objects = [ref(crd)] + ([ref(setting)] if setting else [])
    yield _alert(t.at, "watch/migration-before-crd", message, objects,
                 {"current-longhorn-version": previous,
                  "crdVersion": crd_version_label(t.before.get(k.CRDS, BACKING_IMAGE_CRD))},
                 {"current-longhorn-version": longhorn, "crdVersion": crd_version_label(crd)},
                 prunedFields=list(pruned), comparedWithCRDOf=f"Longhorn {lag.compared_with}",
                 migrationFieldsPruned=migrations, strictWrites=strict,
                 readyDisksByImage=at_risk, imagesWithEmptiedDiskMap=emptied)


# -- longhorn-manager pods -------------------------------------------------------------------------


def _restarts(pod: Obj | None) -> int:
    return as_int(manager_container(pod).get("restartCount")) or 0


def _crashlooping(pod: Obj | None) -> bool:
    return bool(dig(manager_container(pod), "state", "waiting", "reason") == "CrashLoopBackOff")


def _container_facts(pod: Obj | None) -> dict[str, Any]:
    state = mapping(manager_container(pod), "state")
    current = next(iter(state), "")  # running | waiting | terminated
    return {"restartCount": _restarts(pod), "state": current,
            "reason": str(dig(state, current, "reason", default="") or "")}


@rule("watch/manager-crashloop", on=(k.PODS,))
def manager_crashloop(t: Transition) -> Iterator[Alert]:
    """A longhorn-manager pod entered CrashLoopBackOff, or its restarts reached the threshold."""
    c = t.change
    if c.after is None or dig(c.after, "metadata", "labels", "app") != MANAGER_CONTAINER:
        return
    restarts = _restarts(c.after)
    restarts_before = _restarts(c.before) if c.before is not None else restarts  # old restarts are not news
    entered = _crashlooping(c.after) and not _crashlooping(c.before)
    if not (entered or restarts_before < CRASHLOOP_RESTARTS <= restarts):
        return
    last = mapping(manager_container(c.after), "lastState", "terminated")
    detail = str(last.get("message", "") or "").strip()
    node = str(dig(c.after, "spec", "nodeName", default="") or "")
    message = (f"longhorn-manager pod {name(c.after)} on node {node or '?'} is crash-looping: {restarts} restarts"
               + (f", last exit {last.get('reason', '?')} (code {last.get('exitCode', '?')})" if last else "")
               + (f": {detail.splitlines()[0][:200]}" if detail else ""))
    termination = {key: last.get(key) for key in ("reason", "exitCode", "finishedAt")} | {"message": detail[:2000]}
    yield _alert(t.at, "watch/manager-crashloop", message, [ref(c.after)],
                 _container_facts(c.before) if c.before is not None else None, _container_facts(c.after),
                 node=node, image=str(manager_container(c.after).get("image", "") or ""),
                 lastTermination=termination if last else None)


# -- volumes ---------------------------------------------------------------------------------------


@rule("watch/volume-waiting-for-backing-image", on=(k.LH_VOLUMES,))
def volume_waiting(t: Transition) -> Iterator[Alert]:
    """A volume started waiting for its backing image (WaitForBackingImage=True)."""
    c = t.change
    if c.after is None or not condition_true(c.after, "WaitForBackingImage"):
        return
    if c.before is not None and condition_true(c.before, "WaitForBackingImage"):
        return
    image = str(dig(c.after, "spec", "backingImage", default="") or "")
    bi = t.after.get(k.BACKING_IMAGES, image) if image else None
    ready = len(ready_disks(bi))
    condition = conditions(c.after).get("WaitForBackingImage", {})
    message = (f"volume {name(c.after)} waits for backing image {image or '?'}"
               f" ({condition.get('reason') or 'no reason given'}); the image has {ready} ready copy(ies)"
               + ("" if bi is not None else ", and is not in the cluster"))
    before_condition = conditions(c.before).get("WaitForBackingImage", {}) if c.before is not None else {}
    yield _alert(t.at, "watch/volume-waiting-for-backing-image", message,
                 [ref(c.after)] + ([ref(bi)] if bi is not None else []),
                 {"WaitForBackingImage": before_condition.get("status")},
                 {"WaitForBackingImage": "True", "reason": condition.get("reason", ""),
                  "message": condition.get("message", "")},
                 backingImage=image, imageReadyCopies=ready,
                 volumeState=str(dig(c.after, "status", "state", default="") or ""),
                 robustness=str(dig(c.after, "status", "robustness", default="") or ""))


# -- the upgrade -----------------------------------------------------------------------------------


def _view_facts(view: UpgradeView) -> dict[str, Any]:
    return {"phase": view.phase, "nodes": dict(view.nodes)}


@rule(FINISHED, on=(k.UPGRADES,))
def upgrade_finished(t: Transition) -> Iterator[Alert]:
    """The upgrade reached Succeeded or Failed; the alert carries the watch's summary."""
    c = t.change
    if c.before is None or c.after is None:
        return
    before, after = upgrade_view(c.before), upgrade_view(c.after)
    if before.finished or not after.finished:
        return
    images = t.after.objects(k.BACKING_IMAGES)
    lost = sorted(_image_label(bi) for bi in images if not ready_disks(bi))
    ready_now = {name(bi) for bi in images if ready_disks(bi)}
    lost_since_snapshot = sorted(image for image, ready in t.snapshot_ready.items() if ready and image not in ready_now)
    by_level: dict[str, int] = {}
    for alert in t.history:
        by_level[alert.level] = by_level.get(alert.level, 0) + 1
    outcome = "succeeded" if after.succeeded else "failed"
    message = (f"upgrade {after.ref} to {after.version or '?'} {outcome}; {len(images) - len(lost)}/{len(images)} "
               f"backing images have a ready copy; alerts raised while watching: {by_level.get('critical', 0)} "
               f"critical, {by_level.get('warning', 0)} warning")
    if t.snapshot_ready:
        message += f"; {len(lost_since_snapshot)} image(s) had a ready copy in the snapshot and have none now"
    yield _alert(t.at, FINISHED, message, [ref(c.after)], _view_facts(before), _view_facts(after),
                 None if after.succeeded else Severity.WARN, succeeded=after.succeeded,
                 imagesWithoutReadyCopy=lost, lostSinceSnapshot=lost_since_snapshot, alertsRaised=by_level,
                 criticalAlerts=sorted({a.id for a in t.history if a.critical}))


def upgrade_stalled(view: UpgradeView, idle_seconds: float, since: str, at: str) -> Alert:
    """The upgrade has not moved for ``idle_seconds`` (the loop times this; the alert is pure)."""
    nodes = ", ".join(f"{node}={state or '-'}" for node, state in view.nodes) or "no node status yet"
    message = (f"upgrade {view.ref} has made no progress for {_duration(idle_seconds)}: stuck in phase "
               f"{view.phase} since {since} ({nodes})")
    facts = _view_facts(view)
    upgrade = ObjectRef("Upgrade", view.name, view.namespace, k.UPGRADES.api_version(k.UPGRADES.versions[0]))
    return _alert(at, STALLED, message, [upgrade],
                  facts | {"since": since}, facts | {"idleSeconds": round(idle_seconds)}, stuckInPhase=view.phase)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


# -- longhorn-manager logs -------------------------------------------------------------------------


def log_signature(hit: LogHit, history: Sequence[Alert], at: str) -> list[Alert]:
    """A followed longhorn-manager line matched a live signature: one alert per signature and objects named.

    The pruned-field warning comes once for every BackingImage the migration wrote, and the panic with
    every restart: the first is the news, and the repeats (and the lines a reconnect reads twice) would
    bury it. One id for all signatures, whose own meaning and way out the alert carries (as the finding
    ``log/<signature>`` does), so the signatures stay the one place that says what a line means.
    """
    signature, origin, named = hit.signature, hit.origin, dict(hit.objects)
    if any(a.id == LOG_SIGNATURE and a.evidence["signature"] == signature.id and a.evidence["objects"] == named
           for a in history):
        return []
    logged = stamp(hit.at)
    names = ", ".join(f"{role} {value}" for role, value in hit.objects)
    message = (f"{signature.title}: logged by {origin.pod} on node {origin.node or '?'} at "
               f"{logged or 'an unknown time'}" + (f" ({names})" if names else ""))
    pod = ObjectRef("Pod", origin.pod, origin.namespace, k.PODS.api_version(k.PODS.versions[0]))
    objects = (pod, *(named_ref(role, value) for role, value in hit.objects if role in ROLE_KINDS))
    meaning = spec_for(signature)
    evidence = {"before": None, "after": None,  # a line is an event, not a change of state
                "signature": signature.id, "finding": signature.finding_id, "stage": signature.stage,
                "pod": origin.pod, "container": origin.container, "node": origin.node, "image": origin.image,
                "loggedAt": logged, "line": hit.line, "objects": named,
                "knownVersion": signature.known_for(origin.version)}
    return [Alert(LOG_SIGNATURE, meaning.severity, message, objects, evidence, at, meaning)]


ALERT_IDS: frozenset[str] = frozenset({alert_id for alert_id, _, _ in _RULES} | {STALLED, LOG_SIGNATURE})
