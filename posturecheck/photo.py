"""Photos: a PNG or JPEG read as one upright RGB image, refusing decompression bombs.

A picture's size is read from its header (PNG, JPEG or WebP, whatever its name says) and
checked against :mod:`posturecheck.limits` before any pixels are decoded, so a small file
that would decode to gigabytes is refused at the cost of reading its bytes.
"""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

from posturecheck.errors import InputError
from posturecheck.frames import RGBImage
from posturecheck.limits import check_size


def read_image(path: Path) -> RGBImage:
    """The photo at ``path`` as a C-contiguous RGB image, its EXIF orientation applied.

    Raises:
        InputError: the file is not a picture that can be read, or its size is out of limits.
    """
    data = path.read_bytes()
    size = _image_size(data)
    if size is None:
        raise InputError(
            f"{path}: cannot be read as an image. It may be corrupt or not a "
            f"{path.suffix.lstrip('.').upper()} file."
        )
    kind, w, h = size
    check_size(path, w, h, subject=f"the {kind} picture is")
    try:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)  # EXIF applied
    except cv2.error:
        bgr = None
    if bgr is None:
        raise InputError(
            f"{path}: cannot be read as an image. It may be corrupt or not a "
            f"{path.suffix.lstrip('.').upper()} file."
        )
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def resized(rgb: RGBImage, size: tuple[int, int]) -> RGBImage:
    """``rgb`` scaled to ``size`` (width, height) by pixel-area averaging (itself if it
    is that size already)."""
    if (rgb.shape[1], rgb.shape[0]) == size:
        return rgb
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _image_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) from a PNG, JPEG or WebP header, without decoding pixels."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return "PNG", w, h
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            w = int.from_bytes(data[24:27], "little") + 1
            h = int.from_bytes(data[27:30], "little") + 1
            return "WebP", w, h
        if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
            w, h = struct.unpack("<HH", data[26:30])
            return "WebP", w & 0x3FFF, h & 0x3FFF
        if chunk == b"VP8L" and data[20] == 0x2F:
            bits = int.from_bytes(data[21:25], "little")
            return "WebP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


#: JPEG start-of-frame markers (all but DHT C4, JPG C8 and DAC CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[str, int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # stand-alone markers
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF and i + 9 <= len(data):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return "JPEG", w, h
        if marker == 0xDA or length < 2:  # image data before any frame header: broken
            return None
        i += 2 + length
    return None
