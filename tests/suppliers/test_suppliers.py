"""The supplier register (docs/suppliers.md): seeded from the inventory, assessed with the default
questionnaire or an edited one, contract clauses with due dates, and remote sessions seen on the wire,
alerted outside approved change windows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from plantwarden.cli.main import main
from plantwarden.core.errors import InvalidInput
from plantwarden.demo.pcapwriter import Host, TcpConn, Timeline, write_pcap
from plantwarden.suppliers.questionnaire import DEFAULT, questionnaire_from, score

VENDOR_PC = Host("acme-laptop", "198.51.100.7", "02:00:00:00:00:07")
EWS = Host("ews", "10.10.20.50", "02:00:00:00:00:50")


def _remote_capture(path: Path, start: float) -> Path:
    """A TeamViewer (tcp/5938) and an SSH session from the supplier's address to the engineering
    workstation, each a few minutes long."""
    tl = Timeline()
    for i, (port, payload) in enumerate(((5938, b"\x17\x24" + b"\x00" * 40), (22, b"SSH-2.0-OpenSSH_9.2\r\n"))):
        c = TcpConn(tl, VENDOR_PC, EWS, 50000 + i, port, 1000 * (i + 1), 9000 * (i + 1))
        t = c.open(start + i * 600, 0.02)
        for k in range(5):
            c.send(t + 30 * k, True, payload)
            c.send(t + 30 * k + 0.01, False, payload)
        c.close(t + 200, 0.02)
    write_pcap(path, tl.sorted())
    return path


def test_default_questionnaire_scores() -> None:
    all_yes = {q.id: "yes" for q in DEFAULT.questions}
    assert score(DEFAULT, all_yes).risk == "low" and score(DEFAULT, all_yes).score == 100.0
    critical_no = dict(all_yes, **{"remote.approved": "no"})
    assert score(DEFAULT, critical_no).risk == "high" and score(DEFAULT, critical_no).critical_no == ("remote.approved",)
    half = {q.id: "partial" for q in DEFAULT.questions}
    assert score(DEFAULT, half).score == 50.0 and score(DEFAULT, half).risk == "medium"
    mostly = {q.id: ("partial" if i % 2 else "yes") for i, q in enumerate(DEFAULT.questions)}
    assert score(DEFAULT, mostly).score == 80.0 and score(DEFAULT, mostly).risk == "low"  # 80 is low risk
    some_na = dict(all_yes, **{"dev.sbom": "n/a", "sub.flowdown": "no"})
    assert score(DEFAULT, some_na).answered == len(DEFAULT.questions) - 1
    with pytest.raises(InvalidInput, match="answer yes, partial, no or n/a"):
        score(DEFAULT, dict(all_yes, **{"dev.sbom": "maybe"}))
    with pytest.raises(InvalidInput, match="does not have"):
        score(DEFAULT, dict(all_yes, bogus="yes"))
    themes = {q.theme for q in DEFAULT.questions}
    assert themes == {"access control", "remote access", "patching and vulnerability handling", "secure development",
                      "incident notification", "data handling", "subcontractors"}
    with pytest.raises(InvalidInput):
        questionnaire_from({"name": "x", "questions": [{"id": "a", "theme": "t", "text": "q", "weight": -1}]})


def test_register_assessment_clauses_and_remote_sessions(tmp_path: Path) -> None:
    r = CliRunner()
    assert r.invoke(main, ["demo", "--data", str(tmp_path), "--no-serve"]).exit_code == 0
    db = str(tmp_path / "plantwarden.db")
    start = 1_790_000_000.0
    cap = _remote_capture(tmp_path / "remote.pcap", start)
    assert r.invoke(main, ["analyze", str(cap), "--db", db, "--detections", "none"]).exit_code == 0

    seeded = r.invoke(main, ["suppliers", "seed", "--db", db])
    assert seeded.exit_code == 0 and "Schneider Electric" in seeded.output and "Siemens" in seeded.output
    assert "0 suppliers added" in r.invoke(main, ["suppliers", "seed", "--db", db]).output  # once only

    assert r.invoke(main, ["suppliers", "add", "Acme Integrators", "--contact", "soc@acme.example",
                           "--remote-host", "198.51.100.0/28", "--db", db]).exit_code == 0
    # an edited questionnaire: export, change, import
    exported = yaml.safe_load(r.invoke(main, ["suppliers", "questionnaire", "--db", db]).output)
    exported["name"], exported["questions"] = "short", exported["questions"][:3]
    qfile = tmp_path / "short.yaml"
    qfile.write_text(yaml.safe_dump(exported))
    assert "3 questions stored" in r.invoke(main, ["suppliers", "questionnaire", "--import", str(qfile),
                                                   "--db", db]).output
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({q["id"]: "no" for q in exported["questions"]}))
    out = r.invoke(main, ["suppliers", "assess", "Acme Integrators", str(answers), "--questionnaire", "short",
                          "--assessor", "ana", "--db", db])
    assert out.exit_code == 0 and "score 0/100, risk high" in out.output, out.output

    assert r.invoke(main, ["suppliers", "clause", "Acme Integrators", "Notify incidents within 24 h",
                           "--due", "2020-01-01T00:00Z", "--db", db]).exit_code == 0
    assert r.invoke(main, ["suppliers", "clause", "Acme Integrators", "Deliver SBOM for v5",
                           "--due", "2099-01-01T00:00Z", "--db", db]).exit_code == 0

    # an approved window covers the SSH session only
    assert r.invoke(main, ["window", "add", "--start", "2026-09-21T14:20:00Z", "--end", "2026-09-21T14:30:00Z",
                           "--host", "198.51.100.7", "--person", "Acme", "--db", db]).exit_code == 0, start

    res = r.invoke(main, ["suppliers", "list", "--check", "--format", "json", "--db", db])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    acme = next(s for s in doc["suppliers"] if s["name"] == "Acme Integrators")
    assert acme["overdue_clauses"] == 1 and acme["risk"] == "high"
    tools = {x["tool"]: x["window"] for x in acme["sessions"]}
    assert set(tools) == {"TeamViewer", "SSH"} and tools["TeamViewer"] is None and tools["SSH"] is not None
    assert acme["sessions_outside_windows"] == 1
    alerts = json.loads(r.invoke(main, ["alerts", "--db", db, "--format", "json",
                                        "--detection", "supply.remote_access_outside_window"]).output)
    assert len(alerts) == 1 and "TeamViewer" in alerts[0]["title"] and alerts[0]["technique"] == "T0822"
    again = r.invoke(main, ["suppliers", "list", "--check", "--db", db])
    assert "0 new alerts" in again.output  # the same session is not alerted twice
    shown = r.invoke(main, ["suppliers", "show", "Acme Integrators", "--db", db]).output
    assert "OVERDUE" in shown and "OUTSIDE" in shown and "Notify incidents" in shown
