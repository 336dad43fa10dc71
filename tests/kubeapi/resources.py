"""What the emulated server serves: resource types, built-in kinds, and CRD -> resource mapping.

Custom resources are derived from real CRD dicts only (names, scope, served versions, per-version
schema and subresources), so discovery, short names and pruning match a cluster running those CRDs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
# Field selectors every resource supports; built-ins add a few of their own (as the real server does).
META_SELECTABLE = ("metadata.name", "metadata.namespace")


@dataclass(frozen=True)
class Version:
    """One served version of a resource; ``schema`` is None for built-ins (no pruning)."""

    name: str
    schema: Mapping[str, Any] | None = None
    subresources: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResourceType:
    """A served resource; ``versions`` are the served ones, the preferred (highest priority) first."""

    group: str
    plural: str
    kind: str
    namespaced: bool
    versions: tuple[Version, ...]
    storage_version: str
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    list_kind: str = ""
    selectable_fields: tuple[str, ...] = META_SELECTABLE
    is_custom: bool = False
    epoch: int = 0  # bumped on every CRD (re)registration: stored objects are re-pruned on read

    @property
    def key(self) -> tuple[str, str]:
        return (self.group, self.plural)

    @property
    def preferred_version(self) -> str:
        return self.versions[0].name

    def version(self, name: str) -> Version | None:
        return next((v for v in self.versions if v.name == name), None)

    def api_version(self, version: str) -> str:
        return f"{self.group}/{version}" if self.group else version

    def has_status(self, version: str) -> bool:
        v = self.version(version)
        return v is not None and "status" in v.subresources

    def list_kind_name(self) -> str:
        return self.list_kind or f"{self.kind}List"


_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(name: str) -> tuple[int, int, int, int, str]:
    """Sort key giving Kubernetes' version order: v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > 'foo'."""
    m = _VERSION_RE.match(name)
    if not m:
        return (1, 0, 0, 0, name)
    stability = {"alpha": 2, "beta": 1, None: 0}[m.group(2)]
    return (0, stability, -int(m.group(1)), -int(m.group(3) or 0), "")


def from_crd(crd: Mapping[str, Any], epoch: int = 0) -> ResourceType:
    """Build the resource a CRD defines (served versions only, in priority order)."""
    spec = crd["spec"]
    names = spec["names"]
    served = [v for v in spec.get("versions") or [] if v.get("served", True)]
    versions = tuple(
        Version(
            name=v["name"],
            schema=(v.get("schema") or {}).get("openAPIV3Schema") or {},
            subresources=frozenset((v.get("subresources") or {}).keys()),
        )
        for v in sorted(served, key=lambda v: version_priority(v["name"]))
    )
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    return ResourceType(
        group=spec["group"],
        plural=names["plural"],
        kind=names["kind"],
        namespaced=spec.get("scope", "Namespaced") == "Namespaced",
        versions=versions,
        storage_version=storage,
        singular=names.get("singular") or names["kind"].lower(),
        short_names=tuple(names.get("shortNames") or ()),
        categories=tuple(names.get("categories") or ()),
        list_kind=names.get("listKind") or "",
        is_custom=True,
        epoch=epoch,
    )


def crd_problems(crd: Mapping[str, Any]) -> list[str]:
    """The validation errors the real server reports for the CRDs mistakes worth catching in tests."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    versions = spec.get("versions") or []
    problems = []
    if not spec.get("group") or not names.get("plural") or not names.get("kind"):
        problems.append("spec: Required value: group, names.plural and names.kind are required")
    elif (crd.get("metadata") or {}).get("name") != f"{names['plural']}.{spec['group']}":
        problems.append(
            f'metadata.name: Invalid value: "{(crd.get("metadata") or {}).get("name")}": '
            'must be spec.names.plural+"."+spec.group'
        )
    if sum(1 for v in versions if v.get("storage")) != 1:
        problems.append("spec.versions: Invalid value: must have exactly one version marked as storage version")
    for i, v in enumerate(versions):
        if not (v.get("schema") or {}).get("openAPIV3Schema"):
            problems.append(f"spec.versions[{i}].schema.openAPIV3Schema: Required value: schemas are required")
    return problems


def _builtin(
    group: str, plural: str, kind: str, namespaced: bool, short: tuple[str, ...] = (),
    sub: Iterable[str] = ("status",), fields: tuple[str, ...] = (), categories: tuple[str, ...] = (),
) -> ResourceType:
    return ResourceType(
        group=group, plural=plural, kind=kind, namespaced=namespaced,
        versions=(Version("v1", None, frozenset(sub)),), storage_version="v1",
        singular=kind.lower(), short_names=short, categories=categories,
        selectable_fields=META_SELECTABLE + fields,
    )


BUILTINS: tuple[ResourceType, ...] = (
    _builtin("", "namespaces", "Namespace", False, ("ns",), fields=("status.phase",)),
    _builtin("", "nodes", "Node", False, ("no",), fields=("spec.unschedulable",)),
    _builtin(
        "", "pods", "Pod", True, ("po",), ("status", "log"), categories=("all",),
        fields=("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                "spec.serviceAccountName", "status.phase", "status.podIP", "status.nominatedNodeName"),
    ),
    _builtin(
        "", "events", "Event", True, ("ev",), (),
        fields=("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                "involvedObject.fieldPath", "reason", "reportingComponent", "type"),
    ),
    _builtin("", "persistentvolumes", "PersistentVolume", False, ("pv",)),
    _builtin("", "persistentvolumeclaims", "PersistentVolumeClaim", True, ("pvc",)),
    _builtin("", "configmaps", "ConfigMap", True, ("cm",), ()),
    _builtin("apiextensions.k8s.io", "customresourcedefinitions", "CustomResourceDefinition",
             False, ("crd", "crds"), categories=("api-extensions",)),
    _builtin("storage.k8s.io", "storageclasses", "StorageClass", False, ("sc",), ()),
    _builtin("coordination.k8s.io", "leases", "Lease", True, (), ()),
)


@dataclass
class Registry:
    """Thread-safe map of served resources, keyed by (group, plural)."""

    _types: dict[tuple[str, str], ResourceType] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rt: ResourceType) -> None:
        with self._lock:
            self._types[rt.key] = rt

    def remove(self, group: str, plural: str) -> None:
        with self._lock:
            self._types.pop((group, plural), None)

    def all(self) -> list[ResourceType]:
        with self._lock:
            return list(self._types.values())

    def get(self, group: str, plural: str) -> ResourceType | None:
        with self._lock:
            return self._types.get((group, plural))

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        rt = self.get(group, plural)
        return rt if rt is not None and rt.version(version) is not None else None

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        return next(
            (rt for rt in self.all() if rt.group == group and rt.kind == kind and rt.version(version)),
            None,
        )

    def resolve(self, name: str) -> ResourceType:
        """Resolve ``pods``, ``po``, ``Pod``, ``lhbi`` or ``nodes.longhorn.io`` like kubectl does.

        Without a group suffix the core group wins (``nodes`` is the core Node, as in kubectl).
        """
        candidates = []
        for rt in self.all():
            aliases = {rt.plural, rt.singular, rt.kind.lower(), *rt.short_names}
            for alias in aliases:
                if name.lower() in (alias, f"{alias}.{rt.group}"):
                    candidates.append(rt)
        if not candidates:
            raise KeyError(f"no resource type matches {name!r}")
        return min(candidates, key=lambda rt: (rt.group != "", rt.group))

    def groups(self) -> dict[str, list[ResourceType]]:
        grouped: dict[str, list[ResourceType]] = {}
        for rt in sorted(self.all(), key=lambda rt: (rt.group, rt.plural)):
            grouped.setdefault(rt.group, []).append(rt)
        return grouped
