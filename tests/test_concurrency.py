"""A stage on its own thread: order kept, errors surface in the caller."""

from __future__ import annotations

import time

import pytest

from posturecheck.concurrency import BackgroundConsumer, SharedSwitch


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


def test_shared_switch_is_undone_once_by_the_last_user() -> None:
    calls: list[str] = []
    switch = SharedSwitch(lambda: calls.append("on") or "saved", lambda s: calls.append(f"off {s}"))
    with switch.held():
        with switch.held():  # a second thread at the same time
            assert calls == ["on"]
        assert calls == ["on"]
    assert calls == ["on", "off saved"]
    with pytest.raises(RuntimeError), switch.held():
        raise RuntimeError
    assert calls == ["on", "off saved", "on", "off saved"]
