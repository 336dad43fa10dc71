"""Pods of the demo cluster that a bundle has logs for, and those logs.

The logs cover the current container lifetimes only (everything restarted at the March maintenance
reboot), as a real bundle's do: startup lines of longhorn-manager and the backing-image managers,
then what they keep repeating. The only non-routine lines are longhorn-manager's "Waiting for
backing image" messages for the replicas of the already-broken ``opensuse-leap-15.5`` volume.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hvguard.synth import ids
from hvguard.synth.builders import owned_by, owner_reference, pod
from hvguard.synth.builders.kubevirt import LAUNCHER_IMAGE
from hvguard.synth.builders.longhorn import LONGHORN_NS
from hvguard.synth.builders.meta import Obj, name_of
from hvguard.synth.demo_plan import BUNDLE_AT, NODES, NODES_READY_AT, VMPlan, launcher_pod_name, node_index, pod_ip
from hvguard.synth.logs import ContainerLog, logrus_line, virt_launcher_line

LONGHORN_MANAGER_IMAGE = "longhornio/longhorn-manager:v1.6.2"
_CONTROLLERS = (  # (controller, Go type, file and line of its "Starting ..." message, that message)
    ("longhorn-volume", "VolumeController", "volume_controller.go", 187, "Starting Longhorn volume controller"),
    ("longhorn-replica", "ReplicaController", "replica_controller.go", 138, "Starting Longhorn replica controller"),
    ("longhorn-node", "NodeController", "node_controller.go", 285, "Starting Longhorn node controller"),
    ("longhorn-backing-image", "BackingImageController", "backing_image_controller.go", 111,
     "Starting Longhorn Backing Image controller"),
    ("longhorn-backing-image-manager", "BackingImageManagerController", "backing_image_manager_controller.go", 169,
     "Starting Longhorn backing image manager controller"),
)


def _started(node: str) -> str:
    """When longhorn-manager on ``node`` last started (after the node came back)."""
    return ids.shifted(NODES_READY_AT, minutes=4 * node_index(node), seconds=40)


def _manager(node: str, bims: Sequence[Obj], waiting: Sequence[Obj],
             file_states: Mapping[tuple[str, str], str]) -> tuple[Obj, ContainerLog]:
    """A longhorn-manager pod and its log: startup, managers coming up, replicas still waiting.

    ``file_states`` maps (backing image, disk UUID) to the state of that file, for the waiting lines.
    """
    name = f"longhorn-manager-{ids.suffix(5, 'longhorn-manager', node)}"
    started = _started(node)
    log = ContainerLog(f"{LONGHORN_NS}/{name}/longhorn-manager.log")
    at = ids.shifted(started, seconds=4)
    log.add(at, logrus_line(at, "info", f"Listening on {pod_ip(node, 17)}:9500", func="app.startManager",
                            file="daemon.go:234", fields={"node": node}))
    for offset, (controller, go_type, source, line, message) in enumerate(_CONTROLLERS):
        at = ids.shifted(started, seconds=6 + offset)
        log.add(at, logrus_line(at, "info", message, func=f"controller.(*{go_type}).Run", file=f"{source}:{line}",
                                fields={"controller": controller, "node": node}))
    for bim in bims:
        at = ids.shifted(started, seconds=41)
        log.add(at, logrus_line(
            at, "info", "Backing image manager becomes state running",
            func="controller.(*BackingImageManagerController).syncBackingImageManagerPod",
            file="backing_image_manager_controller.go:454",
            fields={"backingImageManager": name_of(bim), "controller": "longhorn-backing-image-manager",
                    "diskUUID": bim["spec"]["diskUUID"], "node": node, "nodeID": node}))
    for seconds_before in (95, 65, 35):
        at = ids.shifted(BUNDLE_AT, seconds=-seconds_before)
        for rep in waiting:
            spec = rep["spec"]
            state = file_states.get((spec["backingImage"], spec["diskID"]), "")
            message = (f"Waiting for backing image {spec['backingImage']} to download file to node {spec['nodeID']} "
                       f"disk {spec['diskID']}, the current state is {state}")
            log.add(at, logrus_line(
                at, "info", message, func="controller.(*ReplicaController).GetBackingImagePathForReplicaStarting",
                file="replica_controller.go:426",
                fields={"controller": "longhorn-replica", "node": node, "nodeID": spec["nodeID"],
                        "ownerID": rep["status"]["ownerID"], "replica": name_of(rep)}))
    manager = pod(name, LONGHORN_NS, created=started, node_name=node, host_ip=_host_ip(node), pod_ip=pod_ip(node, 17),
                  containers=[("longhorn-manager", LONGHORN_MANAGER_IMAGE)],
                  labels={"app": "longhorn-manager", "controller-revision-hash": ids.hex_id(10, "ds-revision"),
                          "pod-template-generation": "1"},
                  owners=[owner_reference("apps/v1", "DaemonSet", "longhorn-manager",
                                          ids.uid("DaemonSet", LONGHORN_NS, "longhorn-manager"))])
    return manager, log


def _host_ip(node: str) -> str:
    return dict(NODES)[node]


def _bim(bim: Obj) -> tuple[Obj, ContainerLog]:
    """A backing-image-manager pod and its log: serving, then re-adopting the files on its disk."""
    node, disk_path, disk_uuid = bim["spec"]["nodeID"], bim["spec"]["diskPath"], bim["spec"]["diskUUID"]
    started = ids.shifted(_started(node), seconds=30)
    name = name_of(bim)
    log = ContainerLog(f"{LONGHORN_NS}/{name}/backing-image-manager.log")
    fields = {"component": "backing-image-manager", "diskPath": disk_path, "diskUUID": disk_uuid}
    log.add(started, logrus_line(started, "info", "Backing Image Manager listening to 0.0.0.0:8000",
                                 func="manager.NewServer", file="server.go:55", fields={}))
    for line, message in ((567, "prepare to start backing image update watch"), (582, "backing image update watch started")):
        at = ids.shifted(started, seconds=2)
        log.add(at, logrus_line(at, "info", f"Backing Image Manager: {message}", func="manager.(*Manager).Watch",
                                file=f"service.go:{line}", fields=fields))
    for index, (bi_name, info) in enumerate(sorted(bim["status"]["backingImageFileMap"].items())):
        at = ids.shifted(started, seconds=9 + index)
        file_fields = {**fields, "biName": bi_name, "biUUID": info["uuid"], "data_source_address": ""}
        for line, message in ((447, "prepare to fetch backing image"),
                              (476, "there is no need to transfer the file from the data source server, "
                                    "will try to directly reuse the file"),
                              (485, "fetched or reused backing image")):
            log.add(at, logrus_line(at, "info", f"Backing Image Manager: {message}", func="manager.(*Manager).Fetch",
                                    file=f"service.go:{line}", fields=file_fields))
    manager_pod = pod(name, LONGHORN_NS, created=started, node_name=node, host_ip=_host_ip(node),
                      pod_ip=bim["status"]["ip"], containers=[("backing-image-manager", bim["spec"]["image"])],
                      labels=bim["metadata"]["labels"], owners=[owned_by(bim)])
    return manager_pod, log


def _launcher(plan: VMPlan, vmi: Obj, index: int) -> tuple[Obj, ContainerLog | None]:
    """A virt-launcher pod; a pod still creating has no log (support-bundle-kit logs an error)."""
    name = launcher_pod_name(plan)
    node = NODES[plan.node][0]
    running = plan.status == "Running"
    launcher = pod(name, plan.namespace, created=plan.started, node_name=node, host_ip=_host_ip(node),
                   pod_ip=pod_ip(node, 60 + index), containers=[("compute", LAUNCHER_IMAGE)],
                   labels={"harvesterhci.io/vmName": plan.name, "kubevirt.io": "virt-launcher",
                           "kubevirt.io/created-by": vmi["metadata"]["uid"], "vm.kubevirt.io/name": plan.name},
                   owners=[owned_by(vmi)], running=running)
    if not running:
        return launcher, None
    log = ContainerLog(f"{plan.namespace}/{name}/compute.log")
    for offset, (message, pos) in enumerate((("Collected all requested hook sidecar sockets", "manager.go:86"),
                                             ("Marked as ready", "virt-launcher.go:78"),
                                             ("Domain started.", "manager.go:1151"),
                                             ("Synced vmi", "server.go:208"))):
        at = ids.shifted(plan.started, seconds=5 + 3 * offset)
        log.add(at, virt_launcher_line(at, message, pos))
    return launcher, log


def pods_and_logs(objects: Sequence[Obj], vms: Sequence[tuple[VMPlan, Obj]]) -> tuple[list[Obj], dict[str, str], list[str]]:
    """The pods with logs, the log files (by path under ``logs/``) and the log errors support-bundle-kit writes.

    ``vms`` pairs each VM plan with its VirtualMachineInstance.
    """
    bims = [o for o in objects if o["kind"] == "BackingImageManager"]
    waiting = [o for o in objects if o["kind"] == "Replica"
               and any(c["type"] == "WaitForBackingImage" and c["status"] == "True" for c in o["status"]["conditions"])]
    file_states = {(name_of(bi), disk): status["state"] for bi in objects if bi["kind"] == "BackingImage"
                   for disk, status in bi["status"]["diskFileStatusMap"].items()}
    pods: list[Obj] = []
    logs: dict[str, str] = {}
    errors: list[str] = []
    made: list[tuple[Obj, ContainerLog | None]] = []
    for node, _ in NODES:
        made.append(_manager(node, [m for m in bims if m["spec"]["nodeID"] == node],
                             [r for r in waiting if r["spec"]["nodeID"] == node], file_states))
    made.extend(_bim(bim) for bim in bims)
    made.extend(_launcher(plan, vmi, index) for index, (plan, vmi) in enumerate(vms))
    for made_pod, log in made:
        pods.append(made_pod)
        if log is not None:
            logs[log.path] = log.text
        else:
            name, container = name_of(made_pod), made_pod["spec"]["containers"][0]["name"]
            errors.append(f"BUG: Support bundle: cannot get log for pod {name} container {container}: container "
                          f'"{container}" in pod "{name}" is waiting to start: ContainerCreating')
    return pods, logs, errors
