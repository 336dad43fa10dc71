"""``apply-target-crd`` steps: the documented harvester#7958 mitigation, one CRD at a time.

For every CRD the preflight found pruning fields the target's Longhorn migrations write
(``crd/prunes-target-fields``), the step first adds the CRD to the ``harvester`` ManagedChart's
``spec.diff.comparePatches`` — otherwise Fleet reverts the hand-applied CRD or marks the chart not
Ready, and the upgrade webhook refuses to start — and then applies the target Longhorn release's
CRD as shipped in hvguard. The CRD body keeps the live object's metadata (Helm's ownership labels
and annotations) and any spec key the shipped CRD does not set (the conversion webhook's injected
``caBundle``), as ``kubectl apply`` would.

A CRD is never applied automatically when the target schema would drop a field the installed one
declares: the running (older) Longhorn still writes those fields, and applying the newer CRD early
would strip them from live objects — trading a future prune for a present one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from hvguard.actions.executor import merge_patch
from hvguard.actions.plan import Change, Step
from hvguard.analysis.fields import dig, mapping
from hvguard.analysis.findings import Finding, ObjectRef
from hvguard.analysis.upgrade import Upgrade
from hvguard.knowledge import crdschema
from hvguard.knowledge.catalog import ShippedCrds
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Obj

ACTION = "apply-target-crd"
FINDING = "crd/prunes-target-fields"
CHART = ObjectRef("ManagedChart", "harvester", "fleet-local", "management.cattle.io/v3")
CRD_API = "apiextensions.k8s.io/v1"
# The entry Harvester's upgrade notes for v1.3.2 → v1.4.0 add: ignore every part Fleet could diff.
JSON_POINTERS = ("/spec", "/metadata/annotations", "/metadata/labels", "/status")
VERSION_LABEL = "app.kubernetes.io/version"
# Live metadata a replace must carry over; everything else is server-owned.
_KEPT_METADATA = ("name", "labels", "annotations", "finalizers", "ownerReferences")


def compare_patch(crd_name: str) -> dict[str, Any]:
    return {"apiVersion": CRD_API, "kind": "CustomResourceDefinition", "name": crd_name,
            "jsonPointers": list(JSON_POINTERS)}


def with_compare_patch(entries: Sequence[Mapping[str, Any]], crd_name: str) -> list[dict[str, Any]]:
    """``entries`` plus one covering ``crd_name``: an existing entry for it is widened in place, not duplicated."""
    wanted = compare_patch(crd_name)
    result, found = [], False
    for entry in entries:
        entry = dict(entry)
        if entry.get("kind") == wanted["kind"] and entry.get("name") == crd_name:
            pointers = list(entry.get("jsonPointers") or [])
            entry["jsonPointers"] = pointers + [p for p in JSON_POINTERS if p not in pointers]
            found = True
        result.append(entry)
    return result if found else result + [wanted]


def crd_body(installed: Obj | None, shipped: Mapping[str, Any]) -> dict[str, Any]:
    """The object to PUT: the shipped spec over the live one, the live metadata kept, its version label updated."""
    source = installed if installed is not None else shipped
    metadata = {key: value for key, value in mapping(source, "metadata").items() if key in _KEPT_METADATA}
    labels = dict(metadata.get("labels") or {})
    version = dig(shipped, "metadata", "labels", VERSION_LABEL)
    if VERSION_LABEL in labels and version:
        metadata["labels"] = {**labels, VERSION_LABEL: version}
    return {"apiVersion": CRD_API, "kind": "CustomResourceDefinition", "metadata": metadata,
            "spec": merge_patch(mapping(installed, "spec"), shipped["spec"])}


def served_versions(crd: Mapping[str, Any]) -> list[str]:
    return [str(v.get("name")) for v in dig(crd, "spec", "versions", default=[]) or []
            if isinstance(v, Mapping) and dig(v, "schema", "openAPIV3Schema")]


def regressions(installed: Obj, shipped: Mapping[str, Any]) -> list[str]:
    """Fields the installed CRD declares that the shipped (target) CRD would prune, per shared version."""
    shared = set(served_versions(installed)) & set(served_versions(shipped))
    return sorted(f"{version}: {field}" for version in shared
                  for field in crdschema.fields_pruned_by(shipped, installed, version))


def crd_steps(state: ClusterState, upgrade: Upgrade, findings: Iterable[Finding]) -> list[Step]:
    """One step per drifting CRD, worst drift first; the comparePatches list grows step by step."""
    by_crd: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.id == FINDING and finding.resource is not None:
            by_crd.setdefault(finding.resource.name, []).append(finding)
    shipped = upgrade.catalog.longhorn_crds(upgrade.longhorn_target) if upgrade.longhorn_target else None
    chart = state.get(k.MANAGED_CHARTS, CHART.name, CHART.namespace)
    entries = list(dig(chart, "spec", "diff", "comparePatches", default=[]) or []) if chart else []
    steps = []
    for crd_name, found in sorted(by_crd.items(), key=lambda item: (-max(f.severity for f in item[1]), item[0])):
        installed = state.get(k.CRDS, crd_name)
        blocker = _why_manual(crd_name, installed, shipped, chart, upgrade)
        if blocker:
            steps.append(_step(crd_name, found, f"{crd_name} needs a decision before the upgrade", (),
                               automatic=False, notes=(blocker,)))
            continue
        assert shipped is not None
        target = shipped.crds[crd_name]
        entries = with_compare_patch(entries, crd_name)
        changes = (
            Change("patch", CHART, "managedcharts", {"spec": {"diff": {"comparePatches": entries}}}),
            Change("replace", ObjectRef("CustomResourceDefinition", crd_name, "", CRD_API),
                   "customresourcedefinitions", crd_body(installed, target)),
        )
        fields = sorted({f for finding in found for f in finding.evidence.get("prunedFields", ())})
        notes = [f"afterwards hvguard re-reads the CRD and stops unless its schema declares every field of the "
                 f"Longhorn {shipped.used} CRD (including {', '.join(fields)})"]
        if not shipped.exact:
            notes.append(f"hvguard ships Longhorn {shipped.used}'s CRD, the nearest to the target's "
                         f"{shipped.requested}")
        title = f"apply the Longhorn {shipped.used} CRD {crd_name}, with Fleet told to ignore the drift"
        steps.append(_step(crd_name, found, title, changes, automatic=True, notes=tuple(notes)))
    return steps


def _why_manual(crd_name: str, installed: Obj | None, shipped: ShippedCrds | None, chart: Obj | None,
                upgrade: Upgrade) -> str:
    """Why this CRD cannot be applied automatically ("" when it can)."""
    if shipped is None or crd_name not in shipped.crds:
        return (f"hvguard does not ship {crd_name} for Longhorn {upgrade.longhorn_target or '(unknown)'}: apply it "
                f"from that release's deploy/longhorn.yaml by hand, after adding the comparePatches entry")
    if chart is None:
        return (f"ManagedChart {CHART.namespace}/{CHART.name} was not found: without its comparePatches entry "
                "Fleet reverts a hand-applied CRD or marks the chart not Ready, which blocks the upgrade")
    dropped = regressions(installed, shipped.crds[crd_name]) if installed is not None else []
    if dropped:
        return (f"not applied before the upgrade: the Longhorn {shipped.used} CRD drops {', '.join(dropped)}, which "
                f"the running Longhorn {upgrade.longhorn_source or ''} declares and writes; applying it now would "
                "strip them from live objects. The upgrade applies this CRD itself")
    return ""


def _step(crd_name: str, found: list[Finding], title: str, changes: tuple[Change, ...], *,
          automatic: bool, notes: tuple[str, ...]) -> Step:
    worst = max(found, key=lambda f: f.severity)
    effects = sorted({str(f.evidence.get("whatHappens", "")) for f in found} - {""})
    return Step(
        id=f"{ACTION}/{crd_name}",
        action=ACTION,
        target=ObjectRef("CustomResourceDefinition", crd_name, "", CRD_API),
        title=title,
        reason="; ".join(f.message for f in found),
        finding=worst.id,
        changes=changes,
        automatic=automatic,
        notes=notes + (() if automatic else tuple(f"if left as is: {effect}" for effect in effects)),
    )
