"""docs/cli.md documents every command and every option."""

from __future__ import annotations

import re

from plantwarden.cli.main import main

from ..conftest import ROOT

DOC = (ROOT / "docs" / "cli.md").read_text()


def sections() -> dict[str, str]:
    out = {}
    for m in re.finditer(r"^## `plantwarden (\w+)([^`]*)`\n(.*?)(?=^## |\Z)", DOC, re.M | re.S):
        out[m.group(1)] = m.group(2) + "\n" + m.group(3)
    return out


def test_every_command_has_a_section():
    assert sorted(main.commands) == sorted(sections())


def test_every_option_and_choice_is_documented_in_its_section():
    docs = sections()
    missing = []
    for name, cmd in main.commands.items():
        for param in cmd.params:
            for opt in getattr(param, "opts", []):
                if opt.startswith("--") and opt not in docs[name]:
                    missing.append(f"{name} {opt}")
            for choice in getattr(param.type, "choices", ()) or ():
                if choice not in docs[name]:
                    missing.append(f"{name} {param.name}={choice}")
    assert not missing


def test_the_environment_variable_and_default_are_documented():
    from plantwarden.store.db import DEFAULT_DB, ENV_DB

    assert ENV_DB in DOC and DEFAULT_DB in DOC
