"""An open-loop HTTP/1.1 load generator on asyncio, lean enough to share the machine.

Request ``i`` is due at ``start + i / rate``, whatever became of the earlier ones (an
open loop: a slow server does not slow the offered rate down, so latencies include the
queueing a real client would see). Requests go over keep-alive connections to one
address on this machine, at most ``max_connections`` at once; a request that cannot get
a connection before it is ``max_lag`` seconds late is not sent and is counted as shed.
Every request has a timeout, so a run ends by itself at most ``timeout`` seconds after
its window.

A request costs the generator some tens of microseconds of CPU (no thread per
request, no HTTP library), so at a few hundred requests per second it leaves the cores
to the server under test.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Request:
    kind: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Result:
    kind: str
    status: int  # 0: no answer (connection error or timeout)
    latency: float  # seconds from the due time to the end of the response
    service: float  # seconds from sending to the end of the response


class _Closed(Exception):
    """The connection closed before a response began (a keep-alive race): retry."""


class Paced:
    def __init__(
        self,
        host: str,
        port: int,
        rate: float,
        seconds: float,
        make_request: Callable[[int], Request],
        max_lag: float = 5.0,
        max_connections: int = 256,
        timeout: float = 30.0,
        on_result: Callable[[Request, int, bytes], None] | None = None,
    ):
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise ValueError("the generator sends traffic to this machine only")
        self.host, self.port = host, port
        self.rate, self.seconds = rate, seconds
        self.make_request = make_request
        self.max_lag, self.max_connections, self.timeout = max_lag, max_connections, timeout
        self.on_result = on_result
        self.results: list[Result] = []
        self.shed = 0
        self.connections_opened = 0
        self.errors: dict[str, int] = {}  # why requests got no answer
        # Idle keep-alive connections with the moment they became idle.
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []

    # --- one request ----------------------------------------------------------------

    def _raw(self, request: Request) -> bytes:
        lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in request.headers.items()]
        if request.body or request.method in {"POST", "PUT", "PATCH"}:
            lines.append(f"Content-Length: {len(request.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body

    # A connection idle for longer than this may be closed by the server any moment
    # (gunicorn's keep-alive is 2 s by default): it is closed here rather than reused.
    IDLE_SECONDS = 1.0

    async def _connection(self, fresh: bool = False):
        now = time.perf_counter()
        while self._idle and not fresh:
            reader, writer, since = self._idle.pop()
            if now - since < self.IDLE_SECONDS and not reader.at_eof():
                return (reader, writer), True
            writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self.connections_opened += 1
        return (reader, writer), False

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise _Closed from None
            raise
        lines = head.split(b"\r\n")
        status = int(lines[0].split(None, 2)[1])
        length, chunked, keep = None, False, True
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value:
                chunked = True
            elif name == b"connection" and value == b"close":
                keep = False
        if chunked:
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        elif length is not None:
            body = await reader.readexactly(length)
        else:
            body, keep = await reader.read(), False
        return status, body, keep

    async def _exchange(self, raw: bytes) -> tuple[int, bytes, float]:
        for attempt in range(2):
            (reader, writer), reused = await self._connection(fresh=attempt > 0)
            sent = time.perf_counter()
            try:
                writer.write(raw)
                status, body, keep = await self._response(reader)
            except (_Closed, ConnectionError) as exc:
                writer.close()
                if reused:  # the server closed an idle connection: again on a fresh one
                    continue
                raise ConnectionError("closed before answering") from exc
            except BaseException:
                writer.close()
                raise
            if keep:
                self._idle.append((reader, writer, time.perf_counter()))
            else:
                writer.close()
            return status, body, sent
        raise ConnectionError("closed before answering")

    async def _one(self, i: int, due: float, slots: asyncio.Semaphore) -> None:
        request = self.make_request(i)
        try:
            wait = due + self.max_lag - time.perf_counter()
            await asyncio.wait_for(slots.acquire(), timeout=max(wait, 0.001))
        except TimeoutError:
            self.shed += 1
            return
        sent = time.perf_counter()
        try:
            status, body, sent = await asyncio.wait_for(
                self._exchange(self._raw(request)), timeout=self.timeout
            )
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            status, body = 0, b""
            reason = type(exc).__name__
            self.errors[reason] = self.errors.get(reason, 0) + 1
        finally:
            slots.release()
        end = time.perf_counter()
        self.results.append(Result(request.kind, status, end - due, end - sent))
        if self.on_result is not None:
            self.on_result(request, status, body)

    async def _run(self) -> float:
        slots = asyncio.Semaphore(self.max_connections)
        total = int(self.rate * self.seconds)
        start = time.perf_counter() + 0.05
        pending: set[asyncio.Task] = set()
        for i in range(total):
            due = start + i / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self._one(i, due, slots))
            pending.add(task)
            task.add_done_callback(pending.discard)
        if pending:
            await asyncio.gather(*pending)
        for _reader, writer, _since in self._idle:
            writer.close()
        self._idle.clear()
        return time.perf_counter() - start

    def run(self) -> float:
        """Send the traffic; the seconds from the first due time to the last answer."""
        return asyncio.run(self._run())


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * share))]


def summary(results: list[Result], elapsed: float, shed: int) -> dict:
    """Requests answered, req/s, statuses, p50/p99 (ms) overall and per kind."""

    def stats(rows: list[Result]) -> dict:
        times = sorted(r.latency for r in rows)
        service = sorted(r.service for r in rows)
        statuses: dict[str, int] = {}
        for r in rows:
            statuses[str(r.status)] = statuses.get(str(r.status), 0) + 1
        return {
            "n": len(rows),
            "p50_ms": round(statistics.median(times) * 1000, 1) if times else 0.0,
            "p99_ms": round(percentile(times, 0.99) * 1000, 1),
            "max_ms": round(times[-1] * 1000, 1) if times else 0.0,
            "service_p50_ms": round(statistics.median(service) * 1000, 1) if service else 0.0,
            "statuses": statuses,
        }

    out = {
        "requests": len(results),
        "req_per_s": round(len(results) / elapsed, 1) if elapsed else 0.0,
        "elapsed_s": round(elapsed, 1),
        "5xx": sum(1 for r in results if r.status >= 500),
        "no_answer": sum(1 for r in results if r.status == 0),
        "4xx": sum(1 for r in results if 400 <= r.status < 500),
        "shed": shed,
        **{k: v for k, v in stats(results).items() if k != "statuses"},
        "kinds": {
            kind: stats([r for r in results if r.kind == kind])
            for kind in sorted({r.kind for r in results})
        },
    }
    return out
