"""CRD drift: which fields the planned Longhorn migrations write that the *installed* CRDs would prune.

This is the root cause of harvester#7958, stated generically: a migration rule (knowledge data)
writes fields; if the live CRD's structural schema does not declare them and the target manager
writes leniently, the API server drops them silently. Rules are data, so a later migration that
hits the same trap is a new YAML entry, not new code.
"""

from __future__ import annotations

from dataclasses import dataclass

from hvguard.analysis.fields import dig, name
from hvguard.analysis.upgrade import Upgrade
from hvguard.knowledge import crdschema
from hvguard.knowledge.model import Migration
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Obj


@dataclass(frozen=True, slots=True)
class Drift:
    migration: Migration
    strict: bool
    crd_name: str
    installed_version: str  # the installed CRD's app.kubernetes.io/version label ("" when unlabelled)
    pruned: tuple[str, ...]  # target fields the installed CRD prunes
    carriers: tuple[str, ...]  # objects holding data the migration moves into a pruned field
    objects: int  # objects of the CRD's kind the migration rewrites

    @property
    def moves_data(self) -> bool:
        """A pruned field is where existing data is moved to (the data is lost, not just a default)."""
        return any(w.op == "move-keys" and w.path in self.pruned for w in self.migration.writes)


def installed_crd(state: ClusterState, crd_name: str) -> Obj | None:
    return state.get(k.CRDS, crd_name)


def kind_of(crd_name: str) -> k.Kind | None:
    plural, _, group = crd_name.partition(".")
    return next((kind for kind in k.ALL if kind.plural == plural and kind.group == group), None)


def drifts(state: ClusterState, upgrade: Upgrade) -> list[Drift]:
    """Every planned field-write migration whose target fields the installed CRD would prune."""
    found = []
    for planned in upgrade.migrations():
        rule = planned.rule
        crd = installed_crd(state, rule.crd)
        if rule.type != "field-write" or crd is None:
            continue
        pruned = tuple(rule.pruned_targets(crd))
        if not pruned:
            continue
        kind = kind_of(rule.crd)
        objs = state.objects(kind) if kind else ()
        sources = [w.source.split(".") for w in rule.writes if w.op == "move-keys" and w.path in pruned and w.source]
        carriers = tuple(sorted(name(o) for o in objs if any(dig(o, *src) for src in sources)))
        label = str(dig(crd, "metadata", "labels", "app.kubernetes.io/version", default="") or "")
        found.append(Drift(rule, planned.strict, rule.crd, label, pruned, carriers, len(objs)))
    return found


def all_pruned_fields(state: ClusterState, upgrade: Upgrade, crd_name: str) -> list[str]:
    """Every field the target release's CRD declares that the installed one would prune (context for evidence)."""
    crd = installed_crd(state, crd_name)
    shipped = upgrade.catalog.longhorn_crds(upgrade.longhorn_target) if upgrade.longhorn_target else None
    if crd is None or shipped is None or crd_name not in shipped.crds:
        return []
    return crdschema.fields_pruned_by(crd, shipped.crds[crd_name])
