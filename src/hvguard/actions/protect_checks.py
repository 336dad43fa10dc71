"""What protect proves after a step, beyond "the object re-reads as written" (the executor's own check).

* ``apply-target-crd``: the live CRD's schema now declares every field of the CRD hvguard applied.
  The executor's re-read compares the spec it sent; this asks the question harvester#7958 turns
  on — would the API server still prune a field the migration writes? — with the same pruning
  walk the preflight uses, on the CRD as the server now holds it.
* ``backup-backing-image``: the finished backup has the image's checksum, so it can restore it.
  Longhorn marks a backup Completed whatever it read; a mismatch means it cannot restore this image.

Each raises ``ApplyStopped`` (exit 4), which stops the run with the journal in place.
"""

from __future__ import annotations

from hvguard.actions.executor import StepCheck, path_of
from hvguard.actions.plan import Step
from hvguard.actions.protect_backups import BACKUP_IMAGE
from hvguard.actions.protect_crds import ACTION as APPLY_CRD
from hvguard.actions.protect_crds import served_versions
from hvguard.analysis.fields import dig
from hvguard.errors import ApplyStopped
from hvguard.knowledge import crdschema
from hvguard.kube.writer import KubeWriter, api_path


def crd_declares_target_fields(step: Step, writer: KubeWriter) -> None:
    change = next(c for c in step.changes if c.plural == "customresourcedefinitions")
    live = writer.get(path_of(change)) or {}
    missing = [f"{version}: {field}" for version in served_versions(change.body)
               if version in served_versions(live)
               for field in crdschema.fields_pruned_by(live, change.body, version)]
    missing += [f"{version}: (not served)" for version in served_versions(change.body)
                if version not in served_versions(live)]
    if missing:
        raise ApplyStopped(
            f"{step.action} {step.target}: the live CRD still prunes {', '.join(missing)}; the upgrade is not safe",
            hint=f"inspect it with: kubectl get crd {change.target.name} -o yaml (is something reverting it?)",
        )


def backup_matches_image(step: Step, writer: KubeWriter) -> None:
    change = step.changes[0]
    backup = writer.get(path_of(change)) or {}
    target = step.target
    image = writer.get(api_path(target.api_version, "backingimages", target.name, target.namespace)) or {}
    got = str(dig(backup, "status", "checksum", default="") or "")
    wanted = str(dig(image, "status", "checksum", default="") or "")
    if not wanted or got != wanted:
        raise ApplyStopped(
            f"{step.action} {step.target}: BackupBackingImage {change.target.name} completed with checksum "
            f"{got or '(none)'}, but the image's is {wanted or '(none)'}: this backup cannot restore it",
            hint=f"hvguard never deletes: delete the backup (kubectl -n {change.target.namespace} delete "
                 f"backupbackingimages.longhorn.io {change.target.name}) and rerun to take a new one",
        )


CHECKS: dict[str, StepCheck] = {APPLY_CRD: crd_declares_target_fields, BACKUP_IMAGE: backup_matches_image}
