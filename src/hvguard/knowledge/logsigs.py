"""Log and event signatures (``data/log_signatures.yaml``) as typed records with compiled patterns.

A signature is what one upstream log line or event message looks like and what it means for VM
images. Keeping them as data lets the wording be checked against each upstream tag (``sources``)
and lets the meaning and the way out travel with the pattern into the finding ``log/<id>``.
``load_signatures()`` reads and compiles them once; ``hvguard.logs`` does the matching.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from hvguard.errors import HvguardError, KnowledgeError
from hvguard.knowledge.model import Evidence
from hvguard.knowledge.versions import Version, VersionRange

STAGES: tuple[str, ...] = (
    "migration",
    "pruned-write",
    "pruned-window",
    "strict-refused",
    "deletion",
    "recovery",
    "consumer",
    "crash",
)
"""The story of a pruned v1.6 -> v1.7 migration, in the order it unfolds (``STAGES.index`` orders them)."""

ROLES: frozenset[str] = frozenset(
    {"backingImage", "backingImageManager", "disk", "node", "replica", "field", "sourceType", "kind"}
)
"""What a captured value may name: the allowed named groups of a pattern and targets of ``fields``."""

ROLE_KINDS: Mapping[str, str] = {
    "backingImage": "BackingImage",
    "backingImageManager": "BackingImageManager",
    "replica": "Replica",
}
"""The roles that name a Longhorn object in ``longhorn-system``, and its kind."""


@dataclass(frozen=True, slots=True)
class EventMatch:
    """Events a signature also matches: this ``reason``, on an involved object of this ``kind``."""

    reason: str
    kind: str


@dataclass(frozen=True, slots=True)
class Signature:
    id: str
    title: str
    stage: str
    severity: str  # block | warn | info: the severity of the finding log/<id>
    containers: frozenset[str]
    event: EventMatch | None
    regex: re.Pattern[str]
    fields: Mapping[str, str]  # logrus field -> role
    meaning: str
    action: str
    urls: tuple[str, ...]
    longhorn: VersionRange
    harvester: VersionRange
    evidence: Evidence
    example: str

    @property
    def finding_id(self) -> str:
        """The public id of the finding that reports this signature."""
        return f"log/{self.id}"

    def known_for(self, version: Version | None) -> bool | None:
        """Whether the component version that logged a line is one this signature is known for.

        None when it cannot be told (no version, or a dev build): the line is still reported, since a
        storage warning from an unexpected version is still a storage warning.
        """
        if version is None or not version.is_comparable:
            return None
        return self.longhorn.contains(version)

    @classmethod
    def from_raw(cls, raw: Mapping[str, Any]) -> Signature:
        regex = re.compile(raw["pattern"])
        unknown = set(regex.groupindex) - ROLES
        if unknown:
            raise KnowledgeError(f"pattern names groups that are no role: {', '.join(sorted(unknown))}")
        event = raw.get("event")
        return cls(
            id=raw["id"],
            title=raw["title"],
            stage=raw["stage"],
            severity=raw["severity"],
            containers=frozenset(raw["containers"]),
            event=EventMatch(event["reason"], event["kind"]) if event else None,
            regex=regex,
            fields=dict(raw.get("fields") or {}),
            meaning=" ".join(raw["meaning"].split()),
            action=" ".join(raw["action"].split()),
            urls=tuple(raw["urls"]),
            longhorn=VersionRange.parse(raw["longhorn"]),
            harvester=VersionRange.parse(raw["harvester"]),
            evidence=Evidence.from_raw(raw),
            example=raw["example"],
        )


@functools.cache
def load_signatures() -> tuple[Signature, ...]:
    """Every shipped signature, in data order, parsed and compiled once per process."""
    try:
        text = resources.files("hvguard.knowledge").joinpath("data", "log_signatures.yaml").read_text("utf-8")
        items = yaml.safe_load(text)["signatures"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise KnowledgeError(f"cannot read knowledge file log_signatures.yaml: {exc}") from exc
    signatures = []
    for index, raw in enumerate(items):
        try:
            signatures.append(Signature.from_raw(raw))
        except (KeyError, TypeError, ValueError, AttributeError, re.error, HvguardError) as exc:
            label = (raw.get("id") if isinstance(raw, Mapping) else None) or f"item #{index}"
            raise KnowledgeError(f"log_signatures.yaml: {label} does not fit the model: {exc!r}") from exc
    return tuple(signatures)
