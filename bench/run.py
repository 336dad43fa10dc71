"""hvguard's scale benchmark: generated clusters of three sizes, hvguard against the physical limit
and against the old per-object way, all in one run on one machine. See ``bench/README.md``.

    python bench/run.py                      # everything (about half an hour)
    python bench/run.py --sizes small,medium --runs 5 --no-oldway

For each size it writes the generated cluster's support bundle, serves the same cluster from the
test API emulator (``serve.py``, a process of its own) and times, each as a fresh subprocess:

* ``live``: ``hvguard preflight --kubeconfig K --to v1.4.0 -o json`` vs ``limit_live.py``;
* ``bundle``: ``hvguard preflight --bundle B --to v1.4.0 -o json`` vs ``limit_bundle.py``;
* ``oldway``: ``oldway.sh`` (kubectl + jq per object; ``small`` and ``medium`` only, and only when
  kubectl and jq are installed), compared with hvguard's live run on the same emulator.

hvguard and its limit alternate run by run, so drift in the machine's load hits both alike. The
median of the runs is reported, with peak RSS from ``wait4`` (each child's own, not the maximum
over all children that ``RUSAGE_CHILDREN`` would give). Results go to ``bench/results.json`` and
``bench/results.png``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
PYTHON = sys.executable
_SCRIPT = Path(PYTHON).parent / "hvguard"  # the installed console script, as users run it
HVGUARD = [str(_SCRIPT)] if _SCRIPT.exists() else [PYTHON, "-m", "hvguard"]
TARGET = "v1.4.0"
OLDWAY_SIZES = ("small", "medium")


def log_scan_arguments() -> tuple[list[str], list[str]]:
    """What the limits need to mirror preflight's default log scan: (live arguments, bundle arguments)."""
    from hvguard.cli.common import LIVE_LOG_WINDOW_HOURS
    from hvguard.knowledge.logsigs import load_signatures

    containers = ",".join(sorted({c for signature in load_signatures() for c in signature.containers}))
    return (["--containers", containers, "--log-since", str(LIVE_LOG_WINDOW_HOURS * 3600)],
            ["--containers", containers])


@dataclass(frozen=True, slots=True)
class Run:
    """One timed subprocess."""

    seconds: float
    rss_mb: float
    stdout: str


def timed(argv: Sequence[str], env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` to completion: wall time, the child's own peak RSS, its stdout.

    Exit codes are not checked here: ``hvguard preflight`` exits 1 when it has findings.
    """
    with tempfile.TemporaryFile("w+") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}")
        out.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, out.read())


def alternate(runs: int, *commands: Sequence[str], env: dict[str, str] | None = None) -> list[list[Run]]:
    """``runs`` runs of each command, interleaved (a, b, a, b, ...)."""
    results: list[list[Run]] = [[] for _ in commands]
    for _ in range(runs):
        for index, argv in enumerate(commands):
            results[index].append(timed(argv, env))
    return results


def median(runs: list[Run], field: str = "seconds") -> float:
    return float(statistics.median(getattr(run, field) for run in runs))


class Emulator:
    """``serve.py`` in the background, serving one generated cluster until closed."""

    def __init__(self, size: str, seed: int, workdir: Path) -> None:
        self.kubeconfig = workdir / f"kubeconfig-{size}"
        self.proc = subprocess.Popen([PYTHON, str(BENCH / "serve.py"), size, "--seed", str(seed),
                                      "--kubeconfig", str(self.kubeconfig)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "READY":
            raise RuntimeError(f"the emulator for {size} did not start")

    @property
    def url(self) -> str:
        for line in self.kubeconfig.read_text().splitlines():
            if line.strip().startswith("server:"):
                return line.split(":", 1)[1].strip()
        raise RuntimeError(f"no server in {self.kubeconfig}")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def record(size: str, mode: str, hv: list[Run], limit: list[Run], raw_bytes: int, **extra: Any) -> dict[str, Any]:
    """One results.json record: hvguard's median against the limit's, and memory against bytes read."""
    hv_s, limit_s, rss = median(hv), median(limit), median(hv, "rss_mb")
    raw_mb = raw_bytes / 2**20
    return {
        "size": size, "mode": mode, "median_s": round(hv_s, 3), "limit_s": round(limit_s, 3),
        "ratio": round(hv_s / limit_s, 3), "rss_mb": round(rss, 1), "runs": len(hv),
        "limit_rss_mb": round(median(limit, "rss_mb"), 1), "raw_mb": round(raw_mb, 1),
        "rss_per_raw": round(rss / raw_mb, 2) if raw_mb else None,
        "times_s": [round(r.seconds, 3) for r in hv], "limit_times_s": [round(r.seconds, 3) for r in limit],
        **extra,
    }


def bench_size(size: str, seed: int, runs: int, oldway: bool, workdir: Path) -> list[dict[str, Any]]:
    """Every mode for one size; the emulator serves the cluster the bundle was written from."""
    live_logs, bundle_logs = log_scan_arguments()
    bundle = workdir / f"{size}.zip"
    subprocess.run([PYTHON, "-m", "hvguard.synth.generator", size, "--bundle", str(bundle), "--seed", str(seed)],
                   check=True, stderr=subprocess.DEVNULL)
    print(f"[{size}] bundle written, starting the emulator", flush=True)
    emulator = Emulator(size, seed, workdir)
    try:
        live, live_limit = alternate(runs, [*HVGUARD, "preflight", "--kubeconfig", str(emulator.kubeconfig),
                                            "--to", TARGET, "-o", "json"],
                                     [PYTHON, str(BENCH / "limit_live.py"), emulator.url, *live_logs])
        records = [record(size, "live", live, live_limit, json.loads(live_limit[0].stdout)["bytes"],
                          objects=json.loads(live_limit[0].stdout)["items"])]
        print(f"[{size}] live {records[-1]['median_s']} s, limit {records[-1]['limit_s']} s", flush=True)
        if oldway and size in OLDWAY_SIZES:
            env = {**os.environ, "KUBECONFIG": str(emulator.kubeconfig)}
            (old,) = alternate(runs, ["bash", str(BENCH / "oldway.sh")], env=env)
            records.append(record(size, "oldway", old, live_limit, records[0]["raw_mb"] * 2**20,
                                  objects=records[0]["objects"],
                                  hvguard_s=records[0]["median_s"],
                                  speedup=round(median(old) / records[0]["median_s"], 1)))
            print(f"[{size}] old way {records[-1]['median_s']} s", flush=True)
    finally:
        emulator.close()
    hv, limit = alternate(runs, [*HVGUARD, "preflight", "--bundle", str(bundle), "--to", TARGET, "-o", "json"],
                          [PYTHON, str(BENCH / "limit_bundle.py"), str(bundle), *bundle_logs])
    stats = json.loads(limit[0].stdout)
    records.append(record(size, "bundle", hv, limit, stats["bytes"], objects=stats["items"]))
    print(f"[{size}] bundle {records[-1]['median_s']} s, limit {records[-1]['limit_s']} s", flush=True)
    return records


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log(y) on log(x): the growth exponent (1.0 is linear)."""
    if len(points) < 2:
        return None
    xs, ys = [math.log(x) for x, _ in points], [math.log(y) for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    return round(sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
                 / sum((x - mean_x) ** 2 for x in xs), 3)


def growth(records: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Per mode, the exponent of time and memory in the number of objects.

    ``*_all`` fits every size measured; ``*_upper`` only the two largest, where the data, not the
    fixed start-up cost, dominates (the honest number for "does it stay linear").
    """
    result: dict[str, dict[str, float | None]] = {}
    for mode in sorted({r["mode"] for r in records}):
        rows = sorted((r for r in records if r["mode"] == mode), key=lambda r: r["objects"])
        for label, subset in (("all", rows), ("upper", rows[-2:])):
            result.setdefault(mode, {})[f"time_{label}"] = slope([(r["objects"], r["median_s"]) for r in subset])
            result[mode][f"rss_{label}"] = slope([(r["objects"], r["rss_mb"]) for r in subset])
            result[mode][f"limit_time_{label}"] = slope([(r["objects"], r["limit_s"]) for r in subset])
    return result


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpu": model, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()}", "load_average_at_start": os.getloadavg(),
            "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def plot(records: list[dict[str, Any]], path: Path) -> None:
    """Time against cluster size (objects), log-log: hvguard, its limits, the old way."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    series = [("live", "median_s", "hvguard live", "C0", "-"),
              ("live", "limit_s", "live limit (LIST + JSON)", "C0", ":"),
              ("bundle", "median_s", "hvguard bundle", "C1", "-"),
              ("bundle", "limit_s", "bundle limit (inflate + YAML)", "C1", ":"),
              ("oldway", "median_s", "old way (kubectl + jq per object)", "C3", "-")]
    for mode, field, label, color, style in series:
        rows = sorted((r for r in records if r["mode"] == mode), key=lambda r: r["objects"])
        if rows:
            ax.plot([r["objects"] for r in rows], [r[field] for r in rows], style, marker="o", color=color, label=label)
            for row in rows:
                ax.annotate(row["size"], (row["objects"], row[field]), textcoords="offset points", xytext=(4, -10),
                            fontsize=7, color=color)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("API objects in the cluster")
    ax.set_ylabel("wall time, seconds (median)")
    ax.set_title("hvguard preflight: time vs cluster size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def startup(runs: int) -> dict[str, Any]:
    times = [timed([*HVGUARD, "--version"]).seconds for _ in range(runs)]
    return {"command": "hvguard --version", "median_s": round(statistics.median(times), 3), "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="hvguard scale benchmark (see bench/README.md)")
    parser.add_argument("--sizes", default="small,medium,large")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median reported)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-oldway", action="store_true", help="skip the kubectl + jq baseline")
    parser.add_argument("--out", type=Path, default=BENCH, help="where results.json and results.png go")
    args = parser.parse_args(argv)
    oldway = not args.no_oldway and bool(shutil.which("kubectl") and shutil.which("jq"))
    if not args.no_oldway and not oldway:
        print("kubectl or jq not found: skipping the old way", file=sys.stderr)
    host = machine()  # before the benchmark loads the machine itself
    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="hvguard-bench-") as workdir:
        for size in args.sizes.split(","):
            records += bench_size(size, args.seed, args.runs, oldway, Path(workdir))
    results = {"machine": host, "startup": startup(max(args.runs, 5)), "seed": args.seed,
               "records": records, "growth": growth(records)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    plot(records, args.out / "results.png")
    print(json.dumps({"startup": results["startup"], "growth": results["growth"]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
