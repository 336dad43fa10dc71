"""The upgrade being planned: source versions read from the cluster, the target from the user, and
what the knowledge says about the pair. Computed once per run and shared by every target-aware check.
"""

from __future__ import annotations

from dataclasses import dataclass

from hvguard.analysis import facts
from hvguard.knowledge import versions
from hvguard.knowledge.catalog import Catalog, PlannedMigration, load_catalog
from hvguard.knowledge.model import Release
from hvguard.state.cluster import ClusterState


@dataclass(frozen=True, slots=True)
class Upgrade:
    target: versions.Version
    target_release: Release | None
    source_text: str  # server-version as read ("" when unreadable)
    source: versions.Version | None  # None when unknown or a dev build without a release number
    source_release: Release | None
    longhorn_source: versions.Version | None
    longhorn_target: versions.Version | None
    catalog: Catalog

    @property
    def known(self) -> bool:
        """Both ends are releases the knowledge covers."""
        return self.source_release is not None and self.target_release is not None

    def migrations(self) -> tuple[PlannedMigration, ...]:
        """The Longhorn migrations this upgrade runs ((), when either Longhorn version is unknown)."""
        if self.longhorn_source is None or self.longhorn_target is None:
            return ()
        return self.catalog.longhorn_migrations(self.longhorn_source, self.longhorn_target)


def resolve(state: ClusterState, target_text: str, catalog: Catalog | None = None) -> Upgrade:
    """Parse the target (garbage raises InputError → exit 2) and read the source off the cluster."""
    catalog = catalog or load_catalog()
    target = versions.parse(target_text)
    target_release = catalog.release(target) if target.is_comparable else None
    source_text = facts.harvester_version(state)
    source = _comparable(source_text)
    source_release = catalog.release(source) if source else None
    longhorn_source = _comparable(facts.longhorn_version(state)) or (source_release.longhorn if source_release else None)
    longhorn_target = target_release.longhorn if target_release else None
    return Upgrade(target, target_release, source_text, source, source_release, longhorn_source, longhorn_target, catalog)


def _comparable(text: str) -> versions.Version | None:
    if not text:
        return None
    try:
        parsed = versions.parse(text)
    except versions.UnknownVersionError:
        return None
    return parsed if parsed.is_comparable else None
