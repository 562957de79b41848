"""Start-up: the model loads after the first plotted sample, and reopening a project needs no text model
(its descriptions' vectors are cached in the project file)."""

from __future__ import annotations

import numpy as np
import pytest

from studio.model.text import TEXT_DIM, TextEncoder
from studio.project import Project, text_cache
from studio.recognition.startup import class_text, load_live_recogniser


class CountingEncoder(TextEncoder):
    """The real TextEncoder (cache, known/remember, locking) with a stand-in for MiniLM that counts."""

    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[str] = []

    def _encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += texts
        rows = [np.random.default_rng(abs(hash(t)) % 2**32).normal(size=TEXT_DIM) for t in texts]
        return np.stack([r / np.linalg.norm(r) for r in rows]).astype(np.float32)


def _text_model(encoder: TextEncoder):
    from shape_model import ShapeModel

    class TextShapeModel(ShapeModel):
        """ShapeModel whose descriptions go through a (counting) sentence encoder, as MotionModel's do."""

        text_encoder = encoder

        def embed_text(self, texts):
            v = encoder.encode(list(texts))[:, :48].repeat(6, axis=1)
            return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)

    return TextShapeModel()


def test_text_vectors_round_trip_through_the_project(tmp_path):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=TEXT_DIM).astype(np.float32), rng.normal(size=TEXT_DIM).astype(np.float32)
    with Project.create(tmp_path / "p.gesture") as p:
        assert text_cache.cached_vectors(p) == {}
        assert text_cache.store_vectors(p, "enc-1", {"wave it": a, "shake it": b})
        assert not text_cache.store_vectors(p, "enc-1", {"wave it": a, "shake it": b})  # unchanged: no write
        text_cache.store_vectors(p, "enc-2", {"other": b})
        text_cache.store_vectors(p, "enc-1", {"wave it": a})  # "shake it" no longer used: dropped
        stored = p.get_setting(text_cache.SETTINGS_KEY)
        stored["enc-1"]["broken"] = "not base64!"
        p.set_setting(text_cache.SETTINGS_KEY, stored)
    with Project.open(tmp_path / "p.gesture") as p:
        cached = text_cache.cached_vectors(p)
    assert set(cached) == {"enc-1", "enc-2"} and set(cached["enc-1"]) == {"wave it"}
    assert np.array_equal(cached["enc-1"]["wave it"], a) and np.array_equal(cached["enc-2"]["other"], b)


def test_encoder_takes_cached_vectors_without_loading_its_model():
    encoder = CountingEncoder()
    vector = np.ones(TEXT_DIM, np.float32)
    encoder.remember({"wave it": vector, "wrong size": np.ones(3, np.float32)})
    assert set(encoder.known(["wave it", "wrong size", "new"])) == {"wave it"}
    assert np.array_equal(encoder.encode(["wave it"])[0], vector)
    assert encoder.encoded == [] and not encoder.loaded
    assert encoder.model_id == TextEncoder().model_id != ""


def test_loading_embeds_only_sentences_without_a_cached_vector():
    encoder = CountingEncoder()
    model = _text_model(encoder)
    cached = {encoder.model_id: {"wave it": np.ones(TEXT_DIM, np.float32)}, "another encoder": {"x": np.ones(3)}}
    texts = [class_text("wave", "wave it"), class_text("shake", "  ")]  # no description: the name
    loaded = load_live_recogniser(lambda: model, 0.5, texts, cached)
    assert encoder.encoded == ["shake"]
    assert set(loaded.text_vectors) == {"wave it", "shake"} and loaded.text_encoder_id == encoder.model_id
    assert loaded.recogniser.calibrated


pytest.importorskip("PySide6")


def test_reopening_a_project_needs_no_text_model(qtbot, tmp_path):
    from studio.ui.device_controller import DeviceController
    from studio.ui.project_model import ProjectModel
    from studio.ui.recognition_service import RecognitionService

    path = tmp_path / "show.gesture"
    encoder = CountingEncoder()
    model = ProjectModel()
    model.create(path)
    service = RecognitionService(model, DeviceController(), model_loader=lambda: _text_model(encoder))
    service.load()
    qtbot.waitUntil(lambda: service.ready, timeout=30000)
    for name in ("wave", "shake"):
        model.project.add_gesture(name, f"{name} the device")
    model.notify(gestures=True)
    # new descriptions are embedded in the background, then enrolled
    qtbot.waitUntil(lambda: set(service.recogniser.classes) == {"wave", "shake"}, timeout=30000)
    assert sorted(encoder.encoded) == ["shake the device", "wave the device"]
    model.close()

    fresh = CountingEncoder()  # a new process: nothing in memory
    reopened = ProjectModel()
    reopened.open(path)
    again = RecognitionService(reopened, DeviceController(), model_loader=lambda: _text_model(fresh))
    again.load()
    qtbot.waitUntil(lambda: again.ready and set(again.recogniser.classes) == {"wave", "shake"}, timeout=30000)
    assert fresh.encoded == []  # every description came from the project file
    reopened.close()

    other = ProjectModel()  # a project opened while the model is already loaded (File > Open)
    other.open(path)
    seeded = CountingEncoder()
    service_now = RecognitionService(other, DeviceController(), model_loader=lambda: _text_model(seeded))
    other.close()
    with Project.create(tmp_path / "empty.gesture"):
        pass
    other.open(tmp_path / "empty.gesture")
    service_now.load()
    qtbot.waitUntil(lambda: service_now.ready, timeout=30000)
    other.open(path)
    qtbot.waitUntil(lambda: set(service_now.recogniser.classes) == {"wave", "shake"}, timeout=30000)
    assert seeded.encoded == []
    other.close()


def test_the_model_loads_after_the_first_plotted_sample(qtbot, tmp_path):
    from shape_model import ShapeModel

    from studio.ui.main_window import MainWindow
    from studio.ui.settings import SettingsStore

    window = MainWindow(SettingsStore(tmp_path / "cfg"), model_loader=ShapeModel)
    qtbot.addWidget(window)
    window.project_menu.open_or_create(tmp_path / "p.gesture")
    window.show()
    frames_at_load: list[int] = []
    load = window.recognition.load
    window.recognition.load = lambda: (frames_at_load.append(window.plot.frames), load())[1]
    window.load_model_after_first_plot(at_most_ms=600000)  # only the first plot can start it here
    assert window.connect_device("simulator?seed=1")
    qtbot.waitUntil(lambda: window.recognition.ready, timeout=30000)
    assert len(frames_at_load) == 1 and frames_at_load[0] > 0
    window.controller.disconnect_device()
    window.close()


def test_startup_benchmark_refuses_bad_arguments_before_launching(capsys):
    import argparse

    from studio.commands import bench_startup

    parser = argparse.ArgumentParser()
    bench_startup.add_arguments(parser)
    assert bench_startup.run(parser.parse_args(["--gestures", "9"])) == 2
    assert bench_startup.run(parser.parse_args(["--runs", "0"])) == 2
    assert "--gestures must be" in capsys.readouterr().err
