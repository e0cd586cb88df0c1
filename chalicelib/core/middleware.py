"""App-wide middleware: Powertools metrics are flushed once per invocation (EMF to stdout)."""

from __future__ import annotations

from typing import Any

from chalice.app import Chalice

from chalicelib.core.observability import metrics


def register_middleware(app: Chalice) -> None:
    @app.middleware("http")
    def flush_metrics(event: Any, get_response: Any) -> Any:
        try:
            return get_response(event)
        finally:
            m = metrics()
            if m.metric_set:
                m.flush_metrics()
