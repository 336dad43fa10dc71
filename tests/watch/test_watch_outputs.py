"""The display outputs: JSON lines, plain lines, stream notices, and the rich live view."""

from __future__ import annotations

import io
import json

from rich.console import Console
from watch_support import NODES, backing_image, state_of, step, upgrade, with_spec

from hvguard.state import kinds as k
from hvguard.watch.alerts import Alert
from hvguard.watch.outputs import JsonLines, LiveView, Notices, TextLog
from hvguard.watch.state import PhaseChange, WatchState, overview, phase_change


def _alert() -> Alert:
    bi = backing_image()
    (alert,) = step(state_of(bi, *NODES), with_spec(bi, disks={}))
    return alert


def _phase() -> PhaseChange:
    change = phase_change(WatchState().change(k.UPGRADES.key, "ADDED", upgrade(nodes={"n-0": "Pre-draining"})), "T")
    assert change is not None
    return change


def test_json_lines_one_object_per_alert_and_phase() -> None:
    out = io.StringIO()
    lines = JsonLines(out)
    lines.alert(_alert())
    lines.phase(_phase())
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert (first["type"], first["id"], first["severity"]) == ("alert", "watch/disk-map-emptied", "critical")
    assert second == {"type": "phase", "upgrade": "harvester-system/hvst-upgrade-abcde", "version": "v1.4.0",
                      "phase": "UpgradingSystemServices", "previous": None, "nodes": {"n-0": "Pre-draining"},
                      "finished": False, "succeeded": False, "at": "T"}


def test_plain_lines_say_what_to_do() -> None:
    out = io.StringIO()
    log = TextLog(out)
    log.alert(_alert())
    log.phase(_phase())
    text = out.getvalue()
    assert "CRITICAL watch/disk-map-emptied: backing image vmi-1" in text and "  what to do: Act before" in text
    assert "PHASE    upgrade harvester-system/hvst-upgrade-abcde to v1.4.0: UpgradingSystemServices; " \
           "nodes: n-0=Pre-draining" in text


def test_notices_report_each_stream_transition_once() -> None:
    err = io.StringIO()
    notices = Notices(err)
    for up, reason in ((True, ""), (False, "connection failed; retrying in 0.5s"),
                       (False, "connection failed; retrying in 1.0s"), (True, "")):
        notices.stream("longhorn.io/backingimages", up, reason)
    assert err.getvalue().splitlines() == [
        "hvguard watch: longhorn.io/backingimages: stream lost: connection failed; retrying in 0.5s",
        "hvguard watch: longhorn.io/backingimages: stream back"]


def test_live_view_shows_phase_nodes_images_and_alerts() -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=160, record=True)
    view = LiveView(console, "https://harvester:6443")
    state = state_of(upgrade(phase="UpgradingNodes", nodes={"n-0": "Succeeded", "n-1": "Pre-draining"}),
                     backing_image("vmi-1"), backing_image("vmi-2", ready=()))
    view.stream("longhorn.io/backingimages", False, "connection failed")
    view.refresh(overview(state, [k.UPGRADES, k.BACKING_IMAGES], {"vmi-2": 2}))
    view.alert(_alert())
    console.print(view._render())
    view.close(interrupted=False)
    text = console.export_text()
    for expected in ("streams down: longhorn.io/backingimages", "UpgradingNodes", "n-1", "Pre-draining",
                     "images with a ready copy: 1/2", "vmi-2", "watch/disk-map-emptied"):
        assert expected in text, expected
