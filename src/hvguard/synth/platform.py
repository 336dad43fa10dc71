"""What every synthetic Harvester v1.3.2 cluster has, whatever runs on it.

The installed CRDs, the Longhorn and Harvester settings, the offered ``v1.4.0`` upgrade with the
two ManagedCharts, and the errors support-bundle-kit logs for create-only APIs. The demo and the
large-cluster generator share these so both model the same platform; only their workloads differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hvguard.synth import builders as b
from hvguard.synth import crds, ids
from hvguard.synth.builders.longhorn import BACKING_IMAGE_MANAGER_IMAGE, ENGINE_IMAGE, INSTANCE_MANAGER_IMAGE
from hvguard.synth.builders.meta import Obj, name_of

HARVESTER_VERSION = "v1.3.2"
LONGHORN_VERSION = "v1.6.2"
UPGRADE_TARGET = "v1.4.0"


def installed_crds(*, created: str, mitigated: bool = False) -> list[Obj]:
    """The installed CRDs of the kinds in the cluster, by name.

    Longhorn v1.6.2's (backingimages swapped for v1.7.2's when ``mitigated``) and Harvester v1.3.2's
    VirtualMachineImage CRD are the real ones; the others have their schemas elided.
    """
    manifests = crds.manifests("longhorn-v1.6.2")
    generations = {}
    if mitigated:
        manifests["backingimages.longhorn.io"] = crds.manifests("longhorn-v1.7.2")["backingimages.longhorn.io"]
        generations["backingimages.longhorn.io"] = 2
    installed = [b.crd(manifest, created=created, release="harvester", generation=generations.get(name, 1))
                 for name, manifest in manifests.items()]
    harvester = crds.manifests("harvester-v1.3.2")["virtualmachineimages.harvesterhci.io"]
    installed.append(b.crd(harvester, created=created, release="harvester-crd"))
    for kind, plural, namespaced in (("Setting", "settings", False), ("Upgrade", "upgrades", True),
                                     ("Version", "versions", True),
                                     ("VirtualMachineBackup", "virtualmachinebackups", True)):
        manifest = b.schemaless_crd_manifest("harvesterhci.io", kind, plural, versions=["v1beta1"],
                                             namespaced=namespaced)
        installed.append(b.crd(manifest, created=created, release="harvester-crd"))
    virt_operator = {"app.kubernetes.io/component": "kubevirt", "app.kubernetes.io/managed-by": "virt-operator",
                     "kubevirt.io": ""}
    for kind, plural, short in (("VirtualMachine", "virtualmachines", ["vm", "vms"]),
                                ("VirtualMachineInstance", "virtualmachineinstances", ["vmi", "vmis"])):
        manifest = b.schemaless_crd_manifest("kubevirt.io", kind, plural, versions=["v1", "v1alpha3"],
                                             namespaced=True, short_names=short, labels=virt_operator)
        installed.append(b.crd(manifest, created=created, release=None))
    rancher = b.schemaless_crd_manifest("management.cattle.io", "ManagedChart", "managedcharts", versions=["v3"],
                                        namespaced=True)
    installed.append(b.crd(rancher, created=created, release=None))
    return sorted(installed, key=name_of)


def settings(*, created: str, backup_target: str, support_bundle_namespaces: str,
             namespaces_set_at: str) -> list[Obj]:
    """Longhorn's settings (the ones hvguard and the upgrade care about), then Harvester's."""
    longhorn = {
        "backing-image-cleanup-wait-interval": "60",
        "backing-image-recovery-wait-interval": "300",
        "backup-target": backup_target,
        "backup-target-credential-secret": "",
        "crd-api-version": "longhorn.io/v1beta2",
        "current-longhorn-version": LONGHORN_VERSION,
        "default-backing-image-manager-image": BACKING_IMAGE_MANAGER_IMAGE,
        "default-data-path": "/var/lib/harvester/defaultdisk",
        "default-engine-image": ENGINE_IMAGE,
        "default-instance-manager-image": INSTANCE_MANAGER_IMAGE,
        "default-replica-count": "3",
        "storage-reserved-percentage-for-default-disk": "30",
        "taint-toleration": "kubevirt.io/drain:NoSchedule",
    }
    objects = [b.setting(name, value, created=created, product="longhorn") for name, value in longhorn.items()]
    objects += [
        b.setting("backup-target", f'{{"type":"nfs","endpoint":"{backup_target}"}}', created=created,
                  product="harvester"),
        b.setting("release-download-url", "", default="https://releases.rancher.com/harvester",
                  created=created, product="harvester"),
        b.setting("server-version", HARVESTER_VERSION, default=HARVESTER_VERSION, created=created,
                  product="harvester"),
        b.setting("support-bundle-namespaces", support_bundle_namespaces, created=namespaces_set_at,
                  product="harvester"),
    ]
    return objects


def upgrade_target(*, installed: str, updated: str, mitigated: bool = False) -> list[Obj]:
    """The offered v1.4.0, and the ManagedCharts the upgrade webhook requires to be Ready.

    ``mitigated`` tells the ``harvester`` chart to ignore drift on the hand-applied backingimages CRD.
    """
    patches = [{"apiVersion": "apiextensions.k8s.io/v1", "jsonPointers": ["/spec", "/metadata/annotations",
                "/metadata/labels", "/status"], "kind": "CustomResourceDefinition",
                "name": "backingimages.longhorn.io"}] if mitigated else []
    values: dict[str, Any] = {
        "kubevirt": {"spec": {"monitorAccount": "rancher-monitoring-operator",
                              "monitorNamespace": "cattle-monitoring-system"}},
        "longhorn": {"defaultSettings": {"taintToleration": "kubevirt.io/drain:NoSchedule"}, "enabled": True},
        "rancherEmbedded": True,
    }
    return [
        b.version(UPGRADE_TARGET, created="2024-11-21T06:00:14Z", min_upgradable=HARVESTER_VERSION,
                  release_date="2024-11-20",
                  iso_url=f"https://releases.rancher.com/harvester/{UPGRADE_TARGET}/harvester-{UPGRADE_TARGET}-amd64.iso",
                  iso_checksum=ids.sha512_hex(f"harvester-{UPGRADE_TARGET}-amd64.iso"), tags=["latest"]),
        b.managed_chart("harvester", created=installed, updated=updated, chart_version="1.3.2",
                        values=values, compare_patches=patches, generation=5 if mitigated else 4),
        b.managed_chart("harvester-crd", created=installed, updated=updated, chart_version="1.3.2",
                        values={}, take_ownership=True, generation=2),
    ]


def generation_errors(collected: Iterable[str]) -> list[str]:
    """What support-bundle-kit logs for resources that cannot be listed (create-only APIs)."""
    denied = ": the server does not allow this method on the requested resource"
    lines = [f"Failed to get /apis/{path}{denied}" for path in (
        "authentication.k8s.io/v1/tokenreviews", "authentication.k8s.io/v1/selfsubjectreviews",
        "authorization.k8s.io/v1/subjectaccessreviews", "authorization.k8s.io/v1/selfsubjectaccessreviews",
        "authorization.k8s.io/v1/selfsubjectrulesreviews")]
    for ns in collected:
        lines.append(f"Failed to get /api/v1/namespaces/{ns}/bindings{denied}")
        lines.append(f"Failed to get /apis/authorization.k8s.io/v1/namespaces/{ns}/localsubjectaccessreviews{denied}")
    return lines
