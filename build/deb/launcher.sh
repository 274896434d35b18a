#!/bin/sh
# /usr/bin/softphone: start the bundled softphone (a PyInstaller one-folder app in /opt).
exec /opt/softphone/softphone "$@"
