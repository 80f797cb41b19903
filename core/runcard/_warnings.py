"""The warnings runcard gives, pointed at the user's line rather than runcard's own."""

from __future__ import annotations

import os
import sys
import warnings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from types import FrameType

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class ConfigWarning(UserWarning):
    """A config write that runcard accepted or ignored but that deserves a look."""


class MetricWarning(UserWarning):
    """A logged value that runcard stored as text because it has no metric form."""


def warn(message: str, category: type[Warning] = ConfigWarning) -> None:
    """Warn with the innermost frame outside runcard as the location."""
    level = 2
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
