"""Audio feedback: synthesised cues, gesture earcons and spoken names (espeak-ng), behind a sink boundary.

Qt-free. The GUI creates one :class:`AudioFeedback` and calls its event methods from any thread.
"""

from studio.audio.feedback import AudioFeedback, AudioStatus
from studio.audio.sinks import AudioSink, MiniaudioSink, NullSink, PlayedSound, RecordingSink
from studio.audio.speech import Speech, SpeechError

__all__ = ["AudioFeedback", "AudioStatus", "AudioSink", "MiniaudioSink", "NullSink", "PlayedSound",
           "RecordingSink", "Speech", "SpeechError"]
