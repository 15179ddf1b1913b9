"""How well the ID-photo check finds each reason, and how fast it runs.

Runs :func:`webapp.vision.idphoto.check_id_photo` on every photo of
tests/data/idphoto/ (see its README and labels.json) and prints, per reason,
how many photos labelled with it are flagged, how many compliant photos are
rejected, the reasons flagged that no label expects, and the engine's time
per 600x800 photo on one core (median of repeated runs after a warm-up)::

    python -m bench.idphoto [--verbose] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from bench.common import DATA, machine_line, verdict
from webapp.vision.idphoto import check_id_photo, warm_up_idphoto

SET = DATA / "idphoto"
TARGET_MS = 150.0


def load_labels(folder: Path = SET) -> dict[str, dict[str, Any]]:
    return json.loads((folder / "labels.json").read_text())


def evaluate_set(folder: Path = SET, *, verbose: bool = False) -> dict[str, Any]:
    labels = load_labels(folder)
    expected_hits: Counter[str] = Counter()
    expected_total: Counter[str] = Counter()
    unexpected: dict[str, list[str]] = defaultdict(list)
    rejected: list[str] = []
    compliant = 0
    for name, label in sorted(labels.items()):
        report = check_id_photo((folder / name).read_bytes(), spec=label.get("spec"))
        found = set(report.reasons) | ({report.error} if report.error else set())
        want = set(label["reasons"])
        for reason in want:
            expected_total[reason] += 1
            expected_hits[reason] += reason in found
        for reason in sorted(found - want):
            unexpected[reason].append(name)
        if not want:
            compliant += 1
            if found:
                rejected.append(f"{name}: {', '.join(sorted(found))}")
        if verbose:
            miss = sorted(want - found)
            extra = sorted(found - want)
            r = report.detect_result
            print(
                f"{name:42s} want={sorted(want)} miss={miss} extra={extra}\n    "
                + " ".join(f"{k}={r.get(k)}" for k in _SHOWN if k in r)
                + "\n    "
                + " ".join(f"{k}={v:.3g}" for k, v in report.measures.items())
            )
    return {
        "hits": expected_hits,
        "totals": expected_total,
        "unexpected": unexpected,
        "rejected": rejected,
        "compliant": compliant,
        "photos": len(labels),
    }


_SHOWN = (
    "face_x_occupy",
    "face_x_center",
    "eyes_y_center",
    "head_top",
    "head_chin_y",
    "head_pose",
    "eyes_close",
    "mouth_close",
    "eyes_sight",
    "eyes_occlusion",
    "nose_occlusion",
    "mouth_occlusion",
    "face_occlusion",
    "glasses",
    "has_hat",
    "face_blur",
    "face_darkillum",
    "face_unbalance",
    "shoulder_equal",
    "background_clean",
    "background_gradual",
    "background_color",
    "bf_similarity",
)


def pin_to_one_core() -> str:
    """Run this process (and MediaPipe's threads, created later) on one CPU."""
    if not hasattr(os, "sched_setaffinity"):
        return "all cores (no CPU affinity on this system)"
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return f"one core (CPU {cpu})"


def time_engine(folder: Path = SET, *, repeat: int = 5) -> float:
    """Median milliseconds of one check on the 600x800 base photos."""
    photos = [p.read_bytes() for p in sorted(folder.glob("hv*-base.jpg"))]
    warm_up_idphoto()
    for data in photos:
        check_id_photo(data)
    times = []
    for _ in range(repeat):
        for data in photos:
            start = time.perf_counter()
            check_id_photo(data)
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="print every photo's figures")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs over the base photos")
    args = parser.parse_args(argv)
    cores = pin_to_one_core()
    print(machine_line())
    print(f"running on {cores}; load average {os.getloadavg()[0]:.2f} (noisy above 1)")
    outcome = evaluate_set(verbose=args.verbose)
    print(f"\n{outcome['photos']} photos in {SET}")
    print(f"{'reason':28s} flagged / labelled")
    missed = 0
    for reason in sorted(outcome["totals"]):
        hits, total = outcome["hits"][reason], outcome["totals"][reason]
        missed += total - hits
        print(f"{reason:28s} {hits:3d} / {total:<3d}")
    rejected = outcome["rejected"]
    print(f"\ncompliant photos rejected: {len(rejected)} / {outcome['compliant']}")
    for line in rejected:
        print(f"  {line}")
    print("\nflagged without a label (extra):")
    for reason, names in sorted(outcome["unexpected"].items()):
        print(f"  {reason:26s} {len(names):2d}: {', '.join(names)}")
    ms = time_engine(repeat=args.repeat)
    print(f"\nengine: {ms:.0f} ms per 600x800 photo (median) {verdict(ms, TARGET_MS)}")
    print(
        f"labelled reasons missed: {missed}; "
        f"compliant photos rejected: {len(rejected)} (targets 0 and 0)"
    )
    return 0 if missed == 0 and not rejected else 1


if __name__ == "__main__":
    raise SystemExit(main())
