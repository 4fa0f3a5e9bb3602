"""Supplier risk questionnaires and their scoring (docs/suppliers.md, "Assessments").

A questionnaire is a list of questions, each with an id, a theme, the text and a weight. An answer is
``yes`` (1), ``partial`` (0.5), ``no`` (0) or ``n/a`` (left out of the score). The score is the weighted
share of the answered questions, 0-100; the risk is ``low`` from 80, ``medium`` from 50, ``high`` below,
and ``high`` too when a question marked ``critical`` is answered ``no``. The next review is due after 365,
180 or 90 days by risk.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from plantwarden.core.errors import InvalidInput

ANSWERS: Final = {"yes": 1.0, "partial": 0.5, "no": 0.0, "n/a": None}
REVIEW_DAYS: Final = {"low": 365, "medium": 180, "high": 90}
_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    theme: str
    text: str
    weight: float = 1.0
    critical: bool = False


@dataclass(frozen=True, slots=True)
class Questionnaire:
    name: str
    title: str
    questions: tuple[Question, ...]

    def document(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title,
                "questions": [{"id": q.id, "theme": q.theme, "text": q.text, "weight": q.weight,
                               "critical": q.critical} for q in self.questions]}


def questionnaire_from(doc: Any) -> Questionnaire:
    """A questionnaire from its document (YAML/JSON shape of ``Questionnaire.document``), checked."""
    if not isinstance(doc, Mapping):
        raise InvalidInput("a questionnaire is a mapping with name, title and questions")
    name, title, qs = doc.get("name"), doc.get("title", ""), doc.get("questions")
    if not isinstance(name, str) or not _ID.match(name):
        raise InvalidInput("questionnaire name: lower-case letters, digits, '_', '.', '-' (at most 64)")
    if not isinstance(qs, list) or not qs:
        raise InvalidInput(f"questionnaire {name}: questions must be a non-empty list")
    out: list[Question] = []
    seen: set[str] = set()
    for i, q in enumerate(qs):
        if not isinstance(q, Mapping):
            raise InvalidInput(f"questionnaire {name}: question {i + 1} is not a mapping")
        qid, theme, text = q.get("id"), q.get("theme"), q.get("text")
        if not isinstance(qid, str) or not _ID.match(qid) or qid in seen:
            raise InvalidInput(f"questionnaire {name}: question {i + 1} needs a unique id")
        if not isinstance(theme, str) or not theme.strip() or not isinstance(text, str) or not text.strip():
            raise InvalidInput(f"questionnaire {name}: question {qid} needs a theme and a text")
        weight = q.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not 0 < float(weight) <= 100:
            raise InvalidInput(f"questionnaire {name}: question {qid}: weight is a number in (0, 100]")
        seen.add(qid)
        out.append(Question(qid, theme.strip(), text.strip(), float(weight), bool(q.get("critical", False))))
    return Questionnaire(name, str(title or name), tuple(out))


_DEFAULT: Final = (
    ("access.accounts", "access control", "Does the supplier give each of its staff a personal account on "
     "your systems (no shared or default accounts) and remove it when they leave?", 2, True),
    ("access.mfa", "access control", "Do the supplier's staff use multi-factor authentication for every access "
     "to your systems?", 2, False),
    ("remote.approved", "remote access", "Does every remote session to your plant go through your approved "
     "path (jump host, VPN) and only inside windows you approve?", 3, True),
    ("remote.logging", "remote access", "Are the supplier's remote sessions logged, and can you get the logs?",
     1, False),
    ("patch.advisories", "patching and vulnerability handling", "Does the supplier publish security advisories "
     "(CSAF preferred) and notify you of vulnerabilities in what it delivered?", 2, False),
    ("patch.timeline", "patching and vulnerability handling", "Does the supplier commit to patch timelines for "
     "critical vulnerabilities and test patches for your installed versions?", 2, False),
    ("dev.sdl", "secure development", "Does the supplier follow a secure development life cycle (e.g. IEC "
     "62443-4-1) and can it show evidence (certificate, audit)?", 2, False),
    ("dev.sbom", "secure development", "Does the supplier deliver an SBOM (CycloneDX or SPDX) and VEX for its "
     "products?", 1, False),
    ("incident.notify", "incident notification", "Must the supplier notify you of a security incident that "
     "may affect you within a set time (e.g. 24 hours)?", 2, True),
    ("data.handling", "data handling", "Does the supplier protect your designs, recipes and backups it holds "
     "(encryption, access control, deletion at the end of the contract)?", 2, False),
    ("sub.flowdown", "subcontractors", "Does the supplier name its subcontractors with access to your systems "
     "or data and hold them to the same requirements?", 1, False),
)
DEFAULT = Questionnaire("default", "Supplier security assessment (plantwarden default)",
                        tuple(Question(*q) for q in _DEFAULT))


@dataclass(frozen=True, slots=True)
class Score:
    score: float  # 0-100
    risk: str  # low, medium, high
    answered: int
    critical_no: tuple[str, ...]


def score(q: Questionnaire, answers: Mapping[str, Any]) -> Score:
    """The score of ``answers`` ({question id: yes|partial|no|n/a}); every question must be answered."""
    unknown = sorted(set(answers) - {x.id for x in q.questions})
    if unknown:
        raise InvalidInput(f"answers to questions {', '.join(unknown)} that {q.name} does not have")
    total = got = 0.0
    answered = 0
    crit: list[str] = []
    for x in q.questions:
        a = answers.get(x.id)
        if not isinstance(a, str) or a.strip().lower() not in ANSWERS:
            raise InvalidInput(f"question {x.id}: answer yes, partial, no or n/a")
        v = ANSWERS[a.strip().lower()]
        if v is None:
            continue
        answered += 1
        total += x.weight
        got += x.weight * v
        if x.critical and v == 0.0:
            crit.append(x.id)
    pct = round(100.0 * got / total, 1) if total else 0.0
    risk = "high" if crit or pct < 50 else "medium" if pct < 80 else "low"
    return Score(pct, risk, answered, tuple(crit))
