"""The support-bundle source: a Harvester support bundle → ClusterState.

Layout (support-bundle-kit): ``yamls/cluster/<group>/<version>/<plural>.yaml`` and
``yamls/namespaced/<ns>/<group>/<version>/<plural>.yaml`` (the core group has no group segment),
each one ``kind: List``. Only the server-preferred version of a type is dumped, only some
namespaces are collected, modern bundles omit empty Lists, and ``bundleGenerationError.log``
names what the collector failed to read. Coverage is derived from all of that, so a missing file
is never mistaken for "no objects" when the bundle cannot tell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from hvguard.errors import InputError
from hvguard.sources import bulk, bundle_yaml
from hvguard.sources.bundle_files import BundleFiles
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Coverage, Obj, ReadStatus, SourceInfo
from hvguard.state.trim import trim

_GENERATION_ERROR = re.compile(r"^Failed to get (/\S+?):\s*(.*)$")
# Types Kubernetes always serves; everything else needs its CRD.
_BUILTIN_GROUPS = {"", "storage.k8s.io", "apiextensions.k8s.io"}


# Namespaces Harvester's collector skips on purpose and that never hold VMs, volumes or VM images.
_SYSTEM_NAMESPACES = ("kube-", "cattle-", "fleet-", "cluster-fleet-", "local", "p-", "c-", "user-")


def _system_namespace(namespace: str) -> bool:
    return namespace.startswith(_SYSTEM_NAMESPACES)


def load_bundle(path: Path, wanted: Iterable[k.Kind] = k.ALL) -> ClusterState:
    """Read the resource types in ``wanted`` from the bundle at ``path``."""
    files = BundleFiles(path)
    try:
        with bulk.decoding():
            return _BundleReader(files).read(tuple(wanted))
    finally:
        files.close()


class _BundleReader:
    def __init__(self, files: BundleFiles) -> None:
        self.files = files
        self.collected = set(files.listdir("yamls/namespaced"))
        self.generation_errors = self._generation_errors()

    def read(self, wanted: tuple[k.Kind, ...]) -> ClusterState:
        metadata = self._yaml("metadata.yaml")
        if not isinstance(metadata, dict):
            raise InputError(f"malformed bundle metadata: {self.files.describe('metadata.yaml')}")
        if not self.files.listdir("yamls"):
            raise InputError(f"bundle has no yamls/ folder: {self.files.path}", hint="the bundle may be truncated")

        objects: dict[str, list[Obj]] = {}
        coverage: dict[str, Coverage] = {}
        crd_kind_first = sorted(wanted, key=lambda kind: kind is not k.CRDS)
        installed_crds: set[str] | None = None
        all_namespaces = self._all_namespaces()
        not_collected = sorted(ns for ns in all_namespaces - self.collected if not _system_namespace(ns))
        for kind in crd_kind_first:
            objs, cov = self._read_kind(kind, installed_crds, not_collected)
            objects[kind.key], coverage[kind.key] = objs, cov
            if kind is k.CRDS and cov.status is ReadStatus.READ:
                installed_crds = {o.get("metadata", {}).get("name", "") for o in objs}

        details = {
            "bundle": str(metadata.get("bundlename") or ""),
            "kubernetes_version": str(metadata.get("kubernetesversion") or ""),
            "bundle_version": str(metadata.get("bundleversion") or ""),
        }
        return ClusterState(
            source=SourceInfo("bundle", str(self.files.path), str(metadata.get("bundlecreatedat") or "") or None, details),
            objects=objects,
            coverage=coverage,
            namespaces_not_collected=not_collected,
        )

    # -- per kind ------------------------------------------------------------------------------

    def _read_kind(
        self, kind: k.Kind, installed_crds: set[str] | None, not_collected: list[str]
    ) -> tuple[list[Obj], Coverage]:
        if kind.namespaced:
            namespaces = sorted(self.collected if kind.namespaces is None else set(kind.namespaces) & self.collected)
            if kind.namespaces and not namespaces:
                return [], Coverage(kind.key, ReadStatus.MISSING,
                                    reason=f"namespace {', '.join(kind.namespaces)} was not collected in the bundle")
        else:
            namespaces = []

        version = self._version_present(kind, namespaces)
        failure = self._failure_for(kind, namespaces)
        if failure:
            return [], Coverage(kind.key, ReadStatus.UNREADABLE, where="bundleGenerationError.log", reason=failure)
        if version is None:
            return [], self._coverage_without_file(kind, installed_crds)

        objs: list[Obj] = []
        where: list[str] = []
        for rel in self._paths(kind, version, namespaces):
            if self.files.exists(rel):
                objs.extend(trim(obj, kind) for obj in self._list_items(rel))
                where.append(rel)
        partial = kind.namespaced and kind.namespaces is None and bool(not_collected)
        status = ReadStatus.PARTIAL if partial else ReadStatus.READ
        reason = f"{len(not_collected)} namespace(s) not collected" if partial else ""
        where_text = where[0] if len(where) == 1 else f"{len(where)} files under yamls/"
        return objs, Coverage(kind.key, status, kind.api_version(version), where_text, reason, len(objs))

    def _coverage_without_file(self, kind: k.Kind, installed_crds: set[str] | None) -> Coverage:
        if kind.never_empty:
            return Coverage(kind.key, ReadStatus.MISSING, reason=f"{kind.plural} not in the bundle")
        crd_name = f"{kind.plural}.{kind.group}"
        if kind.group not in _BUILTIN_GROUPS and installed_crds is not None and crd_name not in installed_crds:
            return Coverage(kind.key, ReadStatus.ABSENT, reason=f"CRD {crd_name} is not installed")
        served = (kind.group in _BUILTIN_GROUPS or (installed_crds is not None and crd_name in installed_crds)
                  or self._group_in_bundle(kind))
        if served:
            # Modern bundles do not write empty Lists: the type is served, so no file means no objects.
            return Coverage(kind.key, ReadStatus.READ, kind.api_version(kind.versions[0]),
                            reason="no file in the bundle (empty lists are not written)")
        return Coverage(kind.key, ReadStatus.MISSING,
                        reason=f"no {kind.plural}.{kind.group or 'core'} file in the bundle and nothing shows it is served")

    def _paths(self, kind: k.Kind, version: str, namespaces: list[str]) -> list[str]:
        gv = f"{kind.group}/{version}" if kind.group else version
        if not kind.namespaced:
            return [f"yamls/cluster/{gv}/{kind.plural}.yaml"]
        return [f"yamls/namespaced/{ns}/{gv}/{kind.plural}.yaml" for ns in namespaces]

    def _version_present(self, kind: k.Kind, namespaces: list[str]) -> str | None:
        for version in kind.versions:
            if any(self.files.exists(p) for p in self._paths(kind, version, namespaces)):
                return version
        return None

    def _group_in_bundle(self, kind: k.Kind) -> bool:
        if not kind.namespaced:
            return bool(self.files.listdir(f"yamls/cluster/{kind.group}"))
        return any(self.files.listdir(f"yamls/namespaced/{ns}/{kind.group}") for ns in self.collected)

    def _failure_for(self, kind: k.Kind, namespaces: list[str]) -> str | None:
        for version in kind.versions:
            base = f"/apis/{kind.group}/{version}" if kind.group else f"/api/{version}"
            urls = [f"{base}/{kind.plural}"] + [f"{base}/namespaces/{ns}/{kind.plural}" for ns in namespaces]
            for url in urls:
                if url in self.generation_errors:
                    return f"the bundle collector failed: GET {url}: {self.generation_errors[url]}"
        return None

    # -- files ---------------------------------------------------------------------------------

    def _yaml(self, rel: str) -> Any:
        if not self.files.exists(rel):
            raise InputError(f"not a Harvester support bundle: {self.files.describe(rel)} is missing")
        try:
            return bundle_yaml.load(self.files.read_bytes(rel))
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark else ""
            problem = getattr(exc, "problem", None) or str(exc)
            raise InputError(f"malformed YAML in {self.files.describe(rel)}{where}: {problem}") from exc

    def _list_items(self, rel: str) -> list[Obj]:
        doc = self._yaml(rel)
        if doc is None:
            return []
        items = doc.get("items") if isinstance(doc, dict) else None
        if items is None and isinstance(doc, dict) and doc.get("kind") == "List":
            return []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InputError(f"malformed bundle file {self.files.describe(rel)}: expected a Kubernetes List")
        return items

    def _generation_errors(self) -> dict[str, str]:
        rel = "bundleGenerationError.log"
        if not self.files.exists(rel):
            return {}
        errors: dict[str, str] = {}
        for line in self.files.read_bytes(rel).decode("utf-8", "replace").splitlines():
            match = _GENERATION_ERROR.match(line.strip())
            if match:
                errors[match.group(1)] = match.group(2)
        return errors

    def _all_namespaces(self) -> set[str]:
        rel = "yamls/cluster/v1/namespaces.yaml"
        if not self.files.exists(rel):
            return set()
        return {o.get("metadata", {}).get("name", "") for o in self._list_items(rel)} - {""}
