#!/usr/bin/env bash
# Build build/out/softphone_<version>_<arch>.deb from the PyInstaller one-folder bundle.
#
#   bash build/package-deb.sh [BUNDLE_DIR] [OUT_DIR]
#
# BUNDLE_DIR defaults to build/out/dist/softphone (made by `pyinstaller build/softphone.spec`),
# OUT_DIR to build/out. No debhelper: a staging root and `dpkg-deb --build`.
# Depends = the Debian packages owning every library the bundle's ELF files load from the
# system (ldd + dpkg -S on this build machine) plus libraries Qt and the audio code open at
# run time (dlopen, invisible to ldd). DEB_COMPRESS=xz|zstd|gzip|none (default xz).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUNDLE="$(realpath "${1:-$ROOT/build/out/dist/softphone}")"
OUT="$(realpath -m "${2:-$ROOT/build/out}")"
DEB_SRC="$ROOT/build/deb"
COMPRESS="${DEB_COMPRESS:-xz}"

[[ -x "$BUNDLE/softphone" ]] || { echo "no bundle at $BUNDLE: run pyinstaller first" >&2; exit 1; }

VERSION="$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$ROOT/pyproject.toml" | head -n1)"
ARCH="$(dpkg --print-architecture)"
STAGE="$OUT/deb-root"
DEB="$OUT/softphone_${VERSION}_${ARCH}.deb"

rm -rf "$STAGE"
mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/usr/share/applications" \
  "$STAGE/usr/share/icons/hicolor/scalable/apps" "$STAGE/usr/share/icons/hicolor/256x256/apps" \
  "$STAGE/usr/share/pixmaps" "$STAGE/lib/udev/rules.d" "$STAGE/usr/share/doc/softphone"

# The bundle, the launcher, desktop integration, udev rules.
cp -a "$BUNDLE" "$STAGE/opt/softphone"
install -m 0755 "$DEB_SRC/launcher.sh" "$STAGE/usr/bin/softphone"
install -m 0644 "$ROOT/build/softphone.desktop" "$STAGE/usr/share/applications/softphone.desktop"
install -m 0644 "$ROOT/assets/icons/softphone.svg" "$STAGE/usr/share/icons/hicolor/scalable/apps/softphone.svg"
install -m 0644 "$ROOT/assets/icons/softphone-256.png" "$STAGE/usr/share/icons/hicolor/256x256/apps/softphone.png"
install -m 0644 "$ROOT/assets/icons/softphone-256.png" "$STAGE/usr/share/pixmaps/softphone.png"
install -m 0644 "$ROOT/build/60-softphone-headsets.rules" "$STAGE/lib/udev/rules.d/60-softphone-headsets.rules"
install -m 0644 "$DEB_SRC/copyright" "$STAGE/usr/share/doc/softphone/copyright"
install -m 0755 "$DEB_SRC/postinst" "$DEB_SRC/postrm" "$STAGE/DEBIAN/"
# Files and directories: readable by all, no group/other write (PyInstaller keeps source modes).
chmod -R u+rwX,go+rX,go-w "$STAGE/opt/softphone"
# Symbol tables and debug info out of the shared libraries (23 MiB: libpython, the Python
# extension modules, cryptography, hidapi...): `strip --strip-unneeded`, each library then
# loaded again with dlopen and put back as shipped if it no longer loads (patchelf'd wheel
# libraries such as numpy's OpenBLAS and pjsua2's module break: "ELF load command
# address/offset not page-aligned"). PyInstaller's strip=True has no such check.
"${PYTHON:-$ROOT/.venv/bin/python}" "$ROOT/build/strip_bundle.py" "$STAGE/opt/softphone"
# Qt's ICU data (30 MiB: every locale, codec and dictionary) down to the app's four languages
# and no codecs or dictionaries (4.6 MiB): build/trim_icu.py says what stays and why.
"${PYTHON:-$ROOT/.venv/bin/python}" "$ROOT/build/trim_icu.py" "$STAGE/opt/softphone"

# Depends, part 1: what the ELF files of the bundle load from the system.
internal="$STAGE/opt/softphone/_internal"
libs_from_system() {
  local f
  while IFS= read -r -d '' f; do
    [[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" == '177ELF' ]] || continue
    LD_LIBRARY_PATH="$internal:$internal/PyQt6/Qt6/lib" ldd "$f" 2>/dev/null || true
  done < <(find "$STAGE/opt/softphone" -type f -print0)
}
ldd_out="$(libs_from_system)"
mapfile -t syslibs < <(awk '$2 == "=>" && $3 ~ /^\// {print $3}' \
  <<<"$ldd_out" | grep -v "^$STAGE/" | sort -u)
missing="$(awk '$2 == "=>" && $3 == "not" {print $1}' <<<"$ldd_out" | sort -u)"
if [[ -n "$missing" ]]; then
  echo "package-deb: libraries not found on this machine (install them, then rebuild):" >&2
  echo "$missing" >&2
  exit 1
fi
declare -A pkgs=()
for lib in "${syslibs[@]}"; do
  owner="$(dpkg -S "$(realpath "$lib")" 2>/dev/null || dpkg -S "$lib" 2>/dev/null || true)"
  owner="${owner%%:*}"
  [[ -n "$owner" ]] && pkgs["$owner"]=1 || echo "package-deb: no package owns $lib" >&2
done
# Depends, part 2: opened at run time (dlopen): GL/EGL (Qt, Chromium), the xcb platform
# plugin's libraries, NSS modules, fonts, PortAudio and its ALSA->PulseAudio plugin, libpulse
# (device names and hotplug, pulsectl), Secret Service.
for p in libportaudio2 libasound2-plugins libpulse0 libnss3 libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 \
  libxcb-keysyms1 libxcb-image0 libxcb-randr0 libxcb-render-util0 libxcb-shape0 \
  libxcb-xinerama0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libasound2 \
  fonts-dejavu-core; do
  pkgs["$p"]=1
done
DEPENDS="$(printf '%s\n' "${!pkgs[@]}" | sort | paste -sd, | sed 's/,/, /g')"

INSTALLED_SIZE="$(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)"
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@INSTALLED_SIZE@/$INSTALLED_SIZE/" \
  -e "s/@DEPENDS@/$DEPENDS/" "$DEB_SRC/control.in" > "$STAGE/DEBIAN/control"

mkdir -p "$OUT"
rm -f "$DEB"
dpkg-deb --root-owner-group -Z"$COMPRESS" --build "$STAGE" "$DEB" >/dev/null
rm -rf "$STAGE"
echo "package-deb: $DEB ($(du -h "$DEB" | cut -f1), installed $((INSTALLED_SIZE / 1024)) MiB)"
echo "package-deb: Depends: $DEPENDS"
