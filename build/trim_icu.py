"""Rebuild Qt's ICU data library, and trim Chromium's ICU data file, in a PyInstaller bundle
to what the app can use.

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

Chromium's icudtl.dat (10 MiB: the page's Intl, collation, segmentation, IDN, encodings) is
trimmed the same way but keeps its converters (the web's legacy encodings, 1 MiB): without
shift_jis' a `TextDecoder('shift_jis')` crashed the renderer (seen). Checked in Qt WebEngine
with both files (QTWEBENGINE_RESOURCES_PATH): dates, relative times, numbers, collation,
case mapping, plural rules and region names in fr/de/it/en and their Swiss variants, French
word segmentation, NFC, IDN hosts and windows-1252/Shift_JIS decoding gave the same results;
what differs is Japanese word segmentation (one segment without the CJK dictionary) and
names in languages that are gone (English instead).
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


def kept(item: str, *, codecs: bool = False) -> bool:
    """Whether an item of the data package (e.g. 'coll/de.res', 'ibm-1047_P100-1995.cnv') stays;
    `codecs`: the converters (.cnv) stay too (Chromium's)."""
    if codecs and item.endswith(".cnv"):
        return True
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
    items, trimmed = trim_package(full, work)
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
        f"{library.name}: {items}, {library.stat().st_size >> 20} -> {out.stat().st_size >> 20} MiB"
    )
    return out


def trim_package(full: Path, work: Path, *, codecs: bool = False) -> tuple[str, Path]:
    """("N of M items kept", the trimmed copy of the data package `full`) in work/trimmed/;
    `full` is named as its items are prefixed (icudt74l.dat), as icupkg wants."""
    items = subprocess.run(
        # --ignore-deps: Chromium's package names items it does not hold (brkitr/title.brk...)
        ["icupkg", "--ignore-deps", "-l", str(full)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    dropped = [item for item in items if not kept(item, codecs=codecs)]
    (work / "dropped.txt").write_text("\n".join(dropped) + "\n")
    trimmed = work / "trimmed" / full.name
    trimmed.parent.mkdir()
    subprocess.run(
        # --ignore-deps: root's break rules name the dropped dictionaries; without one ICU
        # breaks those scripts by its rules alone.
        ["icupkg", "--ignore-deps", "-r", str(work / "dropped.txt"), str(full), str(trimmed)],
        check=True,
    )
    return f"{len(items) - len(dropped)} of {len(items)} items kept", trimmed


def package_name(data: bytes) -> str:
    """The name an ICU data package's items carry ('icudt74l' of 'icudt74l/fr.res'): the
    header's size, then the table of contents (count, then name and data offsets)."""
    header = int.from_bytes(data[0:2], "little")
    toc = data[header:]
    if int.from_bytes(toc[0:4], "little") == 0:
        raise ValueError("an empty ICU data package")
    first = int.from_bytes(toc[4:8], "little")
    return toc[first : toc.index(b"\0", first)].decode("ascii").split("/", 1)[0]


def trim_chromium(data_file: Path, work: Path) -> None:
    """Chromium's icudtl.dat, trimmed in place (its converters kept: see the docstring)."""
    data = data_file.read_bytes()
    full = work / f"{package_name(data)}.dat"
    full.write_bytes(data)
    items, trimmed = trim_package(full, work, codecs=True)
    shutil.copyfile(trimmed, data_file)
    print(f"{data_file.name}: {items}, {len(data) >> 20} -> {data_file.stat().st_size >> 20} MiB")


def main() -> int:
    bundle = Path(sys.argv[1])
    libraries = [p for p in bundle.rglob("libicudata.so.*") if not p.is_symlink()]
    if not libraries:
        print("no libicudata in the bundle: nothing to trim")
    for library in libraries:
        with tempfile.TemporaryDirectory(prefix="trim-icu-") as tmp:
            out = trim(library, Path(tmp))
            if not loads(out, dict(os.environ)):
                raise RuntimeError(f"the trimmed {library.name} does not load")
            shutil.copyfile(out, library)
    for data_file in bundle.rglob("icudtl.dat"):
        with tempfile.TemporaryDirectory(prefix="trim-icu-") as tmp:
            trim_chromium(data_file, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
