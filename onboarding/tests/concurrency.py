"""Things that happen at once, or eventually: `race` starts actions at the same moment, each on
its own database connection; `wait_until` polls for a condition instead of sleeping a fixed
time. The suite's one helper of each kind: live services, drills and races all use these."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")


def race(*actions: Callable[[], object], timeout: float = 60) -> list[object]:
    """Run the actions at the same moment, each in its own thread (and so on its own database
    connection, closed afterwards). Returns, in order, what each returned or the exception it
    raised, so a test can say which one won and how the other lost."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcomes[index] = action()
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair, daemon=True) for pair in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), f"an action of the race ran longer than {timeout}s"
    return outcomes


def wait_until(condition: Callable[[], T], *, timeout: float = 30, every: float = 0.05, what: str = "") -> T:
    """Ask `condition` every `every` seconds until it answers something true, and return that
    answer; after `timeout` seconds fail, saying what was awaited (`what`, else the condition's
    name) and its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() > deadline:
            awaited = what or getattr(condition, "__name__", "the condition")
            raise AssertionError(f"{awaited}: not met within {timeout:g}s (last answer: {answer!r})")
        time.sleep(every)
