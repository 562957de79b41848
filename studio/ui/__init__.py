"""The GUI: the only package that imports Qt (PySide6) and pyqtgraph."""
