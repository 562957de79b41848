"""A local OSC receiver (tests, `studio bench outputs`): every message lands on a queue with its arrival time."""

from __future__ import annotations

import queue
import threading
import time

from pythonosc.dispatcher import Dispatcher
from pythonosc.osc_server import BlockingOSCUDPServer


class OscReceiver:
    """Listens on 127.0.0.1 (a free port unless given); ``messages`` holds (arrival, address, args).
    One thread handles every datagram in turn (a thread per datagram would add its start-up to each time)."""

    def __init__(self, port: int = 0) -> None:
        self.messages: queue.SimpleQueue = queue.SimpleQueue()
        dispatcher = Dispatcher()
        dispatcher.set_default_handler(lambda address, *args: self.messages.put((time.perf_counter(), address, args)))
        self.server = BlockingOSCUDPServer(("127.0.0.1", port), dispatcher)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def next(self, address: str | None = None, timeout: float = 5.0) -> tuple:
        """The next message (to ``address`` if given) as (address, args)."""
        while True:
            _, addr, args = self.messages.get(timeout=timeout)
            if address is None or addr == address:
                return addr, args

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _serve_in_child(port_queue, arrivals, stop) -> None:  # noqa: ANN001 - multiprocessing objects
    receiver = OscReceiver()
    port_queue.put(receiver.port)
    while not stop.is_set():
        try:
            at, address, _ = receiver.messages.get(timeout=0.1)
        except queue.Empty:
            continue
        arrivals.put((at, address))
    receiver.close()


class OscReceiverProcess:
    """An :class:`OscReceiver` in its own process, as a real receiver is (it competes for no GIL with the
    sender). ``arrivals`` yields (perf_counter arrival, address); perf_counter is the system-wide
    monotonic clock on Linux and macOS, so arrival times compare with the sender's send times."""

    def __init__(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        ports = ctx.Queue()
        self.arrivals = ctx.Queue()
        self._stop = ctx.Event()
        self._process = ctx.Process(target=_serve_in_child, args=(ports, self.arrivals, self._stop), daemon=True)
        self._process.start()
        self.port = ports.get(timeout=30)

    def close(self) -> None:
        self._stop.set()
        self._process.join(5)
        if self._process.is_alive():
            self._process.terminate()
