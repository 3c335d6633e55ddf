"""Decode one frame of an annotated video by its time, for the review page's frame stepper.

The annotated MP4 is written with one frame per source frame at the source time in a
millisecond time base (:mod:`posturecheck.encode`), so the frame shown at ``time_s`` in the
pose sequence is the first decoded frame whose time is within half a millisecond of it.
This belongs next to :func:`posturecheck.video.read_frames`; it lives here until then.
"""

from __future__ import annotations

from pathlib import Path

import av
import av.error
import numpy as np

from posturecheck.errors import InputError
from posturecheck.video import RGBImage

#: Frames whose times differ by less than this are the same frame (the writer rounds to 1 ms).
TIME_TOLERANCE_S = 0.0015


def read_frame_at(path: Path, time_s: float) -> RGBImage:
    """The RGB frame of ``path`` shown at ``time_s`` (seconds from the first frame).

    Seeks to the key frame at or before ``time_s`` and decodes forward; returns the first
    frame at or after ``time_s`` (or the last frame if the time is past the end).

    Raises:
        InputError: the file cannot be opened or decoded.
    """
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            base = stream.start_time or 0
            if stream.time_base is None:
                raise InputError(f"{path.name}: the video has no time base; analyse it again.")
            target = base + int(max(time_s, 0.0) / float(stream.time_base))
            container.seek(target, stream=stream, backward=True, any_frame=False)
            last = None
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                t = float((frame.pts - base) * stream.time_base)
                last = frame
                if t >= time_s - TIME_TOLERANCE_S:
                    break
            if last is None:
                raise InputError(f"{path.name}: no frame at {time_s:.3f} s.")
            return np.ascontiguousarray(last.to_ndarray(format="rgb24"))
    except av.error.FFmpegError as exc:
        raise InputError(f"{path.name}: cannot decode the annotated video ({exc}).") from exc
