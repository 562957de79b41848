"""Audio feedback: synthesised cues, gesture earcons and spoken names (espeak-ng), behind a sink boundary.

Qt-free. The GUI creates one :class:`AudioFeedback` and calls its event methods from any thread; none of
them blocks::

    feedback = AudioFeedback(speak=settings.speak_names, on_notice=show_in_status_bar)
    feedback.set_gestures(project_gesture_names)       # distinct earcons in creation order
    feedback.countdown(2); feedback.go(); feedback.recording_stopped()
    feedback.recognised("wave", 0.92); feedback.rejected()
    feedback.close()                                   # at exit

Tests pass a :class:`RecordingSink` as ``sink`` and assert on the labels and samples it received.
"""

from studio.audio.feedback import AudioFeedback, AudioStatus
from studio.audio.sinks import AudioSink, MiniaudioSink, NullSink, PlayedSound, RecordingSink
from studio.audio.speech import Speech, SpeechError

__all__ = ["AudioFeedback", "AudioStatus", "AudioSink", "MiniaudioSink", "NullSink", "PlayedSound",
           "RecordingSink", "Speech", "SpeechError"]
