"""Regenerate ``src/hvguard/demo/demo-bundle.zip``, the support bundle behind ``hvguard demo``.

The bundle is written from ``hvguard.synth.demo.demo_cluster()`` exactly as support-bundle-kit
would write that cluster (see ``hvguard.synth.bundle_writer``); the output is byte-for-byte
reproducible, so rerunning this after a change to the scenario shows up as a real diff only.

Usage (from the repository root)::

    python tools/make_demo_bundle.py            # rewrite src/hvguard/demo/demo-bundle.zip
    python tools/make_demo_bundle.py OUT.zip    # write somewhere else
    python tools/make_demo_bundle.py --mitigated OUT.zip   # the v1.7.2 backingimages CRD applied
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hvguard.synth.bundle_writer import write_bundle  # noqa: E402 - needs the sys.path entry above
from hvguard.synth.demo import demo_cluster  # noqa: E402

DEFAULT_OUTPUT = ROOT / "src" / "hvguard" / "demo" / "demo-bundle.zip"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT, help="zip to write")
    parser.add_argument("--mitigated", action="store_true",
                        help="model the cluster after the v1.7.2 backingimages CRD was applied by hand")
    args = parser.parse_args(argv)
    write_bundle(demo_cluster("v1.7.2" if args.mitigated else "v1.6.2"), args.output)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
