"""build/strip_bundle.py: strips shared libraries, keeps one that no longer loads as shipped."""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import pytest

from support.build_scripts import load

SOURCE = "int answer(void) { return 42; }\n"

strip_bundle = load("strip_bundle")


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    """A bundle-shaped tree: a shared library with debug info and symbols, an executable."""
    internal = tmp_path / "softphone" / "_internal"
    internal.mkdir(parents=True)
    (tmp_path / "answer.c").write_text(SOURCE)
    subprocess.run(
        ["gcc", "-g", "-shared", "-fPIC", "-o", str(internal / "libanswer.so"), "answer.c"],
        cwd=tmp_path,
        check=True,
    )
    (tmp_path / "main.c").write_text("int main(void) { return 0; }\n")
    subprocess.run(
        ["gcc", "-g", "-o", str(tmp_path / "softphone" / "softphone"), "main.c"],
        cwd=tmp_path,
        check=True,
    )
    return tmp_path / "softphone"


def test_shared_libraries_are_told_from_executables_and_other_files(bundle: Path) -> None:
    assert strip_bundle.is_shared_library(bundle / "_internal" / "libanswer.so")
    assert not strip_bundle.is_shared_library(bundle / "softphone")  # PIE: has an interpreter
    (bundle / "notes.txt").write_text("not an ELF file at all, but longer than sixty-four bytes")
    assert not strip_bundle.is_shared_library(bundle / "notes.txt")


def test_a_library_is_stripped_and_still_works_and_executables_are_left_alone(
    bundle: Path,
) -> None:
    lib = bundle / "_internal" / "libanswer.so"
    exe_before = (bundle / "softphone").read_bytes()
    size = lib.stat().st_size

    before, after, reverted = strip_bundle.strip_bundle(bundle)

    assert reverted == []
    assert lib.stat().st_size < size
    assert (before, after) == (size, lib.stat().st_size)
    assert ctypes.CDLL(str(lib)).answer() == 42
    assert (bundle / "softphone").read_bytes() == exe_before  # its archive would be cut off


def test_a_library_that_no_longer_loads_once_stripped_is_put_back_as_shipped(
    bundle: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = bundle / "_internal" / "libanswer.so"
    shipped = lib.read_bytes()
    # As numpy's patchelf'd OpenBLAS: dlopen refuses the stripped file.
    monkeypatch.setattr(strip_bundle, "loads", lambda path, env: False)

    before, after, reverted = strip_bundle.strip_bundle(bundle)

    assert reverted == [lib]
    assert lib.read_bytes() == shipped
    assert before == after == len(shipped)
