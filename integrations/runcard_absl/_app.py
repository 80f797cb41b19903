"""`run(main)`: absl's `app.run` with a runcard run around `main`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from absl import app, flags

import runcard
from runcard import integration


def run(
    main: Callable[[list[str]], Any],
    argv: Sequence[str] | None = None,
    *,
    flag_values: flags.FlagValues | None = None,
    **init_kwargs: Any,
) -> None:
    """Parse the command line as `absl.app.run(main, argv)` does, start a run whose config is
    the program's flags, call `main`, and finish the run with the program's outcome.

    `init_kwargs` go to `runcard.init` (project, name, tags, ...). A command line that absl
    rejects (an unknown flag, a value that fails validation) exits before any run is made.
    """
    integration.check_init_arguments(init_kwargs, "runcard_absl.run()")
    values = flag_values if flag_values is not None else flags.FLAGS

    def main_with_run(args: list[str]) -> Any:
        current = runcard.init(config=values, **init_kwargs)
        recorded = values.flag_values_dict()
        exit_code = 0
        try:
            return main(args)
        except SystemExit as exc:
            exit_code = _exit_code(exc.code)
            raise
        except BaseException:
            exit_code = 1
            raise
        finally:
            changed = {
                name: value
                for name, value in values.flag_values_dict().items()
                if name in current.config and recorded.get(name) != value
            }
            if changed:
                current.config.update(
                    changed, allow_val_change=True, detail="flag changed by the program"
                )
            current.finish(exit_code=exit_code)

    app.run(main_with_run, argv=list(argv) if argv is not None else None)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    return 1  # sys.exit("message") prints the message and exits 1
