"""Shared test helpers: fixture paths, support bundles built at test time, states built from objects,
synthetic objects checked against their CRDs."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import jsonschema
import yaml
from referencing import Registry, Resource

from hvguard.knowledge.crdschema import pruned_paths, version_schema
from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Coverage, ReadStatus, SourceInfo
from hvguard.synth.model import SyntheticCluster

T = TypeVar("T")
FIXTURES = Path(__file__).parent / "fixtures"
V10_SAMPLE = FIXTURES / "bundle-v1.0-sample"
METADATA = (
    "bundlename: test\nbundleversion: 0.1.0\nkubernetesversion: v1.28.12+rke2r1\n"
    "projectnamespaceuuid: 0\nbundlecreatedat: \"2026-11-01T10:00:00Z\"\nissueurl: \"null\"\nissuedescription: \"null\"\n"
)


@functools.cache
def document_validator(schema_file: str) -> jsonschema.Draft202012Validator:
    """A validator for one of the published document schemas (``src/hvguard/reports/schemas/*.json``),
    with the others registered so cross-references (``logs-v1`` → ``report-v1``) resolve."""
    folder = resources.files("hvguard.reports").joinpath("schemas")
    schemas = {f.name: json.loads(f.read_text("utf-8")) for f in folder.iterdir() if f.name.endswith(".json")}
    registry: Registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values() if "$id" in s)
    jsonschema.Draft202012Validator.check_schema(schemas[schema_file])
    return jsonschema.Draft202012Validator(schemas[schema_file], registry=registry)


def validated(schema_file: str) -> Callable[[T], T]:
    """A function that validates a document against ``schema_file`` and returns it."""
    def check(doc: T) -> T:
        document_validator(schema_file).validate(doc)
        return doc
    return check


def k8s_list(items: Iterable[Mapping[str, Any]]) -> str:
    return yaml.safe_dump({"apiVersion": "v1", "items": list(items), "kind": "List",
                           "metadata": {"resourceVersion": "1000"}}, sort_keys=True)


def write_bundle_zip(path: Path, files: Mapping[str, str | bytes], top: str = "supportbundle_test_2026-11-01T10-00-00Z/") -> Path:
    """A zip laid out like support-bundle-kit's, with ``metadata.yaml`` added unless given."""
    files = {"metadata.yaml": METADATA, **files}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in files.items():
            zf.writestr(top + rel, data)
    path.write_bytes(buf.getvalue())
    return path


def state_from(objects: Iterable[Mapping[str, Any]], unreadable: Iterable[k.Kind] = ()) -> ClusterState:
    """A state holding ``objects`` of the kinds hvguard reads (others are ignored, as a source would);
    every known kind is read, so absent ones are empty."""
    by_kind: dict[str, list[dict[str, Any]]] = {kind.key: [] for kind in k.ALL}
    for obj in objects:
        group, _, _version = str(obj["apiVersion"]).rpartition("/")
        kind = next((x for x in k.ALL if x.group == group and x.kind == obj["kind"]), None)
        if kind is not None:
            by_kind[kind.key].append(dict(obj))
    coverage = {key: Coverage(key, ReadStatus.READ, count=len(objs)) for key, objs in by_kind.items()}
    for kind in unreadable:
        coverage[kind.key] = Coverage(kind.key, ReadStatus.UNREADABLE, reason="forbidden (403)")
        by_kind[kind.key] = []
    return ClusterState(SourceInfo("bundle", "test"), by_kind, coverage)


# -- synthetic objects against the CRDs they are stored under --------------------------------------


def to_json_schema(node: Any) -> Any:
    """An OpenAPI v3 structural schema as JSON Schema (draft 7)."""
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    converted = {key: to_json_schema(value) for key, value in node.items()
                 if not key.startswith("x-kubernetes-") and key != "nullable"}
    if node.get("nullable") is True:
        if "type" in converted:
            converted["type"] = [converted["type"], "null"]
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
    return converted


def crd_problems(crd: Mapping[str, Any], version: str, obj: Mapping[str, Any]) -> list[str]:
    """Why the API server would not store ``obj`` unchanged: schema violations and pruned fields."""
    schema = version_schema(crd, version)
    validator = jsonschema.Draft7Validator(to_json_schema(schema))
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]
    return errors + [f"{path}: would be pruned" for path in pruned_paths(schema, obj)]


def objects_checked_against_crds(cluster: SyntheticCluster) -> dict[str, int]:
    """Check every object that has a CRD; returns how many objects each CRD checked."""
    counts = {}
    for crd in cluster.crds:
        spec = crd["spec"]
        counts[crd["metadata"]["name"]] = 0
        for version in (v["name"] for v in spec["versions"] if v["served"]):
            for obj in cluster.objects:
                if obj["apiVersion"] == f"{spec['group']}/{version}" and obj["kind"] == spec["names"]["kind"]:
                    assert crd_problems(crd, version, obj) == [], f"{obj['kind']} {obj['metadata']['name']}"
                    counts[crd["metadata"]["name"]] += 1
    return counts


def crds_with_schema(cluster: SyntheticCluster) -> list[str]:
    """The CRDs installed with their real schemas (the others keep every field, see ``schemaless_crd_manifest``)."""
    schemas = {crd["metadata"]["name"]: crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"] for crd in cluster.crds}
    return sorted(name for name, schema in schemas.items() if not schema.get("x-kubernetes-preserve-unknown-fields"))
