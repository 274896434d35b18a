#!/usr/bin/env bash
# Run pytest inside a private D-Bus session (GUI and notification tests need one, and it
# ends with the run so no stray daemons outlive it). Arguments go to pytest.
# The whole suite runs on PYTEST_WORKERS processes (pytest-xdist): its tests mostly wait on
# real servers and peers, so several share the 2 cores well. A run of chosen tests uses one
# process unless PYTEST_WORKERS says otherwise. A test that must own something of the session
# (a D-Bus name) brings a private bus (tests/support/private_bus.py). xdist_group marks do
# not group here (pytest-xdist 3.8 with this pytest: tests marked alike still spread over
# workers, checked): do not rely on them.
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
workers=${PYTEST_WORKERS:-1}
if ((${#args[@]} == 0)); then
  args=(tests)
  workers=${PYTEST_WORKERS:-4}
fi
parallel=()
((workers > 1)) && parallel=(-n "$workers" --dist loadgroup)
exec dbus-run-session -- .venv/bin/pytest -q -p no:cacheprovider "${parallel[@]}" "${args[@]}"
