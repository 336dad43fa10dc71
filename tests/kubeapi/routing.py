"""Request classification: which resource a URL names, and which API verb a request is.

Follows the API server's request-info rules (``/api/v1/namespaces/<ns>/<plural>/<name>/<sub>``,
``namespaces/<name>/status`` is a namespace subresource, GET on a collection is ``list`` or
``watch``), so request-log assertions use the same vocabulary as Kubernetes audit logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

_NAMESPACE_SUBRESOURCES = ("status", "finalize")
_TRUE = ("1", "true", "True")


@dataclass(frozen=True)
class RequestInfo:
    method: str
    path: str
    verb: str
    query: dict[str, str] = field(default_factory=dict)
    is_resource: bool = False
    group: str = ""
    version: str = ""
    resource: str | None = None
    subresource: str | None = None
    namespace: str | None = None
    name: str | None = None

    def flag(self, param: str) -> bool:
        return self.query.get(param) in _TRUE


def _verb(method: str, has_name: bool, watch: bool) -> str:
    if method == "GET":
        return "get" if has_name else ("watch" if watch else "list")
    if method == "DELETE":
        return "delete" if has_name else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}.get(method, method.lower())


def parse(method: str, path: str, query: dict[str, str]) -> RequestInfo:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) > 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) > 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return RequestInfo(method, path, method.lower(), query)
    namespace = None
    if rest[0] == "namespaces" and len(rest) > 1:
        namespace = rest[1]
        if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
            rest = rest[2:]
    if len(rest) > 3:
        return RequestInfo(method, path, method.lower(), query)
    name = rest[1] if len(rest) > 1 else None
    return RequestInfo(
        method=method,
        path=path,
        verb=_verb(method, name is not None, query.get("watch") in _TRUE),
        query=query,
        is_resource=True,
        group=group,
        version=version,
        resource=rest[0],
        subresource=rest[2] if len(rest) > 2 else None,
        namespace=namespace,
        name=name,
    )
