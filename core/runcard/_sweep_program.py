"""A program agent's run: the sweep's `program`, started with wandb's `command` macros.

As wandb's agent does, each item of `command` that is a whole macro expands to a list:
`${env}` /usr/bin/env, `${interpreter}` python, `${program}` the program, `${args}`
--key=value, `${args_no_hyphens}` key=value, `${args_no_boolean_flags}` --key=value but --key
for true and nothing for false, `${args_json}` the values as one JSON argument,
`${args_json_file}` the path of a JSON file of them; an unknown macro expands to nothing. The
program's `python` is the agent's own (its folder goes first on PATH), and its first
`runcard.init()` takes the suggestion from RUNCARD_SWEEP_ID / _RUN / _PARAMS.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from runcard import _settings
from runcard._errors import UsageError
from runcard._sweep_spec import DEFAULT_COMMAND

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def macros(program: str, params: dict[str, Any], json_file: str) -> dict[str, list[str]]:
    """What each of wandb's command macros expands to, for these values."""
    flags, bare, no_booleans = [], [], []
    for key, value in params.items():
        flags.append(f"--{key}={value}")
        bare.append(f"{key}={value}")
        if isinstance(value, bool):
            if value:
                no_booleans.append(f"--{key}")
        else:
            no_booleans.append(f"--{key}={value}")
    expanded = {
        "interpreter": ["python"],
        "program": [program],
        "args": flags,
        "args_no_hyphens": bare,
        "args_no_boolean_flags": no_booleans,
        "args_json": [json.dumps(params)],
        "args_json_file": [json_file],
    }
    if os.name != "nt":
        expanded["env"] = ["/usr/bin/env"]
    return expanded


def command_line(command: list[str], expanded: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for item in command:
        if item.startswith("${") and item.endswith("}"):
            out.extend(expanded.get(item[2:-1]) or [])
        else:
            out.append(item)
    return out


def start_program(claim: dict[str, Any], root: str) -> subprocess.Popen[bytes]:
    """Start the claimed run's program; the caller waits for it."""
    spec = claim["spec"]
    program = spec.get("program")
    if not program:
        raise UsageError(
            f"sweep {claim['sweep_id']} has no program: give one in its file, or pass"
            " function= to runcard.agent()"
        )
    folder = os.path.join(_settings.files_root(root), "sweeps", claim["sweep_id"])
    os.makedirs(folder, exist_ok=True)
    json_file = os.path.join(folder, f"config-{claim['run_id']}.json")
    command = spec.get("command") or DEFAULT_COMMAND
    if "${args_json_file}" in command:
        with open(json_file, "w", encoding="utf-8") as file:
            json.dump(claim["params"], file)
    argv = command_line(command, macros(program, claim["params"], json_file))
    env = {
        **os.environ,
        _settings.ENV_SWEEP_ID: claim["sweep_id"],
        _settings.ENV_SWEEP_RUN: claim["run_id"],
        _settings.ENV_SWEEP_PARAMS: json.dumps(claim["params"]),
        _settings.ENV_PROJECT: claim["project"],
        _settings.ENV_ENTITY: claim["entity"],
        "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
    }
    try:
        return subprocess.Popen(argv, env=env)
    except OSError as exc:
        raise UsageError(f"sweep program {argv[:3]}: {exc.strerror or exc}") from None
