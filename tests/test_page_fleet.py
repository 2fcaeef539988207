"""The page's other views: a cluster's pasted nodes, images x hosts and the explain box,
through the same functions as POST /compat/nodes, /compat/matrix and /explain (no registry)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from service.api.web import cell_words
from service.app import create_app
from service.config import Config

# No registry may be contacted: every image question is refused before any I/O.
OFFLINE = Config(allowed_registries=(), insecure_registries=())

NODES = Path(__file__).resolve().parent / "data" / "nodes"


@pytest.fixture(scope="module")
def client():
    return create_app(OFFLINE).test_client()


def _title(html: str) -> str:
    return re.search(r'<h2 id="answer-title"[^>]*>([^<]*)', html)[1]


def test_nodes_view_groups_by_build_with_the_yaml(client):
    pasted = (NODES / "aks-mixed.json").read_text()
    r = client.post("/?view=nodes", data={"image_version": "10.0.17763.5329", "nodes": pasted})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert _title(html).startswith("Runs on 1 of 5 Windows nodes")
    groups = re.findall(r'<th scope="rowgroup" colspan="5">([^<]*)</th>', html)
    assert groups[:2] == ["Windows Server 2025 (26100)", "Windows Server 23H2 (25398)"]
    assert groups[-1] == "Windows Server 2019 (17763)"
    row = re.search(r'<tr id="node-akswin19000000">(.*?)</tr>', html, re.S)[1]
    assert "✓</span> Runs" in row and "<td>yes</td>" in row
    assert "node.kubernetes.io/windows-build: &#34;10.0.17763&#34;" in html
    assert "aks-nodepool1-24156327-vmss000000 (linux node)" in html


def test_nodes_view_names_a_bad_paste_by_its_field(client):
    r = client.post("/?view=nodes", data={"image_version": "ltsc2019", "nodes": "{not json"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'aria-invalid="true" aria-describedby="nodes-error"' in html


def test_matrix_view_reads_lines_as_references_or_versions(client):
    data = {"images": "10.0.17763.5329\nltsc2022\n", "hosts": "10.0.20348.2700\n\nltsc2019"}
    html = client.post("/?view=matrix", data=data).get_data(as_text=True)
    assert _title(html) == "1 of 2 images run on all 2 hosts; 1 run on some."
    cells = re.findall(r"</span> ([^<]*)</span></td>", html)
    assert cells == ["Hyper-V only", "Runs", "Runs", "Does not run"]


def test_matrix_view_deep_link_and_errors(client):
    ok = client.get("/?view=matrix&images=ltsc2022&hosts=ltsc2022")
    assert ok.status_code == 200 and "✓</span> Runs" in ok.get_data(as_text=True)
    bad = client.get("/?view=matrix&images=ltsc2022&hosts=banana")
    assert bad.status_code == 422 and "hosts[0]" in bad.get_data(as_text=True)


def test_every_view_links_the_others(client):
    for view in ("", "?view=nodes", "?view=matrix", "?view=explain"):
        html = client.get(f"/{view}").get_data(as_text=True)
        assert html.count('aria-current="page"') == 1
        for other in ("nodes", "matrix", "explain"):
            assert f'href="/?view={other}"' in html


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ({"runs": True, "recommended_isolation": "process"}, "Runs"),
        ({"runs": True, "recommended_isolation": "hyperv"}, "Hyper-V only"),
        ({"runs": False, "process": "unsupported", "hyperv": "unsupported"}, "Does not run"),
        ({"runs": False, "process": "unknown", "hyperv": "unsupported"}, "Cannot tell"),
        (None, "Cannot tell"),
    ],
    ids=["process", "hyperv", "fails", "unknown", "none"],
)
def test_cell_words(cell, words):
    assert cell_words(cell)[1] == words


HCS_PASTE = (
    "docker: Error response from daemon: hcs::CreateComputeSystem 0123: The container operating "
    "system does not match the host operating system. (0xc0370101)"
)


def test_explain_box_reads_a_pasted_error(client):
    r = client.post("/?view=explain", data={"text": HCS_PASTE, "host": "10.0.20348.2700"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert _title(html).startswith("The container fails with HCS error 0xc0370101")
    assert "<strong>0xc0370101</strong> (HCS_E_IMAGE_MISMATCH)" in html


def test_explain_box_marks_a_bad_host(client):
    r = client.post("/?view=explain", data={"text": HCS_PASTE, "host": "banana"})
    assert r.status_code == 422
    assert 'aria-describedby="host-error"' in r.get_data(as_text=True)
