"""Runs the registered checks over one state and computes the verdict — the only place that does.

A check whose inputs could not be read is not run: it is reported UNKNOWN and the unreadable input
becomes a ``source/incomplete`` finding, so the verdict can never be ``pass`` on partial data. A
check that raises is reported ERROR and the run goes on. Given a ``baseline`` (the snapshot taken
before an upgrade), the verify comparisons run as well, under the same rules, with their inputs
required in both states.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hvguard.analysis import checks as _checks  # noqa: F401 - importing registers the checks
from hvguard.analysis import graph as g
from hvguard.analysis import known_issues, verify
from hvguard.analysis.context import CheckContext
from hvguard.analysis.findings import Finding, Severity, Verdict
from hvguard.analysis.predict import Prediction, predict
from hvguard.analysis.registry import DEFAULT, CheckSpec, Registry
from hvguard.analysis.results import CheckResult, CheckStatus
from hvguard.analysis.upgrade import Upgrade, resolve
from hvguard.state.cluster import ClusterState

if TYPE_CHECKING:
    from hvguard.logs.scan import Group

INCOMPLETE_ID = "source/incomplete"
NOT_COLLECTED_ID = "source/namespaces-not-collected"
CURRENT, BASELINE = "current", "baseline"  # which state a check input was missing from


@dataclass(frozen=True, slots=True)
class Analysis:
    findings: tuple[Finding, ...]
    results: tuple[CheckResult, ...]
    verdict: Verdict
    graph: g.Graph
    upgrade: Upgrade | None = None
    predictions: tuple[Prediction, ...] = ()
    baseline: ClusterState | None = None  # the pre-upgrade state the verify comparisons ran against


def run(
    state: ClusterState,
    *,
    target: str | None = None,
    baseline: ClusterState | None = None,
    log_groups: Sequence[Group] | Callable[[], Sequence[Group]] = (),
    registry: Registry = DEFAULT,
    select: Callable[[CheckSpec], bool] | None = None,
) -> Analysis:
    """Every check, comparison and prediction on ``state``. ``log_groups`` may be a callable that waits for
    a log scan still running: it is called once the graph is built, the first thing that needs them."""
    graph = g.build(state)
    upgrade = resolve(state, target) if target else None
    findings: list[Finding] = []
    unreadable: dict[tuple[str, str], list[str]] = {}
    chosen = [spec for spec in registry if not select or select(spec)]
    states = {CURRENT: state}
    logs = tuple(log_groups() if callable(log_groups) else log_groups)
    results = _run_checks(chosen, states, lambda check: CheckContext(state, graph, upgrade, check, logs),
                          upgrade, findings, unreadable)
    if baseline is not None:
        states = {CURRENT: state, BASELINE: baseline}
        comparison = verify.compare(baseline, graph)
        results += _run_checks(verify.COMPARISONS, states,
                               lambda check: verify.VerifyContext(state, graph, upgrade, check, logs,
                                                                  comparison=comparison),
                               upgrade, findings, unreadable)

    if logs:
        results.append(_log_signatures(state, graph, upgrade, logs, findings))
    if upgrade is not None:
        findings.extend(known_issues.evaluate(CheckContext(state, graph, upgrade, "known-issues"), findings, results))
    findings.extend(_coverage_findings(states, graph, unreadable))
    findings.sort(key=lambda f: (-f.severity, f.id, str(f.resource or "")))
    predictions = tuple(predict(state, graph, upgrade)) if upgrade is not None else ()
    return Analysis(tuple(findings), tuple(results), verdict(findings, results), graph, upgrade, predictions, baseline)


def _log_signatures(state: ClusterState, graph: g.Graph, upgrade: Upgrade | None, logs: tuple[Group, ...],
                    sink: list[Finding]) -> CheckResult:
    """``log/<signature>`` findings from the source's logs, reported like a check."""
    from hvguard.logs.findings import CHECK, log_findings  # the logs package builds on analysis, not the reverse

    produced = log_findings(CheckContext(state, graph, upgrade, CHECK, logs), logs)
    sink.extend(produced)
    return _result(CHECK, "No known storage warning appears in the Longhorn logs.", produced)


def _result(name: str, description: str, produced: list[Finding]) -> CheckResult:
    failing = any(f.severity > Severity.INFO for f in produced)
    return CheckResult(name, CheckStatus.FAIL if failing else CheckStatus.PASS, description,
                       tuple(sorted({f.id for f in produced})))


def _run_checks(
    specs: Iterable[CheckSpec],
    states: Mapping[str, ClusterState],
    context: Callable[[str], CheckContext],
    upgrade: Upgrade | None,
    sink: list[Finding],
    unreadable: dict[tuple[str, str], list[str]],
) -> list[CheckResult]:
    """Run each check whose inputs are readable in every one of ``states``; record the others' gaps."""
    results = []
    for spec in specs:
        if spec.needs_target and upgrade is None:
            results.append(CheckResult(spec.name, CheckStatus.SKIPPED, spec.description, detail="no --to target given"))
            continue
        missing = [(role, kind) for role, st in states.items() for kind in spec.needs if not st.usable(kind)]
        if missing:
            for role, kind in missing:
                unreadable.setdefault((role, kind.key), []).append(spec.name)
            results.append(CheckResult(spec.name, CheckStatus.UNKNOWN, spec.description,
                                       detail="could not read " + ", ".join(_input(role, kind.key)
                                                                            for role, kind in missing)))
            continue
        results.append(_run_one(spec, context(spec.name), sink))
    return results


def _input(role: str, key: str) -> str:
    return key if role == CURRENT else f"{key} (in the {role})"


def _run_one(spec: CheckSpec, ctx: CheckContext, sink: list[Finding]) -> CheckResult:
    try:
        produced = list(spec.func(ctx))
    except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others' results
        return CheckResult(spec.name, CheckStatus.ERROR, spec.description, detail=f"{type(exc).__name__}: {exc}")
    sink.extend(produced)
    return _result(spec.name, spec.description, produced)


def _coverage_findings(states: Mapping[str, ClusterState], graph: g.Graph,
                       unreadable: dict[tuple[str, str], list[str]]) -> list[Finding]:
    state = states[CURRENT]
    ctx = CheckContext(state, graph, check="coverage")
    out = []
    for (role, key), checks in sorted(unreadable.items()):
        cov = states[role].coverage.get(key)
        status = cov.status.value if cov else "missing"
        reason = (cov.reason if cov else "") or "not read"
        out.append(ctx.finding(
            INCOMPLETE_ID,
            f"{_input(role, key)} is {status} ({reason}); unknown: {', '.join(sorted(checks))}",
            evidence={"resource": key, "status": status, "reason": reason,
                      "where": cov.where if cov else "", "checks": sorted(checks)}
            | ({"in": role} if role != CURRENT else {}),
        ))
    if state.namespaces_not_collected:
        partial = sorted(key for key, cov in state.coverage.items() if cov.status.value == "partial")
        out.append(ctx.finding(
            NOT_COLLECTED_ID,
            f"{len(state.namespaces_not_collected)} namespace(s) not collected: "
            + ", ".join(state.namespaces_not_collected),
            evidence={"namespaces": list(state.namespaces_not_collected), "affects": partial},
        ))
    return out


def verdict(findings: list[Finding], results: list[CheckResult]) -> Verdict:
    if any(f.severity is Severity.BLOCK and f.id != INCOMPLETE_ID for f in findings):
        return Verdict.BLOCK
    if any(f.id == INCOMPLETE_ID for f in findings) or any(
        r.status in (CheckStatus.UNKNOWN, CheckStatus.ERROR) for r in results
    ):
        return Verdict.INCOMPLETE
    if any(f.severity is Severity.WARN for f in findings):
        return Verdict.WARN
    return Verdict.PASS

