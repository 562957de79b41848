"""The keystroke library boundary for tests: records presses instead of pressing real keys."""

from __future__ import annotations


class FakeKeys:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def press(self, key: str) -> None:
        self.calls.append(f"+{key}")

    def release(self, key: str) -> None:
        self.calls.append(f"-{key}")
