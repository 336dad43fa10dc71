"""The demo scenario as data: times, namespaces, nodes and disks, VM images, VMs.

``demo`` turns this into API objects and ``demo_logs`` into pods and logs; keeping the facts here
lets the tests state the scenario's promises against the same table.
"""

from __future__ import annotations

from dataclasses import dataclass

from hvguard.synth import ids
from hvguard.synth.builders.kubevirt import VMStatus
from hvguard.synth.builders.longhorn import Disk

BUNDLE_AT = "2025-03-24T09:30:12Z"
INSTALLED_AT = "2024-10-14T08:03:11Z"
NODES_READY_AT = "2025-03-10T07:52:40Z"  # back from the last maintenance reboot
KUBERNETES_VERSION = "v1.28.12+rke2r1"
BACKUP_TARGET = "nfs://10.10.0.5:/exports/harvester-backups"
GIB = 2**30

NAMESPACES = (
    "cattle-dashboards", "cattle-fleet-clusters-system", "cattle-fleet-local-system", "cattle-fleet-system",
    "cattle-impersonation-system", "cattle-monitoring-system", "cattle-provisioning-capi-system", "cattle-system",
    "cattle-ui-plugin-system", "cluster-fleet-local-local-1a3d67d0a899", "default", "fleet-default", "fleet-local",
    "harvester-public", "harvester-system", "kube-node-lease", "kube-public", "kube-system", "local",
    "longhorn-system", "team-a", "team-b",
)
# support-bundle-kit's own three, then the list Harvester passes it, then support-bundle-namespaces.
COLLECTED_NAMESPACES = (
    "default", "kube-system", "cattle-system", "cattle-dashboards", "cattle-fleet-clusters-system",
    "cattle-monitoring-system", "fleet-local", "harvester-system", "local", "longhorn-system", "team-a",
)
NODES = (("harvester-node-0", "10.10.0.11"), ("harvester-node-1", "10.10.0.12"), ("harvester-node-2", "10.10.0.13"))


@dataclass(frozen=True, slots=True)
class ImagePlan:
    """One backing image of the scenario and where its copies are (disks by key, see ``disks``)."""

    name: str  # VM image name (for the leftover: the deleted one's)
    display_name: str
    source_type: str
    created: str
    size: int
    virtual_size: int
    first_disk: str  # where the data source put the first file
    ready_on: tuple[str, ...] = ()
    failed_on: tuple[str, ...] = ()
    gone_on: tuple[str, ...] = ()  # disks the spec still asks for, with no file any more
    url: str = ""
    replicas: int = 3  # numberOfReplicas of its StorageClass
    unused_since: str = ""  # when the last volume stopped using it
    has_vm_image: bool = True
    user_checksum: bool = False


@dataclass(frozen=True, slots=True)
class VMPlan:
    """One VM: its boot disk is made from ``image`` and has a replica on each of ``replicas_on``."""

    name: str
    namespace: str
    image: str
    disk_gib: int
    cores: int
    memory_mib: int
    os: str
    node: int
    replicas_on: tuple[str, ...]
    created: str
    started: str  # the current start (instance creation)
    actual_size: int
    status: VMStatus = "Running"
    guest_ip: str = ""
    last_healthy: str = ""  # for a VM that is not running: when its replicas last ran


IMAGES = (
    ImagePlan("ubuntu-22.04", "ubuntu-22.04-server-cloudimg-amd64.img", "download", "2024-10-15T10:21:40Z",
              653_459_456, 2_361_393_152, "n1", ready_on=("n0", "n1", "n2"), user_checksum=True,
              url="https://cloud-images.ubuntu.com/releases/22.04/release-20240821/ubuntu-22.04-server-cloudimg-amd64.img"),
    ImagePlan("windows-2022", "win2022-std-sysprep.qcow2", "upload", "2024-11-04T14:02:55Z",
              9_726_066_688, 42_949_672_960, "n0", ready_on=("n0",), replicas=1),
    ImagePlan("golden-rhel9", "golden-rhel9-2025-01", "export-from-volume", "2025-01-13T16:45:09Z",
              21_474_836_480, 21_474_836_480, "n1", ready_on=("n1", "n2-ssd"), replicas=2),
    ImagePlan("opensuse-leap-15.5", "openSUSE-Leap-15.5.x86_64-NoCloud.qcow2", "download", "2024-10-22T09:12:37Z",
              279_838_720, 26_843_545_600, "n2", failed_on=("n2",), gone_on=("n0", "n1"),
              url="https://download.opensuse.org/repositories/Cloud:/Images:/Leap_15.5/images/"
                  "openSUSE-Leap-15.5.x86_64-NoCloud.qcow2"),
    ImagePlan("debian-12-old", "debian-12-generic-amd64-20230612-1409.qcow2", "download", "2024-10-15T10:24:02Z",
              353_304_576, 2_147_483_648, "n0", ready_on=("n0", "n2"), unused_since="2025-03-24T09:05:19Z",
              url="https://cloud.debian.org/images/cloud/bookworm/20230612-1409/debian-12-generic-amd64-20230612-1409.qcow2"),
    ImagePlan("centos-stream-8", "CentOS-Stream-GenericCloud-8-20230710.0.x86_64.qcow2", "download",
              "2024-10-16T08:40:11Z", 1_338_507_264, 10_737_418_240, "n1", ready_on=("n1",),
              unused_since="2024-12-02T07:15:33Z", has_vm_image=False,
              url="https://cloud.centos.org/centos/8-stream/x86_64/images/"
                  "CentOS-Stream-GenericCloud-8-20230710.0.x86_64.qcow2"),
)

VMS = (
    VMPlan("web-01", "default", "ubuntu-22.04", 40, 2, 4096, "ubuntu", 0, ("n0", "n1", "n2"),
           "2024-10-16T11:03:27Z", "2025-03-10T08:04:10Z", 7_812_345_856, guest_ip="10.20.0.21"),
    VMPlan("web-02", "default", "ubuntu-22.04", 40, 2, 4096, "ubuntu", 1, ("n0", "n1", "n2"),
           "2024-10-16T11:05:51Z", "2025-03-10T08:04:36Z", 6_104_219_648, guest_ip="10.20.0.22"),
    VMPlan("win-ad-01", "default", "windows-2022", 80, 4, 8192, "windows", 0, ("n0",),
           "2024-11-05T09:30:04Z", "2025-03-10T08:05:02Z", 31_421_767_680, guest_ip="10.20.0.30"),
    VMPlan("db-01", "team-a", "golden-rhel9", 100, 4, 16384, "redhat", 2, ("n1", "n2-ssd"),
           "2025-01-14T10:12:45Z", "2025-03-10T08:05:40Z", 58_712_555_520, guest_ip="10.20.0.40"),
    VMPlan("lab-opensuse", "default", "opensuse-leap-15.5", 30, 2, 2048, "opensuse", 1, ("n0", "n1", "n2"),
           "2024-10-23T13:44:18Z", "2025-03-24T09:02:41Z", 4_203_577_344, status="Starting",
           last_healthy="2025-03-18T22:10:05Z"),
)

# The detached root disk of a deleted VM, the volume golden-rhel9 was exported from.
BUILDER_CLAIM = ("team-a", f"rhel9-builder-disk-0-{ids.suffix(5, 'claim', 'team-a', 'rhel9-builder')}")
BUILDER_CREATED = "2025-01-08T09:11:20Z"
BUILDER_LAST_USED = "2025-01-13T16:40:02Z"


def disks() -> dict[str, Disk]:
    """The Longhorn disks by key: ``n0``..``n2`` (default disks), ``n2-ssd`` (node 2's extra SSD).

    The SSD reserves exactly 100 GB, which support-bundle-kit writes as ``1e+11``. ``storage_used``
    is left 0 here; the demo fills it in from the files and replicas it places.
    """
    result = {}
    for index, (node, _) in enumerate(NODES):
        name = f"default-disk-{ids.hex_id(16, 'default-disk', node)}"
        maximum = 1_466_823_270_400 + index * 4_096_000
        result[f"n{index}"] = Disk(node, name, ids.uid("longhorn-disk", node, name), "/var/lib/harvester/defaultdisk",
                                   maximum, maximum * 3 // 10, 0)
    node = NODES[2][0]
    extra = ids.hex_id(32, "blockdevice", node, "nvme1n1")
    result["n2-ssd"] = Disk(node, extra, ids.uid("longhorn-disk", node, extra), f"/var/lib/harvester/extra-disks/{extra}",
                            3_838_941_110_272, 100_000_000_000, 0, ("ssd",))
    return result


def node_index(node: str) -> int:
    return [name for name, _ in NODES].index(node)


def pod_ip(node: str, host: int) -> str:
    """Pod network address on ``node`` (RKE2 gives node N the 10.52.N.0/24 pod CIDR)."""
    return f"10.52.{node_index(node)}.{host}"


def launcher_pod_name(vm: VMPlan) -> str:
    """The virt-launcher pod of the VM's current start."""
    return f"virt-launcher-{vm.name}-{ids.suffix(5, 'launcher', vm.namespace, vm.name, vm.started)}"
