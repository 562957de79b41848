"""Keeps a Recogniser in step with the project and runs live recognition on the device stream.

* The motion model loads in the background once the window shows the device (torch takes seconds);
  until then the library and recorder work and recognition says it is loading. The loading step is
  :func:`studio.recognition.startup.load_live_recogniser`. Descriptions' text vectors are cached in the
  project, so the text model (transformers + MiniLM) loads only for a description never seen, and then
  in the background, never on the GUI thread.
* Every project change re-enrols only the gestures it touched (``Recogniser.set_class``, well under a
  second, no backbone training); the time is reported with ``enrolled``.
* A :class:`LiveRecogniser` listens to the StreamRunner's chunks on the runner thread; its events and
  candidates are queued and delivered as Qt signals by :meth:`poll` from a GUI timer. Events also go at
  once, on the runner thread, to plain-Python ``event_sinks`` (the outputs), so a show does not wait
  for the GUI timer.
"""

from __future__ import annotations

import queue
import time
import traceback
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from studio.project import ProjectError, text_cache
from studio.recognition.startup import LoadedRecogniser, class_text, default_load_model, load_live_recogniser, \
    text_encoder_of
from studio.ui.device_controller import DeviceController
from studio.ui.project_model import ProjectModel
from studio.ui.workers import Job


class _LiveFeed:
    """What the runner thread calls with each chunk: plain Python, so the runner never holds (and can
    never be the last to release) a Qt object."""

    def __init__(self, events: queue.SimpleQueue) -> None:
        self.live = None
        self.recogniser = None
        self.paused = False
        self.events = events
        self.sinks: list[Callable[[object], None]] = []  # plain callables only, never Qt objects

    def on_event(self, event) -> None:  # noqa: ANN001 - a LiveEvent, on the runner thread
        """The LiveRecogniser's event callback: straight to the sinks, then queued for the GUI."""
        for sink in list(self.sinks):
            try:
                sink(event)
            except Exception:  # an output bug must never stop recognition
                traceback.print_exc()
        self.events.put(event)

    def __call__(self, chunk) -> None:  # noqa: ANN001 - runs on the runner thread
        live, recogniser = self.live, self.recogniser
        if live is not None and not self.paused and recogniser is not None and recogniser.classes:
            live.feed(chunk)


class RecognitionService(QObject):
    """Signals: ``state_changed(text)``, ``enrolled(gesture, seconds)``, ``classes_changed()``,
    ``event(LiveEvent)``, ``candidate(Candidate)``, ``live_enabled_changed(bool)``."""

    state_changed = Signal(str)
    enrolled = Signal(str, float)
    classes_changed = Signal()
    event = Signal(object)
    candidate = Signal(object)
    live_enabled_changed = Signal(bool)

    def __init__(self, project: ProjectModel, controller: DeviceController,
                 model_loader: Callable[[], object] | None = None, sensitivity: float = 0.5,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.controller = controller
        self.model_loader = model_loader or default_load_model
        self.model = None
        self.load_failed: str | None = None  # why the model could not be loaded, once it could not
        self.recogniser = None
        self.live = None
        self.state = "Motion model not loaded."
        self.last_enrol_s: float | None = None
        self._sensitivity = sensitivity
        self._signatures: dict[str, tuple] = {}
        self._events: queue.SimpleQueue = queue.SimpleQueue()
        self._candidates: queue.SimpleQueue = queue.SimpleQueue()
        self._attached_runner = None
        self._load_job: Job | None = None
        self._text_job: Job | None = None
        self._feed = _LiveFeed(self._events)
        self._held = False  # paused by the recorder while a take is under way
        self.live_enabled = True  # the user's start/stop
        project.gestures_changed.connect(self.sync)
        project.takes_changed.connect(lambda _gid: self.sync())
        project.project_changed.connect(self.sync)
        project.project_changed.connect(self.calibrate_from_project)
        controller.buffer_changed.connect(self._attach)
        controller.state_changed.connect(self._on_device_state)

    # -- model ---------------------------------------------------------------------------------
    @property
    def ready(self) -> bool:
        return self.recogniser is not None

    def load(self) -> Job:
        """Load the model in the background; ``state_changed`` says when it is ready or why not."""
        self._set_state("Loading the motion model…")

        # plain data only (see workers.py): the loader, numbers, sentences and cached vectors
        loader, sensitivity, texts = self.model_loader, self._sensitivity, self._class_texts()
        project = self.project.project
        cached = text_cache.cached_vectors(project) if project is not None else {}

        def work(progress, should_stop):  # noqa: ANN001, ANN202
            return load_live_recogniser(loader, sensitivity, texts, cached)

        self._load_job = Job(work, self)
        self._load_job.finished.connect(self._on_loaded)
        self._load_job.failed.connect(self._on_load_failed)
        return self._load_job.start()

    def _on_load_failed(self, message: str) -> None:
        self.load_failed = message
        self._set_state(f"Recognition unavailable: the motion model could not be loaded ({message}). "
                        "Recording and editing still work.")

    def set_model(self, model, recogniser) -> None:  # noqa: ANN001
        """Use an already loaded model (tests, or a model trained in this session)."""
        self._on_loaded((model, recogniser))

    def _on_loaded(self, result: LoadedRecogniser | tuple) -> None:
        if isinstance(result, LoadedRecogniser):
            result = result.model, result.recogniser
        self.model, self.recogniser = result
        self.recogniser.sensitivity = self._sensitivity
        self._signatures.clear()
        self.sync()
        self._attach()
        self.calibrate_from_project()

    def _set_state(self, text: str) -> None:
        self.state = text
        self.state_changed.emit(text)

    # -- enrolment -----------------------------------------------------------------------------
    def sync(self) -> None:
        """Bring the recogniser's classes in line with the project's enabled gestures."""
        if self.recogniser is None:
            return
        project = self.project.project
        wanted: dict[str, tuple] = {}
        data: dict[str, tuple] = {}
        if project is not None:
            for g in project.gestures():
                if not g.enabled or not (g.description.strip() or project.takes(g.id)):
                    continue
                takes = project.takes(g.id)
                wanted[g.name] = (g.description, tuple((t.id, t.trim_start, t.trim_end) for t in takes))
                data[g.name] = (g, takes)
        if not self._texts_ready([class_text(name, g.description) for name, (g, _) in data.items()]):
            return
        changed = False
        for name in list(self._signatures):
            if name not in wanted:
                self.recogniser.remove_class(name)
                del self._signatures[name]
                changed = True
        for name, signature in wanted.items():
            if self._signatures.get(name) == signature:
                continue
            g, takes = data[name]
            rate = takes[0].rate_hz if takes else 100.0
            started = time.perf_counter()
            try:
                self.recogniser.set_class(name, g.description, [t.trimmed() for t in takes], rate_hz=rate)
            except (ValueError, RuntimeError) as err:  # RuntimeError: no text model installed
                self._set_state(f"'{name}' could not be enrolled: {err}")
                continue
            self.last_enrol_s = time.perf_counter() - started
            self._signatures[name] = signature
            self.enrolled.emit(name, self.last_enrol_s)
            changed = True
        if changed:
            self.classes_changed.emit()
            self._store_texts()
        n = len(self._signatures)
        self._set_state(f"Recognising {n} gesture{'s' if n != 1 else ''}." if n else
                        "Ready: add a gesture with a description or a take to start recognising.")

    def _class_texts(self) -> list[str]:
        project = self.project.project
        return [class_text(g.name, g.description) for g in project.gestures()] if project is not None else []

    def _texts_ready(self, texts: list[str]) -> bool:
        """True when every sentence in ``texts`` can be embedded at once (cached, or the text model is
        loaded). Otherwise the new ones are embedded in the background, which loads the text model
        (seconds), and :meth:`sync` runs again when that is done."""
        encoder = text_encoder_of(self.model)
        if encoder is None or encoder.loaded or (self._text_job is not None and self._text_job.cancelled):
            return True
        missing = [t for t in texts if t not in encoder.known([t])]
        project, encoder_id = self.project.project, str(getattr(encoder, "model_id", ""))
        if missing and project is not None and encoder_id:  # a project opened since the model loaded
            encoder.remember(text_cache.cached_vectors(project).get(encoder_id, {}))
            missing = [t for t in missing if t not in encoder.known([t])]
        if not missing:
            return True
        if self._text_job is None or not self._text_job.running:
            self._set_state("Reading the new description (the text model loads once, a few seconds)…")

            def work(progress, should_stop):  # noqa: ANN001, ANN202
                return encoder.encode(missing)

            self._text_job = job = Job(work, self)
            job.failed.connect(lambda _msg: job.cancel())  # then sync enrols what it can and says why not
            job.done.connect(self.sync)
            job.start()
        return False

    def _store_texts(self) -> None:
        """Keep the vectors of the gestures' sentences in the project (a cache: failures are harmless)."""
        encoder, project = text_encoder_of(self.model), self.project.project
        encoder_id = str(getattr(encoder, "model_id", ""))
        if encoder is None or project is None or not encoder_id:
            return
        try:
            text_cache.store_vectors(project, encoder_id, encoder.known(self._class_texts()))
        except ProjectError:
            pass  # a read-only project keeps working; its sentences are embedded again next time

    @property
    def sensitivity(self) -> float:
        return self._sensitivity

    def set_sensitivity(self, value: float) -> None:
        self._sensitivity = float(np.clip(value, 0.0, 1.0))
        if self.recogniser is not None:
            self.recogniser.sensitivity = self._sensitivity

    # -- live ----------------------------------------------------------------------------------
    def _attach(self) -> None:
        """(Re)attach live recognition to the current stream (new device or new channels)."""
        runner, info = self.controller.runner, self.controller.info
        if self.recogniser is None or runner is None or info is None:
            return
        if self._attached_runner is not None:
            self._attached_runner.remove_chunk_listener(self._feed)
        from studio.recognition.live import LiveRecogniser

        self.live = LiveRecogniser(self.recogniser, rate_hz=info.rate_hz or 100.0, channels=info.channels,
                                   on_event=self._feed.on_event, on_candidate=self._candidates.put)
        self._feed.live, self._feed.recogniser = self.live, self.recogniser
        runner.add_chunk_listener(self._feed)
        self._attached_runner = runner

    def add_event_sink(self, sink: Callable[[object], None]) -> None:
        """Call ``sink(LiveEvent)`` on the runner thread for every event; it must be quick, must not
        raise, and must hold no Qt object (see workers.py)."""
        self._feed.sinks.append(sink)

    def deliver_event(self, event) -> None:  # noqa: ANN001
        """Deliver ``event`` exactly as the LiveRecogniser does (sinks now, signal at the next poll)."""
        self._feed.on_event(event)

    @property
    def paused(self) -> bool:
        return self._feed.paused

    def set_paused(self, paused: bool) -> None:
        """Hold (or release) live recognition while a take is being recorded."""
        self._held = paused
        self._update_feed()

    def set_live_enabled(self, enabled: bool) -> None:
        """The user's start/stop of live recognition (independent of the recorder's hold)."""
        if enabled != self.live_enabled:
            self.live_enabled = enabled
            self._update_feed()
            self.live_enabled_changed.emit(enabled)

    def _update_feed(self) -> None:
        paused = self._held or not self.live_enabled
        if self._feed.paused and not paused and self.live is not None:
            self.live.reset()  # start clean, not in the middle of a movement
        self._feed.paused = paused

    def _on_device_state(self, state: str, _message: str) -> None:
        if state == "reconnecting" and self.live is not None:
            self.live.reset()  # a movement cut by the drop must not be stitched to what follows

    def poll(self) -> None:
        """Deliver queued events and candidates as signals (GUI timer)."""
        for q, signal in ((self._candidates, self.candidate), (self._events, self.event)):
            while True:
                try:
                    item = q.get_nowait()
                except queue.Empty:
                    break
                signal.emit(item)

    # -- refine and calibrate ------------------------------------------------------------------
    def calibrate_from_project(self) -> Job | None:
        """Calibrate rejection on the project's stored "not a gesture" recordings, if it has any
        (otherwise the recogniser keeps its generated idle-motion calibration)."""
        project, recogniser, model = self.project.project, self.recogniser, self.model
        if project is None or recogniser is None:
            return None
        negatives = project.negatives()
        if not negatives:
            return None
        window_s = getattr(model, "window_s", 2.56)

        def work(progress, should_stop):  # noqa: ANN001, ANN202
            from studio.recognition.negatives import calibration_windows

            for rate in {n.rate_hz for n in negatives}:
                same = [n for n in negatives if n.rate_hz == rate]
                windows, offered = [], 0.0
                for n in same:
                    w, per_hour = calibration_windows(n.samples, rate, tuple(n.channels), window_s)
                    windows += w
                    offered += per_hour * len(n.samples)
                seconds = sum(len(n.samples) for n in same)
                recogniser.calibrate(windows, rate, tuple(negatives[0].channels),
                                     offered_per_hour=offered / max(seconds, 1))
            return len(negatives)

        job = Job(work, self)
        job.finished.connect(lambda n: self._set_state(
            f"{self.state} Rejection calibrated on {n} recording(s) of your ordinary movement."))
        return job.start()

    def refine(self, epochs: int = 60) -> Job:
        """Fine-tune the recogniser's small head on the takes in the background (cancellable)."""
        recogniser = self.recogniser

        def work(progress, should_stop):  # noqa: ANN001, ANN202
            return recogniser.refine(epochs=epochs, on_progress=progress, should_stop=should_stop)

        job = Job(work, self)
        job.finished.connect(lambda ok: self._set_state(refine_message(ok, getattr(recogniser, "last_refine", {}))))
        return job.start()

    def calibrate(self, samples: np.ndarray, rate_hz: float, channels: tuple[str, ...]) -> Job:
        """Calibrate rejection on ``samples`` (T, C) of ordinary movement, then count how often the
        calibrated recogniser would have fired on them: the result dict has ``false_triggers`` and
        ``per_10_min``."""
        recogniser, model = self.recogniser, self.model
        window = int(round(getattr(model, "window_s", 2.56) * rate_hz))

        def work(progress, should_stop):  # noqa: ANN001, ANN202
            from studio.recognition.live import LiveRecogniser

            from studio.recognition.negatives import calibration_windows

            windows, offered = calibration_windows(samples, rate_hz, channels, window / rate_hz)
            recogniser.calibrate(windows, rate_hz, channels, offered_per_hour=offered)
            progress(0.5)
            replay = LiveRecogniser(recogniser, rate_hz=rate_hz, channels=channels)
            t = np.arange(len(samples)) / rate_hz
            block = max(1, int(rate_hz // 10))
            fired = 0
            for i in range(0, len(samples), block):
                fired += len(replay.push(t[i:i + block], samples[i:i + block]))
            seconds = len(samples) / rate_hz
            return {"seconds": seconds, "windows": len(windows), "false_triggers": fired,
                    "per_10_min": fired * 600.0 / max(seconds, 1e-9)}

        return Job(work, self).start()


def refine_message(kept: bool, info: dict) -> str:
    """What the user is told after Refine (``info``: ``Recogniser.last_refine``)."""
    scores = ""
    if "held_out_before" in info:
        scores = (f" (accuracy on held-back takes {100 * info['held_out_before']:.0f} % before, "
                  f"{100 * info['held_out_after']:.0f} % after)")
    if kept:
        return f"Refined on your takes{scores}."
    if info.get("reason") == "cancelled":
        return "Refine cancelled; recognition is unchanged."
    return f"Not refined: {info.get('reason', 'nothing to learn')}{scores}; recognition is unchanged."
