"""Throughput and memory: is an analysis faster than real time, close to the model alone,
with memory flat in the video's length?

    .venv/bin/python benchmarks/throughput.py [--realdata ../shared/realdata] [--repeat 3]
        [--variants lite,heavy]

Prints, for a 720p and a 1080p clip: model-only frames/s (pose on frames decoded in
advance and scaled to the size the pipeline poses at, same model, VIDEO mode, person mask;
one estimator, and one per lane side by side), end-to-end
``posturecheck analyse`` frames/s with its lanes, their ratios,
real-time factor and peak RSS; then peak RSS for a short clip and one ten times longer; then
the live path's per-frame time at 640x480 (p50/p95), the clip fed frame by frame; then, for
the other pose models (``--variants``, built offline like the default), model-only and
end-to-end frame rates on the 720p clip.
Each measurement runs in its own process so peak RSS is that run's alone; frame rates are
the median of ``--repeat`` runs (3), since a shared 2-core machine's speed drifts by 10%.
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLIPS = {
    "720p": "videos/deadlift_side_bichraix_good008.mp4",
    "1080p": "videos/deadlift_side_mattiolato_good01.mp4",
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_model_only(video: Path, estimators: int = 1, variant: str = "full") -> dict[str, float]:
    """Pose on frames decoded in advance: one estimator, or ``estimators`` side by side on
    consecutive parts (what the pipeline's lanes do), each on its own thread."""
    import threading

    from posturecheck.models import check_variant, ensure_model
    from posturecheck.photo import resized
    from posturecheck.pipeline import AnalysisOptions
    from posturecheck.pose import PoseEstimator
    from posturecheck.video import probe, read_frames, work_size

    info = probe(video)
    options = AnalysisOptions()
    size = work_size(*work_size(info.width, info.height, options.max_side), options.pose_max_side)
    frames = [replace(f, rgb=resized(f.rgb, size)) for f in read_frames(video, info)]
    model = ensure_model(check_variant(variant))
    cut = [round(k * len(frames) / estimators) for k in range(estimators + 1)]
    parts = [frames[a:b] for a, b in itertools.pairwise(cut)]
    # The same configuration the pipeline runs: VIDEO mode with the person mask (back outline).
    pool = [PoseEstimator(model, segmentation=True).__enter__() for _ in parts]
    for estimator, part in zip(pool, parts, strict=True):
        estimator.detect(part[0].rgb, -1.0)  # warm-up outside the timing

    def run(estimator: PoseEstimator, part: list) -> None:  # type: ignore[type-arg]
        for frame in part:
            estimator.detect(frame.rgb, frame.time_s)

    threads = [threading.Thread(target=run, args=job) for job in zip(pool, parts, strict=True)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for estimator in pool:
        estimator.__exit__(None, None, None)
    return {"frames": len(frames), "seconds": elapsed, "fps": len(frames) / elapsed}


def child_end_to_end(video: Path, variant: str = "full") -> dict[str, float]:
    from posturecheck.models import check_variant
    from posturecheck.pipeline import AnalysisOptions, analyse

    options = AnalysisOptions(model_variant=check_variant(variant))
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        result = analyse(video, Path(tmp) / "out", options=options)
        elapsed = time.perf_counter() - started
    frames = result.report["video"]["frames"]
    duration = result.report["video"]["duration_s"]
    return {
        "lanes": result.report["processing"]["lanes"],
        "frames": frames,
        "seconds": elapsed,
        "fps": frames / elapsed,
        "realtime": duration / elapsed,
    }


def child_live(video: Path) -> dict[str, float]:
    from posturecheck.live import benchmark_live, percentiles_ms
    from posturecheck.models import ensure_model

    times = benchmark_live(video, ensure_model("full"), size=(640, 480))
    p50, p95 = percentiles_ms(times)
    return {
        "frames": len(times),
        "p50_ms": p50 or 0.0,
        "p95_ms": p95 or 0.0,
        "max_ms": max(times) if times else 0.0,
    }


def _median_run(kind: str, video: Path, repeat: int, variant: str = "full") -> dict[str, float]:
    """The run with the median frame rate of ``repeat`` runs (its RSS and seconds too), with
    the slowest and fastest rates as ``fps_min`` and ``fps_max``."""
    runs = sorted((_run_child(kind, video, variant) for _ in range(repeat)), key=lambda r: r["fps"])
    return {**runs[len(runs) // 2], "fps_min": runs[0]["fps"], "fps_max": runs[-1]["fps"]}


def _run_child(kind: str, video: Path, variant: str = "full") -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(video), variant],
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _long_clip(src: Path, repeats: int, dest: Path) -> Path:
    """``src`` played ``repeats`` times in a row, as one continuous clip."""
    from posturecheck.encode import H264Writer
    from posturecheck.video import probe, read_frames

    info = probe(src)
    dt = 1.0 / (info.fps or 30.0)
    t = 0.0
    with H264Writer(dest, info.width, info.height, info.fps, preset="ultrafast") as writer:
        for _ in range(repeats):
            for frame in read_frames(src, info):
                writer.write(frame.rgb, t)
                t += dt
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--realdata", type=Path, default=REPO.parent / "shared" / "realdata")
    parser.add_argument("--repeat", type=int, default=3, help="runs per frame rate (median)")
    parser.add_argument(
        "--variants",
        default="lite,heavy",
        help="other pose models to time on the 720p clip, comma-separated ('' for none)",
    )
    parser.add_argument(
        "--child", nargs=3, metavar=("KIND", "VIDEO", "VARIANT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        kind, video, variant = args.child
        if kind == "model-lanes":
            from posturecheck.lanes import default_lanes

            result = child_model_only(Path(video), default_lanes(), variant)
        elif kind == "model":
            result = child_model_only(Path(video), 1, variant)
        elif kind == "live":
            result = child_live(Path(video))
        else:
            result = child_end_to_end(Path(video), variant)
        result["peak_rss_mb"] = _peak_rss_mb()
        print(json.dumps(result))
        return

    print(
        "| clip | frames | model-only fps (1 estimator) | model-only fps (1 a lane) "
        "| end-to-end fps (slowest-fastest) | lanes | ratio to model-only "
        "| ratio to model-only (1 a lane) | x real time | peak RSS MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, rel in CLIPS.items():
        video = args.realdata / rel
        model = _median_run("model", video, args.repeat)
        model_lanes = _median_run("model-lanes", video, args.repeat)
        e2e = _median_run("analyse", video, args.repeat)
        print(
            f"| {label} {video.name} | {e2e['frames']:.0f} | {model['fps']:.1f} "
            f"| {model_lanes['fps']:.1f} "
            f"| {e2e['fps']:.1f} ({e2e['fps_min']:.1f}-{e2e['fps_max']:.1f}) | {e2e['lanes']:.0f} "
            f"| {e2e['fps'] / model['fps']:.2f} | {e2e['fps'] / model_lanes['fps']:.2f} "
            f"| {e2e['realtime']:.2f} | {e2e['peak_rss_mb']:.0f} |"
        )
    print(
        "\nTargets: end-to-end >= 0.9 x model-only at 720p; >= 2x real time at 720p 30 fps. "
        "Lanes: consecutive parts of the video posed side by side, one core each."
    )

    short = args.realdata / CLIPS["720p"]
    with tempfile.TemporaryDirectory() as tmp:
        long = _long_clip(short, 10, Path(tmp) / "long.mp4")
        a = _run_child("analyse", short)
        b = _run_child("analyse", long)
    print()
    print("| clip | frames | seconds | end-to-end fps | x real time | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, run in (("short (720p)", a), ("10x longer", b)):
        print(
            f"| {name} | {run['frames']:.0f} | {run['seconds']:.1f} | {run['fps']:.1f} "
            f"| {run['realtime']:.2f} | {run['peak_rss_mb']:.0f} |"
        )
    print(f"\nlong/short peak RSS: {b['peak_rss_mb'] / a['peak_rss_mb']:.2f} (target <= 1.15)")

    live = _run_child("live", short)
    print("\n| live path, 640x480, frame by frame | frames | p50 ms | p95 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| {short.name} | {live['frames']:.0f} | {live['p50_ms']:.1f} | {live['p95_ms']:.1f} "
        f"| {live['max_ms']:.1f} |  (target p95 <= 33 ms)"
    )

    variants = [v for v in args.variants.split(",") if v]
    if variants:
        print(
            f"\n| pose model ({short.name}) | model-only fps (1 estimator) "
            "| end-to-end fps (slowest-fastest) | x real time |"
        )
        print("|---|---:|---:|---:|")
    for variant in variants:
        model = _median_run("model", short, args.repeat, variant)
        e2e = _median_run("analyse", short, args.repeat, variant)
        print(
            f"| {variant} | {model['fps']:.1f} "
            f"| {e2e['fps']:.1f} ({e2e['fps_min']:.1f}-{e2e['fps_max']:.1f}) "
            f"| {e2e['realtime']:.2f} |"
        )


if __name__ == "__main__":
    main()
