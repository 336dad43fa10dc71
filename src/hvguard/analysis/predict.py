"""What the upgrade is expected to do to each backing image, with the chain of reasons.

Driven by the knowledge's migration rules through ``crd_drift``: a rule that moves an image's disk
map into a field the installed CRD prunes, written leniently, empties the map, and the target
controllers then delete the files. Whether the image comes back depends on its source and backups.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hvguard.analysis import crd_drift
from hvguard.analysis.graph import Graph, ImageNode
from hvguard.analysis.upgrade import Upgrade
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState

BACKING_IMAGE_CRD = f"{k.BACKING_IMAGES.plural}.{k.BACKING_IMAGES.group}"


class Fate(StrEnum):
    KEPT = "kept"
    REDOWNLOADABLE = "at-risk (files deleted, re-downloadable)"
    FROM_BACKUP = "at-risk (files deleted, restorable from backup)"
    LOST = "at-risk (files deleted, not recoverable without backup)"
    UNKNOWN = "unknown"

    @property
    def at_risk(self) -> bool:
        return self.value.startswith("at-risk")


@dataclass(frozen=True, slots=True)
class Prediction:
    image: ImageNode
    fate: Fate
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {"backingImage": self.image.name, "vmImage": self.image.vm_image or None,
                "sourceType": self.image.source_type, "fate": self.fate.value, "atRisk": self.fate.at_risk,
                "reasons": list(self.reasons), "vms": sorted(self.image.vms)}


def predict(state: ClusterState, graph: Graph, upgrade: Upgrade) -> list[Prediction]:
    images = sorted(graph.images.values(), key=lambda i: i.name)
    unknown = _why_unknown(state, upgrade)
    if unknown:
        return [Prediction(image, Fate.UNKNOWN, (unknown,)) for image in images]
    drifts = [d for d in crd_drift.drifts(state, upgrade) if d.crd_name == BACKING_IMAGE_CRD]
    # The carriers as sets: each image is looked up in them, and a drift can list every image.
    moving = [(d, frozenset(d.carriers)) for d in drifts if d.moves_data]
    rewrites = [p.rule.upgrade_path for p in upgrade.migrations() if p.rule.crd == BACKING_IMAGE_CRD]
    return [_one(image, upgrade, bool(drifts), moving, rewrites) for image in images]


def _why_unknown(state: ClusterState, upgrade: Upgrade) -> str:
    if upgrade.longhorn_source is None or upgrade.longhorn_target is None:
        return "the current or target Longhorn version is unknown, so the migrations cannot be looked up"
    if not state.usable(k.CRDS):
        return "the installed CRDs could not be read, so pruning cannot be judged"
    return ""


def _one(image: ImageNode, upgrade: Upgrade, drifted: bool,
         moving: list[tuple[crd_drift.Drift, frozenset[str]]], rewrites: list[str]) -> Prediction:
    for drift, carriers in moving:
        if image.name not in carriers:
            continue
        chain: tuple[str, ...] = (
            f"installed CRD {drift.crd_name} ({drift.installed_version or 'unlabelled'}) prunes {', '.join(drift.pruned)}",
            f"longhorn-manager {upgrade.longhorn_target} migration upgrade/{drift.migration.upgrade_path} moves "
            f"{len(image.desired_disks)} disk(s) out of spec.{image.shape} into the pruned field",
        )
        if drift.strict:
            return Prediction(image, Fate.KEPT, (*chain, "the manager writes strictly: the write is rejected and "
                                                 "longhorn-manager crash-loops until the CRD is applied; files stay"))
        chain += ("the write is lenient: the disk map is emptied silently and the migration never runs again",
                  "the new controllers drop the image from every backing-image manager, which delete the files")
        return _recoverability(image, chain)
    if drifted and not image.desired_disks:
        return Prediction(image, Fate.KEPT, ("spec lists no disk, so the migration has nothing to move",))
    if rewrites:
        return Prediction(image, Fate.KEPT, (f"the installed CRD declares every field migration(s) "
                                             f"{', '.join(sorted(set(rewrites)))} write(s)",))
    return Prediction(image, Fate.KEPT, ("no Longhorn migration on this path rewrites backing images",))


def _recoverability(image: ImageNode, chain: tuple[str, ...]) -> Prediction:
    if image.source_type == "download":
        url = image.source_parameters.get("url", "")
        return Prediction(image, Fate.REDOWNLOADABLE,
                          (*chain, f"sourceType download: Longhorn re-downloads it{f' from {url}' if url else ''} "
                                   "if the URL still serves a byte-identical file"))
    backup = image.matching_backup
    if backup:
        return Prediction(image, Fate.FROM_BACKUP,
                          (*chain, f"BackupBackingImage {backup.name} is Completed with the same checksum"))
    return Prediction(image, Fate.LOST, (*chain, f"sourceType {image.source_type or 'unknown'} cannot be fetched again "
                                                 "(\"doesn't support restarting\") and no matching backup exists"))
