"""Version parsing, ordering and range matching (hvguard.knowledge.versions)."""

from __future__ import annotations

import pytest

from hvguard.errors import InputError, KnowledgeError
from hvguard.knowledge.versions import IncomparableVersionError, UnknownVersionError, VersionRange, parse


@pytest.mark.parametrize("text", ["v1.4.0", "1.4.0", " v1.4.0 "])
def test_release_forms_are_the_same_version(text: str) -> None:
    version = parse(text)
    assert version == parse("v1.4.0")
    assert str(version) == "v1.4.0"
    assert version.release == (1, 4, 0)
    assert not version.is_dev and not version.is_prerelease


def test_release_candidate_sorts_before_its_release() -> None:
    rc1 = parse("v1.4.0-rc1")
    assert rc1.is_prerelease and not rc1.is_dev
    assert parse("v1.3.2") < rc1 < parse("v1.4.0-rc2") < parse("v1.4.0-rc10") < parse("v1.4.0")


@pytest.mark.parametrize(
    ("text", "series"),
    [
        ("v1.5-head", (1, 5)),
        ("v1.8.x-head", (1, 8)),
        ("master-head", None),
        ("1a861fc-dirty", None),
        ("f024f49a", None),
    ],
)
def test_dev_builds_without_a_release_are_dev_and_incomparable(text: str, series: tuple[int, int] | None) -> None:
    version = parse(text)
    assert version.is_dev and not version.is_prerelease
    assert version.release is None and version.series == series
    assert not version.is_comparable
    assert str(version) == text
    with pytest.raises(IncomparableVersionError):
        _ = version < parse("v1.4.0")
    with pytest.raises(IncomparableVersionError):
        version.require_release()


def test_dated_dev_build_is_dev_but_ordered_before_the_release_candidates() -> None:
    dev = parse("v1.4.0-dev-20250101")
    assert dev.is_dev and not dev.is_prerelease
    assert dev.release == (1, 4, 0)
    assert parse("v1.3.2") < dev < parse("v1.4.0-rc1") < parse("v1.4.0")
    assert parse("v1.4.0-dev-20240705") < dev


@pytest.mark.parametrize("text", ["", "garbage", "latest", "1.4", "v1.4.0.1", "v1.4.0-foo", "v1.4.0-rc", "vv1.4.0"])
def test_garbage_is_an_unknown_version(text: str) -> None:
    with pytest.raises(UnknownVersionError, match="unknown version") as caught:
        parse(text)
    assert isinstance(caught.value, InputError)
    assert caught.value.hint


def test_sorting_is_by_version_not_text() -> None:
    texts = ["v1.10.0", "v1.9.0-rc6", "v1.2.0", "v1.4.0", "v1.4.0-rc1", "v1.9.0"]
    assert [str(v) for v in sorted(map(parse, texts))] == [
        "v1.2.0",
        "v1.4.0-rc1",
        "v1.4.0",
        "v1.9.0-rc6",
        "v1.9.0",
        "v1.10.0",
    ]


def test_range_comma_is_and_list_is_or_empty_is_any() -> None:
    both = VersionRange.parse(">=1.4.0,<1.5.0")
    either = VersionRange.parse(["==1.4.2", "==1.4.3"])
    anything = VersionRange.parse("")
    assert both.contains(parse("v1.4.3")) and not both.contains(parse("v1.5.0"))
    assert either.contains(parse("v1.4.3")) and not either.contains(parse("v1.4.1"))
    assert anything.is_any and anything.contains(parse("master-head"))
    assert VersionRange.parse(None).is_any


def test_prereleases_and_dated_dev_builds_match_as_their_release() -> None:
    target = VersionRange.parse("==1.4.0")
    assert target.contains(parse("v1.4.0-rc1"))
    assert target.contains(parse("v1.4.0-dev-20250101"))
    assert not VersionRange.parse("<1.4.0").contains(parse("v1.4.0-rc1"))


def test_matching_a_dev_build_against_a_real_range_refuses_to_guess() -> None:
    with pytest.raises(IncomparableVersionError):
        VersionRange.parse(">=1.4.0").contains(parse("v1.5-head"))


def test_malformed_range_in_the_data_is_a_knowledge_error() -> None:
    with pytest.raises(KnowledgeError):
        VersionRange.parse(">=1.4.0,,<x")
