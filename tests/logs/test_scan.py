"""Matching real-shaped logs: kubelet timestamps, rotated runs, junk, cut lines, folding into groups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from logkit import BUNDLE_AT, event, example, stamped

from hvguard.knowledge.logsigs import load_signatures
from hvguard.logs.lines import MAX_LINE, LineStats, line_blocks
from hvguard.logs.scan import SAMPLE_WIDTH, SAMPLES, Collector, Origin, logrus_field, sample, scan_events, scan_log

MANAGER = Origin("log", "longhorn-system", "longhorn-manager-x7k2p", "longhorn-manager", node="harvester-node-0",
                 image="longhornio/longhorn-manager:v1.7.2")
WAITING = example("replica-waiting-for-backing-image")
START = datetime(2025, 3, 24, 13, 47, 5, tzinfo=UTC)


def scan(data: bytes, origin: Origin = MANAGER, collector: Collector | None = None) -> Collector:
    collector = collector or Collector()
    scan_log(line_blocks([data], LineStats()), origin, load_signatures(), collector)
    return collector


def test_kubelet_timestamps_order_and_fold_the_hits() -> None:
    text = stamped([example("upgrade-path-v16x-to-v170"), WAITING, "unrelated", WAITING, WAITING, WAITING], START)
    groups = scan(text.encode()).groups
    assert [g.signature.id for g in groups] == ["upgrade-path-v16x-to-v170", "replica-waiting-for-backing-image"]
    waiting = groups[1]
    assert waiting.count == 4
    assert (waiting.first, waiting.last) == (START + timedelta(seconds=1, microseconds=0),
                                              START + timedelta(seconds=5))
    assert len(waiting.samples) == SAMPLES
    assert waiting.samples[0].startswith("2025-03-24T13:47:06.000000417Z time=")
    assert waiting.known_version is True


def test_provenance_headers_binary_junk_and_invalid_utf8_are_survived() -> None:
    data = (b"# source: github.com/rancher/support-bundle-kit, commit 06526fa\n# path: logs/...\n"
            + stamped(["\x00\x01 binary \x7f junk"], START).encode()
            + b"\xff\xfe\xfa garbage \xc3\x28 " + b"\x00" * 50 + b"\n"
            + b"2025-03-24T13:47:05.5Z \xed\xb3\xbf " + WAITING.encode() + b"\n"  # a UTF-8-encoded surrogate
            + b"2025-03-24T13:47:09.1Z \xe9\xe8 " + example("backing-image-unrecoverable").encode() + b"\n")
    groups = scan(data).groups
    assert [g.signature.id for g in groups] == ["replica-waiting-for-backing-image", "backing-image-unrecoverable"]
    assert groups[1].first == datetime(2025, 3, 24, 13, 47, 9, 100000, tzinfo=UTC)
    assert "\ufffd" in groups[1].samples[0]


def test_a_line_without_kubelet_prefix_uses_its_logrus_time_or_none() -> None:
    groups = scan(f"{WAITING}\n{example('eviction-panic')}\n".encode()).groups
    by_id = {g.signature.id: g for g in groups}
    assert by_id["replica-waiting-for-backing-image"].first == datetime(2025, 3, 24, 9, 31, 40, tzinfo=UTC)
    assert by_id["eviction-panic"].first is None
    assert groups[-1].signature.id == "eviction-panic"  # undated entries sort last


def test_a_very_long_line_is_matched_in_its_head_only() -> None:
    head = stamped([WAITING + " extra=" + "a" * (2 * MAX_LINE)], START)
    tail = stamped(["z" * (MAX_LINE + 10) + " " + example("eviction-panic")], START)
    groups = scan((head + tail).encode()).groups
    assert [g.signature.id for g in groups] == ["replica-waiting-for-backing-image"]
    assert len(groups[0].samples[0]) == SAMPLE_WIDTH


def test_since_drops_older_hits_and_keeps_undated_ones() -> None:
    text = stamped([WAITING, WAITING], START, step=timedelta(hours=2)) + example("eviction-panic") + "\n"
    collector = scan(text.encode(), collector=Collector(since=START + timedelta(hours=1)))
    by_id = {g.signature.id: g for g in collector.groups}
    assert by_id["replica-waiting-for-backing-image"].count == 1
    assert by_id["replica-waiting-for-backing-image"].first == START + timedelta(hours=2)
    assert "eviction-panic" in by_id


def test_distinct_objects_make_distinct_groups_until_the_cap() -> None:
    lines = [WAITING.replace("vmi-0974c797", f"vmi-{index:08x}") for index in range(10)]
    collector = scan(stamped(lines, START).encode(), collector=Collector(max_groups=4))
    groups = collector.groups
    assert len(groups) == 5  # four with their objects, then one without
    assert [g.count for g in groups if not g.objects] == [6]


def test_a_container_no_signature_reads_is_not_matched() -> None:
    origin = Origin("log", "longhorn-system", "instance-manager-abc", "instance-manager")
    assert scan(stamped([WAITING], START).encode(), origin).groups == []


def test_events_count_as_often_as_recorded_and_use_their_own_times() -> None:
    first = BUNDLE_AT - timedelta(minutes=30)
    recorded = event("BackingImageManager", "backing-image-manager-7f21-a56f", example("backing-image-file-deleted"),
                     first, count=3)
    recorded["lastTimestamp"] = (first + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    series = event("BackingImage", "vmi-a", example("unused-backing-image-manager-deleted"), first)
    del series["firstTimestamp"], series["lastTimestamp"], series["count"]
    series |= {"eventTime": "2026-11-01T09:31:00.123456Z", "series": {"count": 4, "lastObservedTime":
                                                                       "2026-11-01T09:40:00.000000Z"}}
    collector = Collector()
    scan_events([recorded, series], load_signatures(), collector)
    deleted, unused = collector.groups
    assert (deleted.count, deleted.first, deleted.last) == (3, first, first + timedelta(minutes=5))
    assert dict(deleted.objects)["backingImageManager"] == "backing-image-manager-7f21-a56f"
    assert (unused.count, unused.last) == (4, datetime(2026, 11, 1, 9, 40, tzinfo=UTC))
    assert deleted.samples == [f"Delete: {example('backing-image-file-deleted')}"]
    assert deleted.origin.label == "events in longhorn-system"


def test_logrus_fields_in_text_and_json_forms() -> None:
    line = 'msg="x" a=plain b="with \\"quotes\\" and spaces" c="" biName=vmi-1'
    assert logrus_field(line, "a") == "plain"
    assert logrus_field(line, "b") == 'with "quotes" and spaces'
    assert logrus_field(line, "c") == ""
    assert logrus_field(line, "biName") == "vmi-1"
    assert logrus_field('{"biName":"vmi-2","msg":"y"}', "biName") == "vmi-2"
    assert logrus_field(line, "missing") is None
    assert logrus_field("xbiName=nope", "biName") is None


def test_samples_are_printable_and_short() -> None:
    assert sample("a\x00b\x1bc\td\r") == "a\ufffdb\ufffdc\td"
    assert len(sample("x" * 1000)) == SAMPLE_WIDTH


def test_logs_scanned_apart_and_absorbed_equal_one_scan_of_them_all() -> None:
    """Live logs are scanned side by side, each into a collector of its own, then absorbed in order."""
    other = Origin("log", "longhorn-system", "longhorn-manager-q9zt4", "longhorn-manager", node="harvester-node-1")
    first = stamped([example("upgrade-path-v16x-to-v170"), WAITING, WAITING, WAITING, WAITING], START).encode()
    second = stamped([WAITING, "unrelated", WAITING], START + timedelta(hours=1)).encode()
    together = scan(second, other, scan(first))
    apart = Collector()
    for collector in (scan(first), scan(second, other)):
        for group in collector.groups:
            apart.absorb(group)
    assert [(g.signature.id, g.origin, g.objects, g.first, g.last, g.count, g.samples) for g in apart.groups] == \
           [(g.signature.id, g.origin, g.objects, g.first, g.last, g.count, g.samples) for g in together.groups]
    assert sum(g.count for g in apart.groups) == 7
