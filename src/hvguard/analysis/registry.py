"""Check registration: a check is a pure function declared with the resource types it reads.

``needs`` lets the runner answer "unknown" instead of "pass" when an input could not be read, and
``produces`` ties each check to the finding ids it may emit (verified against the catalog in tests).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hvguard.state.kinds import Kind

if TYPE_CHECKING:
    from hvguard.analysis.context import CheckContext
    from hvguard.analysis.findings import Finding

CheckFn = Callable[["CheckContext"], Iterable["Finding"]]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    name: str
    func: CheckFn
    needs: tuple[Kind, ...]
    produces: tuple[str, ...]
    needs_target: bool = False
    description: str = ""


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, CheckSpec] = {}

    def add(self, spec: CheckSpec) -> None:
        if spec.name in self._checks:
            raise ValueError(f"check {spec.name!r} registered twice")
        self._checks[spec.name] = spec

    def __iter__(self) -> Iterator[CheckSpec]:
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)


DEFAULT = Registry()


def check(
    name: str,
    *,
    needs: tuple[Kind, ...],
    produces: tuple[str, ...],
    needs_target: bool = False,
    registry: Registry | None = None,
) -> Callable[[CheckFn], CheckFn]:
    """Register ``func`` as a check and return it unchanged (so it stays a plain, testable function)."""

    def register(func: CheckFn) -> CheckFn:
        doc = (func.__doc__ or "").strip().splitlines()
        target = DEFAULT if registry is None else registry  # not `registry or DEFAULT`: an empty one is falsy
        target.add(CheckSpec(name, func, needs, produces, needs_target, doc[0] if doc else ""))
        return func

    return register
