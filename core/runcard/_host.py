"""What a run records about where it ran: Python, host, process, command line, git state."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def host_metadata() -> dict[str, Any]:
    """Cheap facts, read while `init()` runs."""
    program = sys.argv[0] if sys.argv and sys.argv[0] else None
    return {
        "python": sys.version.split()[0],
        "hostname": os.uname().nodename if hasattr(os, "uname") else _node(),
        "pid": os.getpid(),
        "argv": list(sys.argv),
        "program": os.path.abspath(program) if program and os.path.isfile(program) else program,
        "cwd": os.getcwd(),
        "executable": sys.executable,
    }


def _node() -> str:
    import platform

    return platform.node()


def git_metadata(start: str) -> dict[str, Any]:
    """Commit and dirty flag of the git work tree holding `start`; {} outside one.

    The commit is read from the .git directory; the dirty flag needs `git status`, which can take
    a while in big repositories, so the background writer calls this, never `init()`.
    """
    top = _work_tree(start)
    if top is None:
        return {}
    facts: dict[str, Any] = {"git_root": top}
    commit = _head_commit(os.path.join(top, ".git"))
    if commit:
        facts["git_commit"] = commit
    import subprocess

    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=top,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return facts
    if status.returncode == 0:
        facts["git_dirty"] = bool(status.stdout.strip())
    return facts


def _work_tree(start: str) -> str | None:
    path = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(path, ".git")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _head_commit(git_dir: str) -> str | None:
    if os.path.isfile(git_dir):  # a worktree or submodule: "gitdir: <path>"
        try:
            with open(git_dir) as f:
                line = f.read().strip()
        except OSError:
            return None
        if not line.startswith("gitdir:"):
            return None
        git_dir = os.path.join(os.path.dirname(git_dir), line[len("gitdir:") :].strip())
    try:
        with open(os.path.join(git_dir, "HEAD")) as f:
            head = f.read().strip()
    except OSError:
        return None
    if not head.startswith("ref:"):
        return head or None
    ref = head[len("ref:") :].strip()
    for base in (git_dir, _common_dir(git_dir)):
        try:
            with open(os.path.join(base, ref)) as f:
                return f.read().strip() or None
        except OSError:
            pass
        try:
            with open(os.path.join(base, "packed-refs")) as f:
                for line in f:
                    if line.rstrip().endswith(" " + ref):
                        return line.split()[0]
        except OSError:
            pass
    return None


def _common_dir(git_dir: str) -> str:
    try:
        with open(os.path.join(git_dir, "commondir")) as f:
            return os.path.normpath(os.path.join(git_dir, f.read().strip()))
    except OSError:
        return git_dir
