"""What reading a video or photo produces: RGB images, frames with their times, and what a
file's header says about it (:class:`VideoInfo`).

Plain data with no I/O, so that everything that handles pictures can name these types
without importing the decoders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

RGBImage = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video, before decoding it.

    ``width``/``height`` are of the upright picture (after rotation); ``rotation`` is the
    counter-clockwise rotation in degrees that the file asks players to apply; ``frames`` is
    the frames a player shows, from the header (:func:`posturecheck.video.shown_frames`; 0
    when unknown) and ``fps`` its average rate.
    """

    path: Path
    width: int
    height: int
    fps: float
    frames: int
    rotation: int
    duration_s: float
    codec: str
    is_image: bool = False


@dataclass(frozen=True)
class Frame:
    """One upright RGB frame; ``index`` counts decoded frames from 0, ``time_s`` from 0."""

    index: int
    time_s: float
    rgb: RGBImage
