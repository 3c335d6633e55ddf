"""Fuzzed containers through the decoder (and a sample through the whole analysis): only
InputError may come out, each input ends in bounded time, memory stays bounded.

The inputs are deterministic (:func:`corpus.fuzz_case` of :data:`FUZZ_SEED`), so any failure
reproduces with its index; ``benchmarks/robustness.py --fuzz N`` runs the long campaign.
Crashes the fuzzer found are pinned below as regression cases built byte by byte.
"""

from __future__ import annotations

import signal
import struct
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import corpus
import pytest

from posturecheck.errors import InputError, PostureCheckError
from posturecheck.pipeline import AnalysisOptions, analyse
from posturecheck.video import probe, read_frames

from media import pattern_frames, write_clip

FUZZ_SEED = 20260508
FUZZ_INPUTS = 300
#: The product's own watchdog gets half of this; past it, the harness calls it a hang.
PER_INPUT_S = 10.0
#: Peak memory of a decoding worker process (it starts at about 130 MB).
PEAK_RSS_MB = 400


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("fuzz_seeds")
    return {name: path.read_bytes() for name, path in corpus.fuzz_seeds(folder).items()}


def test_fuzzed_containers_only_ever_raise_input_error(
    seeds: dict[str, bytes], tmp_path: Path
) -> None:
    summary = corpus.run_fuzz(
        seeds, seed=FUZZ_SEED, count=FUZZ_INPUTS, workdir=tmp_path, timeout_s=PER_INPUT_S
    )
    assert len(summary.results) == FUZZ_INPUTS
    assert summary.failures == [], "\n\n".join(
        f"fuzz_case(seeds, {FUZZ_SEED}, {r.index}) [{r.seed_name}] {r.outcome}: {r.message}"
        for r in summary.failures
    )
    outcomes = summary.outcomes
    assert outcomes["decoded"] > 0 and outcomes["refused"] > 0, outcomes  # the mix is real
    assert summary.max_seconds < PER_INPUT_S / 2
    assert summary.peak_rss_mb < PEAK_RSS_MB
    assert summary.wall_s < 60


def test_fuzzing_is_deterministic(seeds: dict[str, bytes]) -> None:
    assert corpus.fuzz_case(seeds, FUZZ_SEED, 17) == corpus.fuzz_case(seeds, FUZZ_SEED, 17)
    assert corpus.fuzz_case(seeds, FUZZ_SEED, 17) != corpus.fuzz_case(seeds, FUZZ_SEED, 18)


# -- regression cases: what the fuzzer found, rebuilt deterministically ------------------------


def _clip(folder: Path, name: str = "seed.mp4") -> bytearray:
    return bytearray(write_clip(folder / name, pattern_frames(12, 64, 48), fps=10).read_bytes())


def _sample_entry(data: bytearray) -> int:
    """Offset of the ``avc1`` sample entry type inside ``stsd`` (``ftyp`` names it too)."""
    return data.find(b"avc1", data.find(b"stsd"))


def unknown_codec(folder: Path) -> Path:
    """The sample entry's codec renamed to ``zzzz``: PyAV gives the track no codec context.
    The hardened probe once read ``codec_context.width`` of ``None`` (AttributeError)."""
    data = _clip(folder)
    at = _sample_entry(data)
    data[at : at + 4] = b"zzzz"
    path = folder / "unknown_codec.mp4"
    path.write_bytes(bytes(data))
    return path


def timestamp_jump(folder: Path) -> Path:
    """The time-to-sample table's delta made enormous (as fuzz case 8103 of seed 7 did): the
    average rate becomes 5e-6 frames/s and FFmpeg drops every frame but the first. The
    truncation check, which allowed a frame interval of 1/fps (2.4 days), once let that
    through as a one-frame video."""
    data = _clip(folder)
    stts = data.find(b"stts")
    # stts: type, version/flags (4), entry count (4), then (sample count, delta) pairs.
    data[stts + 16 : stts + 20] = struct.pack(">I", 0x7FFFFFFF)
    path = folder / "timestamp_jump.mp4"
    path.write_bytes(bytes(data))
    return path


REGRESSIONS = {
    "unknown-codec": (unknown_codec, "uses a video codec that cannot be decoded here"),
    "timestamp-jump": (timestamp_jump, r"only 1 of the 12 frames its header announces"),
}


@pytest.mark.parametrize("case", sorted(REGRESSIONS))
def test_fuzz_regression(tmp_path: Path, case: str) -> None:
    make, message = REGRESSIONS[case]
    path = make(tmp_path)
    with pytest.raises(InputError, match=message):
        list(read_frames(path, probe(path)))


# -- a sample through the whole analysis, with the real model ---------------------------------


@pytest.fixture
def time_limit() -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("the fuzzed analyses ran past 90 s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, 90)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.model
@pytest.mark.usefixtures("time_limit")
def test_fuzzed_containers_through_the_analysis(
    seeds: dict[str, bytes], tmp_path: Path, model_path: Path
) -> None:
    # Pattern frames hold nobody: a decodable input ends in NoPoseError, the rest in
    # InputError; either way no traceback and nothing left in the output folder.
    options = AnalysisOptions(model_path=model_path)
    kinds = []
    for index in range(24):
        name, data = corpus.fuzz_case(seeds, FUZZ_SEED + 1, index)
        path = tmp_path / f"in_{index}{corpus.suffix_of(name)}"
        path.write_bytes(data)
        out = tmp_path / "results" / str(index)
        try:
            analyse(path, out, options=options)
            kinds.append("analysed")
        except PostureCheckError as exc:
            kinds.append(type(exc).__name__)
        assert not out.exists() or kinds[-1] == "analysed"
        staging = [p for p in tmp_path.glob("results/.*")]
        assert staging == [], staging
    assert set(kinds) <= {"InputError", "NoPoseError", "analysed"}, kinds
    assert "NoPoseError" in kinds and "InputError" in kinds, kinds
