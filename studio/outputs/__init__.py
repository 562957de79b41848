"""Outputs: send recognised gestures to other software (OSC, WebSocket, keystrokes). Qt-free.

Network libraries are imported only when an output starts, so importing this package is cheap.
"""

from studio.outputs.config import OutputsConfig, build_outputs
from studio.outputs.events import GestureEvent, Output, OutputError
from studio.outputs.hub import OutputHub
from studio.outputs.keys import KeyCombo, KeystrokeOutput, parse_combo
from studio.outputs.osc import OscOutput
from studio.outputs.websocket import WebSocketOutput

__all__ = [
    "GestureEvent", "Output", "OutputError", "OutputHub", "OscOutput", "WebSocketOutput", "KeystrokeOutput",
    "KeyCombo", "parse_combo", "OutputsConfig", "build_outputs",
]
