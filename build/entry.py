"""PyInstaller entry point of the bundle: the same `main()` as the `softphone` script, or the
engine's process when the supervisor starts the bundle again with `--engine-fd FD`
(softphone/engine/child.py): checked before the app's imports, so the engine loads only what
it needs (the engine, pjsua2).
"""

import sys

if len(sys.argv) == 3 and sys.argv[1] == "--engine-fd":  # softphone.engine.child.ENGINE_FLAG
    from softphone.engine.child import run

    run(int(sys.argv[2]))
    sys.exit(0)

from softphone.__main__ import main

if __name__ == "__main__":
    sys.exit(main())
