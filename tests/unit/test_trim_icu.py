"""build/trim_icu.py: which items of ICU's data stay in the bundle."""

from __future__ import annotations

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
