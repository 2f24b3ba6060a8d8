"""Warnings that point at the user's line, however deep inside sklstm they start."""

import os
import sys
import warnings

__all__ = ["warn_caller"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn_caller(message, category=UserWarning):
    """Warn, attributing the warning to the first caller outside sklstm.

    A fixed ``stacklevel`` breaks whenever a call path gains or loses a frame;
    this walks the stack instead, past every frame of the package, so the
    warning names the line of the user's code (or of the library) that called
    into sklstm.
    """
    if sys.version_info >= (3, 12):
        warnings.warn(message, category, skip_file_prefixes=(_PACKAGE_DIR,))
        return
    frame = sys._getframe(1)
    level = 2  # the caller of this function
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
            _PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
