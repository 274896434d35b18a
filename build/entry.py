"""PyInstaller entry point of the bundle: the same `main()` as the `softphone` script, or the
engine's process when the supervisor starts the bundle again with `--engine-fd FD`
(softphone/engine/child.py): checked before the app's imports, so the engine loads only what
it needs (the engine, pjsua2).
"""

import sys

from softphone.engine.child import engine_fd, run  # light: os, sys, a Connection

if (fd := engine_fd(sys.argv)) is not None:
    run(fd)
    sys.exit(0)

from softphone.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
