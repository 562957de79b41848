"""WebSocket output: a small server that broadcasts each recognised gesture as JSON to every client.

Web pages and TouchDesigner connect to ``ws://127.0.0.1:8765`` and receive
``{"type": "gesture", "gesture": "wave", "confidence": 0.93, "t": 1764100000.1, "scores": {...}}``.
The server runs an asyncio loop in its own daemon thread, so recognition never waits on a client. What
clients send (an app-level heartbeat, anything) is read and ignored, so their keepalive pings are always
answered; closing says goodbye to every client and ends the loop's tasks before the thread ends.
"""

from __future__ import annotations

import asyncio
import errno
import json
import threading

from studio.outputs.events import GestureEvent, Output, OutputError, check_port, is_loopback


class WebSocketOutput(Output):
    """Broadcast events to WebSocket clients. Binds to loopback unless ``allow_remote=True``.

    ``port=0`` picks a free port (see :attr:`port` after :meth:`start`), which tests use.
    """

    name = "WebSocket"

    def __init__(self, host: str = "127.0.0.1", port: int = 8765, allow_remote: bool = False,
                 ping_interval: float = 20.0, ping_timeout: float = 20.0) -> None:
        if not allow_remote and not is_loopback(host):
            raise OutputError(f"A WebSocket server on {host} is reachable from other computers; "
                              "allow remote outputs to do that.")
        self.host, self.port = host, check_port(port)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._thread: threading.Thread | None = None
        self._keepalive = (ping_interval, ping_timeout)

    @property
    def clients(self) -> int:
        """How many clients are connected right now."""
        server = self._server
        return 0 if server is None else len(server.connections)

    def start(self) -> None:
        """Start the server; a port already in use raises OutputError (nothing keeps running)."""
        if self._thread is not None:
            return
        started = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(self._serve())
            except BaseException as exc:  # reported to start() below; the thread just ends
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            loop.run_forever()
            # whatever is still running (a handler, a closing handshake) ends here, on its own loop
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        thread = threading.Thread(target=main, name="websocket-output", daemon=True)
        thread.start()
        started.wait(10.0)
        if failure:
            thread.join(5.0)
            raise self._explain(failure[0]) from None
        if self._server is None:
            raise OutputError("The WebSocket server did not start within 10 s.")
        self._loop, self._thread = loop, thread
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self):
        from websockets.asyncio.server import serve

        async def handler(connection) -> None:
            # Clients mostly listen; what they send is read and dropped (unread messages would stall
            # the connection's reading, and with it the answers to keepalive pings).
            try:
                async for _message in connection:
                    pass
            except Exception:  # a client that vanishes mid-message is simply gone
                pass

        interval, timeout = self._keepalive
        return await serve(handler, self.host, self.port, ping_interval=interval, ping_timeout=timeout,
                           close_timeout=1.0)

    def _explain(self, exc: BaseException) -> OutputError:
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            return OutputError(f"WebSocket port {self.port} is already in use on {self.host}; "
                               "choose another port or close the program using it.")
        if isinstance(exc, OSError):
            return OutputError(f"The WebSocket server cannot listen on {self.host}:{self.port}: "
                               f"{exc.strerror or exc}.")
        return OutputError(f"The WebSocket server failed to start: {exc}.")

    def send(self, event: GestureEvent) -> None:
        if self._loop is None:
            raise OutputError("The WebSocket server is not running.")
        message = json.dumps(event.to_dict())
        self._loop.call_soon_threadsafe(self._broadcast, message)

    def send_json(self, data: dict) -> None:
        """Broadcast any JSON object (continuous stream frames); never waits for a client."""
        loop = self._loop
        if loop is None:
            raise OutputError("The WebSocket server is not running.")
        loop.call_soon_threadsafe(self._broadcast, json.dumps(data))

    def _broadcast(self, message: str) -> None:
        from websockets.asyncio.server import broadcast

        # broadcast() skips slow clients instead of waiting for them: a stuck page cannot stall the show.
        broadcast(self._server.connections, message)

    def close(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None:
            return
        self._loop = self._thread = None

        async def shutdown() -> None:
            self._server.close()  # sends every client a close frame; each has close_timeout to answer
            await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(3.0)
        except Exception:  # closing is best effort; the loop's remaining tasks are cancelled below
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5.0)
        self._server = None

    def describe(self) -> str:
        return f"WebSocket on ws://{self.host}:{self.port}"
