"""What the studio says and plays as things happen: screen-reader announcements and audio cues.

:class:`Feedback` listens to the window's parts (device, recorder, recognition, undo stack, calibration)
and turns their changes into one short sentence each for the :class:`~studio.ui.a11y.Announcer`, and,
when audio feedback is on, into cues from :mod:`studio.audio` (countdown beeps, start/stop tones, the
recognised gesture's name or earcon, a rejection sound). Audio is on when the setting says "on", or
"auto" and a screen reader is listening; the countdown beep follows the recorder's own checkbox. Names
are spoken by espeak-ng only when no screen reader is running (a reader already speaks the announcement).
"""

from __future__ import annotations

import queue

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from studio.ui.a11y import Announcer, screen_reader_active


class Feedback(QObject):
    """Announcements and audio for ``window`` (a MainWindow). The studio.audio.AudioFeedback is built on
    first use (tests swap in a fake with :meth:`use_audio`)."""

    def __init__(self, window) -> None:  # noqa: ANN001
        super().__init__(window)
        self.window = window
        self.announcer = Announcer(window)
        self._audio = None
        self._audio_failed = ""
        self._notices: queue.SimpleQueue = queue.SimpleQueue()  # from the audio thread: plain text only
        self._device_state = ""
        self._recorder_state = "idle"
        self._model_state = ""
        w = window
        w.controller.state_changed.connect(self._on_device_state)
        w.recorder.state_changed.connect(self._on_recorder_state)
        w.recorder.countdown_step.connect(self._on_countdown)
        w.recognition.event.connect(self._on_event)
        w.recognition.candidate.connect(self._on_candidate)
        w.recognition.live_enabled_changed.connect(
            lambda on: self.say("Live recognition started." if on else "Live recognition stopped."))
        w.recognition.state_changed.connect(self._on_model_state)
        w.live_view.message.connect(self.say)
        w.project.undo_stack.indexChanged.connect(self._on_undo_index)
        w.project.gestures_changed.connect(self._on_gestures)
        w.project.project_changed.connect(self._on_gestures)
        self._undo_index = w.project.undo_stack.index()
        self._undo_count = w.project.undo_stack.count()

    # -- audio -----------------------------------------------------------------------------------
    @property
    def audio_enabled(self) -> bool:
        """Whether cues play now: the setting is "on", or "auto" while a screen reader listens."""
        mode = self.window.settings.audio_feedback
        return mode == "on" or (mode == "auto" and screen_reader_active())

    def audio(self):  # noqa: ANN201 - an AudioFeedback, or None when audio cannot be used
        """The audio player, built on first use with the current spoken-name preference."""
        if self._audio is None and not self._audio_failed:
            try:
                from studio.audio import AudioFeedback

                self._audio = AudioFeedback(on_notice=self._notices.put)
                self._on_gestures()
            except Exception as err:  # no audio library or device: say so once, keep working
                self._audio_failed = f"Audio feedback is unavailable: {err}"
                self.window.notify(self._audio_failed)
        if self._audio is not None:
            # a running screen reader already says the name (the announcement): then only the earcon
            self._audio.speak = bool(self.window.settings.speak_names) and not screen_reader_active()
        return self._audio

    def use_audio(self, audio) -> None:  # noqa: ANN001
        """Play through ``audio`` (an AudioFeedback, or a fake in tests) from now on."""
        self._audio, self._audio_failed = audio, ""
        self._on_gestures()

    def _on_gestures(self) -> None:
        """Gestures get distinct earcons in the order they were created."""
        project = self.window.project.project
        if self._audio is not None and project is not None:
            self._audio.set_gestures([g.name for g in project.gestures()])

    def poll(self) -> None:
        """Show what the audio thread had to say (no output device, no espeak-ng); GUI timer."""
        while True:
            try:
                text = self._notices.get_nowait()
            except queue.Empty:
                return
            self.window.notify(text)

    def _play(self, method: str, *args: object, force: bool = False) -> None:
        if not (force or self.audio_enabled):
            return
        audio = self.audio()
        if audio is not None:
            getattr(audio, method)(*args)

    def close(self) -> None:
        """Stop the audio thread (the window is closing)."""
        if self._audio is not None:
            self._audio.close()

    # -- announcements -------------------------------------------------------------------------
    def say(self, text: str, assertive: bool = False) -> None:
        """Announce ``text`` to screen readers."""
        self.announcer.announce(text, assertive)

    def say_status(self) -> None:
        """Announce the whole current state (the "What is happening?" shortcut)."""
        w = self.window
        parts = [f"Device: {w.controller.state.value}."]
        if w.controller.info is not None and w.controller.counters.rate_hz:
            parts.append(f"{w.controller.counters.rate_hz:.0f} samples per second.")
        project = w.project.project
        if project is not None:
            parts.append(f"{len(project.gestures())} gestures in the project.")
        parts.append(f"Recorder: {w.recorder.state}. {w.recorder.info_label.text()}")
        parts.append("Live recognition on." if w.recognition.live_enabled else "Live recognition stopped.")
        last = w.live_view.result_label.text()
        if w.live_view.events_seen and last:
            parts.append(f"Last recognised: {last}.")
        self.say(" ".join(parts))

    def _on_device_state(self, state: str, message: str) -> None:
        if state == self._device_state:
            return
        self._device_state = state
        c = self.window.controller
        if state == "streaming":
            device = c.info.device if c.info is not None and c.info.device else (c.uri or "device")
            self.say(f"Connected: {device}.")
            self._play("connected")
        elif state == "disconnected":
            self.say("Device disconnected.")
            self._play("disconnected")
        elif state == "reconnecting":
            self.say(f"Device lost, reconnecting. {message}", assertive=True)
            self._play("disconnected")
        elif state == "failed":
            self.say(f"Device failed. {message}", assertive=True)
            self._play("disconnected")
        elif state == "connecting":
            self.say("Connecting…")

    def _on_model_state(self, text: str) -> None:
        if text != self._model_state and not text.startswith("Loading"):  # news only, not every sync
            self.say(text)
        self._model_state = text

    def _on_countdown(self, seconds_left: int) -> None:
        if self.window.recorder.beep_check.isChecked():
            audio = self.audio() if self.audio_enabled else None
            if audio is not None:
                audio.countdown(seconds_left)
            else:
                QApplication.beep()
        self.say(str(seconds_left))

    def _on_recorder_state(self, state: str) -> None:
        previous, self._recorder_state = self._recorder_state, state
        r = self.window.recorder
        gesture = r.gesture_combo.currentText()
        if state == "countdown" and previous != "countdown":
            self.say(f"Get ready to perform {gesture}.")
        elif state == "recording":
            if previous == "countdown" and r.beep_check.isChecked() and r.countdown_spin.value() > 0:
                self._play("go")  # the countdown's last, higher beep is the start signal
            else:
                self._play("recording_started")
            self.say(f"Recording. Perform {gesture} now.", assertive=True)
        elif state == "review":
            self._play("recording_stopped")
            self.say(f"Take recorded. {r.info_label.text()} Control+Enter accepts, Control+Backspace discards.")
        elif state == "idle" and previous != "idle":
            if previous == "recording":
                self._play("recording_stopped")
            self.say(f"{r.big_label.text()}. {r.info_label.text()}")

    def _on_event(self, event) -> None:  # noqa: ANN001 - a LiveEvent
        self.say(f"{event.gesture.replace('_', ' ')}, {event.confidence:.0%}", assertive=True)
        self._play("recognised", event.gesture, float(event.confidence))

    def _on_candidate(self, candidate) -> None:  # noqa: ANN001 - a Candidate
        if candidate.reason != "rejected":
            return
        best = max(candidate.scores, key=candidate.scores.get) if candidate.scores else None
        self.say("Not recognised" + (f", closest {best.replace('_', ' ')}" if best else "") + ".")
        self._play("rejected")

    def _on_undo_index(self, index: int) -> None:
        stack = self.window.project.undo_stack
        if stack.count() == self._undo_count and index == self._undo_index - 1:
            self.say(f"Undone: {stack.command(index).text()}.")
        elif stack.count() == self._undo_count and index == self._undo_index + 1:
            self.say(f"Redone: {stack.command(index - 1).text()}.")
        elif index > 0 and stack.command(index - 1) is not None:
            self.say(f"{stack.command(index - 1).text()}.")
        self._undo_index, self._undo_count = index, stack.count()
