"""Recovery plans for lost backing images (domain.md §5): pure, state in, Plan out.

An image is *lost* when it has no ready copy and nothing is re-creating one (no copy pending or in
progress, no data source preparing a file). For each lost image the plan lists every way back,
best first, and picks the one ``--apply`` performs:

* ``readopt-orphan``: a disk that may still hold the file goes back into the disk map, so a manager
  re-adopts it if size and checksum match. Best when it works (the exact bytes), but only a human
  can confirm the file is there, so it is picked only with ``--readopt-orphans``.
* ``redownload``: the Longhorn KB procedure for ``download`` images (clear the map, delete the data
  source by name).
* ``restore-backup``: the same procedure with the image pointed at a Completed BackupBackingImage
  whose checksum matches.
* ``restore-vm-backup``: Harvester VM backups of the VMs that use the image (a human chooses).
* ``manual``: nothing automatic can bring it back; the step says what would.

Every change is idempotent against the current state (merge patches that re-read as satisfied, the
deletion of a data source already gone or terminating), so a rerun recomputes the plan and writes nothing new.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from hvguard.actions.plan import Change, Plan, Step
from hvguard.analysis import facts
from hvguard.analysis.fields import dig, mapping, name, namespace, ref
from hvguard.analysis.findings import ObjectRef
from hvguard.analysis.graph import FAILED_STATES, READY, Disk, Graph, ImageNode
from hvguard.analysis.graph import build as build_graph
from hvguard.errors import InputError, KnowledgeError
from hvguard.knowledge import crdschema, versions
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Obj

FINDING = "backing-image/no-ready-copy"
# Copy states that mean Longhorn is already making a file: leave such images alone.
RECREATING_STATES = frozenset({"pending", "starting", "ready-for-transfer", "in-progress"})
# Copy states after which Longhorn has given up on a disk's file ("unknown" may be a node that is down).
FAILED_COPY_STATES = FAILED_STATES - {"unknown"}
# What the v1.6 → v1.7 migration sets and the pruning dropped (domain.md §2.3).
DEFAULT_MIN_COPIES = 3
RESTORE_CONCURRENCY = "2"
BACKING_IMAGE_CRD = "backingimages.longhorn.io"
NEW_MAP, OLD_MAP = "diskFileSpecMap", "disks"

READOPT, REDOWNLOAD, RESTORE_BACKUP, RESTORE_VM_BACKUP, MANUAL = (
    "readopt-orphan", "redownload", "restore-backup", "restore-vm-backup", "manual")
# Options that rewrite the disk map: they must not run once the image has recovered by itself.
MAP_CLEARING = frozenset({REDOWNLOAD, RESTORE_BACKUP})


@dataclass(frozen=True, slots=True)
class DiskMap:
    """Where the running longhorn-manager reads an image's wanted disks (≥ 1.7: diskFileSpecMap)."""

    field: str

    @property
    def entry(self) -> Any:
        """The value of one disk's entry: an empty spec object, or the empty string before 1.7."""
        return {} if self.field == NEW_MAP else ""

    @property
    def has_min_copies(self) -> bool:
        return self.field == NEW_MAP


@dataclass(frozen=True, slots=True)
class Orphan:
    """A disk that may still hold an image's file, and what says so."""

    disk: Disk
    evidence: str


# -- what is lost ----------------------------------------------------------------------------------


def recovering(backing_image: Obj) -> bool:
    """The image has a ready copy, or one being made: no recovery step may touch it."""
    files = mapping(backing_image, "status", "diskFileStatusMap").values()
    states = {str(dig(entry, "state", default="") or "") for entry in files}
    return bool(states & (RECREATING_STATES | {READY}))


def _data_source_preparing(state: ClusterState, image: ImageNode) -> bool:
    """A data source that has not handed its file over yet (e.g. a re-download Longhorn started)."""
    bids = state.get(k.BACKING_IMAGE_DATA_SOURCES, image.name, image.namespace)
    if bids is None or dig(bids, "spec", "fileTransferred") is not False:
        return False
    return str(dig(bids, "status", "currentState", default="") or "") not in FAILED_STATES


def lost_images(state: ClusterState, graph: Graph) -> list[ImageNode]:
    """Images with no ready copy and none being re-created, by name."""
    return [image for _, image in sorted(graph.images.items())
            if not recovering(image.obj) and not _data_source_preparing(state, image)]


# -- how this cluster stores the disk map ----------------------------------------------------------


def disk_map(state: ClusterState, image: ImageNode) -> DiskMap:
    """The manager's version decides (a pruned image looks like 1.6); else the installed CRD; else the object."""
    release = _release(facts.longhorn_version(state))
    if release is not None:
        return DiskMap(NEW_MAP if release >= (1, 7) else OLD_MAP)
    crd = state.get(k.CRDS, BACKING_IMAGE_CRD)
    if crd is not None:
        return DiskMap(OLD_MAP if _crd_prunes(crd, f"spec.{NEW_MAP}") else NEW_MAP)
    return DiskMap(image.shape)


def _release(text: str) -> tuple[int, int] | None:
    try:
        release = versions.parse(text).release if text else None
    except InputError:  # a dev build or an odd string: fall back to the CRD
        return None
    return release[:2] if release else None


def _crd_prunes(crd: Obj, field: str) -> bool:
    try:
        return bool(crdschema.pruned_fields(crd, [field]))
    except KnowledgeError:  # no v1beta2 schema: nothing to go on, assume the old shape
        return True


def _stale_crd_note(state: ClusterState) -> tuple[str, ...]:
    crd = state.get(k.CRDS, BACKING_IMAGE_CRD)
    release = _release(facts.longhorn_version(state))
    if crd is None or release is None or release < (1, 7) or not _crd_prunes(crd, f"spec.{NEW_MAP}"):
        return ()
    return (f"Longhorn is {facts.longhorn_version(state)} but the installed {BACKING_IMAGE_CRD} CRD prunes "
            f"spec.{NEW_MAP} (harvester#7958): apply the Longhorn v1.7 BackingImage CRD first (domain.md §3.1 "
            "step 2). Until then the disk-map patches below would be dropped, and --apply stops at the first one.",)


# -- where the file may still be -------------------------------------------------------------------


def orphans(image: ImageNode, graph: Graph, baseline: Graph | None) -> list[Orphan]:
    """Disks that may hold ``<diskPath>/backing-images/<name>-<uuid>/backing``, one per disk.

    Remnants in the current status, spec and manager records come first, then the disks the
    baseline (pre-upgrade) snapshot saw holding a ready copy of the same image (same UUID: the UUID
    names the file's directory). A copy Longhorn already found failed, or a manager reporting
    another checksum, is no remnant: that disk has been looked at and holds no usable file.
    """
    def disk(uuid: str) -> Disk:
        return graph.disks.get(uuid) or (baseline.disks.get(uuid) if baseline else None) or Disk(uuid, "", "")

    found: dict[str, Orphan] = {}
    for copy in image.copies:
        if copy.state in FAILED_COPY_STATES or (
                copy.manager_checksum and image.checksum and copy.manager_checksum != image.checksum):
            continue
        found.setdefault(copy.disk.uuid, Orphan(disk(copy.disk.uuid),
                                                _remnant_evidence(copy.state, copy.manager, copy.desired)))
    before = baseline.images.get(image.name) if baseline else None
    if before is not None and before.uuid == image.uuid:
        for copy in before.copies:
            if copy.ready or copy.manager_state == READY:
                found.setdefault(copy.disk.uuid, Orphan(disk(copy.disk.uuid),
                                                        "held a ready copy in the --against snapshot"))
    return list(found.values())


def _remnant_evidence(state: str, manager: str, desired: bool) -> str:
    parts = [f"status says {state}" if state else "", f"manager {manager} has a record" if manager else "",
             "still in the spec" if desired else ""]
    return "; ".join(p for p in parts if p)


def file_dir(image: ImageNode) -> str:
    """The image's directory under a disk: named by the immutable status.uuid."""
    return f"backing-images/{image.name}-{image.uuid or '<status.uuid>'}"


def file_path(image: ImageNode, disk: Disk) -> str:
    return f"{disk.path or f'<path of disk {disk.uuid}>'}/{file_dir(image)}/backing"


# -- changes ---------------------------------------------------------------------------------------


def _patch(image: ImageNode, spec: dict[str, Any]) -> Change:
    return Change("patch", ref(image.obj), k.BACKING_IMAGES.plural, {"spec": spec})


def _delete_data_source(image: ImageNode) -> Change:
    """By name: the data source has the image's name (the KB's ``kubectl delete lhbids`` omits it)."""
    target = ObjectRef(k.BACKING_IMAGE_DATA_SOURCES.kind, image.name, image.namespace, ref(image.obj).api_version)
    return Change("delete", target, k.BACKING_IMAGE_DATA_SOURCES.plural)


def _min_copies(image: ImageNode, shape: DiskMap) -> dict[str, Any]:
    """Restore minNumberOfCopies where the pruning left it 0/absent (1.7+ only; 1.6 would prune it)."""
    return {"minNumberOfCopies": DEFAULT_MIN_COPIES} if shape.has_min_copies and not image.min_copies else {}


def _cleared_map(image: ImageNode, shape: DiskMap) -> dict[str, Any]:
    """An empty disk map as a merge patch: ``{}`` alone would keep existing keys, so each is nulled."""
    current = mapping(image.obj, "spec", shape.field)
    return {shape.field: {uuid: None for uuid in sorted(current)}} | _min_copies(image, shape)


def _restore_source(image: ImageNode, url: str) -> dict[str, Any]:
    """sourceType restore with exactly the two parameters the restore data source requires."""
    stale = {key: None for key in sorted(image.source_parameters) if key not in ("backup-url", "concurrent-limit")}
    return {"sourceType": "restore",
            "sourceParameters": stale | {"backup-url": url, "concurrent-limit": RESTORE_CONCURRENCY}}


# -- options ---------------------------------------------------------------------------------------


def _step(image: ImageNode, action: str, title: str, *, changes: Iterable[Change] = (), notes: Iterable[str] = (),
          automatic: bool = True) -> Step:
    return Step(id=f"recover:{action}:{image.namespace}/{image.name}", action=action, target=ref(image.obj),
                title=title, reason=_reason(image), finding=FINDING, changes=tuple(changes), automatic=automatic,
                notes=tuple(notes))


def _reason(image: ImageNode) -> str:
    users = f"used by {len(image.vms)} VM(s)" + (f" ({', '.join(image.vms)})" if image.vms else "")
    return (f"{image.name} ({image.vm_image or 'no VM image'}, sourceType {image.source_type or 'unknown'}) has no "
            f"ready copy and none is being re-created; {users}")


def _readopt(image: ImageNode, shape: DiskMap, found: list[Orphan], automatic: bool) -> Step:
    disks = {o.disk.uuid: shape.entry for o in found}
    where = [f"node {o.disk.node or '?'} disk {o.disk.uuid}: {file_path(image, o.disk)} ({o.evidence})" for o in found]
    notes = [
        "Before applying, on each node below check that the file exists, and copy it (with backing.cfg next to it) "
        "off the host: a racing manager may still delete it.",
        *where,
        "A manager re-adopts a file only if its size and SHA512 match status.checksum "
        f"({image.checksum or 'unknown'}); a disk without the file just gets a failed copy, which the other "
        "options can still fix.",
    ]
    listed = mapping(image.obj, "spec", shape.field)
    if all(uuid in listed for uuid in disks):
        notes.append(f"These disks are already in spec.{shape.field}, so Longhorn has been asked for them: if their "
                     "copies stay failed, rerun without --readopt-orphans to take the next option.")
    if not automatic:
        notes.append("Not applied without --readopt-orphans: only a human can confirm the files are there.")
    return _step(image, READOPT, f"put {len(found)} disk(s) that may hold the file back into spec.{shape.field}",
                 changes=[_patch(image, {shape.field: disks} | _min_copies(image, shape))], notes=notes,
                 automatic=automatic)


def _redownload(image: ImageNode, shape: DiskMap, state: ClusterState) -> Step:
    url = str(image.source_parameters.get("url", "") or "")
    notes = [
        *_last_failure(state, image),
        f"Longhorn KB 'Resolving Backing Image Unavailability Issue': clear spec.{shape.field}, then delete the "
        "data source by name; Longhorn creates a new one from spec.sourceType/sourceParameters and downloads again.",
        f"The URL must still serve a byte-identical file: SHA512 = status.checksum = {image.checksum or 'unknown'}. "
        f"Check it first, e.g. curl -sL {url or '<url>'} | sha512sum. A different file fails the checksum and the "
        "image stays lost (nothing else is harmed).",
        "Then wait until a copy is ready (kubectl -n longhorn-system get lhbi "
        f"{image.name} -o jsonpath='{{.status.diskFileStatusMap}}') before starting the VMs.",
    ]
    return _step(image, REDOWNLOAD, f"re-download from {url or 'the original URL'}",
                 changes=[_patch(image, _cleared_map(image, shape)), _delete_data_source(image)], notes=notes)


def _last_failure(state: ClusterState, image: ImageNode) -> list[str]:
    """Longhorn's own last attempt, when it failed: the same URL fails again until its server is fixed."""
    bids = state.get(k.BACKING_IMAGE_DATA_SOURCES, image.name, image.namespace)
    if str(dig(bids, "status", "currentState", default="") or "") not in FAILED_COPY_STATES:
        return []
    message = str(dig(bids, "status", "message", default="") or "no message")
    return [f"Longhorn's last attempt failed ({message}): fix the source first, or take another option."]


def _restore_backup(image: ImageNode, shape: DiskMap) -> Step | None:
    backup = image.matching_backup
    if backup is None or not backup.url:
        return None
    notes = [
        f"BackupBackingImage {backup.name} is Completed with checksum {backup.checksum} (the image's status.checksum).",
        "Reasoned from Longhorn source, not lab-tested (domain.md §5 item 2 [I]): the restore data source needs "
        "backup-url and concurrent-limit, and the UPDATE is not validated.",
        "Then wait until a copy is ready before starting the VMs.",
    ]
    spec = _restore_source(image, backup.url) | _cleared_map(image, shape)
    return _step(image, RESTORE_BACKUP, f"restore from BackupBackingImage {backup.name}",
                 changes=[_patch(image, spec), _delete_data_source(image)], notes=notes)


def _vm_restores(image: ImageNode, state: ClusterState) -> Step | None:
    restores = [_vm_restore(vm, backup) for vm, backup in _latest_vm_backups(state, image.vms)]
    if not restores:
        return None
    notes = [
        "A human chooses: the bodies restore to a new VM <vm>-restored; to replace the VM instead, stop it and set "
        "spec.newVM: false and spec.target.name to the VM's own name.",
        "The restored volumes still need this backing image: Longhorn restores it from a BackupBackingImage if one "
        "exists; without one, recover the image first.",
    ]
    return _step(image, RESTORE_VM_BACKUP, f"restore {len(restores)} VM(s) from Harvester VM backups",
                 changes=restores, notes=notes, automatic=False)


def _latest_vm_backups(state: ClusterState, vms: Iterable[str]) -> Iterator[tuple[str, Obj]]:
    """(VM, its newest ready VirtualMachineBackup) for the VMs that have one."""
    ready: dict[str, Obj] = {}
    for backup in state.objects(k.VM_BACKUPS):
        vm = f"{namespace(backup)}/{dig(backup, 'spec', 'source', 'name', default='')}"
        if dig(backup, "status", "readyToUse") is True and _created(backup) >= _created(ready.get(vm, {})):
            ready[vm] = backup
    for vm in vms:
        if vm in ready:
            yield vm, ready[vm]


def _created(obj: Mapping[str, Any]) -> str:
    return str(dig(obj, "status", "creationTime") or dig(obj, "metadata", "creationTimestamp") or "")


def _vm_restore(vm: str, backup: Obj) -> Change:
    ns, vm_name = vm.split("/", 1)
    restore = f"restore-{name(backup)}"
    api_version = k.VM_BACKUPS.api_version("v1beta1")
    body = {
        "apiVersion": api_version, "kind": "VirtualMachineRestore", "metadata": {"name": restore, "namespace": ns},
        "spec": {"target": {"apiGroup": "kubevirt.io", "kind": "VirtualMachine", "name": f"{vm_name}-restored"},
                 "virtualMachineBackupName": name(backup), "virtualMachineBackupNamespace": ns,
                 "newVM": True, "deletionPolicy": "retain"},
    }
    target = ObjectRef("VirtualMachineRestore", restore, ns, api_version)
    return Change("create", target, "virtualmachinerestores", body)


_MANUAL_SOURCES = {
    "upload": "the original upload file, if it is byte-identical",
    "export-from-volume": "a re-export only if the source volume is unchanged (unlikely to match)",
    "clone": "a re-clone of the source image, if intact and unencrypted (encryption changes the checksum)",
    "restore": "the BackupBackingImage it was restored from, once it is Completed with the same checksum",
}


def _manual(image: ImageNode) -> Step:
    source = _MANUAL_SOURCES.get(image.source_type, "the original file, if it is byte-identical")
    notes = [
        f"Nothing automatic can bring it back (sourceType {image.source_type or 'unknown'}, no matching backup).",
        f"What would: {source}; or an exported copy (Longhorn UI download, a pre-upgrade host copy). Its SHA512 must "
        f"be {image.checksum or 'status.checksum'}: copy it to <diskPath>/{file_dir(image)}/backing on a ready disk "
        "and add that disk to the disk map (domain.md §5 path 3).",
        "Never delete the BackingImage or its VirtualMachineImage: volumes are bound to its name.",
    ]
    return _step(image, MANUAL, "bring back a byte-identical copy of the file by hand", notes=notes, automatic=False)


def _rank(options: list[Step]) -> list[Step]:
    """Number the options best first and pick the first automatic one (readopt-orphan is automatic
    only with --readopt-orphans; then redownload, restore-backup), else ``manual``."""
    pick = next((s for s in options if s.automatic), None) or next(s for s in options if s.action == MANUAL)
    return [dataclasses.replace(s, option=n, picked=s is pick) for n, s in enumerate(options, 1)]


def image_options(image: ImageNode, state: ClusterState, graph: Graph, baseline: Graph | None,
                  readopt: bool) -> list[Step]:
    """Every way back for one lost image, best first, exactly one picked."""
    shape = disk_map(state, image)
    found = orphans(image, graph, baseline)
    options = [_readopt(image, shape, found, automatic=readopt)] if found else []
    if image.source_type == "download":
        options.append(_redownload(image, shape, state))
    options += [s for s in (_restore_backup(image, shape), _vm_restores(image, state)) if s]
    if not any(s.action in MAP_CLEARING for s in options):
        options.append(_manual(image))
    return _rank(options)


def plan_recover(state: ClusterState, graph: Graph, baseline_state: ClusterState | None = None,
                 readopt: bool = False) -> Plan:
    """The recovery plan for every lost image; ``baseline_state`` (a pre-upgrade snapshot) names disks."""
    baseline = build_graph(baseline_state) if baseline_state is not None else None
    steps = [step for image in lost_images(state, graph)
             for step in image_options(image, state, graph, baseline, readopt)]
    notes = list(_stale_crd_note(state))
    if not state.usable(k.BACKING_IMAGES):
        notes.append("Backing images could not be read from this source: nothing can be planned.")
    if baseline_state is not None:
        notes.append(f"Disks also taken from the --against snapshot ({baseline_state.source.location}, "
                     f"collected {baseline_state.source.collected_at or 'at an unknown time'}).")
    return Plan(command="recover", source=f"{state.source.type} {state.source.location}", steps=tuple(steps),
                notes=tuple(notes))
