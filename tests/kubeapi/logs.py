"""Pod logs for the ``pods/log`` subresource.

Lines are stored with a timestamp each so ``sinceSeconds``/``sinceTime`` and ``timestamps=true``
behave as on a kubelet; container resolution and its errors follow the API server's messages.
``follow=true`` (of the current container) sends what is stored, then every line added later as
its own chunk, until the caller says the stream has ended (the pod was deleted, the server stops)
or ``cut()`` breaks it; ``limitBytes`` is not applied to a followed log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from .errors import bad_request


class LogLine(NamedTuple):
    at: datetime
    text: str


# How often a followed stream looks whether it has ended while no line comes.
FOLLOW_POLL = 0.05


def _stamp(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond * 1000:09d}Z"


def _text(lines: Iterable[LogLine], with_stamps: bool) -> str:
    return "".join(f"{_stamp(line.at)} {line.text}\n" if with_stamps else f"{line.text}\n" for line in lines)


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
        self._added = threading.Condition(self._lock)
        # (namespace, pod, container or "" for "the only container", previous) -> lines
        self._lines: dict[tuple[str, str, str, bool], list[LogLine]] = {}
        self._follows: dict[threading.Event, str] = {}  # open followed streams: their cut flag -> pod

    def add(self, namespace: str, pod: str, lines: str | Iterable[str], *, container: str = "",
            previous: bool = False, at: datetime | None = None) -> None:
        stamp = (at or datetime.now(UTC)).astimezone(UTC)
        texts = lines.splitlines() if isinstance(lines, str) else list(lines)
        with self._added:
            self._lines.setdefault((namespace, pod, container, previous), []).extend(
                LogLine(stamp, t) for t in texts
            )
            self._added.notify_all()

    def render(self, pod: Mapping[str, Any], query: Mapping[str, str]) -> str:
        namespace, name = pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
        container = _container(pod, query)
        previous = query.get("previous") in ("true", "1")
        with self._lock:
            lines = self._stored(namespace, name, container, previous)
            lines = list(lines) if lines is not None else None
        if lines is None:
            if previous:
                raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
            lines = []
        return self._select(lines, query)

    def follow(self, pod: Mapping[str, Any], query: Mapping[str, str],
               ended: Callable[[], bool]) -> tuple[threading.Event, Generator[str, None, None]]:
        """The current container's log as it grows: a cut flag and the texts to send, the stored lines
        first (selected as without follow), until ``ended()`` or the flag is set. Errors in the request
        are raised here, before anything is sent."""
        namespace, name = pod["metadata"].get("namespace", ""), pod["metadata"]["name"]
        container = _container(pod, query)
        with self._lock:
            stored = list(self._stored(namespace, name, container, False) or [])
        cut = threading.Event()
        return cut, self._following(namespace, name, container, self._select(stored, query), len(stored),
                                    query.get("timestamps") in ("true", "1"), ended, cut)

    def cut(self) -> int:
        """Break every followed stream now (no chunked terminator); returns how many were cut."""
        with self._added:
            open_now = list(self._follows)
            for flag in open_now:
                flag.set()
            self._added.notify_all()
        return len(open_now)

    @property
    def followed(self) -> list[str]:
        """The pod of each open followed stream."""
        with self._lock:
            return sorted(self._follows.values())

    def wait_followed(self, count: int, timeout: float) -> bool:
        """Whether at least ``count`` followed streams were open within ``timeout`` seconds."""
        with self._added:
            return self._added.wait_for(lambda: len(self._follows) >= count, timeout)

    def _following(self, namespace: str, name: str, container: str, text: str, sent: int, with_stamps: bool,
                   ended: Callable[[], bool], cut: threading.Event) -> Generator[str, None, None]:
        def added() -> list[LogLine]:  # with the lock held
            return (self._stored(namespace, name, container, False) or [])[sent:]

        with self._added:
            self._follows[cut] = name
            self._added.notify_all()
        try:
            while True:
                if text:  # an empty chunk would end the stream
                    yield text
                if cut.is_set() or ended():
                    return
                with self._added:
                    self._added.wait_for(lambda: cut.is_set() or bool(added()), FOLLOW_POLL)
                    new = added()
                sent += len(new)
                text = _text(new, with_stamps)
        finally:
            with self._added:
                self._follows.pop(cut, None)
                self._added.notify_all()

    def _stored(self, namespace: str, name: str, container: str, previous: bool) -> list[LogLine] | None:
        """The lines of the container (or of "the only container"), not copied: the caller holds the lock."""
        lines = self._lines.get((namespace, name, container, previous))
        return lines if lines is not None else self._lines.get((namespace, name, "", previous))

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
        text = _text(lines, query.get("timestamps") in ("true", "1"))
        limit = _int_param(query, "limitBytes")
        return text.encode()[:limit].decode(errors="ignore") if limit is not None else text


def _container(pod: Mapping[str, Any], query: Mapping[str, str]) -> str:
    """The container a log request names, "the only one" when it names none, as the API server resolves it."""
    name, spec = pod["metadata"]["name"], pod.get("spec") or {}
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
    return container
