"""The plan document (schema ``hvguard.plan/v1``) shared by ``protect`` and ``recover``.

A plan is a list of steps ("actions"), each naming its ``action`` kind and the object it targets,
why it is needed (the finding it answers), and the exact object changes with the equivalent
kubectl command, so an operator can review it or do it by hand. Options for one target are
ordered best first; ``picked`` marks the one ``--apply`` performs.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from hvguard import __version__
from hvguard.analysis.findings import ObjectRef

SCHEMA = "hvguard.plan/v1"


@dataclass(frozen=True, slots=True)
class Change:
    """One exact write. ``verb``: patch (merge) | create | replace | delete."""

    verb: str
    target: ObjectRef
    plural: str
    body: Any = None

    @property
    def kubectl(self) -> str:
        resource = f"{self.plural}.{self.target.api_version.split('/')[0]}" if "/" in self.target.api_version else self.plural
        ns = f" -n {self.target.namespace}" if self.target.namespace else ""
        if self.verb == "patch":
            return f"kubectl{ns} patch {resource} {self.target.name} --type merge -p {shlex.quote(_compact(self.body))}"
        if self.verb == "delete":
            return f"kubectl{ns} delete {resource} {self.target.name}"
        action = "create" if self.verb == "create" else "replace"
        return f"kubectl{ns} {action} -f - <<'EOF'\n{_compact(self.body)}\nEOF"

    def as_dict(self) -> dict[str, Any]:
        return {"verb": self.verb, "target": self.target.as_dict(), "body": self.body, "kubectl": self.kubectl}


@dataclass(frozen=True, slots=True)
class Step:
    id: str  # stable across runs for the same target and action (journal key)
    action: str
    target: ObjectRef
    title: str
    reason: str
    finding: str | None = None
    changes: tuple[Change, ...] = ()
    option: int = 1  # rank among the options for this target, 1 = best
    picked: bool = True  # the option --apply performs for this target
    automatic: bool = True  # False: a human must do it; --apply never does
    notes: tuple[str, ...] = ()
    wait: dict[str, Any] = field(default_factory=dict)  # what "done" looks like, for steps that take time

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "action": self.action, "target": self.target.as_dict(), "title": self.title,
            "reason": self.reason, "finding": self.finding, "option": self.option, "picked": self.picked,
            "automatic": self.automatic, "changes": [c.as_dict() for c in self.changes], "notes": list(self.notes),
            "wait": self.wait or None,
        }


@dataclass(frozen=True, slots=True)
class Plan:
    command: str
    source: str
    steps: tuple[Step, ...]
    notes: tuple[str, ...] = ()

    @property
    def to_apply(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.picked and s.automatic)

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "tool": {"name": "hvguard", "version": __version__, "command": self.command},
            "source": self.source,
            "actions": [s.as_dict() for s in self.steps],
            "notes": list(self.notes),
        }


def _compact(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"), sort_keys=True)
