"""deploy/rbac-protect.yaml grants exactly the writes protect plans, and no delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from protect_support import TARGET, state_of

from hvguard.actions.protect import plan_protect
from hvguard.analysis import runner
from hvguard.knowledge.catalog import load_catalog
from hvguard.synth.model import SyntheticCluster

RBAC = Path(__file__).parents[2] / "deploy" / "rbac-protect.yaml"
HTTP_VERB = {"patch": "patch", "replace": "update", "create": "create"}  # the writer PUTs a replace


def _role() -> dict[str, Any]:
    return next(d for d in yaml.safe_load_all(RBAC.read_text()) if d["kind"] == "ClusterRole")


def _granted() -> set[tuple[str, str, str]]:
    return {(group, resource, verb) for rule in _role()["rules"] for group in rule["apiGroups"]
            for resource in rule["resources"] for verb in rule["verbs"]}


def _planned_writes(demo: SyntheticCluster) -> set[tuple[str, str, str, str]]:
    state = state_of(demo)
    plan = plan_protect(state, runner.run(state, target=TARGET), snapshot_path=Path("s.zip"), with_vm_backups=True)
    return {(c.target.api_version.rpartition("/")[0], c.plural, HTTP_VERB[c.verb], c.target.name)
            for step in plan.steps for c in step.changes}


def test_every_planned_write_is_granted(demo: SyntheticCluster) -> None:
    for group, resource, verb, name in _planned_writes(demo):
        rules = [r for r in _role()["rules"] if group in r["apiGroups"] and resource in r["resources"]
                 and verb in r["verbs"] and name in r.get("resourceNames", [name])]
        assert rules, f"{verb} {resource}.{group} {name} is not granted"


def test_nothing_more_is_granted(demo: SyntheticCluster) -> None:
    assert _granted() == {(g, r, v) for g, r, v, _ in _planned_writes(demo)}


def test_crd_updates_are_limited_to_the_crds_migrations_write() -> None:
    rule = next(r for r in _role()["rules"] if "customresourcedefinitions" in r["resources"])
    migrated = {m.crd for m in load_catalog().migrations if m.type == "field-write"}
    assert (rule["verbs"], set(rule["resourceNames"])) == (["update"], migrated)


def test_never_delete_and_never_secrets() -> None:
    for rule in _role()["rules"]:
        assert "delete" not in rule["verbs"] and "deletecollection" not in rule["verbs"] and "*" not in rule["verbs"]
        assert "secrets" not in rule["resources"] and "*" not in rule["resources"]


def test_binding_ties_role_to_the_service_account_of_rbac_readonly() -> None:
    docs = {d["kind"]: d for d in yaml.safe_load_all(RBAC.read_text())}
    binding = docs["ClusterRoleBinding"]
    assert binding["roleRef"]["name"] == docs["ClusterRole"]["metadata"]["name"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "hvguard-readonly", "namespace": "harvester-system"}]
