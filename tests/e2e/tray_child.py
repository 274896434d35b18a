"""E2E child: the real app in window mode with its tray; JSON lines on stdout, commands on stdin.

Arguments: DATA_DIR [--minimized] (start hidden in the tray, as the login entry does).

stdin: "user_close" closes the window as the title bar's button does (it may hide to the
tray); end of file quits. stdout: {"event": "ready", "port", "token"} once the app serves,
{"event": "exited"} when the window loop has returned and the app has stopped.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from softphone.app import SoftphoneApp
from softphone.desktop.runner import DesktopRunner
from softphone.engine.config import EngineConfig
from softphone.options import AppOptions
from softphone.paths import AppPaths


def emit(event: str, **fields: object) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


def follow_stdin(runner: DesktopRunner) -> None:
    for line in sys.stdin:
        if line.strip() == "user_close":
            runner.window.request_close()
            emit("close_requested")
    runner.window.close()


def main() -> int:
    data_dir = Path(sys.argv[1])
    minimized = "--minimized" in sys.argv[2:]
    options = AppOptions(
        paths=AppPaths.for_data_dir(data_dir),
        engine=EngineConfig(bind_address="127.0.0.1", log_file=data_dir / "engine.log"),
    )
    app = SoftphoneApp(options)
    app.start()
    try:
        runner = DesktopRunner(app.settings, options.paths, minimized=minimized)
        threading.Thread(target=follow_stdin, args=(runner,), daemon=True).start()
        # The app has started: the UI replaces the splash page once the window is up.
        threading.Thread(target=runner.attach, args=(app,), daemon=True).start()
        emit("ready", port=app.web.port, token=app.web.token)
        runner.run()
    finally:
        app.stop()
    emit("exited", tray=runner.tray is not None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
