"""The log trail of a harvester#7958 upgrade: what Longhorn v1.7.2 logs and records when it prunes.

Given a cluster before its upgrade (BackingImages in the Longhorn 1.6 shape, their managers and
replicas), ``pruned_migration_trail`` writes what the new longhorn-manager pods log, and the Events
they record, when the v1.6.x -> v1.7.0 migration runs against the v1.6.2 BackingImage CRD (domain
§2.3-2.5), in time order:

* ``migrated_at``: the upgrade leader walks the v1.6.x -> v1.7.0 path and client-go logs one
  unknown-field warning per pruned field and image; the other managers name the leader;
* before ``crd_applied_at`` (if the CRD lands two minutes or more later): replicas find their images
  without a disk map;
* at ``crd_applied_at``: the old backing-image managers are deleted (their files orphaned), the
  default managers that took the files over delete them disk by disk, then are deleted as unused.
  This is the worst case of §2.4: which disks really lose their file depends on controller ordering;
* five minutes later (backing-image-recovery-wait-interval): download images are fetched again, the
  others are given up ("doesn't support restarting");
* then the replicas of every image ask for a file and wait.

Messages, callers and logrus fields are those of longhorn-manager v1.7.2 (each signature in
``knowledge/data/log_signatures.yaml`` names its source). ``with_trail`` puts a trail into a cluster.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from hvguard.synth import ids
from hvguard.synth.builders import backing_image_manager_name, object_meta, owner_reference, pod
from hvguard.synth.builders.longhorn import API_VERSION, LONGHORN_NS
from hvguard.synth.builders.meta import Obj, name_of
from hvguard.synth.logs import ContainerLog, logrus_line
from hvguard.synth.model import SyntheticCluster

LONGHORN = "v1.7.2"
MANAGER_IMAGE = f"longhornio/longhorn-manager:{LONGHORN}"
BACKING_IMAGE_MANAGER_IMAGE = f"longhornio/backing-image-manager:{LONGHORN}"
# The BackingImage spec fields Longhorn 1.7 added, in the order the API server reports them pruned.
PRUNED_FIELDS = ("diskFileSpecMap", "diskSelector", "minNumberOfCopies", "nodeSelector", "secret", "secretNamespace")
RECOVERY_WAIT = 300  # backing-image-recovery-wait-interval, seconds
EVENT_TTL = timedelta(hours=1)  # kube-apiserver --event-ttl default: older events are gone
_REPLACED_PODS = ("longhorn-manager-", "backing-image-manager-")
_BI_CONTROLLER = "longhorn-backing-image-controller"
_BIM_CONTROLLER = "longhorn-backing-image-manager-controller"
_REPLICA_FUNC = "controller.(*ReplicaController).GetBackingImagePathForReplicaStarting"


@dataclass(frozen=True, slots=True)
class LogTrail:
    """The longhorn-manager pods that wrote the logs, their logs (path under ``logs/`` -> text), the Events."""

    pods: tuple[Obj, ...]
    logs: Mapping[str, str]
    events: tuple[Obj, ...]


def pruned_migration_trail(cluster: SyntheticCluster, *, migrated_at: str, crd_applied_at: str | None = None,
                           observed_at: str | None = None) -> LogTrail:
    """The trail of ``cluster``'s images (see the module docstring); times are RFC 3339 to the second.

    ``crd_applied_at`` defaults to three minutes after the migration. ``observed_at`` (when a bundle or
    a live read sees the trail, default: a minute after its last line) drops Events older than the
    API server keeps them.
    """
    trail = _Trail(cluster, migrated_at)
    applied = crd_applied_at or ids.shifted(migrated_at, minutes=3)
    trail.migration()
    if ids.parse_time(applied) - ids.parse_time(migrated_at) >= timedelta(minutes=2):
        trail.window(ids.shifted(migrated_at, seconds=60))
    trail.deletions(applied)
    trail.recovery(ids.shifted(applied, seconds=RECOVERY_WAIT + 2))
    last = trail.waiting(ids.shifted(applied, seconds=RECOVERY_WAIT + 90))
    cutoff = ids.parse_time(observed_at or ids.shifted(last, minutes=1)) - EVENT_TTL
    events = tuple(e for e in trail.events if ids.parse_time(e["lastTimestamp"]) >= cutoff)
    return LogTrail(tuple(trail.pods), {log.path: log.text for log in trail.logs.values()}, events)


def with_trail(cluster: SyntheticCluster, trail: LogTrail) -> SyntheticCluster:
    """``cluster`` after the trail: its longhorn-manager and backing-image-manager pods (and their logs)
    replaced by the trail's managers (the backing-image managers were deleted), the Events added."""

    def replaced(namespace: str, name: str) -> bool:
        return namespace == LONGHORN_NS and name.startswith(_REPLACED_PODS)

    objects = [o for o in cluster.objects
               if not (o["kind"] == "Pod" and replaced(o["metadata"].get("namespace", ""), name_of(o)))]
    logs = {path: text for path, text in cluster.logs.items() if not replaced(*path.split("/")[:2])}
    return dataclasses.replace(cluster, objects=[*objects, *trail.pods, *trail.events], logs={**logs, **trail.logs})


class _Trail:
    """Builds the trail phase by phase; each phase starts after the previous one, so logs stay in order."""

    def __init__(self, cluster: SyntheticCluster, migrated_at: str) -> None:
        self.migrated_at = migrated_at
        self.images = sorted(_of(cluster, "BackingImage"), key=name_of)
        self.managers = sorted(_of(cluster, "BackingImageManager"),
                               key=lambda m: (m["spec"]["nodeID"], m["spec"]["diskUUID"]))
        self.replicas = sorted((r for r in _of(cluster, "Replica") if r["spec"].get("backingImage")), key=name_of)
        nodes = sorted((o for o in cluster.objects if o["kind"] == "Node" and o["apiVersion"] == "v1"), key=name_of)
        self.leader = name_of(nodes[0])
        self.pods: list[Obj] = []
        self.logs: dict[str, ContainerLog] = {}
        self.events: list[Obj] = []
        for index, node in enumerate(nodes):
            manager_pod = _manager_pod(node, ids.shifted(migrated_at, seconds=-30 + 5 * index))
            self.pods.append(manager_pod)
            self.logs[name_of(node)] = ContainerLog(f"{LONGHORN_NS}/{name_of(manager_pod)}/longhorn-manager.log")

    # -- phases ----------------------------------------------------------------------------------

    def migration(self) -> None:
        """The leader runs the walk; every write of a BackingImage gets one warning per pruned field."""
        at = self.migrated_at
        for node in self.logs:
            if node != self.leader:
                self._info(node, ids.shifted(at, seconds=-1), f"New upgrade leader elected: {self.leader}",
                           "upgrade.upgrade.func3", "upgrade.go:155")
        self._info(self.leader, ids.shifted(at, seconds=-1), "Start upgrading", "upgrade.upgrade.func1",
                   "upgrade.go:140")
        for path, line in (("v1.6.x to v1.7.0", 267), ("v1.7.0 to v1.7.1", 273)):
            self._info(self.leader, at, f"Walking through the resource upgrade path {path}",
                       "upgrade.doResourceUpgrade", f"upgrade.go:{line}")
        write_at = ids.shifted(at, seconds=1)
        for _ in self.images:
            for field in PRUNED_FIELDS:
                self.logs[self.leader].add(write_at, _klog_warning(write_at, f'unknown field "spec.{field}"'))
        done = ids.shifted(at, seconds=2)
        self._info(self.leader, done, "Walking through the resource status upgrade path v1.6.x to v1.7.0",
                   "upgrade.doResourceUpgrade", "upgrade.go:299")
        self._info(self.leader, done, "Finish upgrading", "upgrade.upgrade.func1.1", "upgrade.go:137")

    def window(self, at: str) -> None:
        """Replicas that start while the old CRD is still in place find their image without a disk map."""
        for replica in self.replicas:
            owner, image = replica["status"]["ownerID"], replica["spec"]["backingImage"]
            self._log(owner, at, "warning", f"The requested backing image {image} has not started disk file handling",
                      _REPLICA_FUNC, "replica_controller.go:419", _replica_fields(replica, owner))

    def deletions(self, applied: str) -> None:
        """Old managers deleted; the default managers delete every file, then are deleted themselves."""
        first = self.images[0]
        owner = first["status"]["ownerID"]
        at = ids.shifted(applied, seconds=2)
        for manager in self.managers:
            fields = {"backingImageManager": name_of(manager), "backingImageName": name_of(first),
                      "controller": "longhorn-backing-image", "node": owner}
            self._log(owner, at, "info", "Deleting old/non-default backing image manager",
                      "controller.(*BackingImageController).cleanupBackingImageManagers",
                      "backing_image_controller.go:457", fields)
            where = f"in disk {manager['spec']['diskUUID']} on node {manager['spec']['nodeID']}"
            self._record(owner, at, first, "BackingImage", _BI_CONTROLLER,
                         f"deleted old/non-default backing image manager {name_of(manager)} {where}")
        at = ids.shifted(applied, seconds=4)
        for manager in self.managers:
            node, disk = manager["spec"]["nodeID"], manager["spec"]["diskUUID"]
            default = _default_manager(manager)
            fields = {"backingImageManager": name_of(default), "controller": "longhorn-backing-image-manager",
                      "diskUUID": disk, "node": node, "nodeID": node}
            for image, uuid in sorted(manager["spec"]["backingImages"].items()):
                self._log(node, at, "info", f"Deleting the file for invalid backing image {image}, in backing image "
                          f"manager spec UUID , backing image correct UUID {uuid}",
                          "controller.(*BackingImageManagerController).deleteInvalidBackingImages",
                          "backing_image_manager_controller.go:642", fields)
                self._record(node, at, default, "BackingImageManager", _BIM_CONTROLLER,
                             f"Deleted backing image {image} in disk {disk} on node {node}")
        at = ids.shifted(applied, seconds=6)
        last = self.images[-1]
        for manager in self.managers:
            node, disk = manager["spec"]["nodeID"], manager["spec"]["diskUUID"]
            default = _default_manager(manager)
            self._record(last["status"]["ownerID"], at, last, "BackingImage", _BI_CONTROLLER,
                         f"deleting unused backing image manager {name_of(default)} in disk {disk} on node {node}")
            self._log(node, at, "info", "Deleting all backing image files during cleanup",
                      "controller.(*BackingImageManagerController).cleanupBackingImageManager",
                      "backing_image_manager_controller.go:354",
                      {"backingImageManager": name_of(default), "controller": "longhorn-backing-image-manager",
                       "diskUUID": disk, "node": node, "nodeID": node})

    def recovery(self, at: str) -> None:
        """All files unavailable past the wait interval: re-download, or give up (logged on every resync)."""
        for resync in range(3):
            when = ids.shifted(at, seconds=30 * resync)
            for image in self.images:
                owner, source = image["status"]["ownerID"], image["spec"]["sourceType"]
                fields = {"backingImageName": name_of(image), "controller": "longhorn-backing-image", "node": owner}
                if source == "download" and not resync:
                    self._log(owner, when, "info", "Preparing to re-download backing image via data source since all "
                              "existing files become unavailable",
                              "controller.(*BackingImageController).handleBackingImageDataSource",
                              "backing_image_controller.go:650", fields)
                elif source != "download":
                    self._log(owner, when, "warning", "Failed to recover backing image after all existing files "
                              f"becoming unavailable, since the data source with type {source} doesn't support "
                              "restarting", "controller.(*BackingImageController).handleBackingImageDataSource",
                              "backing_image_controller.go:656", fields)

    def waiting(self, at: str) -> str:
        """Each replica puts its disk back into the image's map, then waits for a file; returns the last time."""
        for replica in self.replicas:
            owner, spec = replica["status"]["ownerID"], replica["spec"]
            self._log(owner, at, "info", f"Asking backing image {spec['backingImage']} to download file to node "
                      f"{spec['nodeID']} disk {spec['diskID']}", _REPLICA_FUNC, "replica_controller.go:431",
                      _replica_fields(replica, owner))
        when = at
        for resync in range(1, 4):
            when = ids.shifted(at, seconds=30 * resync)
            for replica in self.replicas:
                owner, spec = replica["status"]["ownerID"], replica["spec"]
                self._log(owner, when, "info", f"Waiting for backing image {spec['backingImage']} to download file to "
                          f"node {spec['nodeID']} disk {spec['diskID']}, the current state is ", _REPLICA_FUNC,
                          "replica_controller.go:442", _replica_fields(replica, owner))
        return when

    # -- lines and events ------------------------------------------------------------------------

    def _info(self, node: str, at: str, msg: str, func: str, file: str) -> None:
        """A line of the upgrade code, which logs through the global logger (no fields)."""
        self._log(node, at, "info", msg, func, file, {})

    def _log(self, node: str, at: str, level: str, msg: str, func: str, file: str, fields: Mapping[str, str]) -> None:
        self.logs[node].add(at, logrus_line(at, level, msg, func=func, file=file, fields=fields))

    def _record(self, node: str, at: str, involved: Obj, kind: str, component: str, message: str) -> None:
        """An Event, and its echo in the recording manager's log (client-go record.StartLogging)."""
        meta = involved["metadata"]
        reference = {"kind": kind, "namespace": LONGHORN_NS, "name": meta["name"], "uid": meta["uid"],
                     "apiVersion": API_VERSION, "resourceVersion": meta["resourceVersion"]}
        stamp = int(ids.parse_time(at).timestamp()) * 10**9 + ids.number(0, 10**9, "event", meta["name"], message)
        self.events.append({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": object_meta("Event", f"{meta['name']}.{stamp:x}", LONGHORN_NS, created=at),
            "involvedObject": reference,
            "reason": "Delete",
            "message": message,
            "source": {"component": component},
            "firstTimestamp": at,
            "lastTimestamp": at,
            "count": 1,
            "type": "Normal",
            "eventTime": None,
            "reportingComponent": component,
            "reportingInstance": "",
        })
        go_reference = (f'Kind:"{kind}", Namespace:"{LONGHORN_NS}", Name:"{meta["name"]}", UID:"{meta["uid"]}", '
                        f'APIVersion:"{API_VERSION}", ResourceVersion:"{meta["resourceVersion"]}", FieldPath:""')
        self._info(node, at, f"Event(v1.ObjectReference{{{go_reference}}}): type: 'Normal' reason: 'Delete' {message}",
                   "record.(*eventBroadcasterImpl).StartLogging.func1", "event.go:377")


def _of(cluster: SyntheticCluster, kind: str) -> list[Obj]:
    return [o for o in cluster.objects if o["kind"] == kind and o["metadata"].get("namespace") == LONGHORN_NS]


def _default_manager(old: Obj) -> Obj:
    """The v1.7.2 backing-image manager of the old one's disk, which took over its file records."""
    name = backing_image_manager_name(BACKING_IMAGE_MANAGER_IMAGE, old["spec"]["diskUUID"])
    created = old["metadata"]["creationTimestamp"]
    return {"metadata": object_meta("BackingImageManager", name, LONGHORN_NS, created=created)}


def _replica_fields(replica: Obj, owner: str) -> dict[str, str]:
    return {"controller": "longhorn-replica", "node": owner, "nodeID": replica["spec"]["nodeID"], "ownerID": owner,
            "replica": name_of(replica)}


def _klog_warning(at: str, message: str) -> Callable[[int], str]:
    """A client-go warning as klog writes it (``W0324 13:47:06.123456       1 warnings.go:70] ...``); klog's
    own microseconds are a little before the kubelet's timestamp."""
    moment = ids.parse_time(at)

    def render(nanos: int) -> str:
        return f"W{moment:%m%d %H:%M:%S}.{max(0, nanos // 1000 - 140):06d}       1 warnings.go:70] {message}"

    return render


def _manager_pod(node: Obj, started: str) -> Obj:
    """A v1.7.2 longhorn-manager pod of the DaemonSet on ``node``."""
    name = name_of(node)
    host_ip = next(a["address"] for a in node["status"]["addresses"] if a["type"] == "InternalIP")
    pod_ip = node["spec"]["podCIDR"].rsplit(".", 1)[0] + ".17"
    return pod(f"longhorn-manager-{ids.suffix(5, 'longhorn-manager', name, LONGHORN)}", LONGHORN_NS, created=started,
               node_name=name, host_ip=host_ip, pod_ip=pod_ip, containers=[("longhorn-manager", MANAGER_IMAGE)],
               labels={"app": "longhorn-manager", "controller-revision-hash": ids.hex_id(10, "ds-revision", LONGHORN),
                       "pod-template-generation": "2"},
               owners=[owner_reference("apps/v1", "DaemonSet", "longhorn-manager",
                                       ids.uid("DaemonSet", LONGHORN_NS, "longhorn-manager"))])
