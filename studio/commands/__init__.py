"""Commands and benchmarks that span layers (devices, model, recognition, project, outputs, ui).

They sit above everything they use, so no layer below has to import upwards to offer a subcommand.
Each module has ``add_arguments(parser)`` and ``run(args) -> int``; ``studio.cli`` and ``studio.bench``
import only the one asked for.
"""
