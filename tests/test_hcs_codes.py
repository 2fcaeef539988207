"""The HCS code table: hcsshim's codes, their names, and which point at a version problem."""

from __future__ import annotations

import pytest

from service.explain import hcs_codes


def test_codes_are_unique_and_both_forms_find_them():
    assert len({c.low for c in hcs_codes.CODES}) == len(hcs_codes.CODES)
    for entry in hcs_codes.CODES:
        assert hcs_codes.lookup(entry.code) is entry
        assert hcs_codes.lookup(entry.hresult.upper()) is entry


@pytest.mark.parametrize(
    ("code", "name", "version", "known"),
    [
        ("0xc0370101", "HCS_E_IMAGE_MISMATCH", "mismatch", ()),
        ("0xc0370106", "HCS_E_UNEXPECTED_EXIT", "known-problem",
         ("image-revision-newer-2025", "image-revision-newer-2019")),
        ("0xc0370112", "HCS_E_INVALID_LAYER", "known-problem", ("win11-25h2-ltsc2025",)),
        ("0xc0370113", "HCS_E_WINDOWS_INSIDER_REQUIRED", "mismatch", ()),
        ("0xc0370102", "HCS_E_HYPERV_NOT_INSTALLED", "no", ()),
        ("0xc037011b", "HCS_E_ACCESS_DENIED", "no", ()),
        ("0xc037010e", "HCS_E_SYSTEM_NOT_FOUND", "no", ()),
    ],
    ids=["image-mismatch", "unexpected-exit", "invalid-layer", "insider", "no-hyperv",
         "access-denied", "not-found"],
)  # fmt: skip
def test_version_problems_are_marked(code, name, version, known):
    entry = hcs_codes.lookup(code)
    assert (entry.name, entry.version, entry.known_problems) == (name, version, known)


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("The operating system of the container does not match the operating system of the "
         "host.", "0xc0370101"),
        ("The container operating system does not match the host operating system", "0xc0370101"),
        ("the container image contains a layer with an unrecognized format.", "0xc0370112"),
        ("Something else entirely.", None),
    ],
    ids=["docker-text", "hcsshim-text", "any-case", "unknown"],
)  # fmt: skip
def test_a_message_without_its_code_finds_it(message, code):
    found = hcs_codes.by_message(message)
    assert (found.code if found else None) == code


def test_unknown_codes_are_not_guessed():
    assert hcs_codes.lookup("0xc03701ff") is None
    assert hcs_codes.lookup("0xc0000005") is None
