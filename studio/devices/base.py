"""The one interface every IMU source implements, and the errors it raises.

A source is pull-based: :meth:`Source.read` blocks up to a timeout and returns the next chunk of
canonical samples (or ``None``). A :class:`studio.devices.runner.StreamRunner` thread drives it,
reconnects after faults and fans chunks out to listeners; the GUI never calls a source directly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from studio.signals.stream import Chunk, StreamInfo


class DeviceError(Exception):
    """A device fault with a plain-language message for the user.

    ``fix`` tells the user what to do; ``transient`` says whether reconnecting may help
    (an unplugged cable: yes; permission denied: no).
    """

    def __init__(self, message: str, fix: str = "", transient: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.transient = transient

    def __str__(self) -> str:
        return f"{self.message} {self.fix}".strip()


@dataclass
class SourceStats:
    """Counters every source keeps (shown in the device panel and by ``studio stream``)."""

    samples: int = 0
    dropped: int = 0
    parse_errors: int = 0


class Source(ABC):
    """An IMU source producing canonical chunks (acc in g, gyro in deg/s)."""

    uri: str = ""

    def __init__(self) -> None:
        self.stats = SourceStats()

    @property
    @abstractmethod
    def info(self) -> StreamInfo:
        """Channels, units and nominal rate; valid after :meth:`open`."""

    @abstractmethod
    def open(self) -> None:
        """Connect. Raises :class:`DeviceError` with a user-facing message on failure."""

    @abstractmethod
    def read(self, timeout: float = 0.1) -> Chunk | None:
        """Next chunk of samples, or ``None`` when nothing arrived within ``timeout`` seconds.

        Raises :class:`DeviceError` (``transient=True``) when the device goes away.
        """

    @abstractmethod
    def close(self) -> None:
        """Disconnect; safe to call twice."""

    def __enter__(self) -> "Source":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
