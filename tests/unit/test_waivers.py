"""Waivers (issue 14, item 14): a warn or fail accepted on purpose is shown as waived, counted
apart and blocks nothing until the waiver expires; an error is never waived.

Everything runs in process: check records, ``stages.gate``, ``readiness.build`` and the
renderers, with a fixed ``today`` so expiry does not depend on the calendar.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

from jsonschema import Draft202012Validator

import jupyter_mlready
from jupyter_mlready import readiness as rd
from jupyter_mlready.policy import Policy, policy_from_dict
from jupyter_mlready.records import CheckResult
from jupyter_mlready.report import load_document, render_html, render_markdown, write_reports
from jupyter_mlready.report.notebook import headline, result_html, row_title
from jupyter_mlready.report.text import summary_text
from jupyter_mlready.stages.gate import decide, gate
from jupyter_mlready.stages.waivers import apply_waivers, flagged_columns

TODAY = dt.date(2026, 6, 1)
SCHEMA = json.loads(
    (Path(jupyter_mlready.__file__).parent / "schema" / "readiness.schema.json").read_text()
)
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"


def waiver(check: str, **kw) -> dict:
    return {
        "check": check,
        "reason": "accepted by the review of 2026-05",
        "owner": "ana@example.com",
        "expires": "2027-03-31",
        **kw,
    }


def policy(*waive: dict, **values) -> Policy:
    return policy_from_dict({"waive": list(waive), **values}, "mlready.toml")


def drift(status: str, **features: str) -> CheckResult:
    rows = [{"feature": f, "status": s, "psi": 0.3} for f, s in features.items()]
    return CheckResult(
        "drift.train_holdout",
        status,  # type: ignore[arg-type]
        f"{len(rows)} feature(s) shifted.",
        evidence={"features": rows},
        category="drift",
    )


PASS = CheckResult("contract.holdout", "pass", "The hold-out satisfies the contract.")
SKIP = CheckResult("performance.champion", "skip", "No champion yet.")
SLOW = CheckResult("latency", "fail", "p95 80 ms over the 50 ms budget.", category="latency")
BROKEN = CheckResult("leakage.overlap", "error", "Could not hash the rows.", category="leakage")


def document(checks, pol: Policy, today: dt.date = TODAY, error: dict | None = None) -> dict:
    return rd.build(
        list(checks),
        model={"name": "claims", "task": "classification", "flavor": "sklearn"},
        data={},
        timings={"total": 1.0},
        provenance={},
        policy={"source": "mlready.toml", "values": pol.to_dict()},
        discovery={},
        strict=pol.strict,
        error=error,
        today=today,
    )


def check(doc: dict, check_id: str) -> dict:
    return next(c for c in doc["checks"] if c["id"] == check_id)


def schema_errors(doc: dict) -> list[str]:
    errors = Draft202012Validator(SCHEMA).iter_errors(doc)
    return [f"{list(e.absolute_path)}: {e.message}" for e in errors]


# ------------------------------------------------------------------------ warn and fail


def test_a_waived_warn_is_shown_waived_and_counted_apart(tmp_path):
    pol = policy(waiver("drift.train_holdout"))
    doc = document([PASS, drift("warn", age="warn", income="pass"), SKIP], pol)

    assert doc["verdict"] == "ready"
    c = check(doc, "drift.train_holdout")
    assert c["status"] == "waived"
    assert c["waiver"]["state"] == "applied" and c["waiver"]["status"] == "warn"
    assert c["waiver"]["waivers"] == [waiver("drift.train_holdout")]
    assert doc["counts"] == {"pass": 1, "warn": 0, "fail": 0, "error": 0, "skip": 1, "waived": 1}
    assert doc["schema_version"] == 3
    assert rd.Readiness(doc).waived() == [c] and rd.Readiness(doc).failing() == []

    text = summary_text(doc)
    assert "1 waived" in text and "1 warn" not in text
    assert "waived (was warn)" in text
    assert "accepted by the review of 2026-05 (owner ana@example.com, until 2027-03-31)" in text

    html = render_html(doc)
    assert "Waived (1)" in html and "1 waived" in html
    assert "accepted by the review of 2026-05" in html and "ana@example.com" in html
    assert "2027-03-31" in html and "(was warn)" in html
    attention = html.split('id="attention"')[1].split("</section>")[0]
    assert "drift.train_holdout" in attention.split("Waived (1)")[1]  # listed as waived, not warn

    md = render_markdown(doc)
    assert "### Waived (1)" in md and "### Warnings" not in md
    assert "1 waived" in md and "(was **warn**)" in md
    assert "accepted by the review of 2026-05 (owner ana@example.com, until 2027-03-31)" in md

    result = rd.Readiness(doc)
    assert "1 waived" in headline(result)
    assert row_title(c).startswith("~ WAIVED (WAS WARN)")
    widget = result_html(result)
    assert "Waived (was warn):" in widget and "ana@example.com" in widget


def test_strict_policy_keeps_a_waived_warn_waived():
    finding = drift("warn", age="warn")
    assert document([PASS, finding], policy(strict=True))["verdict"] == "not_ready"
    doc = document([PASS, finding], policy(waiver("drift.train_holdout"), strict=True))
    assert doc["verdict"] == "ready"
    assert check(doc, "drift.train_holdout")["status"] == "waived"


def test_a_waived_fail_is_ready_when_nothing_else_fails():
    assert document([PASS, SLOW], policy())["verdict"] == "not_ready"
    doc = document([PASS, SLOW], policy(waiver("latency")))
    assert doc["verdict"] == "ready"
    assert check(doc, "latency")["status"] == "waived"
    assert check(doc, "latency")["waiver"]["status"] == "fail"
    # another failure still blocks
    other = drift("fail", age="fail")
    assert document([PASS, SLOW, other], policy(waiver("latency")))["verdict"] == "not_ready"


def test_the_gate_waives_before_it_decides_the_hand_off_verdict():
    checks = SimpleNamespace(results=(PASS, SLOW), deferred=False)
    decided = gate(checks, None, None, policy(waiver("latency")), None)
    assert decided.verdict == "ready"
    assert [r.status for r in decided.results] == ["pass", "waived"]
    assert gate(checks, None, None, policy(), None).verdict == "not_ready"


# ------------------------------------------------------------------------------ columns


def test_a_column_waiver_must_cover_every_column_behind_the_finding():
    finding = drift("fail", age="fail", income="warn", region="pass")
    doc = document([PASS, finding], policy(waiver("drift.train_holdout", column="age")))
    assert doc["verdict"] == "not_ready"
    c = check(doc, "drift.train_holdout")
    assert c["status"] == "fail"
    assert c["waiver"]["state"] == "not_applied"
    assert "'income'" in c["waiver"]["note"] and "'region'" not in c["waiver"]["note"]
    assert "waiver not applied" in summary_text(doc)
    assert "'income'" in render_markdown(doc)

    both = policy(
        waiver("drift.train_holdout", column="age"),
        waiver("drift.train_holdout", column="income"),
    )
    doc = document([PASS, finding], both)
    assert doc["verdict"] == "ready"
    c = check(doc, "drift.train_holdout")
    assert c["status"] == "waived" and len(c["waiver"]["waivers"]) == 2
    assert [i["state"] for i in doc["waivers"]["items"]] == ["applied", "applied"]


def test_a_column_waiver_does_not_apply_to_a_check_that_names_no_columns():
    doc = document([PASS, SLOW], policy(waiver("latency", column="age")))
    assert doc["verdict"] == "not_ready"
    c = check(doc, "latency")
    assert c["status"] == "fail" and c["waiver"]["state"] == "not_applied"
    assert "Waive the whole check" in c["waiver"]["note"]


def test_the_columns_behind_each_kind_of_finding():
    contract = CheckResult(
        "contract.holdout",
        "warn",
        "",
        evidence={"failures": [{"column": "age", "check": "in_range"}, {"column": "city"}]},
    )
    assert flagged_columns(contract) == {"age", "city"}
    capped = CheckResult(
        "contract.holdout", "fail", "", evidence={"failures": [{"column": "a"}] * 50}
    )
    assert flagged_columns(capped) is None  # the evidence keeps 50: more may be behind
    cases = [
        {"column": "age", "graceful": False, "result": "crash"},
        {"column": "city", "graceful": True, "result": "rejected"},
        {"column": "income", "graceful": True, "result": "ok"},
    ]
    robust = CheckResult("robustness.missing_values", "fail", "", evidence={"cases": cases})
    assert flagged_columns(robust) == {"age", "city"}
    unnamed = [{"column": None, "graceful": False, "result": "crash"}]
    empty = CheckResult("robustness.empty_input", "fail", "", evidence={"cases": unnamed})
    assert flagged_columns(empty) is None
    proxy = CheckResult(
        "leakage.target_proxy",
        "warn",
        "",
        evidence={
            "warn_at": 0.95,
            "top_features": [{"feature": "paid", "score": 0.97}, {"feature": "age", "score": 0.6}],
        },
    )
    assert flagged_columns(proxy) == {"paid"}
    plugin = CheckResult("acme.fairness", "warn", "", evidence={"flagged_columns": ["sex"]})
    assert flagged_columns(plugin) == {"sex"}
    assert flagged_columns(SLOW) is None


# ------------------------------------------------------------------------------ expiry


def test_an_expired_waiver_no_longer_applies_and_the_reports_say_so():
    pol = policy(waiver("latency", expires="2026-05-31"))
    assert document([PASS, SLOW], pol, today=dt.date(2026, 5, 31))["verdict"] == "ready"

    doc = document([PASS, SLOW], pol, today=TODAY)
    assert doc["verdict"] == "not_ready"
    c = check(doc, "latency")
    assert c["status"] == "fail" and c["waiver"]["state"] == "expired"
    assert "Expired on 2026-05-31: the finding counts again." == c["waiver"]["note"]
    assert doc["counts"]["fail"] == 1 and doc["counts"]["waived"] == 0
    assert doc["schema_version"] == 2  # nothing waived: older readers still read it
    assert doc["waivers"] == {
        "date": "2026-06-01",
        "items": [
            {
                **waiver("latency", expires="2026-05-31"),
                "state": "expired",
                "note": "Expired on 2026-05-31: no longer applies. The finding counts again.",
            }
        ],
    }

    assert "waiver expired: Expired on 2026-05-31" in summary_text(doc)
    html = render_html(doc)
    attention = html.split('id="attention"')[1].split("</section>")[0]
    assert "waiver expired" in attention and "2026-05-31" in attention
    md = render_markdown(doc)
    assert "**Waiver expired:** Expired on 2026-05-31" in md
    assert "### Waivers that do not apply (1)" in md
    assert "(WAIVER EXPIRED)" in row_title(c)
    assert "Waiver expired:" in result_html(rd.Readiness(doc))


# ------------------------------------------------------------------------------- errors


def test_an_error_is_never_waived():
    doc = document([PASS, BROKEN], policy(waiver("leakage.overlap")))
    assert doc["verdict"] == "error"
    c = check(doc, "leakage.overlap")
    assert c["status"] == "error"
    assert c["waiver"]["state"] == "not_applied" and c["waiver"]["status"] == "error"
    assert c["waiver"]["note"].startswith("Errors cannot be waived")
    assert "waiver not applied: Errors cannot be waived" in summary_text(doc)
    assert "Errors cannot be waived" in render_html(doc)
    assert "Errors cannot be waived" in render_markdown(doc)
    item = doc["waivers"]["items"][0]
    assert item["state"] == "not_applied"


def test_only_the_gate_waives():
    # a check (or a hand-edited document) that says "waived" without an applied waiver is an
    # error, and so is a waived error
    forged = CheckResult("acme.check", "waived", "trust me")
    assert decide([PASS, forged]) == "error"
    assert apply_waivers([forged], ())[0].status == "error"
    record = {"state": "applied", "status": "error", "note": "", "waivers": []}
    assert decide([CheckResult("x", "waived", "", waiver=record)]) == "error"


# ---------------------------------------------------------------------- unknown check ids


def test_a_waiver_for_an_unknown_check_is_a_visible_warning():
    doc = document([PASS, SLOW], policy(waiver("latncy")))
    assert doc["verdict"] == "not_ready"
    (item,) = doc["waivers"]["items"]
    assert item["state"] == "unknown_check"
    assert "No check has the id 'latncy'" in item["note"] and "'latency'" in item["note"]
    assert "! waiver for 'latncy': No check has the id" in summary_text(doc)
    html = render_html(doc)
    assert "No check has the id" in html.split('id="attention"')[1].split("</section>")[0]
    assert "unknown check" in render_markdown(doc)
    assert "Waiver:" in result_html(rd.Readiness(doc))


# ------------------------------------------------------------- readiness.json and schema


def test_waivers_round_trip_through_readiness_json_and_its_schema(tmp_path):
    pol = policy(
        waiver("drift.train_holdout", column="age"),
        waiver("latency", expires="2026-01-31"),
        waiver("contract.holdout", column="age"),
        waiver("nope.nothing"),
    )
    contract = CheckResult("contract.holdout", "warn", "", evidence={"failures": [{"column": "x"}]})
    checks = [contract, drift("warn", age="warn"), SLOW]
    doc = document(checks, pol)
    rd.write(doc, tmp_path)
    back = load_document(tmp_path)  # readiness.json of schema_version 3 is readable
    assert back == doc
    assert schema_errors(back) == []
    states = [c["waiver"]["state"] for c in back["checks"]]
    assert states == ["not_applied", "applied", "expired"]
    assert [i["state"] for i in back["waivers"]["items"]] == [
        "applied",
        "expired",
        "not_applied",
        "unknown_check",
    ]

    # the records come back as they were, and building again changes nothing
    results = [CheckResult.from_dict(c) for c in back["checks"]]
    assert [r.to_dict() for r in results] == back["checks"]
    again = document(results, pol)
    assert again["checks"] == back["checks"] and again["verdict"] == back["verdict"]

    # the schema holds a waived check to its waiver
    bad = json.loads(json.dumps(back))
    del check(bad, "drift.train_holdout")["waiver"]
    assert any("waiver" in e for e in schema_errors(bad))
    bad = json.loads(json.dumps(back))
    check(bad, "drift.train_holdout")["waiver"]["state"] = "expired"
    assert schema_errors(bad)

    paths = write_reports(back, tmp_path)  # and the reports render from the file
    assert "Waived (1)" in paths["html"].read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- escaping


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_waiver_text_is_escaped_in_every_report():
    pol = policy(
        waiver("drift.train_holdout", column=IMG, reason=f"{IMG} \x1b[31mred", owner=SCRIPT),
        waiver("latency", reason=IMG, owner=SCRIPT, expires="2020-01-01"),
        waiver(f"{IMG}.x", reason=IMG, owner=SCRIPT),
    )
    doc = document([PASS, drift("warn", **{IMG: "warn"}), SLOW], pol)
    assert check(doc, "drift.train_holdout")["status"] == "waived"

    html = render_html(doc)
    parsed = Tags()
    parsed.feed(html)
    assert "img" not in parsed.tags and parsed.tags.count("script") == 1
    assert IMG in "".join(parsed.text) and SCRIPT in "".join(parsed.text)  # shown as text

    md = render_markdown(doc)
    prose = re.sub(r"(`+)(.+?)\1", "", md)  # code spans show their text as is: no markup
    assert IMG not in prose and SCRIPT not in prose and "\\<img" in prose

    widget = result_html(rd.Readiness(doc))
    assert "<img" not in widget and "<script" not in widget

    text = summary_text(doc)
    assert "\x1b" not in text and IMG in text  # no terminal escape sequences


def test_the_fresh_rerun_can_never_be_waived():
    """No hand-off without a passing fresh re-run: a waiver cannot accept its failure."""
    rerun = CheckResult(
        "reproducibility.rerun",
        "fail",
        "The saved notebook does not reproduce the live kernel's model.",
        category="reproducibility",
    )
    (r,) = apply_waivers([rerun], policy(waiver("reproducibility.rerun")).waive, TODAY)
    assert r.status == "fail"
    assert r.waiver is not None and r.waiver["state"] == "not_applied"
    assert "cannot be waived" in r.waiver["note"]
    assert decide([r]) == "not_ready"
