"""PyInstaller runtime hook (build/softphone.spec), run before PyInstaller's own for PyQt6: in
the bundle's engine process that hook does not register its qt.conf.

PyInstaller's PyQt6 hook imports PyQt6.QtCore in every process the executable starts, to
check for and register a qt.conf that relocates Qt's prefix. The engine's process is the same
executable started again (softphone/engine/child.py), so it loaded QtCore, libQt6Core and
Qt's ICU though it never uses Qt (installed app, idle: engine 32.4 MiB PSS against 27.3 from
the source tree). The window's process still gets the qt.conf.
"""

import sys


def _skip_qt_conf_in_the_engine() -> None:
    if sys.argv[1:2] == ["--engine-fd"]:  # softphone.engine.child.ENGINE_FLAG
        from _pyi_rth_utils import qt  # PyInstaller's helpers for its Qt hooks

        qt.create_embedded_qt_conf = lambda *_args: None


_skip_qt_conf_in_the_engine()
del _skip_qt_conf_in_the_engine
