"""Overlapping stages: order kept, errors surface in the caller, memory bounded."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from posturecheck.concurrency import BackgroundConsumer, prefetch


def test_prefetch_keeps_order_and_runs_ahead_on_another_thread() -> None:
    threads: set[str] = set()

    def source() -> Iterator[int]:
        for i in range(50):
            threads.add(threading.current_thread().name)
            yield i

    assert list(prefetch(source(), depth=3, name="decode")) == list(range(50))
    assert threads == {"decode"}


def test_prefetch_reraises_the_producers_error() -> None:
    def source() -> Iterator[int]:
        yield 1
        raise ValueError("corrupt frame")

    got = []
    with pytest.raises(ValueError, match="corrupt frame"):
        for item in prefetch(source()):
            got.append(item)
    assert got == [1]


def test_prefetch_stays_bounded_and_stops_when_the_consumer_stops() -> None:
    produced = []

    def source() -> Iterator[int]:
        for i in range(10_000):
            produced.append(i)
            yield i

    for item in prefetch(source(), depth=2):
        if item == 3:
            break
    time.sleep(0.3)
    assert len(produced) <= 3 + 2 + 2, "producer ran at most a queue's depth ahead"


def test_consumer_processes_everything_in_order_before_close() -> None:
    seen: list[int] = []
    with BackgroundConsumer(lambda x: (time.sleep(0.001), seen.append(x)), depth=2) as c:
        for i in range(30):
            c.submit(i)
    assert seen == list(range(30))


def test_consumer_error_reaches_the_caller() -> None:
    def consume(x: int) -> None:
        if x == 2:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), BackgroundConsumer(consume, depth=1) as c:
        for i in range(100):
            c.submit(i)
            time.sleep(0.002)


def test_caller_error_is_not_masked_and_consumer_stops() -> None:
    seen: list[int] = []
    with pytest.raises(KeyError), BackgroundConsumer(seen.append, depth=1) as c:
        c.submit(1)
        raise KeyError("caller")
    assert seen in ([], [1])
