"""The reference's ``hxtorch.logger`` (its C++ logging library) on Python's :mod:`logging`, so
that scripts which log through it run unchanged.

``get(name)`` returns a logger with the reference's methods (``INFO(...)``, ``info(...)``,
``WARN(...)``, ...); ``default_config(level=...)`` prints records of that level and above to
standard error (or appends them to ``fname``); ``set_loglevel(logger, level)`` and ``reset()``
as in the reference. Levels: :class:`LogLevel` (``TRACE`` is 5, below ``logging.DEBUG``).
"""

from __future__ import annotations

import enum
import logging


class LogLevel(enum.IntEnum):
    """Levels of the reference's logging, as :mod:`logging` numbers."""

    TRACE = 5
    DEBUG = logging.DEBUG
    INFO = logging.INFO
    WARN = logging.WARNING
    ERROR = logging.ERROR
    FATAL = logging.CRITICAL


logging.addLevelName(LogLevel.TRACE, "TRACE")


class Logger:
    """A :class:`logging.Logger` with the reference's method names; ``.logger`` is the Python
    one."""

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def _log(self, level: int, *parts) -> None:
        if self.logger.isEnabledFor(level):
            self.logger.log(level, "".join(str(part) for part in parts))

    def trace(self, *parts) -> None:
        self._log(LogLevel.TRACE, *parts)

    def debug(self, *parts) -> None:
        self._log(LogLevel.DEBUG, *parts)

    def info(self, *parts) -> None:
        self._log(LogLevel.INFO, *parts)

    def warn(self, *parts) -> None:
        self._log(LogLevel.WARN, *parts)

    def error(self, *parts) -> None:
        self._log(LogLevel.ERROR, *parts)

    def fatal(self, *parts) -> None:
        self._log(LogLevel.FATAL, *parts)

    TRACE, DEBUG, INFO, WARN, ERROR, FATAL = trace, debug, info, warn, error, fatal
    warning = warn

    def __repr__(self) -> str:
        return f"Logger({self.logger.name!r})"


_handlers: list[logging.Handler] = []


def get(name: str) -> Logger:
    """The logger ``name`` (dots separate the hierarchy, as in both libraries)."""
    if not isinstance(name, str):
        raise TypeError(f"logger.get: name must be a string, got {type(name).__name__}")
    return Logger(logging.getLogger(name))


def get_root() -> Logger:
    """The root logger."""
    return Logger(logging.getLogger())


def reset() -> None:
    """Remove the output that :func:`default_config` added; the root level returns to WARN."""
    root = logging.getLogger()
    while _handlers:
        handler = _handlers.pop()
        root.removeHandler(handler)
        handler.close()
    root.setLevel(LogLevel.WARN)


def default_config(level: int = LogLevel.WARN, fname: str = "", **_options) -> None:
    """Print records of ``level`` and above to standard error, or append them to the file
    ``fname``. The reference's formatting options (``dual``, ``print_location``, ``color``,
    ``date_format``) are accepted and ignored."""
    reset()
    handler = logging.FileHandler(fname) if fname else logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(relativeCreated)8.0f ms %(levelname)-5s %(name)s %(message)s")
    )
    root = logging.getLogger()
    root.addHandler(handler)
    _handlers.append(handler)
    root.setLevel(int(level))


def set_loglevel(logger: Logger, level: int) -> None:
    """Set the level of ``logger`` (a :func:`get` result or a :class:`logging.Logger`)."""
    target = logger.logger if isinstance(logger, Logger) else logger
    if not isinstance(target, logging.Logger):
        raise TypeError(
            f"set_loglevel: expected a logger from logger.get, got {type(logger).__name__}"
        )
    target.setLevel(int(level))


__all__ = ["LogLevel", "Logger", "get", "get_root", "reset", "default_config", "set_loglevel"]
