"""Shared test helpers: fixture paths, support bundles built at test time, states built from objects."""

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

from hvguard.state import kinds as k
from hvguard.state.cluster import ClusterState, Coverage, ReadStatus, SourceInfo

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
