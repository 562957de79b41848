"""Shared pytest fixtures (keep this file small)."""

from __future__ import annotations

import gc
import queue
import threading

import pytest


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own settings folder, so no test reads or writes the user's files
    (studio.ini, recent projects, saved BLE profiles)."""
    folder = str(tmp_path_factory.mktemp("config"))
    monkeypatch.setenv("STUDIO_CONFIG_DIR", folder)
    monkeypatch.setenv("UNIMOTION_CONFIG_DIR", folder)


@pytest.fixture(autouse=True)
def _qt_garbage_on_main_thread(request: pytest.FixtureRequest):
    """In Qt tests, no automatic garbage collection: it could run on a worker thread (a device runner, a
    model loading) and destroy widgets there, which deadlocks Qt. Collected on the main thread instead,
    after the test has closed its widgets. (The app itself does the same with studio.ui.workers.MainThreadGC.)"""
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        yield
        return
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.collect()
        gc.enable()


@pytest.fixture
def osc_server():
    """A real python-osc server on a free loopback port: yields (port, queue of (address, args))."""
    from pythonosc.dispatcher import Dispatcher
    from pythonosc.osc_server import ThreadingOSCUDPServer

    received: queue.Queue = queue.Queue()
    dispatcher = Dispatcher()
    dispatcher.set_default_handler(lambda address, *args: received.put((address, args)))
    server = ThreadingOSCUDPServer(("127.0.0.1", 0), dispatcher)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.server_address[1], received
    server.shutdown()
    server.server_close()
