"""An append-only journal of applied changes: audit trail, and what lets an interrupted run resume.

One JSON object per line, flushed and fsynced as each change lands, so Ctrl-C or a crash leaves
an accurate record of everything that reached the cluster.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._done = self._completed_steps()

    def _completed_steps(self) -> set[str]:
        if not self.path.exists():
            return set()
        done = set()
        for line in self.path.read_text("utf-8").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn last line from a hard kill; everything before it still counts
            if entry.get("event") == "step-done":
                done.add(str(entry.get("step")))
        return done

    def done(self, step_id: str) -> bool:
        return step_id in self._done

    def record(self, event: str, step: str, **details: Any) -> None:
        entry = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "event": event, "step": step, **details}
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True, default=str) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        if event == "step-done":
            self._done.add(step)
