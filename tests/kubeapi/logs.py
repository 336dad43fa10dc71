"""Pod logs for the ``pods/log`` subresource.

Lines are stored with a timestamp each so ``sinceSeconds``/``sinceTime`` and ``timestamps=true``
behave as on a kubelet; container resolution and its errors follow the API server's messages.
``follow=true`` returns what is stored and ends (there is no live log source).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from .errors import bad_request


class LogLine(NamedTuple):
    at: datetime
    text: str


def _stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond * 1000:09d}Z"


def _int_param(query: Mapping[str, str], name: str) -> int | None:
    if name not in query:
        return None
    try:
        return int(query[name])
    except ValueError:
        raise bad_request(f"{name}: Invalid value: {query[name]!r}: must be an integer") from None


class PodLogs:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (namespace, pod, container or "" for "the only container", previous) -> lines
        self._lines: dict[tuple[str, str, str, bool], list[LogLine]] = {}

    def add(self, namespace: str, pod: str, lines: str | Iterable[str], *, container: str = "",
            previous: bool = False, at: datetime | None = None) -> None:
        stamp = (at or datetime.now(UTC)).astimezone(UTC)
        texts = lines.splitlines() if isinstance(lines, str) else list(lines)
        with self._lock:
            self._lines.setdefault((namespace, pod, container, previous), []).extend(
                LogLine(stamp, t) for t in texts
            )

    def render(self, pod: Mapping[str, Any], query: Mapping[str, str]) -> str:
        meta, spec = pod["metadata"], pod.get("spec") or {}
        namespace, name = meta.get("namespace", ""), meta["name"]
        names = [c["name"] for c in spec.get("containers") or []]
        init_names = [c["name"] for c in spec.get("initContainers") or []]
        container = query.get("container", "")
        if not container and len(names) > 1:
            raise bad_request(
                f"a container name must be specified for pod {name}, choose one of: [{' '.join(names)}]"
            )
        if not container and names:
            container = names[0]
        if container and names and container not in names + init_names:
            raise bad_request(f"container {container} is not valid for pod {name}")
        previous = query.get("previous") in ("true", "1")
        with self._lock:
            lines = self._lines.get((namespace, name, container, previous))
            if lines is None:
                lines = self._lines.get((namespace, name, "", previous))
            lines = list(lines) if lines is not None else None
        if lines is None:
            if previous:
                raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
            lines = []
        return self._select(lines, query)

    @staticmethod
    def _select(lines: list[LogLine], query: Mapping[str, str]) -> str:
        since_seconds = _int_param(query, "sinceSeconds")
        if since_seconds is not None:
            cutoff = datetime.now(UTC) - timedelta(seconds=since_seconds)
            lines = [line for line in lines if line.at >= cutoff]
        if "sinceTime" in query:
            try:
                cutoff = datetime.fromisoformat(query["sinceTime"].replace("Z", "+00:00"))
            except ValueError:
                raise bad_request(f"sinceTime: Invalid value: {query['sinceTime']!r}") from None
            lines = [line for line in lines if line.at >= cutoff]
        tail = _int_param(query, "tailLines")
        if tail is not None:
            lines = lines[-tail:] if tail > 0 else []
        with_stamps = query.get("timestamps") in ("true", "1")
        text = "".join(f"{_stamp(line.at)} {line.text}\n" if with_stamps else f"{line.text}\n" for line in lines)
        limit = _int_param(query, "limitBytes")
        return text.encode()[:limit].decode(errors="ignore") if limit is not None else text
