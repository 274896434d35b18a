"""The app's start imports no directory client library: they load when a directory is used."""

from __future__ import annotations

import json
import subprocess
import sys

LAZY = ("ldap3", "pyasn1", "vobject")  # LDAP sync and test; vCard import and CardDAV sync


def test_importing_the_app_leaves_ldap_and_vcard_libraries_unloaded() -> None:
    code = "import json, sys, softphone.app; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = {name.split(".")[0] for name in json.loads(done.stdout)}
    assert not loaded & set(LAZY), f"imported at start: {sorted(loaded & set(LAZY))}"
