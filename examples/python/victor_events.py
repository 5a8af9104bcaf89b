#!/usr/bin/env python3
"""Report Victor agent events to a victor-exporter, with only the standard library.

The Python Victor (or any agent) hands events to a `VictorEvents` client instead of depending
on a Prometheus library; the client batches them and posts NDJSON to the exporter's
`POST /api/events`, which records them in the catalog metrics:

    from victor_events import VictorEvents

    events = VictorEvents("http://127.0.0.1:9091")
    events.tool_executed("read_file", vertical="coding", mode="build", status="success",
                         duration_ms=45.2)
    events.emit("cache.hit", cache="responses")     # any event type, by name
    events.flush()                                  # also on every 1 000 events and at exit

Wiring it into Victor's EventBus is one subscription per topic, e.g.
`bus.subscribe("tool.*", lambda e: events.emit(e.topic, **e.data))`.

When the exporter has an API token (VICTOR_API_TOKEN, required once it listens beyond
loopback), pass it as `token=` or set VICTOR_API_TOKEN in the agent's environment too.

Sending never raises into the agent: a failed post is logged and its events are dropped
(the exporter counts what it refuses in victor_events_rejected_total). Run this file to post a
few sample events: `python3 victor_events.py --url http://127.0.0.1:9091`.
"""

import argparse
import atexit
import json
import logging
import os
import threading
import urllib.error
import urllib.request

log = logging.getLogger("victor_events")


class VictorEvents:
    """Batches events and posts them to a victor-exporter as NDJSON."""

    def __init__(self, url="http://127.0.0.1:9091", batch_size=1000, timeout=5.0, token=None):
        self.endpoint = url.rstrip("/") + "/api/events"
        self.token = token or os.environ.get("VICTOR_API_TOKEN")
        self.batch_size = batch_size
        self.timeout = timeout
        self._pending = []
        self._lock = threading.Lock()
        atexit.register(self.flush)

    def emit(self, event_type, **fields):
        """Queues one event of `event_type` (`tool.executed`, `cache.hit`, ...)."""
        line = json.dumps({"type": event_type, **fields}, separators=(",", ":"))
        with self._lock:
            self._pending.append(line)
            full = len(self._pending) >= self.batch_size
        if full:
            self.flush()

    def tool_executed(self, tool, vertical, status, duration_ms, mode="build", error_type=None):
        """A tool run: status is success, failure or timeout."""
        fields = dict(tool=tool, vertical=vertical, mode=mode, status=status,
                      duration_ms=duration_ms)
        if error_type:
            fields["error_type"] = error_type
        self.emit("tool.executed", **fields)

    def llm_completed(self, provider, model, prompt_tokens, completion_tokens, duration_ms,
                      cost_usd=0.0, tool_calls=False, error_type=None):
        """An LLM call with its tokens, cost and duration."""
        fields = dict(provider=provider, model=model, prompt_tokens=prompt_tokens,
                      completion_tokens=completion_tokens, duration_ms=duration_ms,
                      cost_usd=cost_usd, tool_calls=tool_calls)
        if error_type:
            fields["error_type"] = error_type
        self.emit("llm.completed", **fields)

    def flush(self):
        """Posts what is queued; returns the exporter's report, or None when nothing was sent."""
        with self._lock:
            lines, self._pending = self._pending, []
        if not lines:
            return None
        headers = {"Content-Type": "application/x-ndjson"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        request = urllib.request.Request(
            self.endpoint,
            data="\n".join(lines).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                report = json.load(response)
        except (urllib.error.URLError, OSError, ValueError) as err:
            log.warning("victor-exporter at %s: %d events dropped: %s",
                        self.endpoint, len(lines), err)
            return None
        for error in report.get("errors", []):
            log.warning("event %d refused: %s", error["index"], error["reason"])
        return report


def main():
    parser = argparse.ArgumentParser(description="Post sample Victor events to an exporter.")
    parser.add_argument("--url", default="http://127.0.0.1:9091", help="the exporter's base URL")
    args = parser.parse_args()
    events = VictorEvents(args.url)
    events.tool_executed("read_file", vertical="coding", status="success", duration_ms=45.2)
    events.tool_executed("shell", vertical="devops", status="failure", duration_ms=1200,
                         error_type="exit_code")
    events.llm_completed("anthropic", "claude-sonnet-4-5", prompt_tokens=1200,
                         completion_tokens=300, duration_ms=2100, cost_usd=0.0135)
    events.emit("cache.hit", cache="responses")
    events.emit("agent.session_started", interface="cli")
    events.emit("tool.executed", tool="read_file")  # missing fields: refused, and reported
    print(json.dumps(events.flush()))


if __name__ == "__main__":
    main()
