"""build/trim_icu.py: which items of ICU's data stay in the bundle."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from support.build_scripts import load

trim_icu = load("trim_icu")


@pytest.mark.parametrize(
    "item",
    [
        "fr.res",
        "fr_CH.res",
        "de_CH.res",
        "it.res",
        "en_GB.res",
        "root.res",
        "pool.res",
        "res_index.res",
        "coll/de.res",
        "coll/root.res",
        "coll/ucadata.icu",
        "curr/fr_CH.res",
        "zone/it.res",
        "brkitr/root.res",
        "brkitr/line.brk",
        "uprops.icu",
        "nfc.nrm",
        "cnvalias.icu",
        "supplementalData.res",
        "zoneinfo64.res",
        "likelySubtags.res",
    ],
)
def test_the_app_s_languages_and_the_core_tables_stay(item: str) -> None:
    assert trim_icu.kept(item)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "item",
    [
        "ja.res",
        "zh_Hant_TW.res",
        "coll/es_.res",
        "coll/tr.res",
        "lang/haw.res",
        "ibm-1047_P100-1995.cnv",
        "gb18030.cnv",
        "brkitr/thaidict.dict",
        "translit/root.res",
    ],
)
def test_other_locales_codecs_dictionaries_and_transliterators_go(item: str) -> None:
    assert not trim_icu.kept(item)  # type: ignore[attr-defined]


def test_chromium_keeps_its_web_encodings_and_drops_the_rest_alike() -> None:
    """Without shift_jis-html.cnv a TextDecoder('shift_jis') crashed Qt WebEngine's renderer."""
    assert trim_icu.kept("shift_jis-html.cnv", codecs=True)  # type: ignore[attr-defined]
    assert trim_icu.kept("fr_CH.res", codecs=True)  # type: ignore[attr-defined]
    for item in ("ja.res", "brkitr/cjdict.dict", "coll/zh.res"):
        assert not trim_icu.kept(item, codecs=True)  # type: ignore[attr-defined]


def test_a_package_s_name_is_read_from_its_table_of_contents() -> None:
    name = b"icudt74l/fr.res\0"
    toc = (1).to_bytes(4, "little") + (12).to_bytes(4, "little") + (28).to_bytes(4, "little")
    header = (16).to_bytes(2, "little") + bytes(14)
    assert trim_icu.package_name(header + toc + name + bytes(4)) == "icudt74l"  # type: ignore[attr-defined]


@pytest.mark.skipif(shutil.which("icupkg") is None, reason="icu-devtools: make deps installs it")
def test_chromium_s_data_file_is_trimmed_in_place(tmp_path: Path) -> None:
    """On the icudtl.dat PyQt6-WebEngine ships (the one the bundle carries)."""
    import PyQt6

    shipped = Path(PyQt6.__file__).parent / "Qt6" / "resources" / "icudtl.dat"
    data_file = tmp_path / "icudtl.dat"
    shutil.copyfile(shipped, data_file)
    work = tmp_path / "work"
    work.mkdir()
    trim_icu.trim_chromium(data_file, work)  # type: ignore[attr-defined]
    assert data_file.stat().st_size < shipped.stat().st_size // 2
    name = trim_icu.package_name(data_file.read_bytes())  # type: ignore[attr-defined]
    listed = work / "check" / f"{name}.dat"  # icupkg wants the items' prefix as the name
    listed.parent.mkdir()
    shutil.copyfile(data_file, listed)
    listing = ["icupkg", "--ignore-deps", "-l", str(listed)]
    items = set(subprocess.run(listing, capture_output=True, text=True, check=True).stdout.split())
    assert {"fr_CH.res", "coll/de.res", "shift_jis-html.cnv", "uts46.nrm"} <= items
    assert not {"ja.res", "brkitr/cjdict.dict"} & items
