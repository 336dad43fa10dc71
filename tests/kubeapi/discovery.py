"""Legacy (non-aggregated) discovery documents and ``/version``.

Clients that ask for aggregated discovery (kubectl 1.26+) fall back to these when the
response is plain ``application/json``, so one format serves every client.
"""

from __future__ import annotations

import re
from typing import Any

from .resources import ALL_VERBS, Registry, ResourceType, version_priority


def version_info(git_version: str) -> dict[str, str]:
    m = re.match(r"v(\d+)\.(\d+)", git_version)
    major, minor = (m.group(1), m.group(2)) if m else ("1", "0")
    return {
        "major": major, "minor": minor, "gitVersion": git_version, "gitCommit": "0" * 40,
        "gitTreeState": "clean", "buildDate": "2024-01-01T00:00:00Z", "goVersion": "go1.22.5",
        "compiler": "gc", "platform": "linux/amd64",
    }


def api_versions(server_address: str) -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group_doc(group: str, types: list[ResourceType]) -> dict[str, Any]:
    names = sorted({v.name for rt in types for v in rt.versions}, key=version_priority)
    versions = [{"groupVersion": f"{group}/{v}", "version": v} for v in names]
    return {"name": group, "versions": versions, "preferredVersion": versions[0]}


def api_group_list(registry: Registry) -> dict[str, Any]:
    groups = [_group_doc(g, types) for g, types in registry.groups().items() if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(registry: Registry, group: str) -> dict[str, Any] | None:
    types = registry.groups().get(group)
    if not group or not types:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group_doc(group, types)}


def resource_list(registry: Registry, group: str, version: str) -> dict[str, Any] | None:
    resources: list[dict[str, Any]] = []
    for rt in registry.groups().get(group, []):
        served = rt.version(version)
        if served is None:
            continue
        entry: dict[str, Any] = {
            "name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
            "kind": rt.kind, "verbs": list(ALL_VERBS),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        resources.append(entry)
        for sub in sorted(served.subresources):
            verbs = ["get"] if sub == "log" else ["get", "patch", "update"]
            resources.append({"name": f"{rt.plural}/{sub}", "singularName": "",
                              "namespaced": rt.namespaced, "kind": rt.kind, "verbs": verbs})
    if not resources:
        return None
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": resources,
    }
