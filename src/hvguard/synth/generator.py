"""Large synthetic Harvester clusters, for scale tests and benchmarks.

``generate("large", seed=0)`` builds a Harvester v1.3.2 / Longhorn v1.6.2 cluster of 50 nodes, 1,000
VM images and 10,000 VMs (30,000 replicas) with the same builders as the demo, so every object has
the shape the upstream CRDs give it. ``scale_plan`` decides what exists and where; this module turns
the plan into API objects in one pass per kind, with every join through a dict, so building stays
linear in the size of the cluster.

What it models: nodes with one default disk (every fourth node an extra SSD); VM images mostly
downloaded, some uploaded and some exported from VM volumes, a few of those backed up
(BackupBackingImage) and about one in a hundred with a failed copy; single-disk VMs (about 8%
stopped) whose volumes have three replicas on three nodes; a backing image copy on every disk that
holds one of its replicas; a backing-image manager and its pod per disk; the Longhorn and Harvester
settings, the installed CRDs and the offered upgrade (``platform``). Container logs are left out (the
log scan still makes its requests, and finds nothing to match), and so are VM launcher pods, which
hvguard never reads: both would only make the bundle slower to write.

Command line (handy for benchmarks)::

    python -m hvguard.synth.generator large --bundle large.zip --seed 0
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

from hvguard.synth import builders as b
from hvguard.synth import ids, platform
from hvguard.synth.builders.harvester import IMAGE_DEFAULT_SC_PARAMETERS
from hvguard.synth.builders.longhorn import BACKING_IMAGE_MANAGER_IMAGE, INSTANCE_MANAGER_IMAGE, LONGHORN_NS
from hvguard.synth.builders.meta import Obj, name_of
from hvguard.synth.demo_logs import LONGHORN_MANAGER_IMAGE
from hvguard.synth.demo_plan import BACKUP_TARGET, BUNDLE_AT, INSTALLED_AT, KUBERNETES_VERSION, NODES_READY_AT
from hvguard.synth.model import SyntheticCluster
from hvguard.synth.scale_plan import GIB, SIZES, ImagePlan, NodePlan, Plan, Size, VMPlan, plan

__all__ = ["SIZES", "Size", "generate"]

_IMAGE_NS = "default"
_BASE_USAGE = 9 * GIB  # what a disk holds before any image file or replica (filesystem, logs)


def generate(size: str | Size, seed: int = 0) -> SyntheticCluster:
    """A cluster of ``size`` (``small``, ``medium``, ``large`` or a ``Size``); the same seed, the same cluster."""
    chosen = SIZES[size] if isinstance(size, str) else size
    return _Generator(plan(chosen, seed)).build()


def _pod_ip(node: NodePlan, host: int) -> str:
    """Pod network address on a node (RKE2 gives node N the 10.52.N.0/24 pod CIDR)."""
    return f"10.52.{node.index}.{host}"


class _Generator:
    """Builds the planned objects kind by kind, keeping what later kinds refer to in lists by plan index."""

    def __init__(self, cluster_plan: Plan) -> None:
        self.plan = cluster_plan
        self.nodes = {node.name: node for node in cluster_plan.nodes}
        self.backing_images: list[Obj] = []  # by image index
        self.claims: list[Obj] = []  # by VM index
        self.machines: list[Obj] = []  # by VM index
        self.replicas: list[Obj] = []
        self.ports: Counter[str] = Counter()  # replica processes started per node so far
        self.backed_up = self._backed_up_vms()
        self.bim_ips = {disk.uuid: _pod_ip(self.nodes[disk.node], 41 + i)
                        for node in cluster_plan.nodes for i, disk in enumerate(node.disks)}

    def build(self) -> SyntheticCluster:
        objects = [b.namespace(ns, created=INSTALLED_AT) for ns in self.plan.namespaces]
        objects += self._nodes()
        objects += self._images()
        objects += self._vms()
        objects += self._backups()
        objects += self._backing_image_managers()
        objects += self._longhorn_nodes()
        objects += platform.settings(created=INSTALLED_AT, backup_target=BACKUP_TARGET,
                                     support_bundle_namespaces=",".join(self.plan.tenants),
                                     namespaces_set_at=ids.shifted(INSTALLED_AT, hours=2))
        objects += platform.upgrade_target(installed=INSTALLED_AT, updated=NODES_READY_AT)
        collected = self.plan.collected_namespaces
        return SyntheticCluster(
            objects=objects,
            crds=platform.installed_crds(created=INSTALLED_AT),
            namespaces=list(self.plan.namespaces),
            collected_namespaces=list(collected),
            logs={},
            generation_errors=platform.generation_errors(collected),
            kubernetes_version=KUBERNETES_VERSION,
            created_at=BUNDLE_AT,
            bundle_name=f"bundle-{ids.suffix(5, 'generated', self.plan.size.name)}",
            issue_description=f"Pre-upgrade check before upgrading to {platform.UPGRADE_TARGET}",
        )

    # -- cluster ---------------------------------------------------------------------------------

    def _nodes(self) -> Iterator[Obj]:
        for node in self.plan.nodes:
            yield b.node(node.name, created=ids.shifted(INSTALLED_AT, minutes=node.index * 9), internal_ip=node.ip,
                         pod_cidr=f"10.52.{node.index}.0/24", kubelet_version=KUBERNETES_VERSION,
                         os_image=f"Harvester {platform.HARVESTER_VERSION}",
                         heartbeat=ids.shifted(BUNDLE_AT, seconds=-17 - node.index % 40),
                         ready_since=ids.shifted(NODES_READY_AT, minutes=node.index * 4),
                         roles=("control-plane", "etcd", "master") if node.index < 3 else ())
            yield self._longhorn_pod(f"longhorn-manager-{ids.suffix(5, 'longhorn-manager', node.name)}", node,
                                     17, "longhorn-manager", LONGHORN_MANAGER_IMAGE,
                                     {"app": "longhorn-manager"}, ("apps/v1", "DaemonSet", "longhorn-manager"))
            yield self._longhorn_pod(b.instance_manager_name(node.name), node, 30, "instance-manager",
                                     INSTANCE_MANAGER_IMAGE, {"longhorn.io/component": "instance-manager",
                                                              "longhorn.io/node": node.name},
                                     ("longhorn.io/v1beta2", "InstanceManager", b.instance_manager_name(node.name)))

    def _longhorn_pod(self, name: str, node: NodePlan, host: int, container: str, image: str,
                      labels: dict[str, str], owner: tuple[str, str, str]) -> Obj:
        started = ids.shifted(NODES_READY_AT, minutes=4 * node.index, seconds=40)
        return b.pod(name, LONGHORN_NS, created=started, node_name=node.name, host_ip=node.ip,
                     pod_ip=_pod_ip(node, host), containers=[(container, image)], labels=labels,
                     owners=[b.owner_reference(*owner, ids.uid(owner[1], LONGHORN_NS, owner[2]))])

    # -- images ----------------------------------------------------------------------------------

    def _images(self) -> Iterator[Obj]:
        for image in self.plan.images:
            params = dict(IMAGE_DEFAULT_SC_PARAMETERS)
            checksum = ids.sha512_hex("image-bytes", image.name)
            source_pvc = self._claim_ref(self.plan.vms[image.source_vm]) if image.source_vm is not None else ("", "")
            vm_image = b.vm_image(
                image.name, _IMAGE_NS, created=image.created, display_name=image.display_name,
                source_type=image.source_type, size=image.size, url=image.url,
                checksum=checksum if image.user_checksum else "", source_pvc=source_pvc,
                imported_at=ids.shifted(image.created, minutes=4, seconds=13), storage_class_parameters=params,
            )
            bi = self._backing_image(image, f"vmi-{vm_image['metadata']['uid']}", checksum, source_pvc)
            self.backing_images.append(bi)
            yield vm_image
            yield b.storage_class(b.image_storage_class_name(image.name), created=image.created,
                                  parameters={"backingImage": name_of(bi), **params})
            yield bi
            yield b.backing_image_data_source(bi, image.first_disk, created=image.created)

    def _backing_image(self, image: ImagePlan, name: str, checksum: str, source_pvc: tuple[str, str]) -> Obj:
        if image.source_type == "download":
            parameters = {"url": image.url}
        elif image.source_type == "export-from-volume":
            parameters = {"export-type": "raw", "volume-name": b.provisioned_volume_name(*source_pvc)}
        else:
            parameters = {}
        files = {uuid: b.DiskFile(ids.shifted(image.created, minutes=4 + i))
                 for i, uuid in enumerate(sorted(image.disks - {image.failed_disk}))}
        if image.failed_disk:
            files[image.failed_disk] = b.DiskFile(
                ids.shifted(NODES_READY_AT, hours=30), state="failed", progress=0,
                message=f"failed to fetch the file from backing image manager {self.bim_ips[image.first_disk.uuid]}")
        return b.backing_image(
            name, created=image.created, source_type=image.source_type, source_parameters=parameters,
            uuid=ids.hex_id(8, "backing-image-uuid", name), size=image.size, virtual_size=image.virtual_size,
            checksum=checksum, owner_node=image.first_disk.node, disks=sorted(image.disks), files=files,
            image_id=f"{_IMAGE_NS}/{image.name}", expected_checksum=checksum if image.user_checksum else "",
        )

    # -- VMs -------------------------------------------------------------------------------------

    @staticmethod
    def _claim_ref(vm: VMPlan) -> tuple[str, str]:
        """(namespace, name) of the VM's boot-disk PVC, as Harvester names it."""
        return vm.namespace, f"{vm.name}-disk-0-{ids.suffix(5, 'claim', vm.namespace, vm.name)}"

    def _vms(self) -> Iterator[Obj]:
        for vm in self.plan.vms:
            yield from self._vm(vm, self.plan.images[vm.image], self.backing_images[vm.image])

    def _vm(self, vm: VMPlan, image: ImagePlan, bi: Obj) -> Iterator[Obj]:
        namespace, claim_name = self._claim_ref(vm)
        claim = b.pvc(claim_name, namespace, created=vm.created, size=f"{vm.disk_gib}Gi",
                      storage_class_name=b.image_storage_class_name(image.name),
                      image_id=f"{_IMAGE_NS}/{image.name}", owner_vm=vm.name)
        self.claims.append(claim)
        attributes = {"backingImage": name_of(bi), **IMAGE_DEFAULT_SC_PARAMETERS}
        yield claim
        yield b.pv(claim, created=ids.shifted(vm.created, seconds=3), volume_attributes=attributes,
                   provisioner_started=1_728_896_191_000)
        running = vm.status == "Running"
        launcher = f"virt-launcher-{vm.name}-{ids.suffix(5, 'launcher', namespace, vm.name, vm.started)}"
        machine = b.virtual_machine(vm.name, namespace, claim, created=vm.created, since=vm.started, cores=vm.cores,
                                    memory_mib=vm.memory_mib, os=image.os, status=vm.status)
        self.machines.append(machine)
        yield machine
        if running:
            yield b.vmi(machine, claim, created=vm.started, node=vm.node, ip=vm.guest_ip,
                        pod_uid=ids.uid("Pod", namespace, launcher))
        kubernetes = (b.kubernetes_status(claim, pods=[(launcher, "Running", vm.name)]) if running
                      else b.kubernetes_status(claim, last_pod_ref_at=ids.shifted(vm.started, days=-3)))
        vol = b.volume(claim["spec"]["volumeName"], created=vm.created, size=vm.disk_gib * GIB,
                       backing_image=name_of(bi), owner_node=vm.node, attached_to=vm.node if running else "",
                       state="attached" if running else "detached", robustness="healthy" if running else "unknown",
                       kubernetes=kubernetes, actual_size=vm.actual_size, since=vm.started,
                       last_backup=self._last_backup(vm))
        yield vol
        yield from self._replicas(vol, vm, running)

    def _replicas(self, vol: Obj, vm: VMPlan, running: bool) -> Iterator[Obj]:
        healthy_at = vm.started if running else ids.shifted(vm.started, days=-3)
        for disk in vm.replicas:
            rep = b.replica(vol, disk, created=vm.created, running=running, ip=_pod_ip(self.nodes[disk.node], 30),
                            port=10000 + 15 * self.ports[disk.node], healthy_at=healthy_at)
            self.ports[disk.node] += 1
            self.replicas.append(rep)
            yield rep

    # -- backups ---------------------------------------------------------------------------------

    def _backed_up_vms(self) -> dict[int, VMPlan]:
        """Image index -> the first VM of each backed-up image (its nightly backup took the image along)."""
        first: dict[int, VMPlan] = {}
        for vm in self.plan.vms:
            if self.plan.images[vm.image].backed_up:
                first.setdefault(vm.image, vm)
        return first

    @staticmethod
    def _backup_name(vm: VMPlan) -> str:
        return f"backup-{ids.hex_id(16, 'backup', vm.namespace, vm.name)}"

    def _last_backup(self, vm: VMPlan) -> tuple[str, str]:
        if self.backed_up.get(vm.image) is vm:
            return self._backup_name(vm), "2025-03-23T02:14:49Z"
        return "", ""

    def _backups(self) -> Iterator[Obj]:
        for image_index, vm in self.backed_up.items():
            bi = self.backing_images[image_index]
            image = self.plan.images[image_index]
            yield b.backup_backing_image(bi, created=ids.shifted(image.created, days=7),
                                         completed_at=ids.shifted(image.created, days=7, minutes=9),
                                         backup_target=BACKUP_TARGET, owner_node=image.first_disk.node,
                                         manager_address=f"{self.bim_ips[image.first_disk.uuid]}:8000")
            yield b.vm_backup(f"{vm.name}-nightly-20250323", self.machines[vm.index], self.claims[vm.index],
                              created="2025-03-23T02:00:07Z", completed_at="2025-03-23T02:14:55Z",
                              backup_target=BACKUP_TARGET, longhorn_backup=self._backup_name(vm),
                              volume_size=vm.disk_gib * GIB)

    # -- Longhorn per disk and per node ----------------------------------------------------------

    def _files_by_disk(self) -> dict[str, list[tuple[Obj, b.DiskFile]]]:
        by_disk: dict[str, list[tuple[Obj, b.DiskFile]]] = defaultdict(list)
        for bi in self.backing_images:
            for uuid, file in bi["status"]["diskFileStatusMap"].items():
                by_disk[uuid].append((bi, b.DiskFile(file["lastStateTransitionTime"], file["state"],
                                                     file["progress"], file["message"])))
        return by_disk

    def _backing_image_managers(self) -> Iterator[Obj]:
        files = self._files_by_disk()
        for disk in self.plan.disks:
            node = self.nodes[disk.node]
            bim = b.backing_image_manager(disk, created=ids.shifted(INSTALLED_AT, days=1), ip=self.bim_ips[disk.uuid],
                                          files=files.get(disk.uuid, []))
            yield bim
            yield b.pod(name_of(bim), LONGHORN_NS, created=ids.shifted(NODES_READY_AT, minutes=4 * node.index + 1),
                        node_name=node.name, host_ip=node.ip, pod_ip=self.bim_ips[disk.uuid],
                        containers=[("backing-image-manager", BACKING_IMAGE_MANAGER_IMAGE)],
                        labels=bim["metadata"]["labels"], owners=[b.owned_by(bim)])

    def _disk_usage(self) -> dict[str, int]:
        """Bytes in use per disk: a base, plus the image files and the replica data on it."""
        used: dict[str, int] = defaultdict(lambda: _BASE_USAGE)
        for bi in self.backing_images:
            for uuid in bi["status"]["diskFileStatusMap"]:
                used[uuid] += bi["status"]["size"]
        for vm in self.plan.vms:
            for disk in vm.replicas:
                used[disk.uuid] += vm.actual_size
        return used

    def _longhorn_nodes(self) -> Iterator[Obj]:
        scheduled = b.scheduled_sizes(self.replicas, self.plan.disks)
        used = self._disk_usage()
        for node in self.plan.nodes:
            disks = [dataclasses.replace(disk, storage_used=used[disk.uuid]) for disk in node.disks]
            yield b.longhorn_node(node.name, disks, created=ids.shifted(INSTALLED_AT, minutes=node.index * 9 + 3),
                                  ready_since=ids.shifted(NODES_READY_AT, minutes=node.index * 4), scheduled=scheduled)


def main(argv: list[str] | None = None) -> int:
    """``python -m hvguard.synth.generator SIZE --bundle OUT.zip [--seed N]``."""
    from hvguard.synth.bundle_writer import write_bundle

    parser = argparse.ArgumentParser(prog="python -m hvguard.synth.generator",
                                     description="Write the support bundle of a generated Harvester cluster.")
    parser.add_argument("size", choices=sorted(SIZES))
    parser.add_argument("--bundle", type=Path, required=True, help="support bundle zip to write")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    write_bundle(generate(args.size, args.seed), args.bundle)
    print(f"wrote {args.bundle}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
