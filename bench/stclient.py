"""A protocol-level Streamlit client for the benchmarks: no browser, no rendering.

It speaks to a served app the way Streamlit's frontend does: one websocket per session on
`/_stcore/stream` (subprotocol "streamlit"), `BackMsg.rerun_script` with a `ClientState` (query string and
page name) to run a page, and `ForwardMsg`s back until `script_finished`. One run's time is from sending
the request to receiving `script_finished` on loopback: the server's script time plus serialising and
sending what the script drew. Also counted per run: bytes received, elements, Plotly charts (figure JSON
size and trace count). Used by bench/pages.py and bench/load.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = {
    ForwardMsg.FINISHED_SUCCESSFULLY: "ok",
    ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile error",
    ForwardMsg.FINISHED_EARLY_FOR_RERUN: "rerun",
    ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment ok",
}


@dataclass
class RunStats:
    """What one request (possibly several script runs, e.g. a rerun the script asked for) produced."""

    seconds: float = 0.0
    cpu: float = 0.0  # server CPU seconds, when the caller measures it
    runs: int = 0  # script_finished messages (a run that reruns itself counts twice)
    messages: int = 0
    bytes: int = 0
    elements: int = 0
    charts: int = 0
    traces: int = 0
    figure_bytes: int = 0
    exceptions: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # headings/markdown drawn, to check what page ran


class Session:
    """One websocket session against a served Streamlit app."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.url = f"ws://{parts.netloc}/_stcore/stream"
        self.ws: websockets.ClientConnection | None = None
        self.widgets: dict[str, str] = {}  # label → widget id of the multiselects drawn so far

    async def __aenter__(self) -> Session:
        self.ws = await websockets.connect(
            self.url, subprotocols=["streamlit"], max_size=None, open_timeout=60, ping_interval=None
        )
        return self

    async def __aexit__(self, *exc) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(
        self,
        page: str = "",
        query: str = "",
        timeout: float = 120,
        settle: float = 0.0,
        multiselect: dict[str, list[str]] | None = None,
    ) -> RunStats:
        """Run `page` (its url_path, "" = default) with `query` (a query string without '?').

        `multiselect` sets multiselect widgets drawn by an earlier run (label → values), as a user's change
        of a filter does.

        Waits for the first `script_finished` that is not an early stop for a rerun; with `settle` > 0 it
        then keeps reading for `settle` seconds to count runs that follow on their own.
        """
        assert self.ws is not None
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_name = page
        for label, values in (multiselect or {}).items():
            state = msg.rerun_script.widget_states.widgets.add()
            state.id = self.widgets[label]
            state.string_array_value.data.extend(values)
        stats = RunStats()
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        deadline = start + timeout
        done = False
        settled_at = deadline
        while True:
            wait = (settled_at if done else deadline) - time.perf_counter()
            if wait <= 0:
                if done:
                    break
                raise TimeoutError(f"no script_finished within {timeout} s for page={page!r} query={query!r}")
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=wait)
            except TimeoutError:
                if done:
                    break
                raise
            stats.messages += 1
            stats.bytes += len(raw)
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "delta":
                _count_delta(fwd, stats, self.widgets)
            elif kind == "script_finished":
                stats.runs += 1
                if fwd.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN and not done:
                    done = True
                    stats.seconds = time.perf_counter() - start
                    settled_at = min(deadline, time.perf_counter() + settle)
                    if settle <= 0:
                        break
        return stats


def _count_delta(fwd: ForwardMsg, stats: RunStats, widgets: dict[str, str]) -> None:
    delta = fwd.delta
    if delta.WhichOneof("type") != "new_element":
        return
    element = delta.new_element
    stats.elements += 1
    which = element.WhichOneof("type")
    if which == "plotly_chart":
        spec = element.plotly_chart.spec
        stats.charts += 1
        stats.figure_bytes += len(spec)
        with contextlib.suppress(ValueError):
            stats.traces += len(json.loads(spec).get("data", []))
    elif which == "multiselect":
        widgets[element.multiselect.label] = element.multiselect.id
    elif which == "exception":
        stats.exceptions.append(element.exception.message)
    elif which == "heading":
        stats.texts.append(element.heading.body)
    elif which == "markdown":
        stats.texts.append(element.markdown.body[:200])
    elif which == "alert":
        stats.texts.append(element.alert.body[:200])
