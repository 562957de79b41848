"""Reading the host and port of a phone URI (``phyphox://HOST:PORT?rate=100``); its settings are read
with :mod:`studio.devices.uri_params`."""

from __future__ import annotations

from urllib.parse import urlsplit

from studio.devices.faults import bad_config


def host_port(uri, default_port: int, example: str) -> tuple[str, int]:  # noqa: ANN001 - a registry.DeviceURI
    """``(host, port)`` from the URI's target; the port defaults to ``default_port``."""
    target = uri.target.strip("/")
    if not target:
        raise bad_config(f"No phone address in {uri.text!r}.", f"Give the address the app shows, e.g. {example}.")
    try:
        parts = urlsplit("//" + target)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise bad_config(f"{target!r} is not a valid address and port.", f"For example {example}.") from None
    if not host:
        raise bad_config(f"No phone address in {uri.text!r}.", f"Give the address the app shows, e.g. {example}.")
    return host, default_port if port is None else port   # 0: any free port (tests, benchmarks)
