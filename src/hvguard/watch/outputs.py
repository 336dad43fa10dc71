"""Where the watcher reports: a live terminal view, JSON lines, or plain lines (webhook and metrics live
in their own modules). Every output gets the same calls from the loop's one thread; none may block it.
"""

from __future__ import annotations

import json
from collections import deque
from typing import TextIO

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from hvguard.watch.alerts import Alert
from hvguard.watch.state import Overview, PhaseChange

STYLES = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
RECENT_ALERTS = 8
IMAGE_ROWS = 12


class Output:
    """The hooks the loop calls; each output overrides the ones it uses."""

    def alert(self, alert: Alert) -> None:
        """A new alert."""

    def phase(self, change: PhaseChange) -> None:
        """The upgrade's phase or a node's state moved."""

    def stream(self, key: str, up: bool, reason: str) -> None:
        """A watch stream went down (``reason``; it is already retrying) or came back."""

    def refresh(self, view: Overview) -> None:
        """The state after a batch of changes."""

    def close(self, interrupted: bool) -> None:
        """The watch ends; ``interrupted`` means Ctrl-C (finish fast)."""


def alert_line(alert: Alert) -> str:
    return f"{alert.at} {alert.level.upper():8} {alert.id}: {alert.message}"


def phase_line(change: PhaseChange) -> str:
    view = change.upgrade
    nodes = ", ".join(f"{node}={state or '-'}" for node, state in view.nodes) or "no node status yet"
    was = f" (was {change.previous.phase})" if change.previous and change.previous.phase != view.phase else ""
    return f"{change.at} PHASE    upgrade {view.ref} to {view.version or '?'}: {view.phase}{was}; nodes: {nodes}"


class JsonLines(Output):
    """``--json``: one JSON object per line, per alert and per phase change, flushed at once."""

    def __init__(self, stream: TextIO) -> None:
        self.out = stream

    def _write(self, document: dict[str, object]) -> None:
        self.out.write(json.dumps(document, sort_keys=True) + "\n")
        self.out.flush()

    def alert(self, alert: Alert) -> None:
        self._write(alert.as_dict())

    def phase(self, change: PhaseChange) -> None:
        self._write(change.as_dict())


class TextLog(Output):
    """Plain lines when stdout is not a terminal and --json was not asked for (logs, pipes)."""

    def __init__(self, stream: TextIO) -> None:
        self.out = stream

    def alert(self, alert: Alert) -> None:
        self.out.write(alert_line(alert) + f"\n  what to do: {alert.spec.remediation}\n")
        self.out.flush()

    def phase(self, change: PhaseChange) -> None:
        self.out.write(phase_line(change) + "\n")
        self.out.flush()


class Notices(Output):
    """Stream trouble on stderr, once per transition (a stream that keeps failing is not repeated)."""

    def __init__(self, stream: TextIO) -> None:
        self.out = stream
        self._up: dict[str, bool] = {}

    def stream(self, key: str, up: bool, reason: str) -> None:
        was = self._up.get(key)
        self._up[key] = up
        if not up and was is not False:
            self.out.write(f"hvguard watch: {key}: stream lost: {reason}\n")
        elif up and was is False:
            self.out.write(f"hvguard watch: {key}: stream back\n")
        self.out.flush()


class LiveView(Output):
    """The terminal view: upgrade phase and nodes, images ready/total, recent alerts, stream health.

    Alerts are also printed above the view, so they stay in the scrollback after it is gone.
    """

    def __init__(self, console: Console, server: str) -> None:
        self.console, self.server = console, server
        self._view: Overview | None = None
        self._alerts: deque[Alert] = deque(maxlen=RECENT_ALERTS)
        self._up: dict[str, bool] = {}
        self._reconnects = 0
        self._live = Live(console=console, get_renderable=self._render, refresh_per_second=4, transient=False)
        self._live.start()

    def alert(self, alert: Alert) -> None:
        self._alerts.appendleft(alert)
        self.console.print(Text(alert_line(alert), style=STYLES[alert.level]))

    def phase(self, change: PhaseChange) -> None:
        self.console.print(Text(phase_line(change), style="bold"))

    def stream(self, key: str, up: bool, reason: str) -> None:
        if not up:
            self._reconnects += 1
        self._up[key] = up

    def refresh(self, view: Overview) -> None:
        self._view = view

    def close(self, interrupted: bool) -> None:
        self._live.stop()

    def _render(self) -> Group:
        view = self._view
        down = sorted(key for key, up in self._up.items() if not up)
        health = (Text(f"streams down: {', '.join(down)}", style="bold red") if down
                  else Text(f"{sum(self._up.values())} streams live", style="green"))
        parts: list[RenderableType] = [Text.assemble(("hvguard watch ", "bold"), f"{self.server}  ", health,
                                             f"  reconnects {self._reconnects}")]
        if view is None:
            return Group(*parts, Text("listing…"))
        if view.syncing:
            parts.append(Text(f"syncing: {', '.join(view.syncing)}", style="dim"))
        upgrade = view.upgrade
        if upgrade is None:
            parts.append(Text("no Upgrade in harvester-system yet"))
        else:
            parts.append(Text.assemble(("upgrade ", "bold"), f"{upgrade.ref} to {upgrade.version or '?'}: ",
                                       (upgrade.phase, "bold green" if upgrade.succeeded else "bold")))
            nodes = Table("node", "state", box=None, padding=(0, 2))
            for node, state in upgrade.nodes:
                nodes.add_row(node, state or "-")
            parts.append(nodes)
        parts.append(Text(f"Longhorn {view.longhorn_version or '?'}, BackingImage CRD "
                          f"{view.crd_version or 'unlabelled'}"))
        parts.append(self._images(view))
        if view.waiting_volumes:
            parts.append(Text(f"volumes waiting for a backing image: {', '.join(view.waiting_volumes)}",
                              style="yellow"))
        alerts = Table("time", "severity", "alert", "message", box=None, padding=(0, 1), expand=True)
        for alert in self._alerts:
            alerts.add_row(alert.at[11:19], Text(alert.level, style=STYLES[alert.level]), alert.id,
                           Text(alert.message, overflow="ellipsis", no_wrap=True))
        parts.append(alerts if self._alerts else Text("no alerts", style="green"))
        return Group(*parts)

    @staticmethod
    def _images(view: Overview) -> Table:
        table = Table("backing image", "VM image", "source", "ready", "wanted", "snapshot", box=None,
                      padding=(0, 1), title=f"images with a ready copy: {view.images_ready}/{len(view.images)}",
                      title_justify="left")
        for row in view.images[:IMAGE_ROWS]:  # images without a ready copy sort first
            lost = row.snapshot_ready is not None and row.ready < row.snapshot_ready
            table.add_row(row.name, row.vm_image, row.source_type,
                          Text(str(row.ready), style="bold red" if not row.ready or lost else ""),
                          str(row.desired), "-" if row.snapshot_ready is None else str(row.snapshot_ready))
        if len(view.images) > IMAGE_ROWS:
            table.caption = f"… and {len(view.images) - IMAGE_ROWS} more"
        return table
