"""The running app imports its heavy libraries when a feature first needs them (issue 21)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pbx.kamailio import Kamailio

PROBE = Path(__file__).resolve().parents[1] / "support" / "app_probe.py"

# Top-level packages a registered, idle app must not have imported, and what loads them.
LAZY = {
    "numpy": "the first ring, speaker or microphone test (audio/player.py, mic_test.py)",
    "dns": "an e-mail sign-in's DNS look-up (provisioning/dns_locate.py)",
    "cryptography": "reading a certificate (settings/trust.py)",
    "ldap3": "an LDAP directory sync or test (directory/ldap.py)",
    "vobject": "a vCard import or CardDAV sync (directory/vcard.py)",
}


def test_a_registered_idle_app_has_not_imported_what_only_later_features_need(
    kamailio: Kamailio,
) -> None:
    env = dict(
        os.environ,
        PROBE_PW=kamailio.users["1003"],
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    done = subprocess.run(
        [sys.executable, str(PROBE), str(kamailio.port), "1003"],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
        env=env,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["registration"] == "registered", done.stderr[-2000:]
    modules = set(report["modules"])
    # The app really started: its web server and engine supervisor are loaded.
    assert {"flask_socketio", "softphone.engine.supervisor"} <= modules
    loaded = {top: why for top, why in LAZY.items() if top in modules}
    assert not loaded, f"imported at start, though only needed for: {loaded}"
