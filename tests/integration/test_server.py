"""The jupyter_server extension: authenticated JSON endpoints over results under the root."""

import json
from pathlib import Path

import pytest

from jupyter_mlready import readiness as rd
from jupyter_mlready.records import CheckResult
from jupyter_mlready.server.reports import list_reports

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config():
    return {"ServerApp": {"jpserver_extensions": {"jupyter_mlready": True}}}


def write_results(
    root: Path, notebook: str, verdict_checks, *, report_html=False, uri=None
) -> Path:
    nb = root / notebook
    nb.parent.mkdir(parents=True, exist_ok=True)
    nb.write_text("{}")
    out = nb.parent / "mlready-out" / nb.stem
    checks = [
        CheckResult(cid, status, f"summary of <b>{cid}</b>") for cid, status in verdict_checks
    ]
    doc = rd.build(
        checks,
        model={"name": nb.stem, "uri": uri},
        data={},
        timings={},
        provenance={},
        policy={},
        discovery={},
        strict=False,
    )
    rd.write(doc, out)
    if report_html:
        (out / "report.html").write_text("<html></html>")
    return out


async def fetch(jp_fetch, params=None, headers=None):
    response = await jp_fetch(
        "jupyter-mlready",
        "reports",
        params=params,
        headers=headers,
        method="GET",
        raise_error=False,
    )
    return response.code, json.loads(response.body or b"null")


async def test_requires_token(jp_fetch, jp_root_dir):
    write_results(jp_root_dir, "a.ipynb", [("determinism", "pass")])
    code, body = await fetch(jp_fetch, headers={"Authorization": ""})
    assert code == 403
    assert body["status"] == 403  # a JSON error, not an HTML page


async def test_lists_results_with_token(jp_fetch, jp_root_dir):
    write_results(
        jp_root_dir,
        "a.ipynb",
        [("determinism", "pass"), ("latency", "fail")],
        report_html=True,
        uri="models:/a/3",
    )
    write_results(jp_root_dir, "sub/dir/b.ipynb", [("determinism", "pass")])
    write_results(jp_root_dir, ".hidden/c.ipynb", [("determinism", "pass")])
    write_results(jp_root_dir, "node_modules/d.ipynb", [("determinism", "pass")])
    code, body = await fetch(jp_fetch)
    assert code == 200
    by_nb = {r["notebook"]: r for r in body["reports"]}
    assert set(by_nb) == {"a.ipynb", "sub/dir/b.ipynb"}
    a = by_nb["a.ipynb"]
    assert a["verdict"] == "not_ready" and a["n_failing"] == 1
    assert a["failing"] == [
        {"id": "latency", "status": "fail", "summary": "summary of <b>latency</b>"}
    ]
    assert a["model"] == {"name": "a", "uri": "models:/a/3", "version": "3"}
    assert a["report_html"] == "mlready-out/a/report.html"
    assert a["results"] == "mlready-out/a" and a["notebook_exists"] and a["when"]
    assert by_nb["sub/dir/b.ipynb"]["verdict"] == "ready"
    assert by_nb["sub/dir/b.ipynb"]["report_html"] is None


async def test_one_notebook(jp_fetch, jp_root_dir):
    write_results(jp_root_dir, "sub/b.ipynb", [("determinism", "pass")])
    code, body = await fetch(jp_fetch, params={"path": "sub/b.ipynb"})
    assert code == 200
    assert body["notebook"] == "sub/b.ipynb" and body["verdict"] == "ready"
    assert body["readiness"]["checks"][0]["id"] == "determinism"


@pytest.mark.parametrize(
    "path, status",
    [
        ("../outside.ipynb", 400),
        ("sub/../../outside.ipynb", 400),
        ("/etc/passwd.ipynb", 400),
        ("a.txt", 400),
        ("", 400),
        (".hidden/c.ipynb", 404),
        ("missing.ipynb", 404),
    ],
)
async def test_bad_paths_are_json_errors(jp_fetch, jp_root_dir, path, status):
    write_results(jp_root_dir, ".hidden/c.ipynb", [("determinism", "pass")])
    outside = jp_root_dir.parent / "mlready-out" / "outside"
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "readiness.json").write_text('{"verdict": "ready"}')
    code, body = await fetch(jp_fetch, params={"path": path})
    assert code == status
    assert body["status"] == status and body["message"]
    assert "readiness" not in body


async def test_symlink_out_of_root_is_rejected(jp_fetch, jp_root_dir, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    write_results(elsewhere, "x.ipynb", [("determinism", "pass")])
    (jp_root_dir / "link").symlink_to(elsewhere, target_is_directory=True)
    code, body = await fetch(jp_fetch, params={"path": "link/x.ipynb"})
    assert code == 400 and "outside" in body["message"]


def test_scan_is_bounded_and_skips_unreadable(tmp_path):
    for i in range(5):
        write_results(tmp_path, f"n{i}.ipynb", [("determinism", "pass")])
    deep = tmp_path.joinpath(*[f"d{i}" for i in range(12)])
    write_results(deep, "deep.ipynb", [("determinism", "pass")])
    broken = tmp_path / "mlready-out" / "broken"
    broken.mkdir(parents=True)
    (broken / "readiness.json").write_text("{not json")
    listing = list_reports(tmp_path, max_reports=3)
    assert len(listing["reports"]) == 3 and listing["truncated"]
    listing = list_reports(tmp_path)
    names = {r["notebook"] for r in listing["reports"]}
    assert "broken.ipynb" in names and not any("deep" in n for n in names)
    assert (
        next(r for r in listing["reports"] if r["notebook"] == "broken.ipynb")["verdict"]
        == "unreadable"
    )
