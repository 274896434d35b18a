"""PyInstaller entry point of the bundle: the same `main()` as the `softphone` script.

The engine runs in a child process started with multiprocessing's "spawn" context: frozen,
the bundle re-executes itself with `--multiprocessing-fork` (and once more for the resource
tracker). `freeze_support()` runs first, before the app's imports, so those children only
import what they need (the engine, pjsua2) and start faster; `softphone.__main__.main()`
calls it again, which is harmless.
"""

import multiprocessing
import sys

multiprocessing.freeze_support()

from softphone.__main__ import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
