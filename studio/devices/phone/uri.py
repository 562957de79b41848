"""Reading the host, port and settings of a phone URI (``phyphox://HOST:PORT?rate=100``)."""

from __future__ import annotations

import math
from urllib.parse import urlsplit

from studio.devices.faults import bad_config


def check_params(uri, known: tuple[str, ...]) -> None:  # noqa: ANN001 - a registry.DeviceURI
    """Refuse settings the source does not know (a typo must not pass silently)."""
    unknown = sorted(set(uri.params) - set(known))
    if unknown:
        raise bad_config(f"Unknown setting(s) in {uri.text!r}: {', '.join(unknown)}.", f"Known: {', '.join(known)}.")


def host_port(uri, default_port: int, example: str) -> tuple[str, int]:  # noqa: ANN001
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
    return host, port or default_port


def number(uri, name: str, default: float, low: float, high: float) -> float:  # noqa: ANN001
    """A numeric setting within ``[low, high]``."""
    if name not in uri.params:
        return default
    try:
        value = float(uri.params[name])
    except ValueError:
        raise bad_config(f"Setting {name}={uri.params[name]!r} is not a number.",
                         f"For example {name}={default:g}.") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise bad_config(f"Setting {name}={value:g} is out of range.", f"Use a value from {low:g} to {high:g}.")
    return value


def flag(uri, name: str, default: bool) -> bool:  # noqa: ANN001
    """A yes/no setting (1/0, true/false, yes/no, on/off)."""
    value = uri.params.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise bad_config(f"Setting {name}={value!r} is not a yes/no value.", f"Use {name}=1 or {name}=0.")
