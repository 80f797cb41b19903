"""The one YAML reader of config files: PyYAML's safe loader, bounded.

A few hundred bytes of anchors that refer to anchors ("billion laughs") expand to billions of
values; PyYAML shares the aliased objects, so parsing is quick, but everything after it (the
config write, the stored JSON) sees the whole expansion. So before anything is built, the parsed
node graph is measured with every alias counted as the copy it stands for, and a file past the
bounds below is refused. A key given twice in one mapping is refused too, rather than one of
its values silently winning.
"""

from __future__ import annotations

from runcard._errors import ConfigFileError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_VALUES = 1_000_000  # keys, values and items, every alias expanded
MAX_TEXT = 32 * 1024 * 1024  # characters of keys and scalar values, every alias expanded

_MERGE_TAG = "tag:yaml.org,2002:merge"


class _Refused(Exception):
    def __init__(self, reason: str, node: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = node.start_mark.line + 1 if node.start_mark is not None else None


def load(data: bytes, path: str) -> Any:
    """The value of the YAML document `data` (read from `path`), or ConfigFileError naming the
    file (and the line where there is one)."""
    if len(data) > MAX_FILE_BYTES:
        raise ConfigFileError(path, f"larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigFileError(path, f"not UTF-8 text (byte {exc.start})") from None
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        raise ConfigFileError(path, "reading YAML needs PyYAML: pip install pyyaml") from None
    loader = _loader_class(yaml)(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise ConfigFileError(path, exc.reason, line=exc.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        line = mark.line + 1 if mark is not None else None
        raise ConfigFileError(path, f"malformed YAML: {problem}", line=line) from None
    except RecursionError:  # PyYAML's pure-Python parser, without libyaml
        raise ConfigFileError(path, "malformed YAML: nested too deeply") from None
    finally:
        loader.dispose()


_LOADER: Any = None


def _loader_class(yaml: Any) -> Any:
    global _LOADER
    if _LOADER is None:
        base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml caps nesting at 1000

        class BoundedLoader(base):  # type: ignore[misc, valid-type]
            def construct_document(self, node: Any) -> Any:
                _measure(self, node, yaml)
                return super().construct_document(node)

        _LOADER = BoundedLoader
    return _LOADER


def _measure(loader: Any, root: Any, yaml: Any) -> None:
    """Refuse a document whose expansion passes the bounds, a value that contains itself, or
    a mapping that repeats a key. Iterative and linear in the distinct nodes: an alias is the
    node it names, measured once."""
    values: dict[int, int] = {}
    text: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        marker = id(node)
        if isinstance(node, yaml.ScalarNode):
            values[marker], text[marker] = 1, len(node.value)
            continue
        children = _children(node, yaml)
        if children_done:
            open_nodes.discard(marker)
            values[marker] = 1 + sum(values[id(child)] for child in children)
            text[marker] = sum(text[id(child)] for child in children)
            if values[marker] > MAX_VALUES:
                raise _Refused(
                    f"expands to more than {MAX_VALUES:,} values (an alias counts as a copy)", node
                )
            if text[marker] > MAX_TEXT:
                raise _Refused(
                    f"expands to more than {MAX_TEXT:,} characters (an alias counts as a copy)",
                    node,
                )
            continue
        if marker in values:
            continue
        if marker in open_nodes:
            raise _Refused("a value that contains itself (an alias inside its own anchor)", node)
        if isinstance(node, yaml.MappingNode):
            _check_keys(loader, node, yaml)
        open_nodes.add(marker)
        stack.append((node, True))
        stack.extend((child, False) for child in children)


def _children(node: Any, yaml: Any) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value)


def _check_keys(loader: Any, node: Any, yaml: Any) -> None:
    first_line: dict[Any, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
            continue  # keys merged in with `<<` may be overridden; that is what merging is for
        key = loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if key in first_line:
            raise _Refused(f"duplicate key {key!r} (first at line {first_line[key]})", key_node)
        first_line[key] = line
