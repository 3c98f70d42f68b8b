"""The container files run the same commands CI runs directly (the machines here run no containers):
every `clearinghouse` command and option they name exists (issue 15)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from django.core.management import get_commands, load_command_class

DEPLOY = Path(__file__).resolve().parents[4] / "deploy"


def _commands() -> list[list[str]]:
    found: list[list[str]] = [
        json.loads(line[4:])
        for line in (DEPLOY / "Dockerfile").read_text().splitlines()
        if line.startswith("CMD ")
    ]
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service in compose["services"].values():
        command = service.get("command")
        if command and command[:2] == ["sh", "-c"]:
            found += [part.split() for part in re.split(r"\s*&&\s*", command[2])]
        elif command:
            found.append(command)
    return found


def test_the_container_commands_exist() -> None:
    commands = _commands()
    assert ["clearinghouse", "serve", "--host", "0.0.0.0", "--port", "8000"] in commands
    known = get_commands()
    for argv in commands:
        assert argv[0] == "clearinghouse", argv
        assert argv[1] in known, argv
        parser = load_command_class(known[argv[1]], argv[1]).create_parser("clearinghouse", argv[1])
        parser.parse_args(argv[2:])  # an unknown option exits with an error


def test_the_image_runs_as_a_non_root_user_on_python_slim() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim$", text, re.M)
    assert re.search(r"^USER clearinghouse$", text, re.M)
    assert "pip install --no-cache-dir -c requirements.lock ." in text
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    assert {"app", "worker", "db", "redis"} <= set(services)
