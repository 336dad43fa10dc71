"""The protect plan: what to do before an upgrade so that it cannot destroy VM images. Pure: state in, Plan out.

Built from the preflight analysis of the state with the target, so every step names the finding
it answers. The order is deliberate:

1. ``snapshot`` — the pre-upgrade record, taken before anything changes (a local action).
2. ``apply-target-crd`` — removes the cause of harvester#7958; quick, and verified on the live
   schema. It goes before the backups because those can take hours or fail for reasons outside the
   cluster (an unreachable backup target), which must not leave the cause in place.
3. ``backup-backing-image`` — a restorable copy of every image Longhorn could not re-fetch.
4. ``backup-vms`` — only with ``--with-vm-backups``.
5. What needs a human (``automatic=False``), reported and never changed.
"""

from __future__ import annotations

from pathlib import Path

from hvguard.actions.plan import Plan, Step
from hvguard.actions.protect_backups import image_backup_steps, images_to_back_up, vm_backup_steps
from hvguard.actions.protect_crds import crd_steps
from hvguard.actions.protect_manual import manual_steps
from hvguard.analysis.findings import ObjectRef
from hvguard.analysis.graph import ImageNode
from hvguard.analysis.runner import INCOMPLETE_ID, Analysis
from hvguard.errors import InputError
from hvguard.state.cluster import ClusterState

COMMAND = "protect"
SNAPSHOT = "snapshot"


def plan_protect(state: ClusterState, analysis: Analysis, *, snapshot_path: Path,
                 with_vm_backups: bool = False) -> Plan:
    """The protect plan for ``analysis`` (a ``runner.run(state, target=...)`` of this ``state``)."""
    upgrade = analysis.upgrade
    if upgrade is None:
        raise InputError("protect needs the analysis of an upgrade target (--to VERSION)")
    images = images_to_back_up(analysis.graph, analysis.findings)
    steps = [snapshot_step(snapshot_path)]
    steps += crd_steps(state, upgrade, analysis.findings)
    steps += image_backup_steps(state, analysis.graph, analysis.findings, upgrade.longhorn_source)
    if with_vm_backups:
        steps += vm_backup_steps(state, images, upgrade.target)
    steps += manual_steps(state, analysis.findings)
    return Plan(COMMAND, f"{state.source.type} {state.source.location}", tuple(steps),
                notes=tuple(_notes(analysis, images, with_vm_backups)))


def snapshot_step(path: Path) -> Step:
    return Step(
        id=SNAPSHOT,
        action=SNAPSHOT,
        target=ObjectRef("Snapshot", str(path)),
        title=f"save the pre-upgrade snapshot to {path}",
        reason="a verifiable record of the cluster before anything changes: the baseline to compare against after "
               "the upgrade, and the disk maps recovery needs if an image is lost anyway",
        notes=("a fresh read of the live cluster, taken when --apply starts (`hvguard snapshot` does the same)",),
    )


def _notes(analysis: Analysis, images: list[ImageNode], with_vm_backups: bool) -> list[str]:
    upgrade = analysis.upgrade
    assert upgrade is not None
    notes = [f"upgrade Harvester {upgrade.source_text or '(unknown)'} → {upgrade.target} "
             f"(Longhorn {upgrade.longhorn_source or '(unknown)'} → {upgrade.longhorn_target or '(unknown)'})"]
    if not upgrade.known:
        notes.append("hvguard's knowledge does not cover this upgrade, so it cannot tell which CRDs the migrations "
                     "need: this plan has no CRD steps")
    notes += [f"incomplete input: {f.message}; the plan may miss steps" for f in analysis.findings
              if f.id == INCOMPLETE_ID]
    vms = sorted({vm for image in images for vm in image.vms})
    if vms and not with_vm_backups:
        notes.append(f"add --with-vm-backups to also take Harvester backups of {len(vms)} VM(s) on these images: "
                     + ", ".join(vms))
    notes.append(f"hvguard never deletes anything; afterwards run `hvguard preflight --to {upgrade.target}`")
    return notes
