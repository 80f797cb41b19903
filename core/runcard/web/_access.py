"""Who may connect to `runcard ui` and `runcard server`: API keys, and the rule that a host
beyond loopback needs them. No web dependency: the commands check this before importing any."""

from __future__ import annotations

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def read_api_keys(path: str) -> list[str]:
    """The keys in `path`, one per line (blank lines and # comments skipped)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line.strip() for line in f]
    except OSError as exc:
        raise ValueError(f"--api-key-file {path}: {exc.strerror or exc}") from None
    keys = [line for line in lines if line and not line.startswith("#")]
    if not keys:
        raise ValueError(f"--api-key-file {path}: no key in the file")
    if any(len(key) < 16 for key in keys):
        raise ValueError(f"--api-key-file {path}: keys must be 16 characters or more")
    return keys


def access_keys(host: str, key_file: str | None, exposed: str) -> list[str]:
    """The keys a command serving on `host` requires (none on loopback without a key file);
    ValueError for a bad key file or a host beyond loopback without keys."""
    keys = read_api_keys(key_file) if key_file else []
    if host not in LOOPBACK and not keys:
        raise ValueError(
            f"refusing to listen on {host} without --api-key-file: anyone who can reach the "
            f"port could {exposed}"
        )
    return keys
