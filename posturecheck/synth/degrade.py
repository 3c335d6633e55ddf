"""Make clean renders look like a camera's: slight blur, sensor noise, then H.264 (yuv420p).

Camera shake is applied earlier, to the camera itself (``camera.camera_poses``), so that the
ground-truth pixels move with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from posturecheck.encode import H264Writer
from posturecheck.synth.spec import DegradeSpec

RGBImage = NDArray[np.uint8]


def degrade_frame(rgb: RGBImage, spec: DegradeSpec, rng: np.random.Generator) -> RGBImage:
    """Blur, then add Gaussian sensor noise (a little stronger in the dark, like shot noise)."""
    out = rgb.astype(np.float32)
    if spec.blur_sigma_px > 0:
        out = np.asarray(cv2.GaussianBlur(out, (0, 0), spec.blur_sigma_px), dtype=np.float32)
    if spec.noise_std > 0:
        luma_noise = rng.standard_normal(out.shape[:2]).astype(np.float32)[..., None]
        chroma_noise = rng.standard_normal(out.shape).astype(np.float32)
        scale = spec.noise_std * (1.3 - 0.6 * out.mean(axis=2, keepdims=True) / 255.0)
        out = out + scale * (0.8 * luma_noise + 0.45 * chroma_noise)
    result: RGBImage = np.clip(out + 0.5, 0, 255).astype(np.uint8)
    return result


def encode(
    path: Path,
    *,
    frames: Iterable[RGBImage],
    fps: float,
    width: int,
    height: int,
    spec: DegradeSpec,
    rng: np.random.Generator,
) -> int:
    """Degrade and write frames as H.264 MP4; returns the number of frames written."""
    with H264Writer(path, width, height, fps, preset=spec.x264_preset, crf=spec.crf) as writer:
        for i, rgb in enumerate(frames):
            writer.write(degrade_frame(rgb, spec, rng), i / fps)
        return writer.frames_written
