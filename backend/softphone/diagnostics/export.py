"""The support archive: logs, settings and system facts in one zip, with secrets removed."""

from __future__ import annotations

import io
import json
import locale
import platform
import sys
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from softphone.diagnostics.redact import redact_settings, redact_text

MAX_LOG_BYTES = 8_000_000  # per file: the end of a long pjsip level-5 log is what matters


@dataclass(frozen=True, slots=True)
class ExportSources:
    """What goes into the archive; `secrets` are known values that must not appear in it."""

    log_files: Sequence[Path]
    settings_file: Path
    secrets: Sequence[str] = field(default=(), repr=False)
    info: Mapping[str, str] = field(default_factory=dict)


def archive_name(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return f"softphone-logs-{stamp}.zip"


def system_info(version: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Versions and platform facts support asks for first; nothing personal."""
    info = {
        "softphone": version,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "locale": str(locale.getlocale()[0]),
        "frozen": str(bool(getattr(sys, "frozen", False))),
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    try:
        from qtpy import QT_VERSION  # the window's toolkit, when installed

        info["qt"] = str(QT_VERSION)
    except Exception:  # no Qt (browser mode on a server): nothing to report
        pass
    info.update(extra or {})
    return info


def build_archive(sources: ExportSources) -> bytes:
    """The zip as bytes: logs/<file>, settings.json and system.txt, every text redacted."""
    secrets = tuple(sources.secrets)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in _logs(sources.log_files):
            archive.writestr(f"logs/{name}", redact_text(text, secrets))
        archive.writestr("settings.json", _settings(sources.settings_file, secrets))
        lines = [f"{key}: {value}" for key, value in sources.info.items()]
        lines += [f"log file: {p.name} ({_size(p)} bytes)" for p in sources.log_files]
        archive.writestr("system.txt", redact_text("\n".join(lines) + "\n", secrets))
    return buffer.getvalue()


def _logs(paths: Iterable[Path]) -> Iterable[tuple[str, str]]:
    seen: set[str] = set()
    for path in paths:
        try:
            with path.open("rb") as handle:
                size = handle.seek(0, io.SEEK_END)
                handle.seek(max(0, size - MAX_LOG_BYTES))
                data = handle.read()
        except OSError:
            continue  # rotated away or unreadable: the others still help
        name = path.name
        while name in seen:  # two sources may share a name (engine.log in two places)
            name = f"_{name}"
        seen.add(name)
        yield name, data.decode("utf-8", errors="replace")


def _settings(path: Path, secrets: Sequence[str]) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return "{}\n"
    try:
        data = json.loads(text)
    except ValueError:
        return redact_text(text, secrets)  # a corrupt file is still worth seeing, redacted
    return json.dumps(redact_settings(data, secrets), indent=2, sort_keys=True) + "\n"


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
