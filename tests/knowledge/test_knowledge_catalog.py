"""Questions asked of the catalog: releases, support, routes, issues on a path, CRDs and migrations."""

from __future__ import annotations

import itertools

import pytest

from hvguard.knowledge.catalog import Catalog, UnknownReleaseError, load_catalog
from hvguard.knowledge.model import Release
from hvguard.knowledge.versions import IncomparableVersionError, parse


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def ga_releases() -> list[Release]:
    return [r for r in load_catalog().releases if r.is_ga]


def test_load_catalog_is_parsed_once() -> None:
    assert load_catalog() is load_catalog()


def test_release_lookup_accepts_both_spellings(catalog: Catalog) -> None:
    release = catalog.release("1.4.0")
    assert release is not None and release is catalog.release(parse("v1.4.0"))
    assert str(release.longhorn) == "v1.7.2" and str(release.min_upgradable) == "v1.3.2"
    assert catalog.release("v1.4.0-rc1") is None


@pytest.mark.parametrize(
    "pair", list(itertools.pairwise(ga_releases())), ids=lambda p: f"{p[0].version}->{p[1].version}"
)
def test_every_release_is_supported_from_its_predecessor(catalog: Catalog, pair: tuple[Release, Release]) -> None:
    before, after = pair
    assert catalog.is_supported(before.version, after.version)
    assert catalog.route(before.version, after.version) == (before.version, after.version)


@pytest.mark.parametrize("release", ga_releases()[1:], ids=lambda r: str(r.version))
def test_every_release_has_a_route_from_the_oldest(catalog: Catalog, release: Release) -> None:
    oldest = ga_releases()[0].version
    route = catalog.route(oldest, release.version)
    assert route is not None and route[0] == oldest and route[-1] == release.version
    assert all(catalog.is_supported(a, b) for a, b in itertools.pairwise(route))


def test_unsupported_jump_is_routed_through_the_required_release(catalog: Catalog) -> None:
    assert not catalog.is_supported("v1.3.1", "v1.4.0")
    assert [str(v) for v in catalog.route("v1.3.1", "v1.4.0")] == ["v1.3.1", "v1.3.2", "v1.4.0"]  # type: ignore[union-attr]


def test_route_prefers_the_newest_patch_among_equally_short_chains(catalog: Catalog) -> None:
    assert [str(v) for v in catalog.route("v1.4.1", "v1.5.2")] == ["v1.4.1", "v1.4.3", "v1.5.2"]  # type: ignore[union-attr]
    assert [str(v) for v in catalog.route("v1.5.0", "v1.8.2")] == ["v1.5.0", "v1.6.1", "v1.7.3", "v1.8.2"]  # type: ignore[union-attr]


def test_route_to_an_unlisted_patch_uses_the_matrix(catalog: Catalog) -> None:
    assert [str(v) for v in catalog.route("v1.8.2", "v1.8.3")] == ["v1.8.2", "v1.8.3"]  # type: ignore[union-attr]


@pytest.mark.parametrize(("source", "target"), [("v1.4.0", "v1.3.2"), ("v1.4.0", "v1.4.0"), ("v1.2.0", "v1.0.3")])
def test_downgrades_and_no_ops_have_no_route(catalog: Catalog, source: str, target: str) -> None:
    assert not catalog.is_supported(source, target)
    assert catalog.route(source, target) is None


def test_dev_builds_cannot_be_routed(catalog: Catalog) -> None:
    with pytest.raises(IncomparableVersionError):
        catalog.route("master-head", "v1.4.0")


def issue_ids(catalog: Catalog, source: str, target: str) -> dict[str, list[tuple[str, str]]]:
    return {m.issue.id: [(str(a), str(b)) for a, b in m.hops] for m in catalog.issues_on_path(source, target)}


def test_the_v132_to_v140_hop_carries_the_backing_image_issues(catalog: Catalog) -> None:
    found = issue_ids(catalog, "v1.3.2", "v1.4.0")
    assert found["harvester-7958"] == [("v1.3.2", "v1.4.0")]
    assert "harvester-7717" in found
    assert catalog.issue("harvester-7958").detector == "crd-prunes-target-fields"
    assert catalog.issue("harvester-7717").detector == "eviction-requested"
    assert catalog.issue("harvester-7958").finding_id == "known-issue/harvester-7958"


def test_issues_are_matched_on_each_hop_of_the_route_and_on_the_direct_pair(catalog: Catalog) -> None:
    found = issue_ids(catalog, "v1.3.1", "v1.4.0")
    assert found["harvester-7958"] == [("v1.3.2", "v1.4.0"), ("v1.3.1", "v1.4.0")]
    assert found["harvester-6432"] == [("v1.3.1", "v1.3.2")]
    assert "single-replica-volumes" in found


def test_later_paths_do_not_carry_the_v14_issue(catalog: Catalog) -> None:
    found = issue_ids(catalog, "v1.5.2", "v1.6.0")
    assert "harvester-7958" not in found
    assert "harvester-7717" not in found  # Longhorn 1.8.2 on the source has the nil check
    assert "harvester-7717" in issue_ids(catalog, "v1.5.0", "v1.6.0")  # Longhorn 1.8.1 does not


def test_component_changes_between_two_releases(catalog: Catalog) -> None:
    changes = {c.component: (c.before, c.after) for c in catalog.component_changes("v1.4.0", "v1.4.1")}
    assert changes == {"rke2": ("v1.29.9+rke2r1", "v1.30.7+rke2r1"), "rancher": ("v2.9.2", "v2.9.3")}
    lh = {c.component: c for c in catalog.component_changes("v1.3.2", "v1.4.0")}["longhorn"]
    assert (lh.before, lh.after, lh.unverified) == ("v1.6.2", "v1.7.2", False)
    assert {c.component: c.unverified for c in catalog.component_changes("v1.7.1", "v1.7.2")}["rke2"] is True


def test_component_changes_need_catalogued_releases(catalog: Catalog) -> None:
    with pytest.raises(UnknownReleaseError):
        catalog.component_changes("v1.4.0", "v1.4.9")


def test_longhorn_crds_exact_and_nearest_patch(catalog: Catalog) -> None:
    exact = catalog.longhorn_crds("v1.7.2")
    assert exact is not None and exact.exact and "backingimages.longhorn.io" in exact.crds
    nearest = catalog.longhorn_crds("1.7.3")
    assert (
        nearest is not None
        and not nearest.exact
        and str(nearest.used) == "v1.7.2"
        and str(nearest.requested) == "v1.7.3"
    )
    assert str(catalog.longhorn_crds("v1.9.2").used) == "v1.9.1"  # type: ignore[union-attr]
    assert str(catalog.longhorn_crds("v1.10.2").used) == "v1.10.1"  # type: ignore[union-attr]
    assert catalog.longhorn_crds("v1.8.1") is None


def test_longhorn_crds_are_copies(catalog: Catalog) -> None:
    first = catalog.longhorn_crds("v1.6.2")
    assert first is not None
    first.crds["backingimages.longhorn.io"]["spec"]["versions"].clear()
    again = catalog.longhorn_crds("v1.6.2")
    assert again is not None and again.crds["backingimages.longhorn.io"]["spec"]["versions"]


def test_the_16_to_17_migration_is_lenient_in_172_and_prunes_under_the_old_crd(catalog: Catalog) -> None:
    planned = {p.rule.id: p for p in catalog.longhorn_migrations("v1.6.2", "v1.7.2")}
    bi = planned["v16xto170-backingimages"]
    assert not bi.strict and bi.rule.risk.severity == "data-loss"
    assert bi.rule.target_fields == ("spec.diskFileSpecMap", "spec.minNumberOfCopies")
    old = catalog.longhorn_crds("v1.6.2").crds["backingimages.longhorn.io"]  # type: ignore[union-attr]
    new = catalog.longhorn_crds("v1.7.2").crds["backingimages.longhorn.io"]  # type: ignore[union-attr]
    assert bi.rule.pruned_targets(old) == ["spec.diskFileSpecMap", "spec.minNumberOfCopies"]
    assert bi.rule.pruned_targets(new) == []


@pytest.mark.parametrize(
    ("manager", "strict"),
    [
        ("v1.7.2", False),
        ("v1.7.3", False),
        ("v1.7.4", True),
        ("v1.8.1", False),
        ("v1.8.2", True),
        ("v1.9.0", True),
        ("v1.10.1", True),
    ],
)
def test_strict_migration_writes_start_in_174_182_190(catalog: Catalog, manager: str, strict: bool) -> None:
    assert catalog.write_validation.is_strict(parse(manager)) is strict


def test_the_19_to_110_upgrade_requires_v1beta2_only_stored_versions(catalog: Catalog) -> None:
    planned = {p.rule.id: p for p in catalog.longhorn_migrations("v1.9.2", "v1.10.1")}
    stored = planned["v19xto1100-stored-versions"].rule
    assert stored.required_stored_versions == ("v1beta2",) and stored.risk.severity == "cluster-outage"
    assert stored.pruned_targets(catalog.longhorn_crds("v1.9.1").crds["volumes.longhorn.io"]) == []  # type: ignore[union-attr]
    assert "v16xto170-backingimages" not in planned
