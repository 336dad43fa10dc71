"""deploy/rbac-recover.yaml grants exactly the writes ``recover --apply`` makes, and nothing more."""

from __future__ import annotations

from pathlib import Path

import yaml
from recover_support import plan_of

from hvguard.synth.model import SyntheticCluster

RBAC = Path(__file__).parents[2] / "deploy" / "rbac-recover.yaml"


def granted() -> set[tuple[str, str, str]]:
    role = next(d for d in yaml.safe_load_all(RBAC.read_text()) if d["kind"] == "Role")
    assert role["metadata"]["namespace"] == "longhorn-system"
    return {(group, resource, verb) for rule in role["rules"] for group in rule["apiGroups"]
            for resource in rule["resources"] for verb in rule["verbs"]}


def test_grants_exactly_the_two_extra_verbs() -> None:
    assert granted() == {("longhorn.io", "backingimages", "patch"),
                         ("longhorn.io", "backingimagedatasources", "delete")}


def test_covers_every_write_any_picked_option_makes(pruned: SyntheticCluster, before: SyntheticCluster) -> None:
    writes = {(c.target.api_version.split("/")[0], c.plural, c.verb)
              for readopt in (False, True) for step in plan_of(pruned, baseline=before, readopt=readopt).to_apply
              for c in step.changes}
    assert writes == granted()


def test_binds_the_read_only_service_account() -> None:
    docs = {d["kind"]: d for d in yaml.safe_load_all(RBAC.read_text())}
    assert docs["RoleBinding"]["roleRef"]["name"] == docs["Role"]["metadata"]["name"]
    assert docs["RoleBinding"]["subjects"] == [
        {"kind": "ServiceAccount", "name": "hvguard-readonly", "namespace": "harvester-system"}]
