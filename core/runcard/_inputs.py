"""What a config write may be given, unwrapped into plain dicts with their source.

A dict, any mapping-like object (see `_convert.as_mapping`), an argparse `Namespace`, or absl /
TF v1 `FLAGS`. Flags are recognised by their public methods (`flags_by_module_dict`), never by
importing absl, and only the flags the program itself defines are taken: not absl's own
(`logtostderr`, `verbosity`, ...), not the ones TensorFlow registers when imported, and each
flag once (not again under its short name). Values are read by name, as the program reads them:
TensorFlow's wrapper parses the command line on that first read; plain absl flags that are not
parsed yet give their defaults, with a warning.
"""

from __future__ import annotations

from runcard._convert import as_mapping
from runcard._warnings import warn

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    # (source, detail, values, descriptions)
    Group = tuple[str, str | None, dict[Any, Any], dict[str, str]]

# Modules whose flags belong to the framework, not to the program.
FRAMEWORK_FLAG_MODULES = ("absl.", "tensorflow.", "tensorboard.", "tensorflow_core.")


def mapping_of(d: Any) -> dict[Any, Any]:
    mapping = as_mapping(d)
    if mapping is not None:
        return mapping
    flags = flag_values(d)
    if flags is not None:
        return {name: value for name, (value, _, _, _) in flags.items()}
    raise TypeError(
        f"config values must come from a dict or a mapping-like object; got {type(d).__name__}"
    )


def sourced(d: Any, default_source: str) -> list[Group]:
    """Split a config source into groups. Script-level writes ("code", "init") of flags and
    Namespaces are told apart as absl-cli / absl-default / argparse, with the module that
    defines each flag as the detail; an adapter's explicit source is kept."""
    inferred = default_source in ("code", "init")
    flags = flag_values(d)
    if flags is None:
        namespace = type(d).__name__ == "Namespace"
        source = "argparse" if inferred and namespace else default_source
        return [(source, None, mapping_of(d), {})]
    groups: dict[tuple[str, str | None], dict[str, Any]] = {}
    helps: dict[tuple[str, str | None], dict[str, str]] = {}
    for name, (value, present, help_text, module) in flags.items():
        if inferred:
            key = ("absl-cli" if present else "absl-default", module)
        else:
            key = (default_source, module)
        groups.setdefault(key, {})[name] = value
        if help_text:
            helps.setdefault(key, {})[name] = help_text
    return [
        (source, module, values, helps.get((source, module), {}))
        for (source, module), values in groups.items()
    ]


def flag_values(d: Any) -> dict[str, tuple[Any, bool, str | None, str]] | None:
    """{name: (value, given on the command line, help, defining module)} of absl / TF v1
    FLAGS, or None when `d` is not flags."""
    by_module = getattr(d, "flags_by_module_dict", None)
    if not callable(by_module) or isinstance(d, dict):
        return None
    result: dict[str, tuple[Any, bool, str | None, str]] = {}
    unparsed = False
    for module, flags in by_module().items():
        if module.startswith(FRAMEWORK_FLAG_MODULES):
            continue
        for flag in flags:
            if flag.name in result:
                continue
            try:
                value = getattr(d, flag.name)  # what the program reads (TF's wrapper parses)
            except Exception:  # absl's UnparsedFlagAccessError: not parsed yet
                value, unparsed = flag.value, True
            result[flag.name] = (value, bool(flag.present), flag.help, module)
    if unparsed:
        warn(
            "the absl flags are not parsed yet, so their defaults are recorded; call "
            "config.update(FLAGS) after absl.app.run() or FLAGS(sys.argv) has parsed them"
        )
    return result
