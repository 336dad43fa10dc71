"""The plan of a generated cluster: sizes, then nodes, disks, images and VMs as data, drawn from a seed.

Planning is separate from building (``generator``) because the objects depend on each other in both
directions: a backing image's copies are wherever the replicas of the volumes made from it landed,
and an exported image's source is a VM's volume. Every draw comes from one ``random.Random`` seeded
with the size and seed, taken in a fixed order, so the same (size, seed) always plans the same
cluster; names, UIDs and checksums then come from ``ids`` as everywhere else in ``synth``.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field

from hvguard.synth import ids
from hvguard.synth.builders.kubevirt import VMStatus
from hvguard.synth.builders.longhorn import Disk
from hvguard.synth.demo_plan import COLLECTED_NAMESPACES, INSTALLED_AT, NAMESPACES, NODES_READY_AT

GIB = 2**30
REPLICAS = 3  # Harvester's default numberOfReplicas, for VM disks and image StorageClasses
_TIMELINE_HOURS = 100 * 24  # images are created over the first 100 days after installation


@dataclass(frozen=True, slots=True)
class Size:
    """How big a generated cluster is; everything else is derived from these numbers."""

    name: str
    nodes: int
    images: int
    vms: int
    tenants: int  # namespaces the VMs are spread over, besides ``default``


SIZES: dict[str, Size] = {size.name: size for size in (
    Size("small", nodes=3, images=10, vms=50, tenants=2),
    Size("medium", nodes=20, images=200, vms=2_000, tenants=8),
    Size("large", nodes=50, images=1_000, vms=10_000, tenants=20),
)}


@dataclass(frozen=True, slots=True)
class NodePlan:
    name: str
    index: int
    ip: str
    disks: tuple[Disk, ...]


@dataclass(slots=True)
class ImagePlan:
    """One VM image and its backing image; ``disks`` grows as VMs using it place their replicas."""

    name: str
    display_name: str
    source_type: str  # download | upload | export-from-volume
    os: str
    created: str
    size: int
    virtual_size: int
    first_disk: Disk  # where the data source wrote the first file
    url: str = ""
    user_checksum: bool = False
    backed_up: bool = False  # has a Completed BackupBackingImage
    retired: bool = False  # no VM uses it any more
    source_vm: int | None = None  # export-from-volume: index of the VM whose volume was exported
    disks: set[str] = field(default_factory=set)  # disk UUIDs the spec asks for (filled in by placement)
    failed_disk: str = ""  # one of ``disks`` whose copy failed and never completed


@dataclass(frozen=True, slots=True)
class VMPlan:
    """One single-disk VM booted from ``image``; its volume has a replica on each of ``replicas``."""

    index: int
    name: str
    namespace: str
    image: int  # index into the image plans
    node: str  # where it runs (or last ran)
    replicas: tuple[Disk, ...]
    status: VMStatus
    created: str
    started: str
    disk_gib: int
    actual_size: int
    cores: int
    memory_mib: int
    guest_ip: str


@dataclass(frozen=True, slots=True)
class Plan:
    size: Size
    nodes: tuple[NodePlan, ...]
    images: tuple[ImagePlan, ...]
    vms: tuple[VMPlan, ...]
    tenants: tuple[str, ...]

    @property
    def namespaces(self) -> tuple[str, ...]:
        """The demo's system namespaces (its two tenant ones left out) plus this cluster's tenants."""
        return tuple(sorted({ns for ns in NAMESPACES if not ns.startswith("team-")} | set(self.tenants)))

    @property
    def collected_namespaces(self) -> tuple[str, ...]:
        """support-bundle-kit's defaults, then every tenant (``support-bundle-namespaces`` names them)."""
        return tuple(ns for ns in COLLECTED_NAMESPACES if not ns.startswith("team-")) + self.tenants

    @property
    def disks(self) -> tuple[Disk, ...]:
        return tuple(disk for node in self.nodes for disk in node.disks)


# Downloaded images: (name stem, OS label, display name, URL); {b} is the image's build tag.
_DOWNLOADS = (
    ("ubuntu-22.04", "ubuntu", "ubuntu-22.04-server-cloudimg-amd64.img",
     "https://cloud-images.ubuntu.com/releases/22.04/release-{b}/ubuntu-22.04-server-cloudimg-amd64.img"),
    ("ubuntu-24.04", "ubuntu", "ubuntu-24.04-server-cloudimg-amd64.img",
     "https://cloud-images.ubuntu.com/releases/24.04/release-{b}/ubuntu-24.04-server-cloudimg-amd64.img"),
    ("debian-12", "debian", "debian-12-generic-amd64-{b}.qcow2",
     "https://cloud.debian.org/images/cloud/bookworm/{b}/debian-12-generic-amd64-{b}.qcow2"),
    ("rocky-9", "redhat", "Rocky-9-GenericCloud-Base-9.4-{b}.x86_64.qcow2",
     "https://dl.rockylinux.org/pub/rocky/9/images/x86_64/Rocky-9-GenericCloud-Base-9.4-{b}.x86_64.qcow2"),
    ("opensuse-leap-15.5", "opensuse", "openSUSE-Leap-15.5.x86_64-NoCloud-{b}.qcow2",
     "https://download.opensuse.org/repositories/Cloud:/Images:/Leap_15.5/images/"
     "openSUSE-Leap-15.5.x86_64-NoCloud-{b}.qcow2"),
)
# Uploaded images: (name stem, OS label, display name).
_UPLOADS = (("windows-2022", "windows", "win2022-std-sysprep-{b}.qcow2"),
            ("windows-2019", "windows", "win2019-std-sysprep-{b}.qcow2"),
            ("appliance", "linux", "vendor-appliance-{b}.qcow2"))
_ROLES = ("web", "app", "db", "cache", "build", "queue", "lb", "batch")


def plan(size: Size, seed: int) -> Plan:
    """The whole cluster as data; see the module docstring for what ``seed`` fixes."""
    rng = random.Random(f"hvguard-synth/{size.name}/{seed}")
    nodes = _nodes(size)
    disks = [disk for node in nodes for disk in node.disks]
    images = _images(size, rng, disks)
    tenants = tuple(f"tenant-{i:02d}" for i in range(1, size.tenants + 1))
    vms = _vms(size, rng, nodes, images, ("default", *tenants))
    _place_copies(images, vms, rng, disks)
    _pick_export_sources(images, vms, rng)
    return Plan(size, nodes, tuple(images), tuple(vms), tenants)


def _nodes(size: Size) -> tuple[NodePlan, ...]:
    """``harvester-node-NN``, each with its default disk; every fourth also has an NVMe SSD."""
    width = max(2, len(str(size.nodes - 1)))
    nodes = []
    for index in range(size.nodes):
        name = f"harvester-node-{index:0{width}d}"
        disk_name = f"default-disk-{ids.hex_id(16, 'default-disk', name)}"
        maximum = 7_681_501_126_656 + index * 4_096_000  # a 7.68 TB data-centre NVMe, minus filesystem overhead
        disks = [Disk(name, disk_name, ids.uid("longhorn-disk", name, disk_name), "/var/lib/harvester/defaultdisk",
                      maximum, maximum * 3 // 10, 0)]
        if index % 4 == 2:
            extra = ids.hex_id(32, "blockdevice", name, "nvme1n1")
            path = f"/var/lib/harvester/extra-disks/{extra}"
            disks.append(Disk(name, extra, ids.uid("longhorn-disk", name, extra), path, 3_838_941_110_272,
                              100_000_000_000, 0, ("ssd",)))
        nodes.append(NodePlan(name, index, f"10.10.{index // 200}.{11 + index % 200}", tuple(disks)))
    return tuple(nodes)


def _source_types(count: int, rng: random.Random) -> list[str]:
    """About 85% downloads, 10% uploads, 5% exports (every kind present from 10 images up)."""
    types = ["upload" if i % 10 == 3 else "export-from-volume" if i % 20 == 7 else "download" for i in range(count)]
    rng.shuffle(types)
    return types


def _images(size: Size, rng: random.Random, disks: list[Disk]) -> list[ImagePlan]:
    images: list[ImagePlan] = []
    not_downloaded = 0
    for index, source_type in enumerate(_source_types(size.images, rng)):
        # Every other image that cannot be downloaded again was backed up (the first one always is).
        backed_up = not_downloaded % 2 == 0
        not_downloaded += source_type != "download"
        # Exports are made late, from the volumes of VMs created from earlier (downloaded) images.
        start, span = (0.7, 0.3) if source_type == "export-from-volume" else (0.01, 0.59)
        created = ids.shifted(INSTALLED_AT, hours=int(_TIMELINE_HOURS * (start + span * rng.random())))
        image = _image(index, source_type, created, rng.choice(disks), rng)
        image.backed_up = source_type != "download" and backed_up
        image.retired = rng.random() < 0.05
        images.append(image)
    return images


def _image(index: int, source_type: str, created: str, first_disk: Disk, rng: random.Random) -> ImagePlan:
    """One image of the given source type: its names, sizes and (for downloads) URL."""
    build = ids.shifted("2024-01-01T00:00:00Z", days=index % 300)[:10].replace("-", "")
    if source_type == "download":
        stem, os, display, url = _DOWNLOADS[index % len(_DOWNLOADS)]
        return ImagePlan(f"{stem}-{index:04d}", display.format(b=build), source_type, os, created,
                         rng.randrange(300, 2_000) * 2**20, rng.choice((2, 4, 10, 20)) * GIB, first_disk,
                         url=url.format(b=build), user_checksum=rng.random() < 0.3)
    if source_type == "upload":
        stem, os, display = _UPLOADS[index % len(_UPLOADS)]
        return ImagePlan(f"{stem}-{index:04d}", display.format(b=build), source_type, os, created,
                         rng.randrange(2_000, 12_000) * 2**20, rng.choice((40, 60, 80)) * GIB, first_disk)
    stem, os = _DOWNLOADS[index % len(_DOWNLOADS)][:2]
    virtual = rng.choice((20, 40)) * GIB
    return ImagePlan(f"golden-{stem}-{index:04d}", f"golden-{stem}-{build}", source_type, os, created, virtual,
                     virtual, first_disk)


def _vms(size: Size, rng: random.Random, nodes: tuple[NodePlan, ...], images: list[ImagePlan],
         namespaces: tuple[str, ...]) -> list[VMPlan]:
    """VMs pick images by popularity (a Zipf-like tail), replicas land on three different nodes."""
    candidates = [i for i, image in enumerate(images) if not image.retired] or [0]
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(candidates))]
    chosen = rng.choices(candidates, weights, k=size.vms)
    vms = []
    for index, image_index in enumerate(chosen):
        image = images[image_index]
        where = rng.sample(nodes, min(REPLICAS, len(nodes)))
        replicas = tuple(rng.choice(node.disks) for node in where)
        status: VMStatus = "Stopped" if rng.random() < 0.08 else "Running"
        created = ids.shifted(image.created, hours=rng.randrange(24, 40 * 24))
        node = rng.choice(where)
        started = ids.shifted(NODES_READY_AT, minutes=4 * node.index + 12, seconds=rng.randrange(0, 600))
        disk_gib = max(rng.choice((20, 40, 60, 100)), -(-image.virtual_size // GIB))
        cores = rng.choice((1, 2, 4, 8))
        vms.append(VMPlan(
            index=index, name=f"{_ROLES[index % len(_ROLES)]}-{index:05d}", namespace=rng.choice(namespaces),
            image=image_index, node=node.name, replicas=replicas, status=status, created=created, started=started,
            disk_gib=disk_gib, actual_size=int(disk_gib * GIB * rng.uniform(0.02, 0.12)) // 4096 * 4096,
            cores=cores, memory_mib=cores * 2048, guest_ip=f"10.20.{index // 250}.{2 + index % 250}",
        ))
    return vms


def _place_copies(images: list[ImagePlan], vms: list[VMPlan], rng: random.Random, disks: list[Disk]) -> None:
    """Longhorn copies a backing image to every disk that holds a replica made from it."""
    for image in images:
        image.disks.add(image.first_disk.uuid)
    for vm in vms:
        images[vm.image].disks.update(disk.uuid for disk in vm.replicas)
    for image in images:
        spare = [disk.uuid for disk in disks if disk.uuid not in image.disks]
        if rng.random() < 0.01 and spare:  # about one image in a hundred has a failed copy on a spare disk
            image.failed_disk = rng.choice(spare)
            image.disks.add(image.failed_disk)


def _pick_export_sources(images: list[ImagePlan], vms: list[VMPlan], rng: random.Random) -> None:
    """Each exported image comes from the volume of a VM of a downloaded image, created before it."""
    donors = sorted((vm.created, vm.index) for vm in vms if images[vm.image].source_type == "download")
    for image in images:
        if image.source_type == "export-from-volume" and donors:
            older = bisect.bisect_left(donors, (image.created, -1)) or len(donors)
            image.source_vm = donors[rng.randrange(older)][1]
