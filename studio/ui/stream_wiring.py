"""Connects the continuous streams to the device and the recogniser (kept out of the main window).

The device runner feeds :attr:`OutputsService.stream_feed` on its own thread; similarity streams score
windows with the loaded recogniser's public ``similarities``.
"""

from __future__ import annotations


def connect_streams(controller, recognition, outputs) -> None:  # noqa: ANN001 - the three GUI services
    """Keep ``outputs``' stream engine fed by ``controller``'s runner and scored by ``recognition``."""
    attached = {"runner": None}

    def attach() -> None:
        runner, info = controller.runner, controller.info
        old = attached["runner"]
        if old is not None and old is not runner:
            old.remove_chunk_listener(outputs.stream_feed)
        if runner is None:
            attached["runner"] = None
            return
        outputs.set_stream_source(outputs.stream_feed.device, info.rate_hz if info else 0.0,
                                  info.channels if info else None)
        if old is not runner:
            runner.add_chunk_listener(outputs.stream_feed)
            attached["runner"] = runner

    def on_classes() -> None:
        rec = recognition.recogniser
        outputs.set_similarity(rec.similarities if rec is not None else None)

    controller.buffer_changed.connect(attach)
    recognition.classes_changed.connect(on_classes)
    attach()
    on_classes()
