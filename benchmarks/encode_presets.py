"""libx264 presets for the annotated video: CPU per frame, bitrate and picture quality.

    .venv/bin/python benchmarks/encode_presets.py [--realdata ../shared/realdata] [--frames 150]

Encodes the first frames of a 720p clip with each preset at CRF 23 and the pipeline's own
settings (one thread, closed 30-frame groups, no B-frames), and prints CPU ms a frame,
Mbit/s, and luma PSNR against the frames given. ``posturecheck.encode.PRESET`` cites it.
"""

from __future__ import annotations

import argparse
import itertools
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

from posturecheck.encode import GOP_FRAMES, H264Writer
from posturecheck.video import read_frames

REPO = Path(__file__).resolve().parents[1]
CLIP = "videos/deadlift_side_bichraix_good008.mp4"


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b) ** 2))
    return 10.0 * np.log10(255.0**2 / mse) if mse > 0 else float("inf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--realdata", type=Path, default=REPO.parent / "shared" / "realdata")
    parser.add_argument("--frames", type=int, default=150)
    args = parser.parse_args()
    frames = list(itertools.islice(read_frames(args.realdata / CLIP), args.frames))
    height, width = frames[0].rgb.shape[:2]
    luma = [cv2.cvtColor(f.rgb, cv2.COLOR_RGB2YUV_I420)[:height] for f in frames]
    seconds = frames[-1].time_s + (frames[1].time_s - frames[0].time_s)
    print(f"{CLIP}: {len(frames)} frames {width}x{height}, CRF 23, groups of {GOP_FRAMES}\n")
    print("| preset | CPU ms a frame | Mbit/s | PSNR-Y dB |")
    print("|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for preset in ("veryfast", "superfast", "ultrafast"):
            out = Path(tmp) / f"{preset}.mp4"
            started = time.process_time()
            with H264Writer(out, width, height, 30.0, preset=preset) as writer:
                for frame in frames:
                    writer.write(frame.rgb, frame.time_s)
            cpu_ms = (time.process_time() - started) / len(frames) * 1000
            with av.open(str(out)) as container:
                decoded = [f.to_ndarray(format="yuv420p") for f in container.decode(video=0)]
            decoded = [d[:height] for d in decoded]
            psnr = float(np.mean([_psnr(d, y) for d, y in zip(decoded, luma, strict=True)]))
            mbit = out.stat().st_size * 8 / seconds / 1e6
            print(f"| {preset} | {cpu_ms:.1f} | {mbit:.2f} | {psnr:.1f} |")


if __name__ == "__main__":
    main()
