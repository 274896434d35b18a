#!/usr/bin/env bash
# Run pytest inside a private D-Bus session (GUI and notification tests need one, and it
# ends with the run so no stray daemons outlive it). Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
((${#args[@]})) || args=(tests)
exec dbus-run-session -- .venv/bin/pytest -q -p no:cacheprovider "${args[@]}"
