"""Rebuild Qt's ICU data library in a PyInstaller bundle with only what the app can use.

    python build/trim_icu.py BUNDLE_DIR

Qt Core links libicudata (ICU's data: 30 MiB, every locale, codec and dictionary) for its
locale-aware case mapping, collation and codecs; Chromium inside Qt WebEngine brings its own
(icudtl.dat) and does not use it. The window's Qt code runs in the app's four languages, on
UTF-8. So the data keeps ICU's core tables (properties, normalisation, case, break rules), the
supplemental data (zones, plurals, likely subtags...) and, in each tree (locales, collation,
currencies, languages, regions, units, zones, number spellout, break iterators), root and
the locales of LANGUAGES; it drops the codecs (.cnv: Qt converts UTF-8/16 and Latin-1
itself), the word-break dictionaries of Thai, Lao, Khmer, Burmese and CJK (.dict: Qt lays out
text without ICU's break iterators) and the transliterators. A locale asked for and gone falls
back to root in ICU, as for any locale ICU never had.

The trimmed data goes back into a library of the same name and soname, exporting the same
symbol (icuXX_dat), built with ICU's own tools (icupkg, genccode: Debian's icu-devtools,
whose ICU may be older: the .dat container they read and write is the same) and cc. The
library is checked to load before it replaces the original.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from strip_bundle import loads  # build/ is on the path: this runs as a script from there

# The UI's languages (frontend/src/i18n): French first, German, Italian, English.
LANGUAGES = ("fr", "de", "it", "en")
# An item named like a locale: language, then script/region/variant parts.
LOCALE = re.compile(r"^([a-z]{2,3})(_[A-Za-z0-9]*)*$")
# Named like a locale and not one: each tree's index and key pool, and the root locale.
NOT_LOCALES = {"res_index", "pool", "root"}
DROPPED_SUFFIXES = (".cnv", ".dict")
DROPPED_TREES = ("translit/",)


def kept(item: str) -> bool:
    """Whether an item of the data package (e.g. 'coll/de.res', 'ibm-1047_P100-1995.cnv') stays."""
    if item.endswith(DROPPED_SUFFIXES) or item.startswith(DROPPED_TREES):
        return False
    if not item.endswith(".res"):  # only resource bundles are locales (nfc.nrm is not)
        return True
    stem = item.rsplit("/", 1)[-1].removesuffix(".res")
    match = LOCALE.match(stem)
    if match is None or stem in NOT_LOCALES:
        return True
    return match.group(1) in LANGUAGES


def data_symbol(library: Path) -> tuple[str, int, int]:
    """(symbol, file offset, size) of the ICU data the library exports (icudtNN_dat)."""
    symbols = subprocess.run(
        ["readelf", "-Ws", "--dyn-syms", str(library)], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(
        r"\s([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+GLOBAL\s+\S+\s+(\d+)\s+(icudt\d+_dat)\b",
        symbols,
    )
    if found is None:
        raise RuntimeError(f"{library.name} exports no icudt*_dat")
    address, size, section, name = found.groups()
    sections = subprocess.run(
        ["readelf", "-SW", str(library)], capture_output=True, text=True, check=True
    ).stdout
    header = re.search(rf"\[\s*{section}\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", sections)
    if header is None:
        raise RuntimeError(f"{library.name}: no section {section}")
    section_address, section_offset = (int(v, 16) for v in header.groups())
    return name, int(address, 16) - section_address + section_offset, int(size, 0)


def trim(library: Path, work: Path) -> Path:
    """A trimmed copy of `library` in `work`."""
    symbol, offset, size = data_symbol(library)
    entry = symbol.removesuffix("_dat")  # icudt73
    full = work / f"{entry}l.dat"
    with library.open("rb") as src:
        src.seek(offset)
        full.write_bytes(src.read(size))
    items = subprocess.run(
        ["icupkg", "-l", str(full)], capture_output=True, text=True, check=True
    ).stdout.split()
    dropped = [item for item in items if not kept(item)]
    (work / "dropped.txt").write_text("\n".join(dropped) + "\n")
    trimmed = work / "trimmed" / full.name
    trimmed.parent.mkdir()
    subprocess.run(
        # --ignore-deps: root's break rules name the dropped dictionaries; without one ICU
        # breaks those scripts by its rules alone.
        ["icupkg", "--ignore-deps", "-r", str(work / "dropped.txt"), str(full), str(trimmed)],
        check=True,
    )
    subprocess.run(
        ["genccode", "-q", "-a", "gcc", "-e", entry, "-d", str(work), str(trimmed)], check=True
    )
    (assembly,) = work.glob("*.S")
    out = work / library.name
    subprocess.run(
        [
            "cc",
            "-shared",
            "-nostdlib",
            f"-Wl,-soname,{library.name}",
            "-o",
            str(out),
            str(assembly),
        ],
        check=True,
    )
    print(
        f"{library.name}: {len(items) - len(dropped)} of {len(items)} items kept,"
        f" {library.stat().st_size >> 20} -> {out.stat().st_size >> 20} MiB"
    )
    return out


def main() -> int:
    bundle = Path(sys.argv[1])
    libraries = [p for p in bundle.rglob("libicudata.so.*") if not p.is_symlink()]
    if not libraries:
        print("no libicudata in the bundle: nothing to trim")
        return 0
    for library in libraries:
        with tempfile.TemporaryDirectory(prefix="trim-icu-") as tmp:
            out = trim(library, Path(tmp))
            if not loads(out, dict(os.environ)):
                raise RuntimeError(f"the trimmed {library.name} does not load")
            shutil.copyfile(out, library)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
