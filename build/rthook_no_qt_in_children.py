"""PyInstaller runtime hook (build/softphone.spec), run before PyInstaller's own for PyQt6: in
the bundle's multiprocessing children (the engine, multiprocessing's resource tracker) that
hook does not register its qt.conf.

PyInstaller's PyQt6 hook imports PyQt6.QtCore in every process the executable starts, to
check for and register a qt.conf that relocates Qt's prefix. The children re-run the
executable, so the engine and the tracker loaded QtCore, libQt6Core and Qt's ICU though
neither uses Qt (installed app, idle: engine 32.4 MiB PSS, tracker 16.5, against 27.3 and
7.0 from the source tree). The window's process still gets the qt.conf.
"""

import sys


def _skip_qt_conf_in_children() -> None:
    args = sys.argv[1:]
    engine = "--multiprocessing-fork" in args
    tracker = any("multiprocessing.resource_tracker" in arg for arg in args)
    if engine or tracker:
        from _pyi_rth_utils import qt  # PyInstaller's helpers for its Qt hooks

        qt.create_embedded_qt_conf = lambda *_args: None


_skip_qt_conf_in_children()
del _skip_qt_conf_in_children
