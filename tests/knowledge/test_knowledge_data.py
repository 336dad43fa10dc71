"""The shipped data files: schema-valid, internally consistent, consistent with each other and with the CRDs."""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from hvguard.errors import KnowledgeError
from hvguard.knowledge import catalog as catalog_module
from hvguard.knowledge import crdschema
from hvguard.knowledge.catalog import Catalog, load_catalog
from hvguard.knowledge.model import SEVERITIES
from hvguard.knowledge.versions import parse

PACKAGE = resources.files("hvguard.knowledge")
DATA_FILES = ("releases", "upgrade_paths", "known_issues", "migrations", "log_signatures")


def load_data(name: str) -> Any:
    return yaml.safe_load(PACKAGE.joinpath("data", f"{name}.yaml").read_text("utf-8"))


def validator(name: str) -> jsonschema.Draft202012Validator:
    schemas = [
        json.loads(f.read_text("utf-8")) for f in PACKAGE.joinpath("schemas").iterdir() if f.name.endswith(".json")
    ]
    registry: Registry = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas)
    schema = json.loads(PACKAGE.joinpath("schemas", f"{name}.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.mark.parametrize("name", DATA_FILES)
def test_data_file_matches_its_json_schema(name: str) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator(name).iter_errors(load_data(name))]
    assert errors == []


@pytest.mark.parametrize(
    ("name", "item_key", "field", "bad"),
    [
        ("known_issues", "known_issues", "detector", "made-up-detector"),
        ("known_issues", "known_issues", "id", "harvester#7958"),
        ("known_issues", "known_issues", "confidence", "certain"),
        ("upgrade_paths", "paths", "from", "1.4.x"),
        ("releases", "releases", "sources", []),
        ("migrations", "migrations", "crd", "*.longhorn.io"),
    ],
)
def test_schemas_reject_what_the_data_must_not_contain(name: str, item_key: str, field: str, bad: Any) -> None:
    data = copy.deepcopy(load_data(name))
    data[item_key][0][field] = bad
    assert not validator(name).is_valid(data)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"releases": [{"version": "v1.3.0"}]}, "releases.yaml: v1.3.0 does not fit the model"),
        ({"releases": [{"version": "v1.3"}]}, "releases.yaml: v1.3 does not fit the model"),
        ({"release": []}, "has no 'releases' section"),
    ],
)
def test_data_that_does_not_fit_the_model_is_a_knowledge_error(
    monkeypatch: pytest.MonkeyPatch, broken: dict[str, Any], message: str
) -> None:
    real = catalog_module._load
    monkeypatch.setattr(catalog_module, "_load", lambda name: broken if name == "releases.yaml" else real(name))
    with pytest.raises(KnowledgeError, match=message):
        load_catalog.__wrapped__()


def test_counts(catalog: Catalog) -> None:
    assert (len(catalog.releases), len(catalog.paths), len(catalog.issues), len(catalog.migrations)) == (23, 21, 61, 10)


def test_ids_are_unique(catalog: Catalog) -> None:
    for ids in (
        [i.id for i in catalog.issues],
        [m.id for m in catalog.migrations],
        [str(r.version) for r in catalog.releases],
    ):
        assert len(ids) == len(set(ids))


def test_every_draft_issue_is_kept(catalog: Catalog) -> None:
    """The 58 issues of the research draft survive with slug ids (harvester#7958 -> harvester-7958)."""
    ids = {i.id for i in catalog.issues}
    for draft_id in (
        "harvester-7958",
        "harvester-7717",
        "longhorn-10249",
        "docs-v1-3-2-to-v1-4-0-harvester-bundle",
        "upgrade-helpers-47",
        "single-replica-volumes",
        "harvester-11390",
    ):
        assert draft_id in ids
    assert sum(1 for i in catalog.issues if not i.id.startswith("webhook-")) == 58


def test_detectors_are_where_the_brief_puts_them(catalog: Catalog) -> None:
    detectors = {i.id: i.detector for i in catalog.issues if i.detector}
    assert detectors == {
        "harvester-7958": "crd-prunes-target-fields",
        "harvester-7717": "eviction-requested",
        "single-replica-volumes": "single-replica-volumes",
        "webhook-degraded-volumes": "degraded-volumes",
        "webhook-managed-charts-not-ready": "managed-charts-not-ready",
        "webhook-nodes-not-ready": "nodes-not-ready",
        "longhorn-faulted-volumes": "faulted-volumes",
        "longhorn-failed-backing-image": "failed-backing-images",
    }


def test_severities_are_ranked(catalog: Catalog) -> None:
    used = {i.severity for i in catalog.issues} | {m.risk.severity for m in catalog.migrations}
    assert used <= set(SEVERITIES) and SEVERITIES[0] == "data-loss"


def test_every_path_starts_at_a_known_release_and_documented_paths_end_at_one(catalog: Catalog) -> None:
    for path in catalog.paths:
        assert any(path.from_.contains(r.version) for r in catalog.releases), path
        if path.status == "documented":
            assert any(path.to.contains(r.version) for r in catalog.releases if r.is_ga), path


def test_referenced_releases_exist(catalog: Catalog) -> None:
    known = {r.version for r in catalog.releases}
    oldest = min(known)
    for release in catalog.releases:
        assert release.min_upgradable in known or release.min_upgradable < oldest, release.version
    for issue in catalog.issues:
        assert issue.fixed_in is None or issue.fixed_in in known, issue.id


def test_documented_hops_pass_harvesters_own_version_guard(catalog: Catalog) -> None:
    """The docs' matrix never allows what package/upgrade-matrix.yaml would refuse."""
    for source in catalog.releases:
        for target in catalog.releases:
            if catalog.is_supported(source.version, target.version):
                assert source.version >= target.min_upgradable, (source.version, target.version)


def test_longhorn_ranges_agree_with_the_bundled_versions(catalog: Catalog) -> None:
    ga = [r for r in catalog.releases if r.is_ga]
    hops = [(a, b) for a in ga for b in ga if catalog.is_supported(a.version, b.version)]
    for issue in catalog.issues:
        for a, b in hops:
            if issue.matches((a.version, b.version)):
                assert issue.longhorn_from.contains(a.longhorn), (issue.id, str(a.version))
                assert issue.longhorn_to.contains(b.longhorn), (issue.id, str(b.version))


def test_every_item_names_its_sources(catalog: Catalog) -> None:
    items = [*catalog.releases, *catalog.paths, *catalog.issues, *catalog.migrations, catalog.write_validation]
    for item in items:
        assert item.evidence.sources and item.evidence.confidence in {"high", "medium", "low"}
    assert all(not r.unverified or r.evidence.confidence != "high" for r in catalog.releases)


def test_migration_targets_are_declared_by_the_newest_shipped_crd(catalog: Catalog) -> None:
    newest = max(parse(d.name.removeprefix("longhorn-")) for d in PACKAGE.joinpath("crds").iterdir()
                 if d.name.startswith("longhorn-v"))
    crds = catalog.longhorn_crds(newest).crds  # type: ignore[union-attr]
    for rule in catalog.migrations:
        if rule.version and rule.crd in crds and rule.longhorn_to.contains(newest):
            assert rule.pruned_targets(crds[rule.crd]) == [], rule.id


def test_the_6_to_7_migration_writes_fields_the_6_crd_prunes(catalog: Catalog) -> None:
    old, new = catalog.longhorn_crds("v1.6.2"), catalog.longhorn_crds("v1.7.2")
    assert old is not None and new is not None
    for planned in catalog.longhorn_migrations("v1.6.2", "v1.7.2"):
        rule = planned.rule
        if rule.crd in old.crds:
            pruned = set(crdschema.fields_pruned_by(old.crds[rule.crd], new.crds[rule.crd]))
            assert set(rule.pruned_targets(old.crds[rule.crd])) <= pruned


HEADER = re.compile(r"\A# Upstream: github\.com/(longhorn/longhorn|harvester/harvester) tag (v[0-9.]+) path \S+\.yaml")


@pytest.mark.parametrize("folder", sorted(d.name for d in PACKAGE.joinpath("crds").iterdir()))
def test_shipped_crds_keep_their_provenance(folder: str) -> None:
    files = [f for f in PACKAGE.joinpath("crds", folder).iterdir() if f.name.endswith(".yaml")]
    assert files
    for file in files:
        text = file.read_text("utf-8")
        match = HEADER.match(text)
        product, _, version = folder.partition("-")
        assert match and match.group(1).startswith(product) and match.group(2) == version, file.name
        docs = [d for d in yaml.safe_load_all(text) if d]
        assert len(docs) == 1 and docs[0]["kind"] == "CustomResourceDefinition"
        assert file.name == f"crd-{docs[0]['metadata']['name']}.yaml"
        # upstream left the label off v1.6.2's backupbackingimages CRD
        if product == "longhorn":
            assert docs[0]["metadata"]["labels"].get("app.kubernetes.io/version", version) == version
