"""Background jobs: results, progress, failures and cooperative cancel arrive on the GUI thread."""

from __future__ import annotations

import threading

import pytest

pytest.importorskip("PySide6")

from studio.ui.workers import Job  # noqa: E402


def test_job_reports_progress_and_result(qtbot):
    seen = []

    def work(progress, should_stop):
        for i in range(4):
            progress((i + 1) / 4)
        return threading.current_thread().name

    job = Job(work)
    job.progress.connect(seen.append)
    with qtbot.waitSignal(job.finished, timeout=5000) as blocker:
        job.start()
    assert blocker.args == ["studio-job"] and seen == [0.25, 0.5, 0.75, 1.0]
    assert not job.running


def test_job_failure_is_a_message_not_a_crash(qtbot):
    job = Job(lambda progress, should_stop: 1 / 0)
    with qtbot.waitSignal(job.failed, timeout=5000) as blocker:
        job.start()
    assert "ZeroDivisionError" in blocker.args[0]


def test_cancel_stops_cooperative_work(qtbot):
    started = threading.Event()

    def work(progress, should_stop):
        started.set()
        while not should_stop():
            threading.Event().wait(0.01)
        return "stopped"

    job = Job(work)
    with qtbot.waitSignal(job.finished, timeout=5000) as blocker:
        job.start()
        started.wait(5)
        job.cancel()
    assert blocker.args == ["stopped"] and job.cancelled


def test_wait_for_jobs_stops_and_joins_running_jobs(qtbot):
    import threading
    import time

    from studio.ui.workers import Job, wait_for_jobs

    started = threading.Event()

    def work(progress, should_stop):
        started.set()
        while not should_stop():  # a cooperative job: ends when asked
            time.sleep(0.01)
        return "stopped"

    job = Job(work).start()
    assert started.wait(5)
    t0 = time.monotonic()
    assert wait_for_jobs(5.0)
    assert time.monotonic() - t0 < 2.0 and not job._thread.is_alive()
