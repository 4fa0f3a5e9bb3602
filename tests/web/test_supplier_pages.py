"""Editing the supplier register from the dashboard's /suppliers page (docs/web.md, "Pages"), as
``plantwarden suppliers add|update|assess|clause|clause-done`` do: forms, messages, audit, roles."""

from __future__ import annotations

import re
from typing import Any

import pytest

from plantwarden.suppliers.questionnaire import DEFAULT

from .conftest import csrf_of

HOSTILE = "<script>alert(1)</script> Integrators"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; Integrators"


def post(client: Any, path: str, data: dict[str, str]) -> Any:
    """Post a form and follow its redirect; the page after it."""
    r = client.post(path, data=data, follow_redirects=False)
    assert r.status_code == 303, (path, r.status_code, r.text[:300])
    return client.get(r.headers["location"])


def flash(page: Any) -> tuple[str, str]:
    m = re.search(r'<p class="flash (ok|err)" role="(?:status|alert)">(.*?)</p>', page.text, re.S)
    assert m, "no flash message"
    return m.group(1), m.group(2)


def row_of(html: str, escaped_name: str) -> str:
    table = html.split('id="suppliers"')[1].split("</tbody>")[0]
    for row in re.findall(r"<tr>.*?</tr>", table, re.S):
        if row.startswith("<tr>\n<td>" + escaped_name) or f"<td>{escaped_name}" in row[:200]:
            return str(row)
    raise AssertionError(f"no row for {escaped_name}")


def audit(app: Any, action: str) -> list[tuple[str, str, Any]]:
    return [(e.actor, e.object, e.after) for e in app.state.store.audit_entries() if e.action == action]


def answers(value: str = "yes", **overrides: str) -> dict[str, str]:
    out = {f"answer:{q.id}": value for q in DEFAULT.questions}
    out.update({f"answer:{k}": v for k, v in overrides.items()})
    return out


def test_add_and_update_a_supplier(app: Any, client_for: Any) -> None:
    c = client_for("ot_engineer")
    page = c.get("/suppliers").text
    assert 'action="/suppliers"' in page and 'id="supplier-add"' in page
    page = post(c, "/suppliers", {"name": HOSTILE, "vendor": "Acme", "contact": "soc@acme.example",
                                  "notes": "integrator of line 2", "remote_hosts": "198.51.100.0/28, 203.0.113.5"})
    assert flash(page) == ("ok", f"supplier {ESCAPED} added")
    assert HOSTILE not in page.text
    row = row_of(page.text, ESCAPED)
    assert "soc@acme.example" in row and "198.51.100.0/28, 203.0.113.5/32" in row
    assert "integrator of line 2</textarea>" in row  # the notes, in its edit form
    assert f'<input type="hidden" name="name" value="{ESCAPED}">' in row
    assert audit(app, "supplier.add") == [("web:ot-engineer", f"supplier {HOSTILE}",
                                           {"vendor_key": "acme", "remote_hosts": ["198.51.100.0/28",
                                                                                   "203.0.113.5/32"]})]
    # the same name again, and a host that is no address: messages, nothing changes
    assert flash(post(c, "/suppliers", {"name": HOSTILE})) == ("err", f"supplier &#39;{ESCAPED}&#39; exists")
    kind, text = flash(post(c, "/suppliers", {"name": "Other", "remote_hosts": "not-a-host"}))
    assert kind == "err" and "not an address or network" in text
    assert len(audit(app, "supplier.add")) == 1

    # every field of the edit form
    page = post(c, "/suppliers/update", {"name": HOSTILE, "contact": "psirt@acme.example", "notes": "",
                                         "remote_hosts": "192.0.2.0/24"})
    assert flash(page) == ("ok", f"supplier {ESCAPED} updated")
    row = row_of(page.text, ESCAPED)
    assert "psirt@acme.example" in row and "192.0.2.0/24" in row and "198.51.100.0/28" not in row
    assert "integrator of line 2" not in row
    # only the contact sent: the hosts stay
    row = row_of(post(c, "/suppliers/update", {"name": HOSTILE, "contact": "desk@acme.example"}).text, ESCAPED)
    assert "desk@acme.example" in row and "192.0.2.0/24" in row
    assert [(a, o) for a, o, _ in audit(app, "supplier.update")] == [("web:ot-engineer", f"supplier {HOSTILE}")] * 2
    kind, text = flash(post(c, "/suppliers/update", {"name": "Nobody", "contact": "x"}))
    assert kind == "err" and "no supplier" in text


def test_assessment_scores_the_answers(app: Any, client_for: Any) -> None:
    c = client_for("admin")
    post(c, "/suppliers", {"name": "Acme"})
    page = c.get("/suppliers").text
    form = page.split('id="supplier-assess"')[1].split("</form>")[0]
    assert len(re.findall(r'<select name="answer:', form)) == len(DEFAULT.questions)
    page = post(c, "/suppliers/assess", {"name": "Acme", "questionnaire": "default", **answers("yes")})
    kind, text = flash(page)
    assert kind == "ok" and text.startswith("supplier Acme: score 100/100, risk low; next review ")
    row = row_of(page.text, "Acme")
    assert '<td class="num">100</td><td>low</td>' in row
    # a critical question answered no makes the risk high, whatever the score
    page = post(c, "/suppliers/assess", {"name": "Acme", **answers("yes", **{"remote.approved": "no"}),
                                         "assessor": "J. Doe"})
    row = row_of(page.text, "Acme")
    assert "<td>high</td>" in row and '<td class="num">100</td>' not in row
    entries = audit(app, "supplier.assess")
    assert [(a, o, d["risk"]) for a, o, d in entries] == [("web:admin", "supplier Acme", "low"),
                                                        ("web:admin", "supplier Acme", "high")]
    assert entries[0][2]["score"] == 100.0
    # a question left unanswered, an unknown supplier, an unknown questionnaire: messages, no assessment
    missing = answers("yes", **{"dev.sbom": ""})
    kind, text = flash(post(c, "/suppliers/assess", {"name": "Acme", **missing}))
    assert kind == "err" and "dev.sbom" in text
    assert flash(post(c, "/suppliers/assess", {"name": "Nobody", **answers()}))[0] == "err"
    assert flash(post(c, "/suppliers/assess", {"name": "Acme", "questionnaire": "nope", **answers()}))[0] == "err"
    assert len(audit(app, "supplier.assess")) == 2


def test_clause_added_then_met(app: Any, client_for: Any) -> None:
    c = client_for("ot_engineer")
    post(c, "/suppliers", {"name": "Acme"})
    page = post(c, "/suppliers/clauses", {"name": "Acme", "clause": "Notify <b>incidents</b> within 24 h",
                                          "due": "2020-01-31"})
    kind, text = flash(page)
    assert kind == "ok" and "due 2020-01-31 00:00 UTC" in text
    [(actor, obj, after)] = audit(app, "supplier.clause")
    assert (actor, obj, after["clause"]) == ("web:ot-engineer", "supplier Acme", "Notify <b>incidents</b> within 24 h")
    row = row_of(page.text, "Acme")
    m = re.search(r'action="/suppliers/clauses/(\d+)/done"', row)
    assert m, row
    cid = m.group(1)
    assert "Notify &lt;b&gt;incidents&lt;/b&gt; within 24 h" in row and '<span class="bad">overdue</span>' in row
    page = post(c, f"/suppliers/clauses/{cid}/done", {"note": "signed addendum"})
    assert flash(page) == ("ok", f"clause {cid} met")
    row = row_of(page.text, "Acme")
    assert "overdue" not in row and "met " in row and "signed addendum" in row and "/done" not in row
    assert audit(app, "supplier.clause_done") == [("web:ot-engineer", f"clause {cid}",
                                                   {"done": True, "note": "signed addendum"})]
    # an unknown clause, a bad date, an empty text: messages
    assert flash(post(c, "/suppliers/clauses/999999/done", {}))[0] == "err"
    kind, text = flash(post(c, "/suppliers/clauses", {"name": "Acme", "clause": "x", "due": "soon"}))
    assert kind == "err" and "not an ISO 8601 time" in text
    assert flash(post(c, "/suppliers/clauses", {"name": "Acme", "clause": "  ", "due": "2030-01-01"}))[0] == "err"
    assert len(audit(app, "supplier.clause")) == 1


@pytest.mark.parametrize("role", ["viewer", "auditor", "analyst"])
def test_roles_without_suppliers_edit_get_403_and_no_forms(app: Any, client_for: Any, role: str) -> None:
    c = client_for(role)
    page = c.get("/suppliers").text
    assert 'action="/suppliers' not in page
    for path, data in (("/suppliers", {"name": "X"}), ("/suppliers/update", {"name": "X", "contact": "y"}),
                       ("/suppliers/assess", {"name": "X", **answers()}),
                       ("/suppliers/clauses", {"name": "X", "clause": "c", "due": "2030-01-01"}),
                       ("/suppliers/clauses/1/done", {})):
        assert c.post(path, data=data, follow_redirects=False).status_code == 403, path
    assert audit(app, "supplier.add") == []


def test_csrf_is_required(app: Any, client_for: Any) -> None:
    c = client_for("ot_engineer")
    token = c.headers.pop("X-CSRF-Token")
    assert c.post("/suppliers", data={"name": "X"}, follow_redirects=False).status_code == 403
    assert c.post("/suppliers", data={"name": "X", "csrf_token": "y" * 43}, follow_redirects=False).status_code == 403
    r = c.post("/suppliers", data={"name": "X", "csrf_token": token}, headers={"Origin": "https://evil.example"},
               follow_redirects=False)
    assert r.status_code == 403 and audit(app, "supplier.add") == []
    # the page's own field, as a browser posts the form
    r = c.post("/suppliers", data={"name": "X", "csrf_token": csrf_of(c.get("/suppliers").text)},
               follow_redirects=False)
    assert r.status_code == 303 and len(audit(app, "supplier.add")) == 1


def test_assessment_with_a_stored_questionnaire(app: Any, client_for: Any) -> None:
    app.state.store.acting("tester").save_questionnaire(
        {"name": "short", "title": "Two <i>questions</i>", "questions": [
            {"id": "q.one", "theme": "access", "text": "Personal accounts?", "weight": 1, "critical": True},
            {"id": "q.two", "theme": "remote", "text": "Sessions logged?", "weight": 3}]})
    c = client_for("ot_engineer")
    post(c, "/suppliers", {"name": "Acme"})
    page = c.get("/suppliers").text
    assert '<option value="short">short</option>' in page  # offered beside the default one
    page = c.get("/suppliers?questionnaire=short").text
    form = page.split('id="supplier-assess"')[1].split("</form>")[0]
    assert re.findall(r'<select name="answer:([^"]+)"', form) == ["q.one", "q.two"]
    assert 'name="questionnaire" value="short"' in form and "Two &lt;i&gt;questions&lt;/i&gt;" in page
    kind, text = flash(post(c, "/suppliers/assess", {"name": "Acme", "questionnaire": "short",
                                                     "answer:q.one": "yes", "answer:q.two": "partial"}))
    assert (kind, text.split(";")[0]) == ("ok", "supplier Acme: score 62/100, risk medium")
    assert [d["questionnaire"] for _, _, d in audit(app, "supplier.assess")] == ["short"]
    # an unknown one in the address falls back to the default questionnaire
    form = c.get("/suppliers?questionnaire=nope").text.split('id="supplier-assess"')[1].split("</form>")[0]
    assert len(re.findall(r'<select name="answer:', form)) == len(DEFAULT.questions)
