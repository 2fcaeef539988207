"""service.fleet.matrix, pure: reading entries, limits, and cells shared between images built
on the same base."""

from __future__ import annotations

import pytest

from service.compat.image import Platform
from service.fleet import matrix as grid
from service.fleet.judging import Subject


def image(name: str, versions: list[str]) -> Subject:
    platforms = tuple(
        Platform("windows", "amd64", v, f"sha256:{name}{i}".ljust(71, "0"))
        for i, v in enumerate(versions)
    )
    return Subject(f"example.test/{name}:1", "sha256:" + "f" * 64, platforms)


@pytest.mark.parametrize(
    ("images", "hosts", "field"),
    [
        pytest.param(101, 1, "images", id="images"),
        pytest.param(1, 501, "hosts", id="hosts"),
        pytest.param(100, 101, "cells", id="cells"),
    ],
)
def test_limits(images, hosts, field):
    with pytest.raises(grid.OverLimit) as caught:
        grid.check_limits([0] * images, [0] * hosts)
    assert caught.value.field == field


def test_limits_at_the_edge_pass():
    grid.check_limits([0] * 100, [0] * 100)
    grid.check_limits([0] * 20, [0] * 500)


@pytest.mark.parametrize(
    ("images", "hosts", "bad"),
    [
        pytest.param(["nginx", {"image": "a", "extra": 1}], [], "images[1]", id="extra-key"),
        pytest.param([{"image_version": "Windows 11"}], [], "images[0]", id="client-image"),
        pytest.param([], ["10.0.20348", {"host": "x", "host_type": "vm"}], "hosts[1]",
                     id="bad-host-type"),
        pytest.param([], [["10.0.20348"]], "hosts[0]", id="host-not-string"),
        pytest.param([None], [], "images[0]", id="null-image"),
    ],
)  # fmt: skip
def test_bad_entries_are_named(images, hosts, bad):
    with pytest.raises(grid.EntryErrors) as caught:
        grid.read_entries(images, hosts)
    assert list(caught.value.errors) == [bad]


def test_images_on_the_same_base_share_verdicts_not_digests():
    _, hosts = grid.read_entries([], ["10.0.20348.2700", "10.0.17763.6054"])
    memo = grid.CellMemo()
    cells = grid.Cells(hosts, "process", "amd64", memo)
    base = ["10.0.20348.2700", "10.0.17763.5329"]
    first, second = cells.row(image("a", base)), cells.row(image("b", base))
    assert [c["runs"] for c in first] == [c["runs"] for c in second] == [True, True]
    assert first[0]["digest"] != second[0]["digest"]
    assert second[0]["digest"].startswith("sha256:b0")
    assert second[1]["digest"].startswith("sha256:b1")
    assert len(memo._cells) == 2  # judged once per host, not once per image
    other = cells.row(image("c", ["10.0.17763.5329"]))
    assert [c["runs"] for c in other] == [False, True]
    assert len(memo._cells) == 4
