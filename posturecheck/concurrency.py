"""Overlapping pipeline stages with bounded queues, so the slowest stage sets the pace.

Pose inference and drawing+encoding each run on their own thread (the heavy work in each
happens in native code that releases the GIL; decoding has its own thread in
:mod:`posturecheck.decode`). Queues are small and bounded, so memory stays flat however long
the video is; an error in the consumer reaches the caller. :class:`SharedSwitch` holds a
process-wide setting (OpenCV's thread pool, where fd 2 points) for as long as any of the
threads running at once needs it.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")
S = TypeVar("S")


class SharedSwitch(Generic[S]):
    """A process-wide setting that threads running at once share: the first to enter turns
    it on (``on`` returns what ``off`` needs to undo it), the last to leave turns it off.
    Entering and leaving one by one would let two threads undo each other's change."""

    def __init__(self, on: Callable[[], S], off: Callable[[S], None]) -> None:
        self._on, self._off = on, off
        self._lock = threading.Lock()
        self._users = 0
        self._undo: S | None = None

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            if self._users == 0:
                self._undo = self._on()
            self._users += 1
        try:
            yield
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    undo, self._undo = self._undo, None
                    self._off(undo)  # type: ignore[arg-type]


_DONE = object()


class BackgroundConsumer(Generic[T]):
    """Feed items to ``consume`` on a background thread; ``submit`` blocks when ``depth`` are
    waiting. Use as a context manager: leaving it waits for the queue to drain and re-raises
    the first error the consumer met (``submit`` raises it too, as soon as it is known)."""

    def __init__(self, consume: Callable[[T], None], depth: int = 4, name: str = "consumer"):
        self._consume = consume
        self._queue: queue.Queue[object] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _DONE:
                return
            if self._error is not None:
                continue  # drain without work after a failure
            try:
                self._consume(item)  # type: ignore[arg-type]
            except BaseException as exc:
                self._error = exc

    def submit(self, item: T) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> BackgroundConsumer[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
            return
        # The caller failed: stop the consumer without masking the caller's exception.
        self._error = self._error or exc
        if self._thread.is_alive():
            self._queue.put(_DONE)
            self._thread.join()
