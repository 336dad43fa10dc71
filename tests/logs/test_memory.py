"""A 200 MB container log is read in bounded memory, and its matches are still all found.

The log is written to a bundle folder as it is generated (never held whole), then scanned in a fresh
interpreter so that the peak resident size it reports belongs to the scan alone.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from logkit import BUNDLE_AT, dir_bundle, example, stamp

SIZE = 200 * 2**20
MAX_GROWTH_MIB = 64  # reading the log whole would add at least 200
NOISE = ('time="2026-11-01T06:00:00Z" level=debug msg="Instance manager is running" func="controller.'
         '(*InstanceManagerMonitor).Run" file="instance_manager_controller.go:1421" controller=longhorn-instance-'
         'manager instance manager=instance-manager-6d4e node=harvester-node-0')
# Growth = the peak resident size of the interpreter (VmHWM) after the scan minus its resident size
# (VmRSS) right before it. Not ru_maxrss: Linux carries the forking parent's peak over into it.
SCRIPT = """
import json, sys
from pathlib import Path
from hvguard.logs.bundle_logs import read_bundle
def status(key):
    with open("/proc/self/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith(key + ":"))
before = status("VmRSS")
scan = read_bundle(Path(sys.argv[1]))
after = status("VmHWM")
[log] = [i for i in scan.inputs if i.type == "log"]
print(json.dumps({"growth_kib": after - before, "bytes": log.bytes, "lines": log.lines, "status": log.status,
                  "truncated": log.truncated,
                  "groups": {g.signature.id: g.count for g in scan.groups}}))
"""


def write_big_log(path: Path) -> int:
    """About SIZE bytes of manager log: noise, junk, an over-long line and a match every 32 MB."""
    at = BUNDLE_AT - timedelta(hours=5)
    noise = "".join(f"{stamp(at)} {NOISE} seq={n}\n" for n in range(4000)).encode()
    waiting = f"{stamp(at)} {example('replica-waiting-for-backing-image')}\n".encode()
    junk = b"\xff\xfe\x00binary \xc3\x28 junk " * 50 + b"\n"
    written = 0
    with path.open("wb") as handle:
        handle.write(f"{stamp(at)} {example('upgrade-path-v16x-to-v170')}\n".encode())
        handle.write(b"x" * (5 * 2**20) + b" " + waiting)  # one 5 MB line: cut, its match is lost
        while written < SIZE:
            handle.write(noise + junk)
            written += len(noise) + len(junk)
            if written // (32 * 2**20) != (written - len(noise) - len(junk)) // (32 * 2**20):
                handle.write(waiting)
        handle.write(f"{stamp(at)} {example('backing-image-unrecoverable')}".encode())  # no final newline
    return path.stat().st_size


def test_a_200_mb_log_is_scanned_in_bounded_memory(tmp_path: Path) -> None:
    root = dir_bundle(tmp_path / "bundle", {"longhorn-system/longhorn-manager-x7k2p/longhorn-manager.log": ""})
    size = write_big_log(root / "logs/longhorn-system/longhorn-manager-x7k2p/longhorn-manager.log")
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(root)], capture_output=True, text=True, timeout=60,
                            check=True)
    elapsed = time.monotonic() - started
    report = json.loads(result.stdout)
    assert report["growth_kib"] < MAX_GROWTH_MIB * 1024, report
    assert (report["status"], report["bytes"]) == ("read", size)
    assert report["truncated"] == 1
    assert report["groups"] == {"upgrade-path-v16x-to-v170": 1, "replica-waiting-for-backing-image": 6,
                                "backing-image-unrecoverable": 1}
    assert elapsed < 20, f"scanning {size} bytes took {elapsed:.1f}s"
