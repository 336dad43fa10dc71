"""The demo cluster: a 3-node Harvester v1.3.2 about to be upgraded to v1.4.0.

Harvester v1.3.2 (RKE2 v1.28.12, Longhorn v1.6.2, the v1.6.2 Longhorn CRDs installed), nodes
``harvester-node-0..2`` with one default disk each and an extra SSD on node 2, backups to NFS, the
``v1.4.0`` Version offered, both ManagedCharts Ready. Its VM images cover every case hvguard must
tell apart:

============================  ====================  ============================================
VM image (``default/``)       source                state
============================  ====================  ============================================
``ubuntu-22.04``              download              3 ready copies; VMs ``web-01``, ``web-02``
``windows-2022``              upload                1 ready copy, no backup; VM ``win-ad-01``
``golden-rhel9``              export-from-volume    2 ready copies, BackupBackingImage Completed;
                                                    VM ``team-a/db-01`` (backed up nightly)
``opensuse-leap-15.5``        download              already broken: no ready copy (node 2's copy
                                                    failed a re-check, the others are gone); VM
                                                    ``lab-opensuse`` stuck Starting, its volume
                                                    ``WaitForBackingImage=True``
``debian-12-old``             download              2 ready copies, no volume uses it any more
(no VM image)                 download              leftover ``vmi-…`` of a deleted
                                                    ``centos-stream-8`` image, 1 copy, unused
============================  ====================  ============================================

``team-a/rhel9-builder-disk-0-…`` (the source of ``golden-rhel9``) is a detached volume without a
backing image. ``team-b`` exists but is not in ``support-bundle-namespaces``, so a bundle lists it
in ``namespaces.yaml`` and has no folder for it.

``demo_cluster("v1.7.2")`` models the same cluster after the documented mitigation: the v1.7.2
``backingimages.longhorn.io`` CRD applied by hand (everything else unchanged, Longhorn still 1.6.2)
and the ``harvester`` ManagedChart told to ignore drift on it.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence
from typing import Literal

from hvguard.synth import builders as b
from hvguard.synth import ids, platform
from hvguard.synth.builders.harvester import IMAGE_DEFAULT_SC_PARAMETERS
from hvguard.synth.builders.meta import Obj, name_of
from hvguard.synth.demo_logs import pods_and_logs
from hvguard.synth.demo_plan import (
    BACKUP_TARGET,
    BUILDER_CLAIM,
    BUILDER_CREATED,
    BUILDER_LAST_USED,
    BUNDLE_AT,
    COLLECTED_NAMESPACES,
    GIB,
    IMAGES,
    INSTALLED_AT,
    KUBERNETES_VERSION,
    NAMESPACES,
    NODES,
    NODES_READY_AT,
    VMS,
    ImagePlan,
    VMPlan,
    disks,
    launcher_pod_name,
    pod_ip,
)
from hvguard.synth.model import SyntheticCluster

CrdChoice = Literal["v1.6.2", "v1.7.2"]


class _Demo:
    """Builds the scenario in dependency order, collecting objects as it goes."""

    def __init__(self, backingimage_crd: CrdChoice) -> None:
        self.mitigated = backingimage_crd == "v1.7.2"
        self.disks = disks()
        self.bim_ips = {key: pod_ip(disk.node, 41 + (key == "n2-ssd")) for key, disk in self.disks.items()}
        self.objects: list[Obj] = []
        self.images: dict[str, Obj] = {}  # VM image name -> backing image
        self.files: dict[str, dict[str, b.DiskFile]] = {}  # VM image name -> disk UUID -> file
        self.replicas: list[Obj] = []
        self.claims: dict[str, Obj] = {}  # VM name -> its boot disk's PVC
        self.instances: list[tuple[VMPlan, Obj]] = []

    def add(self, *objects: Obj) -> None:
        self.objects.extend(objects)

    def find(self, kind: str, name: str) -> Obj:
        return next(o for o in self.objects if o["kind"] == kind and name_of(o) == name)

    def build(self) -> SyntheticCluster:
        self.add(*(b.namespace(ns, created=INSTALLED_AT) for ns in NAMESPACES))
        self._nodes()
        self._root_ca()
        self._base_storage_classes()
        self._builder_volume()
        for image in IMAGES:
            self._image(image)
        for vm in VMS:
            self._vm(vm)
        self._backups()
        self._backing_image_managers()
        self._longhorn_nodes()
        self._settings()
        self._upgrade_target()
        pods, logs, log_errors = pods_and_logs(self.objects, self.instances)
        self.add(*pods)
        return SyntheticCluster(
            objects=self.objects,
            crds=self._crds(),
            namespaces=list(NAMESPACES),
            collected_namespaces=list(COLLECTED_NAMESPACES),
            logs=logs,
            generation_errors=platform.generation_errors(COLLECTED_NAMESPACES) + log_errors,
            kubernetes_version=KUBERNETES_VERSION,
            created_at=BUNDLE_AT,
            bundle_name="bundle-9xw4k",
            issue_description="Pre-upgrade check before upgrading to v1.4.0",
        )

    # -- cluster ---------------------------------------------------------------------------------

    def _nodes(self) -> None:
        for index, (name, ip) in enumerate(NODES):
            self.add(b.node(name, created=ids.shifted(INSTALLED_AT, minutes=index * 9), internal_ip=ip,
                            pod_cidr=f"10.52.{index}.0/24", kubelet_version=KUBERNETES_VERSION,
                            os_image="Harvester v1.3.2", heartbeat=ids.shifted(BUNDLE_AT, seconds=-17 - index),
                            ready_since=ids.shifted(NODES_READY_AT, minutes=index * 4)))

    def _root_ca(self) -> None:
        """``kube-root-ca.crt`` in every namespace (so every collected namespace has a folder)."""
        der = b"".join(bytes.fromhex(ids.sha512_hex("cluster-ca", str(i))) for i in range(12))
        pem = base64.b64encode(der).decode()
        body = "\n".join(pem[i:i + 64] for i in range(0, len(pem), 64))
        cert = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
        description = ("Contains a CA bundle that can be used to verify the kube-apiserver when using internal "
                       "endpoints such as the internal service IP or kubernetes.default.svc. No other usage is "
                       "guaranteed across distributions of Kubernetes clusters.")
        for ns in NAMESPACES:
            self.add(b.config_map("kube-root-ca.crt", ns, {"ca.crt": cert}, created=INSTALLED_AT,
                                  annotations={"kubernetes.io/description": description}))

    def _base_storage_classes(self) -> None:
        last_applied = ("kind: StorageClass\napiVersion: storage.k8s.io/v1\nmetadata:\n  name: longhorn\n"
                        "  annotations:\n    storageclass.kubernetes.io/is-default-class: \"false\"\n"
                        "provisioner: driver.longhorn.io\nallowVolumeExpansion: true\nreclaimPolicy: \"Delete\"\n"
                        "volumeBindingMode: Immediate\nparameters:\n  numberOfReplicas: \"3\"\n"
                        "  staleReplicaTimeout: \"30\"\n  fromBackup: \"\"\n  fsType: \"ext4\"\n"
                        "  dataLocality: \"disabled\"\n")
        self.add(
            b.storage_class("harvester-longhorn", created=INSTALLED_AT,
                            parameters={"baseImage": "", "fromBackup": "", "migratable": "true",
                                        "numberOfReplicas": "3", "staleReplicaTimeout": "30"},
                            annotations={"harvesterhci.io/is-reserved-storageclass": "true",
                                         "storageclass.kubernetes.io/is-default-class": "true"}),
            b.storage_class("longhorn", created=INSTALLED_AT,
                            parameters={"dataLocality": "disabled", "fromBackup": "", "fsType": "ext4",
                                        "numberOfReplicas": "3", "staleReplicaTimeout": "30"},
                            annotations={"longhorn.io/last-applied-configmap": last_applied,
                                         "storageclass.kubernetes.io/is-default-class": "false"}),
        )

    # -- storage ---------------------------------------------------------------------------------

    def _claim(self, namespace: str, name: str, *, created: str, size_gib: int, storage_class: str,
               image: str | None = None, owner_vm: str | None = None) -> Obj:
        """A bound PVC and the PV the CSI provisioner made for it; returns the PVC."""
        claim = b.pvc(name, namespace, created=created, size=f"{size_gib}Gi", storage_class_name=storage_class,
                      image_id=f"default/{image}" if image else None, owner_vm=owner_vm)
        attributes = self.find("StorageClass", storage_class)["parameters"]
        self.add(claim, b.pv(claim, created=ids.shifted(created, seconds=3), volume_attributes=attributes,
                             provisioner_started=1_728_896_191_000))
        return claim

    def _replicas(self, vol: Obj, where: Sequence[str], *, created: str, running: bool, healthy_at: str,
                  waiting: bool = False) -> None:
        for key in where:
            disk = self.disks[key]
            on_node = sum(1 for r in self.replicas if r["spec"]["nodeID"] == disk.node)
            self.replicas.append(b.replica(vol, disk, created=created, running=running, ip=pod_ip(disk.node, 30),
                                           port=10000 + 15 * on_node, waiting_for_backing_image=waiting,
                                           healthy_at=healthy_at))
        self.add(*self.replicas[-len(where):])

    def _builder_volume(self) -> None:
        namespace, name = BUILDER_CLAIM
        claim = self._claim(namespace, name, created=BUILDER_CREATED, size_gib=20, storage_class="harvester-longhorn")
        vol = b.volume(claim["spec"]["volumeName"], created=BUILDER_CREATED, size=20 * GIB, owner_node=NODES[2][0],
                       kubernetes=b.kubernetes_status(claim, last_pod_ref_at=BUILDER_LAST_USED),
                       state="detached", robustness="unknown", actual_size=14_912_618_496,
                       since=ids.shifted(BUILDER_LAST_USED, minutes=1))
        self.add(vol)
        self._replicas(vol, ("n0", "n1", "n2"), created=BUILDER_CREATED, running=False, healthy_at=BUILDER_LAST_USED)

    def _image(self, plan: ImagePlan) -> None:
        params = dict(IMAGE_DEFAULT_SC_PARAMETERS, numberOfReplicas=str(plan.replicas))
        checksum = ids.sha512_hex("image-bytes", plan.name)
        source_parameters = {"url": plan.url} if plan.url else {}
        if plan.source_type == "export-from-volume":
            source_parameters = {"export-type": "raw", "volume-name": b.provisioned_volume_name(*BUILDER_CLAIM)}
        vm_image = b.vm_image(
            plan.name, "default", created=plan.created, display_name=plan.display_name, source_type=plan.source_type,
            size=plan.size, url=plan.url, checksum=checksum if plan.user_checksum else "",
            source_pvc=BUILDER_CLAIM if plan.source_type == "export-from-volume" else ("", ""),
            imported_at=ids.shifted(plan.created, minutes=4, seconds=13), storage_class_parameters=params,
        )
        bi_name = f"vmi-{vm_image['metadata']['uid']}"
        files = {self.disks[key].uuid: b.DiskFile(ids.shifted(plan.created, minutes=4 + i))
                 for i, key in enumerate(plan.ready_on)}
        for key in plan.failed_on:
            files[self.disks[key].uuid] = b.DiskFile(
                "2025-03-19T14:22:31Z", state="failed",
                message=("ready file is modified at 2025-03-19 14:22:31.482771093 +0000 UTC with a different checksum "
                         f"{ids.sha512_hex('corrupted', plan.name)}, previous checksum {checksum}"))
        bi = b.backing_image(
            bi_name, created=plan.created, source_type=plan.source_type, source_parameters=source_parameters,
            uuid=ids.hex_id(8, "backing-image-uuid", bi_name), size=plan.size, virtual_size=plan.virtual_size,
            checksum=checksum, owner_node=self.disks[plan.first_disk].node,
            disks=[self.disks[key].uuid for key in plan.ready_on + plan.failed_on + plan.gone_on], files=files,
            last_ref_at={self.disks[key].uuid: plan.unused_since for key in plan.ready_on} if plan.unused_since else {},
            image_id=f"default/{plan.name}", expected_checksum=checksum if plan.user_checksum else "",
        )
        self.images[plan.name] = bi
        self.files[plan.name] = files
        self.add(bi, b.backing_image_data_source(bi, self.disks[plan.first_disk], created=plan.created))
        if plan.has_vm_image:
            self.add(vm_image, b.storage_class(b.image_storage_class_name(plan.name), created=plan.created,
                                               parameters={"backingImage": bi_name, **params}))

    def _vm(self, plan: VMPlan) -> None:
        claim_name = f"{plan.name}-disk-0-{ids.suffix(5, 'claim', plan.namespace, plan.name)}"
        claim = self._claim(plan.namespace, claim_name, created=plan.created, size_gib=plan.disk_gib,
                            storage_class=b.image_storage_class_name(plan.image), image=plan.image, owner_vm=plan.name)
        node = NODES[plan.node][0]
        running = plan.status == "Running"
        launcher = launcher_pod_name(plan)
        vm = b.virtual_machine(plan.name, plan.namespace, claim, created=plan.created, since=plan.started,
                               cores=plan.cores, memory_mib=plan.memory_mib, os=plan.os, status=plan.status)
        instance = b.vmi(vm, claim, created=plan.started, node=node, scheduled=running, ip=plan.guest_ip,
                         pod_uid=ids.uid("Pod", plan.namespace, launcher))
        vol = b.volume(
            claim["spec"]["volumeName"], created=plan.created, size=plan.disk_gib * GIB,
            number_of_replicas=len(plan.replicas_on), backing_image=name_of(self.images[plan.image]),
            owner_node=node, attached_to=node, state="attached" if running else "attaching",
            kubernetes=b.kubernetes_status(claim, pods=[(launcher, "Running" if running else "Pending", plan.name)]),
            robustness="healthy" if running else "unknown", actual_size=plan.actual_size,
            waiting_for_backing_image=not running, since=plan.started,
        )
        self.add(vm, instance, vol)
        self.claims[plan.name] = claim
        self._replicas(vol, plan.replicas_on, created=plan.created, running=running,
                       healthy_at=plan.started if running else plan.last_healthy, waiting=not running)
        self.instances.append((plan, instance))

    def _backups(self) -> None:
        """Nightly backups of ``db-01``; the first one also backed up its backing image."""
        plan = next(vm for vm in VMS if vm.name == "db-01")
        claim = self.claims[plan.name]
        backup = f"backup-{ids.hex_id(16, 'backup', plan.name, '20250323')}"
        self.add(
            b.backup_backing_image(self.images[plan.image], created="2025-01-20T02:01:12Z",
                                   completed_at="2025-01-20T02:09:47Z", backup_target=BACKUP_TARGET,
                                   owner_node=NODES[1][0], manager_address=f"{self.bim_ips['n1']}:8000"),
            b.vm_backup("db-01-nightly-20250323", self.find("VirtualMachine", plan.name), claim,
                        created="2025-03-23T02:00:07Z", completed_at="2025-03-23T02:14:55Z",
                        backup_target=BACKUP_TARGET, longhorn_backup=backup, volume_size=plan.disk_gib * GIB),
        )
        status = self.find("Volume", claim["spec"]["volumeName"])["status"]
        status["lastBackup"], status["lastBackupAt"] = backup, "2025-03-23T02:14:49Z"

    def _backing_image_managers(self) -> None:
        for key, disk in self.disks.items():
            files = [(self.images[image], on_disk[disk.uuid]) for image, on_disk in self.files.items()
                     if disk.uuid in on_disk]
            self.add(b.backing_image_manager(disk, created=ids.shifted(INSTALLED_AT, days=1), ip=self.bim_ips[key],
                                             files=files))

    def _longhorn_nodes(self) -> None:
        """Longhorn nodes; a disk's usage is a base plus the image files and replica data on it."""
        scheduled = b.scheduled_sizes(self.replicas, list(self.disks.values()))
        actual = {name_of(o): o["status"]["actualSize"] for o in self.objects if o["kind"] == "Volume"}
        for index, (node, _) in enumerate(NODES):
            used = []
            for disk in (d for d in self.disks.values() if d.node == node):
                files = sum(bi["status"]["size"] for image, bi in self.images.items() if disk.uuid in self.files[image])
                data = sum(actual[r["spec"]["volumeName"]] for r in self.replicas if r["spec"]["diskID"] == disk.uuid)
                used.append(dataclasses.replace(disk, storage_used=9 * GIB + files + data))
            self.add(b.longhorn_node(node, used, created=ids.shifted(INSTALLED_AT, minutes=index * 9 + 3),
                                     ready_since=ids.shifted(NODES_READY_AT, minutes=index * 4), scheduled=scheduled))

    # -- configuration ---------------------------------------------------------------------------

    def _settings(self) -> None:
        self.add(*platform.settings(created=INSTALLED_AT, backup_target=BACKUP_TARGET,
                                    support_bundle_namespaces="team-a", namespaces_set_at="2024-10-20T12:00:03Z"))

    def _upgrade_target(self) -> None:
        self.add(*platform.upgrade_target(installed=INSTALLED_AT, updated=NODES_READY_AT, mitigated=self.mitigated))

    def _crds(self) -> list[Obj]:
        return platform.installed_crds(created=INSTALLED_AT, mitigated=self.mitigated)


def demo_cluster(backingimage_crd: CrdChoice = "v1.6.2") -> SyntheticCluster:
    """The demo scenario (see the module docstring); ``"v1.7.2"`` applies the CRD mitigation."""
    if backingimage_crd not in ("v1.6.2", "v1.7.2"):
        raise ValueError(f"backingimage_crd must be 'v1.6.2' or 'v1.7.2', not {backingimage_crd!r}")
    return _Demo(backingimage_crd).build()
