"""The watcher's picture of the cluster: one immutable snapshot per applied change.

Alert rules are pure functions of (state before, change, state after), so a state is never mutated:
``apply`` returns a new one that shares every untouched resource type with the old. Objects are the
plain API dicts the streams deliver, exactly like a ``ClusterState``'s, so the analysis graph can be
built over a snapshot (``as_cluster_state``) when an alert needs disk paths and owners.

With ``--against SNAPSHOT`` the state starts *seeded* with the pre-upgrade record: the first list
of each type is then diffed against the snapshot, so an image that lost its copies before the
watcher started still shows up as a change (3 ready copies then, 0 now).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hvguard.analysis.fields import condition_true, conditions, dig, mapping, name, namespace
from hvguard.analysis.graph import IMAGE_ID_ANNOTATION
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Coverage, Obj, ReadStatus, SourceInfo

Key = tuple[str, str]  # (namespace, name)
ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
SYNCED = "SYNCED"  # a type's list was applied: its objects are now the cluster's, not the snapshot's

BACKING_IMAGE_CRD = "backingimages.longhorn.io"
MANAGER_CONTAINER = "longhorn-manager"
LONGHORN_VERSION_SETTING = "current-longhorn-version"
UPGRADE_STATE_LABEL = "harvesterhci.io/upgradeState"
LATEST_UPGRADE_LABEL = "harvesterhci.io/latestUpgrade"
_FINAL_PHASES = {"Succeeded": True, "Failed": False}


@dataclass(frozen=True, slots=True)
class Change:
    """One step: an object added, modified or deleted, or a type marked synced (``before``/``after`` None)."""

    kind: str  # Kind.key
    type: str
    before: Obj | None
    after: Obj | None

    @property
    def obj(self) -> Obj:
        found = self.after if self.after is not None else self.before
        assert found is not None, "a SYNCED change has no object"
        return found


def _key(obj: Mapping[str, object]) -> Key:
    return namespace(obj), name(obj)


class WatchState:
    """Objects by resource type and (namespace, name), plus which types have been listed live."""

    __slots__ = ("_objects", "synced")

    def __init__(self, objects: Mapping[str, Mapping[Key, Obj]] | None = None,
                 synced: frozenset[str] = frozenset()) -> None:
        self._objects: Mapping[str, Mapping[Key, Obj]] = objects or {}
        self.synced = synced

    @classmethod
    def seeded(cls, baseline: ClusterState, watched: Mapping[k.Kind, Callable[[Obj], bool]]) -> WatchState:
        """A state holding the snapshot's objects of the watched types (and only those a watch would select)."""
        return cls({kind.key: {_key(o): o for o in baseline.objects(kind) if matches(o)}
                    for kind, matches in watched.items()})

    # -- reading ---------------------------------------------------------------------------------

    def objects(self, kind: k.Kind) -> tuple[Obj, ...]:
        return tuple(self._objects.get(kind.key, {}).values())

    def get(self, kind: k.Kind, obj_name: str, obj_namespace: str = "") -> Obj | None:
        if kind.namespaced and not obj_namespace and kind.namespaces:
            obj_namespace = kind.namespaces[0]
        return self._objects.get(kind.key, {}).get((obj_namespace if kind.namespaced else "", obj_name))

    def is_synced(self, *kinds: k.Kind) -> bool:
        return all(kind.key in self.synced for kind in kinds)

    def as_cluster_state(self) -> ClusterState:
        """The same objects as a ``ClusterState`` (for ``analysis.graph``)."""
        objects = {key: tuple(objs.values()) for key, objs in self._objects.items()}
        coverage = {key: Coverage(key, ReadStatus.READ, count=len(objs)) for key, objs in objects.items()}
        return ClusterState(SourceInfo("watch", ""), objects, coverage)

    # -- changing --------------------------------------------------------------------------------

    def change(self, kind: str, event_type: str, obj: Obj) -> Change:
        """The change a watch event makes (an ADDED for an object we already hold is a modification)."""
        before = self._objects.get(kind, {}).get(_key(obj))
        if event_type == DELETED:
            return Change(kind, DELETED, before if before is not None else obj, None)
        return Change(kind, ADDED if before is None else MODIFIED, before, obj)

    def diff(self, kind: str, listed: Iterable[Obj]) -> list[Change]:
        """What a full list changes (a relist after 410, or the first list against the snapshot), then SYNCED."""
        held = self._objects.get(kind, {})
        fresh = {_key(o): o for o in listed}
        changes = [Change(kind, ADDED if key not in held else MODIFIED, held.get(key), obj)
                   for key, obj in fresh.items() if held.get(key) != obj]
        changes += [Change(kind, DELETED, obj, None) for key, obj in held.items() if key not in fresh]
        return [*changes, Change(kind, SYNCED, None, None)]

    def apply(self, change: Change) -> WatchState:
        if change.type == SYNCED:
            return WatchState(self._objects, self.synced | {change.kind})
        objs = dict(self._objects.get(change.kind, {}))
        if change.after is None:
            objs.pop(_key(change.obj), None)
        else:
            objs[_key(change.after)] = change.after
        return WatchState({**self._objects, change.kind: objs}, self.synced)


# -- what the rules and views read off objects -----------------------------------------------------


def desired_disks(bi: Obj | None) -> frozenset[str]:
    """Disks a backing image wants a copy on: ``spec.disks`` (Longhorn <= 1.6) and ``spec.diskFileSpecMap`` (>= 1.7).

    The union, because the (correct) v1.7 migration moves every key from one to the other: the set
    stays the same, while the pruned migration of harvester#7958 empties it.
    """
    return frozenset(mapping(bi, "spec", "disks")) | frozenset(mapping(bi, "spec", "diskFileSpecMap"))


def ready_disks(bi: Obj | None) -> frozenset[str]:
    """Disks whose copy ``status.diskFileStatusMap`` reports ``ready``."""
    return frozenset(disk for disk, status in mapping(bi, "status", "diskFileStatusMap").items()
                     if dig(status, "state") == "ready")


def manager_container(pod: Obj | None) -> dict[str, Any]:
    """The status of a longhorn-manager pod's manager container (the first container's if none is named so)."""
    statuses = [s for s in dig(pod, "status", "containerStatuses", default=[]) or [] if isinstance(s, dict)]
    return next((s for s in statuses if s.get("name") == MANAGER_CONTAINER), statuses[0] if statuses else {})


def longhorn_version(state: WatchState) -> str:
    setting = state.get(k.LH_SETTINGS, LONGHORN_VERSION_SETTING)
    return str(dig(setting, "value", default="") or "")


def crd_version_label(crd: Obj | None) -> str:
    return str(dig(crd, "metadata", "labels", "app.kubernetes.io/version", default="") or "")


# -- the Harvester Upgrade CR ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpgradeView:
    """Where a Harvester ``Upgrade`` is: its phase (the controller's state label) and each node's state."""

    name: str
    namespace: str
    version: str
    phase: str
    finished: bool
    succeeded: bool
    nodes: tuple[tuple[str, str], ...]  # (node, state), sorted by node
    created: str

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def progress(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What counts as progress: the phase or any node's state moving."""
        return self.phase, self.nodes


def upgrade_view(obj: Obj) -> UpgradeView:
    completed = conditions(obj).get("Completed", {})
    label = str(dig(obj, "metadata", "labels", UPGRADE_STATE_LABEL, default="") or "")
    status = str(completed.get("status", ""))
    if label in _FINAL_PHASES:
        finished, succeeded = True, _FINAL_PHASES[label]
    else:  # no final state label (yet): the Completed condition, which the controller sets at the end
        finished, succeeded = status in ("True", "False"), status == "True"
    phase = label or ("Succeeded" if finished and succeeded else "Failed" if finished else "Upgrading")
    nodes = tuple(sorted((node, str(dig(entry, "state", default="") or "")) for node, entry
                         in mapping(obj, "status", "nodeStatuses").items()))
    return UpgradeView(name(obj), namespace(obj), str(dig(obj, "spec", "version", default="") or ""), phase,
                       finished, succeeded, nodes, str(dig(obj, "metadata", "creationTimestamp", default="") or ""))


@dataclass(frozen=True, slots=True)
class PhaseChange:
    """The upgrade's phase or a node's state moved (or the watcher saw the upgrade for the first time)."""

    upgrade: UpgradeView
    previous: UpgradeView | None
    at: str

    def as_dict(self) -> dict[str, Any]:
        return {"type": "phase", "upgrade": self.upgrade.ref, "version": self.upgrade.version,
                "phase": self.upgrade.phase, "previous": self.previous.phase if self.previous else None,
                "nodes": dict(self.upgrade.nodes), "finished": self.upgrade.finished,
                "succeeded": self.upgrade.succeeded, "at": self.at}


def phase_change(change: Change, at: str) -> PhaseChange | None:
    if change.kind != k.UPGRADES.key or change.after is None:
        return None
    after = upgrade_view(change.after)
    before = upgrade_view(change.before) if change.before is not None else None
    if before is not None and before.progress == after.progress:
        return None
    return PhaseChange(after, before, at)


def latest_upgrade(state: WatchState) -> UpgradeView | None:
    """The upgrade the controller marks latest, else the newest one."""
    views = [(dig(o, "metadata", "labels", LATEST_UPGRADE_LABEL) == "true", upgrade_view(o))
             for o in state.objects(k.UPGRADES)]
    return max(views, key=lambda v: (v[0], v[1].created, v[1].name))[1] if views else None


# -- the overview the terminal view and the metrics show -------------------------------------------


@dataclass(frozen=True, slots=True)
class ImageRow:
    name: str
    vm_image: str
    source_type: str
    ready: int
    desired: int
    snapshot_ready: int | None  # ready copies in the --against snapshot (None: no snapshot, or not in it)


@dataclass(frozen=True, slots=True)
class Overview:
    upgrade: UpgradeView | None
    longhorn_version: str
    crd_version: str
    images: tuple[ImageRow, ...]
    waiting_volumes: tuple[str, ...]
    syncing: tuple[str, ...]  # watched types not listed live yet (their objects may still be the snapshot's)

    @property
    def images_ready(self) -> int:
        return sum(1 for row in self.images if row.ready)


def overview(state: WatchState, watched: Iterable[k.Kind], snapshot_ready: Mapping[str, int]) -> Overview:
    images = tuple(sorted(
        (ImageRow(name(bi), str(dig(bi, "metadata", "annotations", IMAGE_ID_ANNOTATION, default="") or ""),
                  str(dig(bi, "spec", "sourceType", default="") or ""), len(ready_disks(bi)), len(desired_disks(bi)),
                  snapshot_ready.get(name(bi)))
         for bi in state.objects(k.BACKING_IMAGES)),
        key=lambda row: (row.ready > 0, row.name)))
    waiting = tuple(sorted(name(v) for v in state.objects(k.LH_VOLUMES) if condition_true(v, "WaitForBackingImage")))
    return Overview(latest_upgrade(state), longhorn_version(state),
                    crd_version_label(state.get(k.CRDS, BACKING_IMAGE_CRD)), images, waiting,
                    tuple(kind.key for kind in watched if not state.is_synced(kind)))
