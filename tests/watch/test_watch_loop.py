"""The loop without a server: events fed by hand, an injected clock for the stall timer."""

from __future__ import annotations

import pytest
from watch_support import Recorder, backing_image, upgrade, with_spec

from hvguard.kube.watch import Changed, Listed, StreamState
from hvguard.state import kinds as k
from hvguard.watch import alerts
from hvguard.watch.loop import Watcher
from hvguard.watch.state import WatchState

KINDS = [k.UPGRADES, k.BACKING_IMAGES]


def watcher(recorder: Recorder, **options: object) -> Watcher:
    return Watcher(WatchState(), [recorder], watched=KINDS, clock=lambda: "2026-11-27T10:00:00.000Z", **options)


def _feed_upgrade(w: Watcher, *finals: dict[str, object]) -> None:
    w.put(Listed(k.UPGRADES.key, (upgrade(phase="UpgradingNodes"),)))
    w.put(Listed(k.BACKING_IMAGES.key, (backing_image(),)))
    for obj in finals:
        w.put(Changed(k.BACKING_IMAGES.key if obj["kind"] == "BackingImage" else k.UPGRADES.key, "MODIFIED", obj))


def test_until_complete_returns_clean_for_a_quiet_successful_upgrade() -> None:
    rec = Recorder()
    w = watcher(rec, until_complete=True)
    _feed_upgrade(w, upgrade(phase="Succeeded", completed="True"))
    assert w.run() is True
    assert rec.ids() == ["watch/upgrade-finished"]
    assert [p.upgrade.phase for p in rec.phases] == ["UpgradingNodes", "Succeeded"]


def test_until_complete_is_not_clean_after_a_critical_alert_or_a_failure() -> None:
    w = watcher(Recorder(), until_complete=True)
    _feed_upgrade(w, with_spec(backing_image(), disks={}), upgrade(phase="Succeeded", completed="True"))
    assert w.run() is False and w.finished is not None
    failed = watcher(Recorder(), until_complete=True)
    _feed_upgrade(failed, upgrade(phase="Failed", completed="False"))
    assert failed.run() is False


def test_stream_state_reaches_the_outputs() -> None:
    rec = Recorder()
    watcher(rec).handle(StreamState(k.UPGRADES.key, False, "503 Service Unavailable; retrying in 1.0s"))
    assert rec.streams == [(k.UPGRADES.key, False, "503 Service Unavailable; retrying in 1.0s")]


def test_stall_is_timed_per_progress_with_the_injected_clock() -> None:
    now = [100.0]
    rec = Recorder()
    w = watcher(rec, stall_after=60.0, monotonic=lambda: now[0])
    w.handle(Listed(k.UPGRADES.key, (upgrade(phase="PreparingNodes"),)))
    w.check_stall()
    now[0] = 159.0
    w.check_stall()
    assert rec.ids() == []
    now[0] = 161.0
    w.check_stall()
    w.check_stall()
    assert rec.ids() == ["watch/upgrade-stalled"]
    w.handle(Changed(k.UPGRADES.key, "MODIFIED", upgrade(phase="PreparingNodes", nodes={"n-0": "Images preloaded"})))
    w.check_stall()  # progress: the timer starts again
    now[0] = 200.0
    w.check_stall()
    assert rec.ids() == ["watch/upgrade-stalled"]


def test_a_rule_that_breaks_does_not_end_the_watch(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    rec = Recorder()
    w = watcher(rec)
    real = alerts.evaluate
    monkeypatch.setattr(alerts, "evaluate", lambda t: 1 / 0)
    w.handle(Listed(k.BACKING_IMAGES.key, (backing_image(),)))
    assert "internal error evaluating" in capsys.readouterr().err
    monkeypatch.setattr(alerts, "evaluate", real)
    w.handle(Changed(k.BACKING_IMAGES.key, "MODIFIED", with_spec(backing_image(), disks={})))
    assert rec.ids() == ["watch/disk-map-emptied"]
