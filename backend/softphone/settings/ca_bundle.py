"""Where the OS keeps its trusted CAs: light enough for the engine process to import."""

from __future__ import annotations

import os

# Debian/Ubuntu (and most Linux) keep the system's trusted CAs here; certifi is the fallback.
SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"


def system_ca_file() -> str:
    """The OS CA bundle, or certifi's where the OS has none in the usual place ("" if none)."""
    if os.path.exists(SYSTEM_CA_FILE):
        return SYSTEM_CA_FILE
    try:
        import certifi
    except ImportError:
        return ""
    return str(certifi.where())
