"""Findings: what a check reports, with the evidence it read and the way out.

The *meaning* of each finding id (title, why it matters, remediation, references) is data in
``catalog/*.yaml`` next to this module (one file per area: preflight, verify, watch, logs); checks
supply only what they observed. A finding id is public API: never rename or reuse one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from importlib import resources
from typing import Any

import yaml

from hvguard.errors import KnowledgeError

# libyaml's parser when PyYAML has it: the same documents as yaml.safe_load, ten times faster (first run pays it)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Severity(IntEnum):
    """Ordered so that ``max()`` gives the worst."""

    INFO = 0
    WARN = 1
    BLOCK = 2

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.upper()]
        except KeyError:
            raise KnowledgeError(f"unknown severity {text!r}") from None


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"
    BLOCK = "block"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True, slots=True)
class ObjectRef:
    kind: str
    name: str
    namespace: str = ""
    api_version: str = ""

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    def as_dict(self) -> dict[str, str]:
        return {"apiVersion": self.api_version, "kind": self.kind, "namespace": self.namespace, "name": self.name}


@dataclass(frozen=True, slots=True)
class FindingSpec:
    """The catalogued meaning of a finding id."""

    id: str
    severity: Severity
    title: str
    why: str
    remediation: str
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    severity: Severity
    title: str
    message: str
    resource: ObjectRef | None
    evidence: Mapping[str, Any]
    why: str
    remediation: str
    references: tuple[str, ...]
    check: str = ""
    related: tuple[ObjectRef, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity.label,
            "title": self.title,
            "message": self.message,
            "resource": self.resource.as_dict() if self.resource else None,
            "related": [r.as_dict() for r in self.related],
            "evidence": dict(self.evidence),
            "why": self.why,
            "remediation": self.remediation,
            "references": list(self.references),
            "check": self.check,
        }


@functools.cache
def catalog() -> dict[str, FindingSpec]:
    """Every finding id hvguard can emit (``known-issue/*`` ids come from the knowledge)."""
    specs: dict[str, FindingSpec] = {}
    folder = resources.files("hvguard.analysis").joinpath("catalog")
    for file in sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name):
        for fid, entry in yaml.load(file.read_text("utf-8"), _LOADER)["findings"].items():
            if fid in specs:
                raise KnowledgeError(f"finding id {fid!r} is defined twice (again in {file.name})")
            specs[fid] = _spec(fid, entry)
    return specs


def _spec(fid: str, entry: dict[str, Any]) -> FindingSpec:
    return FindingSpec(
        id=fid,
        severity=Severity.parse(entry["severity"]),
        title=entry["title"],
        why=" ".join(entry["why"].split()),
        remediation=" ".join(entry["remediation"].split()),
        references=tuple(entry.get("references", ())),
    )


def spec(finding_id: str) -> FindingSpec:
    try:
        return catalog()[finding_id]
    except KeyError:
        raise KnowledgeError(f"finding id {finding_id!r} is not in the catalog") from None
