"""What the paths document says: support, routes, components, migrations, issues, unknown versions.

Every document here comes from the command (``-o json``) and is validated against ``paths-v1.json``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from hvguard.knowledge.catalog import load_catalog
from hvguard.knowledge.model import SEVERITIES, Release
from hvguard.knowledge.versions import parse
from hvguard.reports import paths as document

PathsDoc = dict[str, Any]
JsonDoc = Callable[[str, str], tuple[int, PathsDoc]]


def releases() -> list[Release]:
    return list(load_catalog().releases)


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def hops(doc: PathsDoc) -> list[tuple[str, str]]:
    return [(hop["from"], hop["to"]) for hop in doc["hops"]]


@pytest.mark.parametrize(
    "pair", list(itertools.pairwise(releases())), ids=lambda p: f"{p[0].version}->{p[1].version}"
)
def test_every_release_is_supported_from_its_predecessor(json_doc: JsonDoc, pair: tuple[Release, Release]) -> None:
    before, after = (str(release.version) for release in pair)
    code, doc = json_doc(before, after)
    assert code == 0
    assert (doc["verdict"], doc["supported"], doc["route"], doc["direct"]) == ("supported", True, [before, after], None)
    (hop,) = doc["hops"]
    assert hop["supported"] and hop["doc"].startswith("https://") and hop["minUpgradable"]["met"]
    assert doc["from"]["known"] and doc["to"]["known"]
    assert hop["components"] == doc["components"] and hop["migrations"] is not None


def test_v131_to_v140_is_unsupported_and_routed_through_v132(json_doc: JsonDoc) -> None:
    code, doc = json_doc("v1.3.1", "v1.4.0")
    assert code == 1
    assert (doc["verdict"], doc["supported"]) == ("unsupported", False)
    assert doc["route"] == ["v1.3.1", "v1.3.2", "v1.4.0"]
    assert doc["reason"] == "take route v1.3.1 → v1.3.2 → v1.4.0"
    assert [hop["doc"] for hop in doc["hops"]] == [
        "https://docs.harvesterhci.io/v1.8/upgrade/v1-3-1-to-v1-3-2",
        "https://docs.harvesterhci.io/v1.8/upgrade/v1-3-2-to-v1-4-0",
    ]
    direct = doc["direct"]
    assert (direct["from"], direct["to"], direct["supported"], direct["doc"]) == ("v1.3.1", "v1.4.0", False, None)
    assert direct["minUpgradable"] == {"version": "v1.3.2", "met": False}
    assert any("skip-version-check" in note for note in doc["notes"])


def test_v122_to_v140_takes_three_hops(json_doc: JsonDoc) -> None:
    code, doc = json_doc("v1.2.2", "v1.4.0")
    assert code == 1
    assert doc["route"] == ["v1.2.2", "v1.3.1", "v1.3.2", "v1.4.0"]
    assert hops(doc) == [("v1.2.2", "v1.3.1"), ("v1.3.1", "v1.3.2"), ("v1.3.2", "v1.4.0")]
    assert all(hop["supported"] and hop["doc"] for hop in doc["hops"])


def test_harvesters_own_version_check_is_reported_for_the_direct_jump(json_doc: JsonDoc) -> None:
    code, doc = json_doc("v1.5.0", "v1.7.0")
    assert code == 1 and doc["direct"]["minUpgradable"] == {"version": "v1.6.0", "met": False}
    assert any("refuses upgrades from versions older than v1.6.0" in note for note in doc["notes"])
    code, doc = json_doc("v1.1.2", "v1.2.0")  # the docs page calls it "not recommended"; Harvester allows it
    assert (code, doc["route"]) == (1, [])
    assert doc["direct"]["minUpgradable"] == {"version": "v1.1.2", "met": True}
    assert any("nothing stops v1.1.2 → v1.2.0" in note for note in doc["notes"])


@pytest.fixture(scope="module")
def v132_to_v140(json_doc: JsonDoc) -> PathsDoc:
    code, doc = json_doc("v1.3.2", "v1.4.0")
    assert code == 0
    return doc


class TestHarvester7958:
    """v1.3.2 -> v1.4.0: Longhorn 1.6.2 -> 1.7.2, lenient v16xto170, backing-image files deleted."""

    @pytest.fixture
    def doc(self, v132_to_v140: PathsDoc) -> PathsDoc:
        return v132_to_v140

    def test_the_issue_is_listed_first_with_its_finding_id_and_detector(self, doc: PathsDoc) -> None:
        issue = by_id(doc["issues"])["harvester-7958"]
        assert issue["findingId"] == "known-issue/harvester-7958"
        assert (issue["severity"], issue["category"]) == ("data-loss", "storage/backing-image")
        assert (issue["detection"], issue["detector"]) == ("cluster-state", "crd-prunes-target-fields")
        assert issue["hops"] == [{"from": "v1.3.2", "to": "v1.4.0"}]
        assert issue["fixedIn"] is None and issue["confidence"] == "high"
        assert "https://github.com/harvester/harvester/issues/7958" in issue["urls"]
        assert "comparePatches" in issue["mitigation"]
        assert doc["issues"][0]["severity"] == "data-loss"
        assert "harvester-7958" in doc["hops"][0]["issues"]

    def test_the_backing_image_migration_is_lenient_and_loses_data(self, doc: PathsDoc) -> None:
        (hop,) = doc["hops"]
        assert hop["longhorn"] == {"from": "v1.6.2", "to": "v1.7.2"}
        migration = by_id(hop["migrations"])["v16xto170-backingimages"]
        assert (migration["type"], migration["crd"], migration["version"]) == (
            "field-write", "backingimages.longhorn.io", "v1beta2")
        assert migration["upgradePath"] == "v16xto170"
        assert migration["targetFields"] == ["spec.diskFileSpecMap", "spec.minNumberOfCopies"]
        assert migration["write"] == "lenient"
        assert migration["risk"]["severity"] == "data-loss"
        assert "harvester#7958" in migration["risk"]["effect"]
        assert [m["id"] for m in hop["migrations"]][0] == "v16xto170-backingimages"  # longhorn-manager's order

    def test_longhorn_goes_from_162_to_172(self, doc: PathsDoc) -> None:
        expected = {"component": "longhorn", "from": "v1.6.2", "to": "v1.7.2", "unverified": False}
        assert expected in doc["components"] and expected in doc["hops"][0]["components"]
        assert {c["component"] for c in doc["components"]} == {"longhorn", "rke2", "kubevirt", "rancher"}

    def test_the_cluster_outage_issue_on_the_same_hop(self, doc: PathsDoc) -> None:
        issue = by_id(doc["issues"])["harvester-7717"]
        assert (issue["severity"], issue["detector"], issue["fixedIn"]) == (
            "cluster-outage", "eviction-requested", "v1.5.1")

    def test_path_only_issues_have_no_detector(self, doc: PathsDoc) -> None:
        path_only = [issue for issue in doc["issues"] if issue["detection"] == "path-only"]
        assert path_only and all(issue["detector"] is None for issue in path_only)
        assert by_id(doc["issues"])["docs-v1-3-2-to-v1-4-0-harvester-bundle"]["detection"] == "path-only"


@pytest.mark.parametrize(("source", "target"), [("v1.3.2", "v1.4.0"), ("v1.2.2", "v1.8.2"), ("v1.3.1", "v1.4.0")])
def test_issues_are_worst_first_and_hops_refer_to_them(json_doc: JsonDoc, source: str, target: str) -> None:
    _, doc = json_doc(source, target)
    ranks = [SEVERITIES.index(issue["severity"]) for issue in doc["issues"]]
    assert ranks == sorted(ranks) and len(set(ranks)) > 1
    for hop in [*doc["hops"], *([doc["direct"]] if doc["direct"] else [])]:
        ref = {"from": hop["from"], "to": hop["to"]}
        assert hop["issues"] == [issue["id"] for issue in doc["issues"] if ref in issue["hops"]]


def test_issues_keep_knowledge_order_within_a_severity(json_doc: JsonDoc) -> None:
    _, doc = json_doc("v1.3.2", "v1.4.0")
    knowledge_order = [issue.id for issue in load_catalog().issues]
    for severity in {issue["severity"] for issue in doc["issues"]}:
        same = [issue["id"] for issue in doc["issues"] if issue["severity"] == severity]
        assert same == sorted(same, key=knowledge_order.index)


def test_a_strict_manager_stops_instead_of_pruning(json_doc: JsonDoc) -> None:
    code, doc = json_doc("v1.4.3", "v1.5.2")  # Longhorn 1.7.3 -> 1.8.2: the 1.8.2 manager writes strictly
    assert code == 0
    migrations = by_id(doc["hops"][0]["migrations"])
    bi = migrations["v17xto180-backingimages"]
    assert bi["write"] == "strict"
    assert bi["risk"]["severity"] == "stuck-upgrade" and "crash-loops" in bi["risk"]["effect"]


def test_the_same_rule_is_lenient_under_a_181_manager(json_doc: JsonDoc) -> None:
    _, doc = json_doc("v1.4.3", "v1.5.0")  # Longhorn 1.8.1: lenient
    bi = by_id(doc["hops"][0]["migrations"])["v17xto180-backingimages"]
    assert (bi["write"], bi["risk"]["severity"]) == ("lenient", "degraded")


def test_stored_versions_rules_have_no_write_mode(json_doc: JsonDoc) -> None:
    _, doc = json_doc("v1.6.1", "v1.7.0")  # Longhorn 1.9.2 -> 1.10.1
    stored = by_id(doc["hops"][0]["migrations"])["v19xto1100-stored-versions"]
    assert stored["write"] is None and stored["requiredStoredVersions"] == ["v1beta2"]
    assert stored["targetFields"] == [] and stored["risk"]["severity"] == "cluster-outage"


def test_a_hop_that_keeps_longhorn_runs_no_migration(json_doc: JsonDoc) -> None:
    _, doc = json_doc("v1.3.1", "v1.3.2")
    assert doc["hops"][0]["longhorn"] == {"from": "v1.6.2", "to": "v1.6.2"}
    assert doc["hops"][0]["migrations"] == []


def test_unverified_component_values_are_marked(json_doc: JsonDoc) -> None:
    _, doc = json_doc("v1.7.1", "v1.7.2")
    changes = {c["component"]: c for c in doc["components"]}
    assert changes["rke2"]["unverified"] and changes["rancher"]["unverified"]
    assert not changes["kubevirt"]["unverified"]
    assert doc["to"]["unverified"] == ["rancher", "rke2"]


def test_unknown_component_values_are_null(json_doc: JsonDoc) -> None:
    _, doc = json_doc("v1.7.2", "v1.7.3")
    changes = {c["component"]: c for c in doc["components"]}
    assert changes["rke2"]["to"] is None and doc["to"]["components"]["rancher"] is None


@pytest.mark.parametrize(("source", "target", "reason"), [
    ("v1.4.0", "v1.3.2", "a downgrade; Harvester does not support downgrades"),
    ("v1.8.2", "v1.2.0", "a downgrade; Harvester does not support downgrades"),
    ("v1.4.0", "1.4.0", "the same version; there is nothing to upgrade"),
])
def test_downgrades_and_no_ops_are_unsupported_without_a_route(
    json_doc: JsonDoc, source: str, target: str, reason: str
) -> None:
    code, doc = json_doc(source, target)
    assert code == 1
    assert (doc["verdict"], doc["supported"], doc["reason"]) == ("unsupported", False, reason)
    assert (doc["route"], doc["hops"], doc["direct"], doc["issues"]) == ([], [], None, [])


class TestUnknownVersions:
    def test_an_unlisted_patch_of_a_covered_line_is_still_supported(self, json_doc: JsonDoc) -> None:
        code, doc = json_doc("v1.8.2", "v1.8.3")
        assert code == 0 and doc["verdict"] == "supported"
        assert doc["to"] == {"version": "v1.8.3", "known": False, "status": None, "tagDate": None,
                             "minUpgradable": None, "components": None, "unverified": []}
        (hop,) = doc["hops"]
        assert (hop["components"], hop["migrations"], hop["longhorn"], hop["minUpgradable"]) == (None,) * 4
        assert doc["components"] is None
        assert hop["issues"], "issues match on version ranges, so they are still known"
        assert any("no release data for Harvester v1.8.3" in note for note in doc["notes"])

    def test_a_version_outside_the_data_and_the_matrix_is_unknown_and_exits_0(self, json_doc: JsonDoc) -> None:
        code, doc = json_doc("v1.3.2", "v1.4.9")
        assert code == 0
        assert (doc["verdict"], doc["supported"], doc["route"], doc["hops"]) == ("unknown", False, [], [])
        assert doc["to"]["known"] is False and doc["from"]["known"] is True
        assert "v1.4.9" in doc["reason"] and "support matrix" in doc["reason"]
        assert doc["direct"]["components"] is None and doc["issues"]

    def test_a_future_major_is_unknown(self, json_doc: JsonDoc) -> None:
        code, doc = json_doc("v1.8.2", "v9.0.0")
        assert (code, doc["verdict"]) == (0, "unknown")

    def test_a_jump_the_matrix_covers_is_unsupported_even_for_unlisted_versions(self, json_doc: JsonDoc) -> None:
        code, doc = json_doc("v1.8.3", "v1.10.0")  # the matrix has v1.8.x -> v1.9.x and v1.9.x -> v1.10.x only
        assert (code, doc["verdict"], doc["route"]) == (1, "unsupported", [])
        assert not doc["from"]["known"] and not doc["to"]["known"]


class TestVersionSpellings:
    def test_with_and_without_v_are_the_same(self, json_doc: JsonDoc) -> None:
        assert json_doc("1.3.2", "1.4.0") == json_doc("v1.3.2", "v1.4.0")

    @pytest.mark.parametrize("target", ["v1.4.0-rc1", "v1.4.0-dev-20240901"])
    def test_pre_release_builds_count_as_the_release_they_lead_up_to(self, json_doc: JsonDoc, target: str) -> None:
        code, doc = json_doc("v1.3.2", target)
        assert code == 0 and doc["route"] == ["v1.3.2", target]
        assert doc["to"]["known"] is False
        assert "harvester-7958" in {issue["id"] for issue in doc["issues"]}
        assert any(f"{target} is a pre-release build" in note and "v1.4.0" in note for note in doc["notes"])

    def test_a_catalogued_release_candidate_is_known(self, json_doc: JsonDoc) -> None:
        code, doc = json_doc("v1.8.2", "v1.9.0-rc6")
        assert code == 0 and doc["to"]["known"] and doc["to"]["status"] == "prerelease"
        assert doc["hops"][0]["docStatus"] == "preview"
        assert any("development docs (preview)" in note for note in doc["notes"])


def test_build_takes_parsed_versions_and_the_catalog() -> None:
    doc = document.build(parse("v1.3.2"), parse("v1.4.0"), load_catalog())
    assert doc["schema"] == "hvguard.paths/v1"
    assert doc["tool"]["command"] == "paths" and doc["tool"]["name"] == "hvguard"


def test_the_schema_rejects_a_supported_verdict_with_a_direct_hop(
    json_doc: JsonDoc, validate: Callable[[PathsDoc], PathsDoc]
) -> None:
    import jsonschema

    _, doc = json_doc("v1.3.2", "v1.4.0")
    _, routed = json_doc("v1.3.1", "v1.4.0")
    with pytest.raises(jsonschema.ValidationError):
        validate({**doc, "direct": routed["direct"]})
    with pytest.raises(jsonschema.ValidationError):
        validate({**routed, "supported": True})
