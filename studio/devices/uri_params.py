"""Reading a device URI's settings (``?rate=100&realtime=0``): known names, numbers and yes/no flags.

Shared by the device factories so every source words a bad setting the same way, as a plain
:func:`~studio.devices.faults.bad_config` error that names the setting and how to fix it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from studio.devices.faults import bad_config

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def check_params(params: Iterable[str], known: Iterable[str], what: str = "setting", where: str = "") -> None:
    """Refuse setting names not in ``known`` (a typo must not pass silently).

    ``what`` names the kind of setting in the message ("simulator setting"); ``where`` is the URI text."""
    known = tuple(known)
    unknown = sorted(set(params) - set(known))
    if unknown:
        place = f" in {where!r}" if where else ""
        raise bad_config(f"Unknown {what}(s){place}: {', '.join(unknown)}.", f"Known: {', '.join(known)}.")


def number(params: Mapping[str, str], name: str, default: float, low: float = -math.inf, high: float = math.inf,
           kind: type = float, what: str = "Setting") -> float:
    """Setting ``name`` as a finite ``kind`` (float or int) within ``[low, high]``; ``default`` if absent."""
    if name not in params:
        return default
    text = params[name]
    try:
        value = kind(text)
    except ValueError:
        raise bad_config(f"{what} {name}={text!r} is not a number.",
                         f"Give a number, e.g. {name}={default:g}.") from None
    if not math.isfinite(value):
        raise bad_config(f"{what} {name}={text!r} must be finite.", f"For example {name}={default:g}.")
    if not low <= value <= high:
        raise bad_config(f"{what} {name}={value:g} is out of range.", f"Use a value from {low:g} to {high:g}.")
    return value


def flag(params: Mapping[str, str], name: str, default: bool, what: str = "Setting") -> bool:
    """Setting ``name`` as yes/no (1/0, true/false, yes/no, on/off); ``default`` if absent."""
    value = params.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise bad_config(f"{what} {name}={value!r} is not a yes/no value.", f"Use {name}=1 or {name}=0.")
