"""The service's log output: one JSON object per line (or readable text), with the request id of the
request being served; the formatters and the logging configuration given to uvicorn.

Which one: ``PREUVES_LOG_JSON=1`` (or ``preuves serve --log-json``) JSON, ``0`` (``--log-text``) text;
unset, readable text when the logs go to a terminal and JSON otherwise (a file, a pipe, a log collector).

What is logged: method, route, status, duration, sizes, proof type, verdict, finding codes. What is
never logged: file contents, file names (they can carry personal data: a patient's name), API keys or
``Authorization`` headers.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str] = ContextVar("preuves_request_id", default="-")

# Attributes every LogRecord has; anything else was passed with ``extra=`` and goes into the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and key not in out and not key.startswith("_") and key != "color_message":
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """One readable line: local time, level, message, then the request id and the extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        base = f"{time.strftime('%H:%M:%S', time.localtime(record.created))} {record.levelname:<7} {record.getMessage()}"
        request_id = getattr(record, "request_id", None) or request_id_var.get()
        if request_id != "-":
            base += f" [{request_id}]"
        extras = {k: v for k, v in record.__dict__.items()
                  if k not in _STANDARD and not k.startswith("_") and k not in ("color_message", "request_id")}
        if extras:
            base += " — " + " ".join(f"{k}={v}" for k, v in extras.items())
        if record.exc_info:
            base += "\n" + self.formatException(record.exc_info)
        return base


def wants_json(json_logs: bool | None) -> bool:
    """``json_logs`` as asked, or when not asked (``None``): JSON unless the logs go to a terminal."""
    return json_logs if json_logs is not None else not sys.stderr.isatty()


def log_config(level: str = "info", json_logs: bool | None = True) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for our loggers and uvicorn's (given to ``uvicorn.run``)."""
    formatter = "json" if wants_json(json_logs) else "text"
    handler = {"class": "logging.StreamHandler", "formatter": formatter, "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}, "text": {"()": TextFormatter}},
        "handlers": {"default": handler},
        "loggers": {
            "preuves": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn.error": {"level": level.upper()},
            # Our middleware writes the access line (with request id, verdict…): uvicorn's is off.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def ensure_handler(level: str = "info", json_logs: bool | None = True) -> None:
    """Give the ``preuves`` logger a handler when the app runs under a server we did not configure."""
    logger = logging.getLogger("preuves")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter() if wants_json(json_logs) else TextFormatter())
        logger.addHandler(handler)
        logger.setLevel(level.upper())
        logger.propagate = False
