"""Wire commands of the desktop shell: app info, log export, test notification."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from softphone.diagnostics.export import ExportSources, archive_name, build_archive
from softphone.domain.errors import ErrorKey, SoftphoneError
from softphone.domain.shell import DesktopShell
from softphone.private_files import write_private
from softphone.web.commands import CommandHandler
from softphone.web.downloads import Downloads
from softphone.web.wire import Wire

log = logging.getLogger(__name__)


def desktop_commands(
    *,
    version: str,
    shell: DesktopShell,
    downloads: Downloads,
    export_sources: Callable[[], ExportSources],
    test_notification: Callable[[], bool],
) -> dict[str, CommandHandler]:
    def app_info(_args: Wire) -> Wire:
        return {"version": version, "window": shell.window, "tray": shell.tray}

    def export_logs(_args: Wire) -> Wire:
        name = archive_name()
        try:
            data = build_archive(export_sources())
        except OSError as exc:
            log.error("could not build the log archive: %s", exc)
            raise SoftphoneError(ErrorKey.EXPORT_FAILED) from exc
        ask = shell.ask_save_path
        if ask is None:  # browser mode: the page downloads it through a one-time link
            return {"url": downloads.offer(name, data, "application/zip"), "filename": name}
        target = ask(name)  # the native save dialog; blocks this command until answered
        if target is None:
            return {"cancelled": True}
        try:
            write_private(Path(target), data)  # call logs inside: 0600 like the logs
        except OSError as exc:
            log.error("could not write the log archive: %s", exc)
            raise SoftphoneError(ErrorKey.EXPORT_FAILED) from exc
        log.info("log archive saved (%d bytes)", len(data))
        return {"saved": str(target)}

    return {
        "app.info": app_info,
        "logs.export": export_logs,
        "notifications.test": lambda _a: {"shown": test_notification()},
    }
