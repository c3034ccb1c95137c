"""Questions take at most the configured slots, one fewer while a change is written."""

from __future__ import annotations

import threading
import time

from service.cpu_share import CpuShare


def _most_at_once(share: CpuShare, askers: int, writing: bool) -> int:
    most = 0
    lock = threading.Lock()
    start = threading.Barrier(askers + 1)

    def ask() -> None:
        nonlocal most
        start.wait()
        with share.question():
            with lock:
                most = max(most, share.asking)
            time.sleep(0.02)

    threads = [threading.Thread(target=ask) for _ in range(askers)]
    for thread in threads:
        thread.start()
    if writing:
        with share.writing():
            start.wait()
            for thread in threads:
                thread.join(10)
    else:
        start.wait()
        for thread in threads:
            thread.join(10)
    return most


def test_questions_never_exceed_the_slots() -> None:
    assert _most_at_once(CpuShare(3), askers=8, writing=False) == 3


def test_a_write_keeps_a_slot_for_itself() -> None:
    assert _most_at_once(CpuShare(3), askers=8, writing=True) == 2


def test_one_slot_is_never_taken_away() -> None:
    assert _most_at_once(CpuShare(1), askers=4, writing=True) == 1


def test_a_waiting_question_runs_once_a_slot_frees() -> None:
    share = CpuShare(1)
    finished = threading.Event()
    with share.question():

        def ask() -> None:
            with share.question():
                finished.set()

        waiter = threading.Thread(target=ask)
        waiter.start()
        assert not finished.wait(0.1)  # the only slot is taken
    assert finished.wait(5)
    waiter.join(5)


def test_a_writer_steps_aside_while_questions_wait() -> None:
    share = CpuShare(2, writer_share=0.5)
    release_first = threading.Event()
    second_in = threading.Event()

    def first() -> None:
        with share.question():
            release_first.wait(10)

    def second() -> None:
        with share.question():
            second_in.set()

    with share.writing():
        holder = threading.Thread(target=first)
        holder.start()
        while share.asking < 1:
            time.sleep(0.001)
        waiter = threading.Thread(target=second)
        waiter.start()
        assert not second_in.wait(0.1)  # the writer holds the other slot
        time.sleep(0.1)  # work done since the writer last paced
        share.pace()  # steps aside about as long as it worked
        assert second_in.is_set()
    release_first.set()
    holder.join(5)
    waiter.join(5)


def test_a_writer_alone_never_pauses() -> None:
    share = CpuShare(2, writer_share=0.1)
    with share.writing():
        time.sleep(0.05)
        started = time.monotonic()
        share.pace()
        # stepping aside would sleep 9 x 0.05 s; nobody waits, so it returns at once
        assert time.monotonic() - started < 0.2
