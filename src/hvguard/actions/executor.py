"""Applies a plan: idempotent, journaled, re-checked, and stopping at the first surprise.

For every change the executor reads the object first and skips the change when the cluster
already matches (so a second run sends no write), applies it, reads the object again and stops if
the write did not take — for instance because the API server pruned a field the installed CRD
does not declare, which is exactly the failure hvguard exists to catch.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from hvguard.actions.journal import Journal
from hvguard.actions.plan import Change, Plan, Step
from hvguard.analysis.fields import dig
from hvguard.errors import ApplyStopped
from hvguard.kube.errors import KubeError
from hvguard.kube.writer import KubeWriter, api_path

LocalAction = Callable[[Step], None]
# Runs after a step's changes and wait, for what "the object re-reads as written" cannot prove
# (a CRD that now declares the fields, a backup whose checksum matches its image); raises ApplyStopped.
StepCheck = Callable[[Step, KubeWriter], None]
Progress = Callable[[str], None]


@dataclass
class Outcome:
    applied: list[str] = field(default_factory=list)  # step ids that changed something
    unchanged: list[str] = field(default_factory=list)  # step ids already done
    writes: int = 0


def path_of(change: Change, *, collection: bool = False) -> str:
    target = change.target
    return api_path(target.api_version, change.plural, "" if collection else target.name, target.namespace)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch, applied locally to decide whether a patch would change anything."""
    if not isinstance(patch, Mapping):
        return patch
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def contains(current: Any, wanted: Any) -> bool:
    """``wanted`` is a deep subset of ``current`` (lists compared whole)."""
    if isinstance(wanted, Mapping):
        return isinstance(current, Mapping) and all(contains(current.get(k), v) for k, v in wanted.items())
    return bool(current == wanted)


def satisfied(change: Change, current: dict[str, Any] | None) -> bool:
    """Whether the cluster already has what ``change`` would write."""
    if change.verb == "delete":  # gone, or already terminating (a finalizer holds it until its controller lets go)
        return current is None or bool(dig(current, "metadata", "deletionTimestamp"))
    if current is None:
        return False
    if change.verb == "patch":
        return bool(merge_patch(current, change.body) == current)
    if change.verb == "replace":
        return contains(current, {k: v for k, v in change.body.items() if k not in ("metadata", "status")})
    return True  # create: it exists


class Executor:
    def __init__(self, writer: KubeWriter, journal: Journal, *, progress: Progress, step_timeout: float = 600.0,
                 poll_interval: float = 2.0, local_actions: Mapping[str, LocalAction] | None = None,
                 checks: Mapping[str, StepCheck] | None = None) -> None:
        self.writer = writer
        self.journal = journal
        self.progress = progress
        self.step_timeout = step_timeout
        self.poll_interval = poll_interval
        self.local_actions = dict(local_actions or {})
        self.checks = dict(checks or {})

    def run(self, plan: Plan) -> Outcome:
        outcome = Outcome()
        steps = plan.to_apply
        for number, step in enumerate(steps, 1):
            self.progress(f"[{number}/{len(steps)}] {step.action} {step.target}: {step.title}")
            writes = self._run_step(step)
            (outcome.applied if writes else outcome.unchanged).append(step.id)
            outcome.writes += writes
        return outcome

    def _run_step(self, step: Step) -> int:
        """One step; an API error or a stop is journaled against the step, so a rerun knows where it was."""
        self.journal.record("step-start", step.id, action=step.action, target=str(step.target))
        try:
            writes = self._perform(step)
        except KubeError as exc:
            self.journal.record("step-failed", step.id, error=str(exc))
            raise ApplyStopped(
                f"{step.action} {step.target}: the API server answered {exc}; stopped, nothing further was changed",
                hint=f"fix the cause and rerun: finished steps are skipped; the journal is {self.journal.path}",
            ) from exc
        except ApplyStopped as exc:
            self.journal.record("step-failed", step.id, error=exc.message)
            raise
        except KeyboardInterrupt:
            self.journal.record("interrupted", step.id)
            raise
        self.journal.record("step-done", step.id, writes=writes)
        return writes

    def _perform(self, step: Step) -> int:
        if step.action in self.local_actions:
            self.local_actions[step.action](step)
        writes = sum(self._apply(step, change) for change in step.changes)
        if step.wait:
            self._wait(step)
        if step.action in self.checks:
            self.checks[step.action](step, self.writer)
        return writes

    def _apply(self, step: Step, change: Change) -> int:
        current = self.writer.get(path_of(change))
        if satisfied(change, current):
            self.journal.record("change-skipped", step.id, verb=change.verb, target=str(change.target))
            return 0
        if change.verb == "patch":
            self.writer.patch(path_of(change), change.body)
        elif change.verb == "delete":
            self.writer.delete(path_of(change), change.target.kind)
        elif change.verb == "replace" and current is not None:
            body = merge_patch(change.body, {"metadata": {"resourceVersion": dig(current, "metadata", "resourceVersion")}})
            self.writer.replace(path_of(change), body)
        else:
            self.writer.create(path_of(change, collection=True), change.body)
        self.journal.record("change-applied", step.id, verb=change.verb, target=str(change.target), body=change.body)
        if change.verb != "delete" and not satisfied(change, self.writer.get(path_of(change))):
            self.journal.record("surprise", step.id, target=str(change.target))
            raise ApplyStopped(
                f"{step.action} {step.target}: the {change.verb} of {change.target} did not take (the API server "
                "dropped or changed the written fields); stopped, nothing further was changed",
                hint=f"inspect it with: kubectl get {change.plural} {change.target.name} -o yaml; the journal is {self.journal.path}",
            )
        return 1

    def _wait(self, step: Step) -> None:
        """Poll until the object reaches the wanted state, failing on a terminal error state or timeout.

        ``failOn`` lists values of ``path`` that are terminal; ``error`` names a field whose being set
        is (for kinds that report failure there rather than in a state, e.g. VirtualMachineBackup).
        """
        wait = step.wait
        path = api_path(wait["apiVersion"], wait["plural"], wait["name"], wait.get("namespace", ""))
        deadline = time.monotonic() + float(wait.get("timeout", self.step_timeout))
        last = None
        while True:
            obj = self.writer.get(path) or {}
            value = dig(obj, *wait["path"].split("."))
            note = dig(obj, *wait["progress"].split(".")) if wait.get("progress") else None
            if (value, note) != last:
                self.progress(f"      {wait['name']}: {wait['path']}={value!r}" + (f" ({note}%)" if note is not None else ""))
                last = (value, note)
            if value == wait["equals"]:
                return
            if value in wait.get("failOn", ()):
                raise ApplyStopped(f"{step.action} {step.target}: {wait['name']} reached {wait['path']}={value!r}")
            error = dig(obj, *wait["error"].split(".")) if wait.get("error") else None
            if error:
                raise ApplyStopped(f"{step.action} {step.target}: {wait['name']} failed: {error}")
            if time.monotonic() > deadline:
                raise ApplyStopped(f"{step.action} {step.target}: timed out waiting for {wait['path']}={wait['equals']!r}",
                                   hint="raise --step-timeout, or rerun later: finished steps are skipped")
            time.sleep(self.poll_interval)
