"""Container log text as a support bundle holds it.

support-bundle-kit asks the kubelet for logs with ``timestamps=true``, so every line starts with an
RFC 3339 time with nanoseconds (``2025-03-24T09:12:03.418273661Z``, trailing zeros dropped, as Go's
``time.RFC3339Nano`` writes them). Longhorn components log with logrus' text formatter, caller
reporting on; KubeVirt's virt-launcher logs JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping

from hvguard.synth import ids

_BARE = re.compile(r"[A-Za-z0-9\-._/@^+]*\Z")  # logrus writes these values without quotes


class ContainerLog:
    """One container's log, built line by line in time order.

    Lines are given to the second; the nanoseconds are derived from the path and line number and
    keep increasing within a second, so the text is reproducible and never goes back in time.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._lines: list[str] = []
        self._last = ("", -1)

    def add(self, at: str, line: str | Callable[[int], str]) -> None:
        """Append a line logged at ``at``; a callable gets the line's nanoseconds (for embedded times)."""
        if at < self._last[0]:
            raise ValueError(f"{self.path}: line at {at} after one at {self._last[0]}")
        seed = (self.path, str(len(self._lines)))
        if at == self._last[0]:
            nanos = min(self._last[1] + ids.number(1_000_000, 40_000_000, *seed), 999_999_999)
        else:
            nanos = ids.number(0, 400_000_000, *seed)
        self._last = (at, nanos)
        text = line(nanos) if callable(line) else line
        self._lines.append(f"{ids.rfc3339_nano(ids.parse_time(at), nanos)} {text}\n")

    @property
    def text(self) -> str:
        return "".join(self._lines)


def _value(text: str) -> str:
    return text if _BARE.match(text) else json.dumps(text, ensure_ascii=False)


def logrus_line(at: str, level: str, msg: str, *, func: str, file: str, fields: Mapping[str, str]) -> str:
    """A logrus ``TextFormatter`` line (``FullTimestamp``, caller as ``func``/``file``, sorted fields)."""
    parts = [f'time="{at}"', f"level={level}", f"msg={_value(msg)}", f"func={_value(func)}", f"file={_value(file)}"]
    parts += [f"{key}={_value(value)}" for key, value in sorted(fields.items())]
    return " ".join(parts)


def virt_launcher_line(at: str, msg: str, pos: str) -> Callable[[int], str]:
    """A KubeVirt JSON log line; its own (microsecond) time is a little before the kubelet's."""

    def render(nanos: int) -> str:
        stamp = f"{at[:-1]}.{max(0, nanos // 1000 - 215):06d}Z"
        return json.dumps({"component": "virt-launcher", "level": "info", "msg": msg, "pos": pos,
                           "timestamp": stamp}, separators=(",", ":"))

    return render
