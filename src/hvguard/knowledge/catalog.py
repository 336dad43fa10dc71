"""The shipped upgrade knowledge as one typed, read-only ``Catalog``, and the questions asked of it.

``load_catalog()`` reads ``data/*.yaml`` once (package data via ``importlib.resources``) and is the
only I/O here besides ``longhorn_crds``, which reads ``crds/longhorn-v*/``. Callers (checks,
predictions, the CLI) pass the versions they observed; everything else is pure.

Version arguments accept a ``Version`` or a string. Dev builds without a release number raise
``IncomparableVersionError`` wherever an order or a range is needed: a safety check must not
silently treat "unknown" as "not affected".
"""

from __future__ import annotations

import copy
import functools
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, TypeVar

import yaml

from hvguard.errors import HvguardError, InputError, KnowledgeError
from hvguard.knowledge.model import Hop, KnownIssue, Migration, Release, UpgradePath, WriteValidation
from hvguard.knowledge.versions import Version, parse

# libyaml's parser when PyYAML has it: the same documents as yaml.safe_load, several times faster
# (the knowledge and the shipped CRDs were a tenth of a second of every run).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

T = TypeVar("T")
VersionLike = Version | str


class UnknownReleaseError(InputError):
    """A question needs a Harvester release the catalog does not list."""


@dataclass(frozen=True, slots=True)
class IssueMatch:
    """A known issue and the hops of the planned upgrade it applies to."""

    issue: KnownIssue
    hops: tuple[Hop, ...]


@dataclass(frozen=True, slots=True)
class ComponentChange:
    component: str
    before: str | None
    after: str | None
    unverified: bool


@dataclass(frozen=True, slots=True)
class PlannedMigration:
    """A migration rule the target longhorn-manager will run, and whether it writes strictly."""

    rule: Migration
    strict: bool


@dataclass(frozen=True, slots=True)
class ShippedCrds:
    """Longhorn CRDs shipped with hvguard, by CRD name; ``used`` may differ from ``requested`` in the patch."""

    requested: Version
    used: Version
    crds: Mapping[str, dict[str, Any]]

    @property
    def exact(self) -> bool:
        return self.used == self.requested


@dataclass(frozen=True, slots=True)
class Catalog:
    releases: tuple[Release, ...]
    paths: tuple[UpgradePath, ...]
    issues: tuple[KnownIssue, ...]
    migrations: tuple[Migration, ...]
    write_validation: WriteValidation

    def release(self, version: VersionLike) -> Release | None:
        """The catalogued release with exactly this version, if any."""
        wanted = _version(version)
        return next((r for r in self.releases if r.version == wanted), None)

    def issue(self, issue_id: str) -> KnownIssue:
        found = next((i for i in self.issues if i.id == issue_id), None)
        if found is None:
            raise KnowledgeError(f"no known issue {issue_id!r}")
        return found

    def is_supported(self, source: VersionLike, target: VersionLike) -> bool:
        """True if the docs' support matrix has a row for this upgrade (downgrades never are)."""
        hop = (_version(source), _version(target))
        return hop[1] > hop[0] and any(path.matches(hop) for path in self.paths)

    def route(self, source: VersionLike, target: VersionLike) -> tuple[Version, ...] | None:
        """The shortest chain of supported hops, stepping through released versions only.

        Among equally short chains it takes the newest release at each step (v1.4.1 -> v1.4.3 rather
        than v1.4.2 on the way to v1.5.x). None when the target is not newer or not reachable.
        """
        start, goal = _version(source), _version(target)
        if not goal > start:
            return None
        stops = sorted({r.version for r in self.releases if r.is_ga and start < r.version < goal} | {start, goal})
        hops_left = {goal: 0}
        for stop in reversed(stops[:-1]):
            onward = [hops_left[n] for n in hops_left if self.is_supported(stop, n)]
            if onward:
                hops_left[stop] = 1 + min(onward)
        if start not in hops_left:
            return None
        chain = [start]
        while chain[-1] != goal:
            here = chain[-1]
            chain.append(
                max(n for n in hops_left if hops_left[n] == hops_left[here] - 1 and self.is_supported(here, n))
            )
        return tuple(chain)

    def issues_on_path(self, source: VersionLike, target: VersionLike) -> tuple[IssueMatch, ...]:
        """Known issues whose from/to ranges match a hop of the route, or the direct pair."""
        start, goal = _version(source), _version(target)
        chain = self.route(start, goal) or ()
        hops = list(itertools.pairwise(chain))
        if (start, goal) not in hops:
            hops.append((start, goal))
        matches = (IssueMatch(issue, tuple(h for h in hops if issue.matches(h))) for issue in self.issues)
        return tuple(m for m in matches if m.hops)

    def component_changes(self, source: VersionLike, target: VersionLike) -> tuple[ComponentChange, ...]:
        """Bundled components whose version differs between two catalogued releases."""
        before, after = self._known(source), self._known(target)
        unverified = before.unverified | after.unverified
        return tuple(
            ComponentChange(name, old, new, name in unverified)
            for name, old in before.components.items()
            if old != (new := getattr(after.components, name))
        )

    def longhorn_migrations(self, longhorn_from: VersionLike, longhorn_to: VersionLike) -> tuple[PlannedMigration, ...]:
        """The migration rules a Longhorn upgrade runs, in data order, with the target manager's write mode."""
        source, target = _version(longhorn_from), _version(longhorn_to)
        strict = self.write_validation.is_strict(target)
        return tuple(PlannedMigration(m, strict) for m in self.migrations if m.applies(source, target))

    def longhorn_crds(self, longhorn_version: VersionLike) -> ShippedCrds | None:
        """The shipped CRDs of the same Longhorn minor, the exact patch if shipped, else the nearest.

        Ties go to the older patch. None when no CRDs of that minor ship with hvguard.
        """
        wanted = _version(longhorn_version)
        major, minor, patch = wanted.require_release()
        same_minor = [v for v in _shipped_longhorn_versions() if v.series == (major, minor)]
        if not same_minor:
            return None
        used = min(same_minor, key=lambda v: (abs(v.require_release()[2] - patch), v))
        return ShippedCrds(wanted, used, copy.deepcopy(_shipped_crds(str(used))))

    def _known(self, version: VersionLike) -> Release:
        found = self.release(version)
        if found is None:
            raise UnknownReleaseError(f"Harvester {version} is not in hvguard's release list")
        return found


@functools.cache
def load_catalog() -> Catalog:
    """The shipped knowledge, parsed once per process."""
    releases = _items("releases.yaml", "releases", Release.from_raw)
    return Catalog(
        releases=tuple(sorted(releases, key=lambda r: r.version)),
        paths=_items("upgrade_paths.yaml", "paths", UpgradePath.from_raw),
        issues=_items("known_issues.yaml", "known_issues", KnownIssue.from_raw),
        migrations=_items("migrations.yaml", "migrations", Migration.from_raw),
        write_validation=_build(
            "migrations.yaml",
            "write_validation",
            _section("migrations.yaml", "write_validation"),
            WriteValidation.from_raw,
        ),
    )


def _version(value: VersionLike) -> Version:
    return value if isinstance(value, Version) else parse(value)


@functools.cache
def _load(name: str) -> Any:
    try:
        return yaml.load(resources.files("hvguard.knowledge").joinpath("data", name).read_text("utf-8"), _LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise KnowledgeError(f"cannot read knowledge file {name}: {exc}") from exc


def _section(name: str, key: str) -> Any:
    document = _load(name)
    if not isinstance(document, Mapping) or key not in document:
        raise KnowledgeError(f"knowledge file {name} has no {key!r} section")
    return document[key]


def _items(name: str, key: str, build: Callable[[Mapping[str, Any]], T]) -> tuple[T, ...]:
    items = _section(name, key)
    return tuple(_build(name, _label(item, index), item, build) for index, item in enumerate(items))


def _build(name: str, label: str, raw: Any, build: Callable[[Mapping[str, Any]], T]) -> T:
    """Build one record, naming the file and item when the data does not fit the model."""
    try:
        return build(raw)
    except (KeyError, TypeError, ValueError, AttributeError, HvguardError) as exc:
        raise KnowledgeError(f"{name}: {label} does not fit the model: {exc!r}") from exc


def _label(item: Any, index: int) -> str:
    found = (item.get("id") or item.get("version")) if isinstance(item, Mapping) else None
    return str(found or f"item #{index}")


def _crd_root() -> Traversable:
    return resources.files("hvguard.knowledge").joinpath("crds")


@functools.cache
def _shipped_longhorn_versions() -> tuple[Version, ...]:
    names = (d.name for d in _crd_root().iterdir() if d.is_dir() and d.name.startswith("longhorn-v"))
    return tuple(sorted(parse(n.removeprefix("longhorn-")) for n in names))


@functools.cache
def _shipped_crds(version: str) -> dict[str, dict[str, Any]]:
    folder = _crd_root().joinpath(f"longhorn-{version}")
    crds = (yaml.load(f.read_text("utf-8"), _LOADER) for f in folder.iterdir() if f.name.endswith(".yaml"))
    return {crd["metadata"]["name"]: crd for crd in crds}
