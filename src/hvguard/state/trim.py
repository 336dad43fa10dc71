"""Drop what no analysis reads from objects as a source reads them, so large clusters fit in memory.

Decoded into Python, an API object takes three to four times its JSON size. Most of a large
cluster is VMs, their instances, volumes and replicas, and most of each of those is detail hvguard
never looks at (virtual hardware, network interfaces, replica conditions). Every source trims each
object right after decoding it, so the full object never piles up; what is dropped is declared per
resource type in ``kinds.py`` (``Kind.drop``). ``metadata.managedFields`` (server-side apply
bookkeeping, often half of a real object) goes from every type, as Kubernetes' own informers drop
it. ``tests/contract/test_trim.py`` holds that the analysis cannot tell trimmed from full objects.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from hvguard.state.kinds import Kind

ALWAYS_DROPPED = ("metadata.managedFields",)


@cache
def _paths(kind: Kind) -> tuple[tuple[tuple[str, ...], str], ...]:
    """(parent keys, key) for each dotted path the type drops."""
    split = (path.split(".") for path in ALWAYS_DROPPED + kind.drop)
    return tuple((tuple(parts[:-1]), parts[-1]) for parts in split)


def trim(obj: Any, kind: Kind) -> Any:
    """Remove ``kind``'s dropped subtrees from ``obj`` in place; returns ``obj``.

    Malformed objects (not mappings all the way down) pass through for the checks to report.
    """
    for parents, key in _paths(kind):
        node = obj
        for parent in parents:
            if not isinstance(node, dict):
                break
            node = node.get(parent)
        else:
            if isinstance(node, dict):
                node.pop(key, None)
    return obj
