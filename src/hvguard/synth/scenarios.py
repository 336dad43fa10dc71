"""The demo cluster after its upgrade to Harvester v1.4.0 (Longhorn v1.7.2), three ways it can end.

Each scenario starts from ``demo_cluster()`` and follows one timeline. The demo's bundle (and the
snapshot ``verify`` compares against) is from ``BUNDLE_AT``. The admin then fixes what preflight
reported: ``opensuse-leap-15.5`` is re-downloaded as the Longhorn KB says, and ``win-ad-01``'s volume
gets a second replica (Harvester's upgrade webhook refuses single-replica volumes), which syncs a
second copy of ``windows-2022``. The upgrade starts at ``UPGRADE_STARTED``; the first v1.7.2
longhorn-manager runs the v1.6→v1.7 migration at ``MIGRATED_AT``. The VMs, shut down for the
upgrade, are started again at ``RESTARTED_AT``; those whose image has no ready copy stay Starting.
The post-upgrade bundle is from ``AFTER_AT``.

``after_clean_upgrade``
    The v1.7.2 CRDs were in place: every image's disks moved to ``spec.diskFileSpecMap`` with
    ``minNumberOfCopies: 3``, the default v1.7.2 BackingImageManagers took over every file, all VMs
    run, the upgrade finished and restored ``replica-replenishment-wait-interval``.
``after_pruned_upgrade``
    harvester#7958: the migration wrote under the v1.6.2 CRD, which pruned its new fields. Once the
    v1.7.2 CRD landed, the next spec write stored ``diskFileSpecMap: {}`` (that is what lets the
    v1.7.2 controller act; with the map still absent it waits), and the controller deleted every
    BackingImageManager and emptied every status (domain §2.4). Download images are fetched again:
    ubuntu and openSUSE are in progress, the Debian and CentOS URLs are gone (404). Upload and
    export-from-volume images stay lost (``fileTransferred: true``). The upgrade is stuck upgrading
    nodes, so the wait interval is still 1800.
``after_partial_loss``
    The same pruned migration, caught in time: the admin patched every image's disk map back from
    the snapshot (domain §5 path 4), but ``windows-2022``'s files were already deleted.

Pods keep the demo's; the demo's logs are dropped (they describe the pre-upgrade components).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from hvguard.synth import builders as b
from hvguard.synth import crds, ids
from hvguard.synth.builders.longhorn import condition
from hvguard.synth.builders.meta import Obj, name_of, object_meta
from hvguard.synth.demo import demo_cluster
from hvguard.synth.demo_plan import IMAGES, INSTALLED_AT, NODES, VMS, disks, launcher_pod_name, pod_ip
from hvguard.synth.model import SyntheticCluster

FIXED_AT = "2025-03-24T10:12:40Z"
UPGRADE_STARTED = "2025-03-24T13:02:17Z"
MIGRATED_AT = "2025-03-24T13:47:05Z"
RESTARTED_AT = "2025-03-24T15:20:33Z"
AFTER_AT = "2025-03-24T15:58:41Z"

HARVESTER = "v1.4.0"
LONGHORN = "v1.7.2"
KUBERNETES = "v1.29.9+rke2r1"
BACKING_IMAGE_MANAGER_IMAGE = f"longhornio/backing-image-manager:{LONGHORN}"
REPLENISH_SETTING = "replica-replenishment-wait-interval"
UPGRADE_NAME = f"hvst-upgrade-{ids.suffix(5, 'upgrade', HARVESTER)}"
LOST_IN_PARTIAL = "windows-2022"
DEAD_URLS = ("debian-12-old", "centos-stream-8")  # re-downloads fail: the URLs now answer 404
# Re-downloads in progress in the pruned scenario: VM image → percent done.
REFETCHING = {"ubuntu-22.04": 45, "opensuse-leap-15.5": 12}
LAB_GUEST_IP = "10.20.0.35"  # lab-opensuse had never booted in the demo, so its plan has no address


def after_clean_upgrade() -> SyntheticCluster:
    """The upgrade as it should go: correct migration, every copy kept, every VM back."""
    edit = _prepared(completed=True)
    for bi in edit.all("BackingImage"):
        _respec(bi, bi["spec"]["disks"], min_copies=3, secret_fields=True)
    return edit.finish("Post-upgrade check after upgrading to v1.4.0")


def after_pruned_upgrade() -> SyntheticCluster:
    """harvester#7958 in full: every image's spec pruned, its files' records gone (see the module docstring)."""
    edit = _prepared(completed=False)
    for bi in edit.all("BackingImage"):
        edit.lose(bi)
    for vm_image, percent in REFETCHING.items():
        edit.refetch(vm_image, state="in-progress", progress=percent, message="")
    for vm_image in DEAD_URLS:
        url = edit.image(vm_image)["spec"]["sourceParameters"]["url"]
        edit.refetch(vm_image, state="failed", progress=0,
                     message=f"failed to download the file from {url}: the server responded 404 Not Found")
    return edit.finish("VMs do not start after upgrading to v1.4.0")


def after_partial_loss() -> SyntheticCluster:
    """The pruned migration, repaired by hand for every image but ``windows-2022``."""
    edit = _prepared(completed=True)
    for bi in edit.all("BackingImage"):
        if bi["metadata"]["annotations"]["harvesterhci.io/imageId"] == f"default/{LOST_IN_PARTIAL}":
            edit.lose(bi)
        else:  # the admin's patch: the disks back, minNumberOfCopies set; secret fields stay pruned
            _respec(bi, bi["spec"]["disks"], min_copies=3, secret_fields=False)
    return edit.finish("windows-2022 lost after upgrading to v1.4.0")


def _prepared(*, completed: bool) -> _Edit:
    """The demo with the admin's fixes and the platform upgraded; backing images still in the v1.6 shape."""
    edit = _Edit()
    edit.add_replica("win-ad-01", "n1")
    edit.redownload("opensuse-leap-15.5")
    edit.upgrade_platform(completed=completed)
    return edit


def _respec(bi: Obj, disk_uuids: Iterable[str], *, min_copies: int | None, secret_fields: bool) -> None:
    """Rewrite the spec in Longhorn 1.7's shape: ``disk_uuids`` in diskFileSpecMap, spec.disks emptied.

    Left out fields are absent, as the API server stores a pruned write.
    """
    spec = bi["spec"]
    new: Obj = {"checksum": spec["checksum"],
                "diskFileSpecMap": {uuid: {"evictionRequested": False} for uuid in disk_uuids}, "disks": {}}
    if min_copies is not None:
        new["minNumberOfCopies"] = min_copies
    if secret_fields:
        new |= {"secret": "", "secretNamespace": ""}
    bi["spec"] = new | {"sourceParameters": spec["sourceParameters"], "sourceType": spec["sourceType"]}
    bi["metadata"]["generation"] += 1


def _file(at: str, state: str = "ready", progress: int = 100, message: str = "") -> Obj:
    """One ``status.diskFileStatusMap`` entry."""
    return {"lastStateTransitionTime": at, "message": message, "progress": progress, "state": state}


class _Edit:
    """The demo cluster being turned into a post-upgrade one, object by object."""

    def __init__(self) -> None:
        self.cluster = demo_cluster()
        self.disks = disks()
        self.by_uuid = {disk.uuid: disk for disk in self.disks.values()}
        self.completed = False

    # -- lookup ----------------------------------------------------------------------------------

    def all(self, kind: str) -> list[Obj]:
        return [o for o in self.cluster.objects if o["kind"] == kind]

    def find(self, kind: str, name: str, namespace: str | None = None) -> Obj:
        return next(o for o in self.all(kind)
                    if name_of(o) == name and (namespace is None or o["metadata"].get("namespace") == namespace))

    def image(self, vm_image: str) -> Obj:
        """The BackingImage of a VM image of the plan (by Harvester's ``imageId`` annotation)."""
        return next(bi for bi in self.all("BackingImage")
                    if bi["metadata"]["annotations"]["harvesterhci.io/imageId"] == f"default/{vm_image}")

    def replace(self, obj: Obj) -> None:
        """Put ``obj`` in place of the object of the same type, namespace and name (or add it)."""
        objects = self.cluster.objects
        index = next((i for i, o in enumerate(objects) if _identity(o) == _identity(obj)), len(objects))
        objects[index:index + 1] = [obj]

    # -- before the upgrade: the admin's fixes -----------------------------------------------------

    def add_replica(self, vm_name: str, disk_key: str) -> None:
        """Raise the VM's volume to one more replica on ``disk_key``; the image's file syncs there."""
        plan = next(vm for vm in VMS if vm.name == vm_name)
        volume = self._volume_of(vm_name, plan.namespace)
        disk = self.disks[disk_key]
        volume["spec"]["numberOfReplicas"] += 1
        self.replace(b.replica(volume, disk, created=FIXED_AT, running=True, ip=pod_ip(disk.node, 30),
                               port=self._free_port(disk.node), healthy_at=ids.shifted(FIXED_AT, minutes=3)))
        bi = self.image(plan.image)
        bi["spec"]["disks"][disk.uuid] = ""
        bi["status"]["diskFileStatusMap"][disk.uuid] = _file(ids.shifted(FIXED_AT, minutes=2))

    def redownload(self, vm_image: str) -> None:
        """The KB fix: clear the disk map, delete the data source; Longhorn downloads the image again."""
        bi = self.image(vm_image)
        first = next(plan for plan in IMAGES if plan.name == vm_image).first_disk
        at = ids.shifted(FIXED_AT, minutes=6)
        bi["status"]["diskFileStatusMap"] = {uuid: _file(at) for uuid in bi["spec"]["disks"]}
        self.replace(b.backing_image_data_source(bi, self.disks[first], created=FIXED_AT))

    # -- the upgrade -------------------------------------------------------------------------------

    def upgrade_platform(self, *, completed: bool) -> None:
        """Versions, CRDs, charts and the Upgrade as Harvester's upgrade leaves them."""
        self.completed = completed
        self.find("Setting", "server-version").update(default=HARVESTER, value=HARVESTER)
        for setting, value in (("current-longhorn-version", LONGHORN),
                               ("default-backing-image-manager-image", BACKING_IMAGE_MANAGER_IMAGE),
                               ("default-engine-image", f"longhornio/longhorn-engine:{LONGHORN}"),
                               ("default-instance-manager-image", f"longhornio/longhorn-instance-manager:{LONGHORN}")):
            self.find("Setting", setting, "longhorn-system")["value"] = value
        # Raised when the node upgrades begin, restored from the Upgrade's annotation at the end.
        self.replace(b.setting(REPLENISH_SETTING, "600" if completed else "1800", created=INSTALLED_AT,
                               product="longhorn"))
        self.replace(_upgrade(completed))
        for volume in self.all("Volume"):  # fields the v1.7.2 CRD no longer declares, gone at the first write
            del volume["spec"]["offlineReplicaRebuilding"], volume["status"]["offlineReplicaRebuildingRequired"]
        for chart in self.all("ManagedChart"):
            chart["spec"]["version"] = HARVESTER.removeprefix("v")
            chart["metadata"]["generation"] += 1
            chart["status"]["observedGeneration"] = chart["metadata"]["generation"]
        if completed:
            for node in self.all("Node"):
                if node["apiVersion"] == "v1":
                    node["status"]["nodeInfo"] |= {"kubeletVersion": KUBERNETES, "osImage": f"Harvester {HARVESTER}"}
        self._install_crds()

    def _install_crds(self) -> None:
        shipped = [(manifest, "harvester") for manifest in crds.manifests(f"longhorn-{LONGHORN}").values()]
        shipped.append((crds.manifests(f"harvester-{HARVESTER}")["virtualmachineimages.harvesterhci.io"],
                        "harvester-crd"))
        installed = {name_of(crd): crd for crd in self.cluster.crds}
        for manifest, release in shipped:
            name = manifest["metadata"]["name"]
            installed[name] = b.crd(manifest, created=INSTALLED_AT, release=release,
                                    generation=installed[name]["metadata"]["generation"] + 1)
        self.cluster.crds = sorted(installed.values(), key=name_of)

    def lose(self, bi: Obj) -> None:
        """The pruned migration, then the v1.7.2 controller: spec pruned, records of every file gone."""
        _respec(bi, (), min_copies=None, secret_fields=False)
        bi["status"] |= {"diskFileStatusMap": {}, "diskLastRefAtMap": {}}

    def refetch(self, vm_image: str, *, state: str, progress: int, message: str) -> None:
        """A download image's data source fetching it again, as the controller does once every copy is gone."""
        bi = self.image(vm_image)
        disk = self.disks[next(plan for plan in IMAGES if plan.name == vm_image).first_disk]
        since = ids.shifted(MIGRATED_AT, minutes=5)
        running = state != "failed"
        bids = self.find("BackingImageDataSource", name_of(bi))
        bids["spec"] |= {"diskPath": disk.path, "diskUUID": disk.uuid, "fileTransferred": False, "nodeID": disk.node}
        bids["status"] |= {"checksum": "", "currentState": state, "ip": pod_ip(disk.node, 60) if running else "",
                           "message": message, "ownerID": disk.node, "progress": progress,
                           "storageIP": pod_ip(disk.node, 60) if running else ""}
        bi["status"]["diskFileStatusMap"] = {disk.uuid: _file(since, state, progress, message)}

    # -- after the upgrade ---------------------------------------------------------------------------

    def finish(self, description: str) -> SyntheticCluster:
        self._managers()
        for plan in VMS:
            files = self.image(plan.image)["status"]["diskFileStatusMap"].values()
            self._start(plan.name, running=any(entry["state"] == "ready" for entry in files))
        return dataclasses.replace(
            self.cluster, logs={}, created_at=AFTER_AT, bundle_name=f"bundle-{ids.suffix(5, 'bundle', AFTER_AT)}",
            issue_description=description,
            kubernetes_version=KUBERNETES if self.completed else self.cluster.kubernetes_version)

    def _managers(self) -> None:
        """Default (v1.7.2) managers hold every file the images' status lists; the v1.6.2 ones are gone.

        A file a data source is still preparing is the data source's, not a manager's. A manager with
        no file left is deleted by Longhorn, so none is made for such a disk.
        """
        self.cluster.objects = [o for o in self.cluster.objects if o["kind"] != "BackingImageManager"]
        preparing = {(name_of(s), s["spec"]["diskUUID"]) for s in self.all("BackingImageDataSource")
                     if not s["spec"]["fileTransferred"]}
        images = self.all("BackingImage")
        for key, disk in self.disks.items():
            files = [(bi, b.DiskFile(e["lastStateTransitionTime"], e["state"], e["progress"], e["message"]))
                     for bi in images for uuid, e in bi["status"]["diskFileStatusMap"].items()
                     if uuid == disk.uuid and (name_of(bi), uuid) not in preparing]
            if files:
                self.cluster.objects.append(b.backing_image_manager(
                    disk, created=ids.shifted(MIGRATED_AT, seconds=40), ip=pod_ip(disk.node, 41 + (key == "n2-ssd")),
                    files=files, image=BACKING_IMAGE_MANAGER_IMAGE))

    def _start(self, vm_name: str, *, running: bool) -> None:
        """Start the VM again: it runs, or (no ready copy of its image) stays Starting, its volume waiting."""
        plan = next(vm for vm in VMS if vm.name == vm_name)
        plan = dataclasses.replace(plan, started=RESTARTED_AT, status="Running" if running else "Starting",
                                   guest_ip=plan.guest_ip or LAB_GUEST_IP)
        volume = self._volume_of(vm_name, plan.namespace)
        claim = self.find("PersistentVolumeClaim", volume["status"]["kubernetesStatus"]["pvcName"], plan.namespace)
        vm = b.virtual_machine(plan.name, plan.namespace, claim, created=plan.created, since=RESTARTED_AT,
                               cores=plan.cores, memory_mib=plan.memory_mib, os=plan.os, status=plan.status)
        launcher = launcher_pod_name(plan)
        self.replace(vm)
        self.replace(b.vmi(vm, claim, created=RESTARTED_AT, node=NODES[plan.node][0], scheduled=running,
                           ip=plan.guest_ip, pod_uid=ids.uid("Pod", plan.namespace, launcher)))
        status = volume["status"]
        status |= {"currentNodeID": volume["spec"]["nodeID"] if running else "", "remountRequestedAt": RESTARTED_AT,
                   "robustness": "healthy" if running else "unknown", "state": "attached" if running else "attaching",
                   "kubernetesStatus": b.kubernetes_status(claim, pods=[(launcher, "Running" if running else "Pending",
                                                                         plan.name)])}
        status["conditions"] = [c for c in status["conditions"] if c["type"] != "WaitForBackingImage"] + [
            condition("WaitForBackingImage", "False", RESTARTED_AT) if running
            else condition("WaitForBackingImage", "True", RESTARTED_AT, reason="Waiting")]
        for replica in [r for r in self.all("Replica") if r["spec"]["volumeName"] == name_of(volume)]:
            disk = self.by_uuid[replica["spec"]["diskID"]]
            port = replica["status"]["port"] or self._free_port(disk.node)
            self.replace(b.replica(volume, disk, created=replica["metadata"]["creationTimestamp"], running=running,
                                   ip=pod_ip(disk.node, 30), port=port, waiting_for_backing_image=not running,
                                   healthy_at=RESTARTED_AT if running else replica["spec"]["healthyAt"]))

    def _volume_of(self, vm_name: str, namespace: str) -> Obj:
        """The Longhorn volume of the VM's boot disk (its PVC's claim is in the volume's status)."""
        def of_vm(volume: Obj) -> bool:
            status = volume["status"]["kubernetesStatus"]
            workloads = status["workloadsStatus"] or ()
            return status["namespace"] == namespace and any(w["workloadName"] == vm_name for w in workloads)

        return next(v for v in self.all("Volume") if of_vm(v))

    def _free_port(self, node: str) -> int:
        """The next replica port on ``node`` (instance managers hand them out 15 apart)."""
        used = [r["status"]["port"] for r in self.all("Replica") if r["spec"]["nodeID"] == node]
        return max(used, default=10000 - 15) + 15


def _identity(obj: Obj) -> tuple[str, str, str | None, str]:
    return obj["apiVersion"], obj["kind"], obj["metadata"].get("namespace"), name_of(obj)


def _upgrade(completed: bool) -> Obj:
    """The Harvester Upgrade: finished, or stuck upgrading nodes; it keeps the replenish interval it raised."""
    state = "Succeeded" if completed else "UpgradingNodes"
    done = ("ImageReady", "RepoReady", "NodesPrepared", "SystemServicesUpgraded")
    conditions: list[dict[str, Any]] = [{"status": "True", "type": t, "lastUpdateTime": UPGRADE_STARTED} for t in done]
    conditions += [{"status": "True" if completed else "Unknown", "type": t, "lastUpdateTime": RESTARTED_AT}
                   for t in ("NodesUpgraded", "Completed")]
    return {
        "apiVersion": "harvesterhci.io/v1beta1",
        "kind": "Upgrade",
        "metadata": object_meta("Upgrade", UPGRADE_NAME, "harvester-system", created=UPGRADE_STARTED, generation=1,
                                generate_name="hvst-upgrade-",
                                labels={"harvesterhci.io/latestUpgrade": "true", "harvesterhci.io/upgradeState": state},
                                annotations={f"harvesterhci.io/{REPLENISH_SETTING}": "600"}),
        "spec": {"image": "", "logEnabled": False, "version": HARVESTER},
        "status": {"conditions": conditions, "imageID": f"harvester-system/{UPGRADE_NAME}",
                   "previousVersion": "v1.3.2"},
    }
