"""The watcher's state: immutable snapshots, list diffs, the snapshot seed, and the Upgrade's phase."""

from __future__ import annotations

from support import state_from
from watch_support import backing_image, upgrade, with_ready

from hvguard.state import kinds as k
from hvguard.watch.state import WatchState, latest_upgrade, overview, phase_change, upgrade_view
from hvguard.watch.streams import WATCHED

BI = k.BACKING_IMAGES.key


def test_apply_returns_a_new_state_and_leaves_the_old_one_alone() -> None:
    empty = WatchState()
    change = empty.change(BI, "ADDED", backing_image())
    after = empty.apply(change)
    assert empty.objects(k.BACKING_IMAGES) == () and len(after.objects(k.BACKING_IMAGES)) == 1
    assert change.type == "ADDED" and change.before is None
    again = after.change(BI, "ADDED", backing_image())  # an ADDED for a held object is a modification
    assert again.type == "MODIFIED" and again.before == backing_image()
    gone = after.change(BI, "DELETED", backing_image())
    assert gone.after is None and after.apply(gone).objects(k.BACKING_IMAGES) == ()


def test_a_list_is_diffed_against_what_is_held_then_marked_synced() -> None:
    held = WatchState().apply(WatchState().change(BI, "ADDED", backing_image("a")))
    held = held.apply(held.change(BI, "ADDED", backing_image("b")))
    changes = held.diff(BI, [with_ready(backing_image("a")), backing_image("b"), backing_image("c")])
    assert [(c.type, c.obj["metadata"]["name"] if c.type != "SYNCED" else "") for c in changes] == [
        ("MODIFIED", "a"), ("ADDED", "c"), ("SYNCED", "")]
    gone = held.diff(BI, [])
    assert [c.type for c in gone] == ["DELETED", "DELETED", "SYNCED"]
    assert not held.is_synced(k.BACKING_IMAGES) and held.apply(gone[-1]).is_synced(k.BACKING_IMAGES)


def test_seeded_state_holds_only_what_the_watches_select() -> None:
    crds = [{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": n}}
            for n in ("backingimages.longhorn.io", "volumes.longhorn.io")]
    pods = [{"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": n, "namespace": "longhorn-system", "labels": {"app": app}}}
            for n, app in (("longhorn-manager-1", "longhorn-manager"), ("instance-manager-1", "instance-manager"))]
    baseline = state_from([*crds, *pods, backing_image()])
    seeded = WatchState.seeded(baseline, {w.kind: w.matches for w in WATCHED})
    assert [c["metadata"]["name"] for c in seeded.objects(k.CRDS)] == ["backingimages.longhorn.io"]
    assert [p["metadata"]["name"] for p in seeded.objects(k.PODS)] == ["longhorn-manager-1"]
    assert len(seeded.objects(k.BACKING_IMAGES)) == 1 and seeded.synced == frozenset()


def test_upgrade_phase_from_the_controller_label_or_the_completed_condition() -> None:
    running = upgrade_view(upgrade(phase="UpgradingNodes", nodes={"n-1": "Pre-draining", "n-0": "Succeeded"}))
    assert (running.phase, running.finished) == ("UpgradingNodes", False)
    assert running.nodes == (("n-0", "Succeeded"), ("n-1", "Pre-draining"))
    done = upgrade(phase="", completed="True")
    assert (upgrade_view(done).phase, upgrade_view(done).succeeded) == ("Succeeded", True)


def test_latest_upgrade_prefers_the_label_then_the_newest() -> None:
    old = upgrade("hvst-upgrade-old", phase="Succeeded", completed="True")
    old["metadata"]["labels"]["harvesterhci.io/latestUpgrade"] = "false"
    new = upgrade("hvst-upgrade-new")
    state = WatchState()
    for obj in (new, old):
        state = state.apply(state.change(k.UPGRADES.key, "ADDED", obj))
    assert latest_upgrade(state).name == "hvst-upgrade-new"  # type: ignore[union-attr]


def test_phase_change_on_phase_or_node_state_only() -> None:
    state = WatchState()
    first = state.change(k.UPGRADES.key, "ADDED", upgrade())
    assert phase_change(first, "t").previous is None  # type: ignore[union-attr]
    state = state.apply(first)
    same = upgrade()
    same["status"]["previousVersion"] = "v1.3.1"
    assert phase_change(state.change(k.UPGRADES.key, "MODIFIED", same), "t") is None
    moved = phase_change(state.change(k.UPGRADES.key, "MODIFIED", upgrade(nodes={"n-0": "Images preloaded"})), "t")
    assert moved is not None and moved.as_dict()["nodes"] == {"n-0": "Images preloaded"}
    assert moved.as_dict()["previous"] == "UpgradingSystemServices"


def test_overview_sorts_images_without_a_ready_copy_first() -> None:
    state = WatchState()
    for bi in (backing_image("a"), backing_image("b", ready=())):
        state = state.apply(state.change(BI, "ADDED", bi))
    view = overview(state, [k.BACKING_IMAGES, k.UPGRADES], {"b": 2})
    assert [(row.name, row.ready, row.snapshot_ready) for row in view.images] == [("b", 0, 2), ("a", 2, None)]
    assert view.images_ready == 1 and view.syncing == (BI, k.UPGRADES.key)
