"""deploy/rbac-readonly.yaml grants exactly what hvguard reads: every kind, read verbs only, no secrets."""

from __future__ import annotations

from pathlib import Path

import yaml

from hvguard.state import kinds as k

RBAC = Path(__file__).parents[2] / "deploy" / "rbac-readonly.yaml"


def _role() -> dict:
    docs = list(yaml.safe_load_all(RBAC.read_text()))
    return next(d for d in docs if d["kind"] == "ClusterRole")


def test_role_grants_exactly_the_kinds_hvguard_reads() -> None:
    granted = {(group, res) for rule in _role()["rules"] for group in rule["apiGroups"] for res in rule["resources"]}
    kinds = {(kind.group, kind.plural) for kind in (*k.ALL, *k.LOG_KINDS)}
    subresources = {(kind.group, f"{kind.plural}/{sub}") for kind, sub in k.SUBRESOURCES}
    assert granted == kinds | subresources


def test_role_is_read_only_and_never_touches_secrets() -> None:
    for rule in _role()["rules"]:
        assert set(rule["verbs"]) <= {"get", "list", "watch"}
        assert "secrets" not in rule["resources"]
        assert "*" not in rule["resources"] and "*" not in rule["apiGroups"]


def test_binding_ties_role_to_service_account() -> None:
    docs = {d["kind"]: d for d in yaml.safe_load_all(RBAC.read_text())}
    binding = docs["ClusterRoleBinding"]
    assert binding["roleRef"]["name"] == docs["ClusterRole"]["metadata"]["name"]
    assert binding["subjects"][0]["name"] == docs["ServiceAccount"]["metadata"]["name"]
