"""Typed, frozen records for the knowledge data files, built from their parsed YAML.

``catalog`` builds these from ``data/*.yaml``; checks and predictions read them. The JSON Schemas in
``schemas/`` are the contract for the files and are enforced by the tests; the constructors here
only convert, and any shape error they meet surfaces as a ``KnowledgeError`` from ``catalog``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from hvguard.knowledge import crdschema
from hvguard.knowledge.versions import Version, VersionRange, parse

SEVERITIES: tuple[str, ...] = (
    "data-loss",
    "data-corruption",
    "cluster-outage",
    "network-outage",
    "vm-downtime",
    "stuck-upgrade",
    "upgrade-blocked",
    "degraded",
    "performance",
    "cosmetic",
)
"""Known-issue and migration severities, worst first (``SEVERITIES.index`` ranks them)."""

Hop = tuple[Version, Version]


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where an item's facts come from and how sure we are (high: code/docs, medium: issue text, low: inferred)."""

    sources: tuple[str, ...]
    confidence: str
    notes: str = ""

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Evidence:
        return cls(tuple(raw["sources"]), raw["confidence"], _prose(raw.get("notes", "")))


@dataclass(frozen=True, slots=True)
class Components:
    """Component versions a Harvester release bundles, as written upstream; None = unknown."""

    longhorn: str
    rke2: str | None
    kubevirt: str | None
    rancher: str | None

    def items(self) -> tuple[tuple[str, str | None], ...]:
        return tuple((f.name, getattr(self, f.name)) for f in fields(self))


@dataclass(frozen=True, slots=True)
class Release:
    version: Version
    status: str
    tag_date: str
    components: Components
    min_upgradable: Version
    unverified: frozenset[str]
    evidence: Evidence

    @property
    def is_ga(self) -> bool:
        return self.status == "ga"

    @property
    def longhorn(self) -> Version:
        return parse(self.components.longhorn)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Release:
        return cls(
            version=parse(raw["version"]),
            status=raw["status"],
            tag_date=raw["tag_date"],
            components=Components(**raw["components"]),
            min_upgradable=parse(raw["min_upgradable"]),
            unverified=frozenset(raw.get("unverified", ())),
            evidence=Evidence.from_raw(raw),
        )


@dataclass(frozen=True, slots=True)
class UpgradePath:
    """One row of the documented support matrix."""

    from_: VersionRange
    to: VersionRange
    status: str
    doc: str
    evidence: Evidence

    def matches(self, hop: Hop) -> bool:
        return self.from_.contains(hop[0]) and self.to.contains(hop[1])

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> UpgradePath:
        return cls(
            VersionRange.parse(raw["from"]),
            VersionRange.parse(raw["to"]),
            raw["status"],
            raw["doc"],
            Evidence.from_raw(raw),
        )


@dataclass(frozen=True, slots=True)
class KnownIssue:
    id: str
    title: str
    urls: tuple[str, ...]
    from_: VersionRange
    to: VersionRange
    longhorn_from: VersionRange
    longhorn_to: VersionRange
    severity: str
    category: str
    detect: str
    detector: str | None
    mitigation: str
    fixed_in: Version | None
    evidence: Evidence

    @property
    def finding_id(self) -> str:
        """The public id of the finding that reports this issue."""
        return f"known-issue/{self.id}"

    def matches(self, hop: Hop) -> bool:
        """True if the upgrade hop's source is in ``from`` and its target in ``to``."""
        return self.from_.contains(hop[0]) and self.to.contains(hop[1])

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> KnownIssue:
        fixed_in = raw["fixed_in"]
        return cls(
            id=raw["id"],
            title=raw["title"],
            urls=tuple(raw["urls"]),
            from_=VersionRange.parse(raw["from"]),
            to=VersionRange.parse(raw["to"]),
            longhorn_from=VersionRange.parse(raw.get("longhorn_from")),
            longhorn_to=VersionRange.parse(raw.get("longhorn_to")),
            severity=raw["severity"],
            category=raw["category"],
            detect=_prose(raw["detect"]),
            detector=raw.get("detector"),
            mitigation=_prose(raw["mitigation"]),
            fixed_in=parse(fixed_in) if fixed_in else None,
            evidence=Evidence.from_raw(raw),
        )


@dataclass(frozen=True, slots=True)
class Write:
    """One field a migration writes: ``path`` gets ``value``; for ``move-keys`` the keys come from ``source``."""

    op: str
    path: str
    value: Any
    source: str | None = None

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Write:
        if raw["op"] == "move-keys":
            return cls(raw["op"], raw["to"], raw["value"], raw["from"])
        return cls(raw["op"], raw["path"], raw["value"])


@dataclass(frozen=True, slots=True)
class Risk:
    severity: str
    effect: str


@dataclass(frozen=True, slots=True)
class Migration:
    """A longhorn-manager upgrade-path rule (see ``data/migrations.yaml`` for the semantics)."""

    id: str
    type: str
    upgrade_path: str
    longhorn_from: VersionRange
    longhorn_to: VersionRange
    crd: str
    version: str | None
    writes: tuple[Write, ...]
    required_stored_versions: tuple[str, ...]
    risk: Risk
    evidence: Evidence

    @property
    def target_fields(self) -> tuple[str, ...]:
        """Fields the live CRD must declare for this rule's writes to survive."""
        return tuple(w.path for w in self.writes)

    def applies(self, longhorn_from: Version, longhorn_to: Version) -> bool:
        return self.longhorn_from.contains(longhorn_from) and self.longhorn_to.contains(longhorn_to)

    def pruned_targets(self, installed_crd: Mapping[str, Any]) -> list[str]:
        """Which target fields the installed CRD would prune (empty for stored-versions rules)."""
        if self.version is None:
            return []
        return crdschema.pruned_fields(installed_crd, self.target_fields, self.version)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Migration:
        risk = raw["risk"]
        return cls(
            id=raw["id"],
            type=raw["type"],
            upgrade_path=raw["upgrade_path"],
            longhorn_from=VersionRange.parse(raw["longhorn_from"]),
            longhorn_to=VersionRange.parse(raw["longhorn_to"]),
            crd=raw["crd"],
            version=raw.get("version"),
            writes=tuple(Write.from_raw(w) for w in raw.get("writes", ())),
            required_stored_versions=tuple(raw.get("required_stored_versions", ())),
            risk=Risk(risk["severity"], _prose(risk["effect"])),
            evidence=Evidence.from_raw(raw),
        )


@dataclass(frozen=True, slots=True)
class WriteValidation:
    """Which longhorn-manager versions write their migrations with strict field validation."""

    strict: VersionRange
    strict_effect: str
    lenient_effect: str
    evidence: Evidence

    def is_strict(self, manager: Version) -> bool:
        return self.strict.contains(manager)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> WriteValidation:
        return cls(
            VersionRange.parse(raw["strict"]),
            _prose(raw["strict_effect"]),
            _prose(raw["lenient_effect"]),
            Evidence.from_raw(raw),
        )


def _prose(text: str) -> str:
    """Folded YAML can still carry doubled spaces; prose is compared and rendered as one line."""
    return " ".join(str(text).split())
