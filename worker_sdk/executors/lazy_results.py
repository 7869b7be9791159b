"""A finished executor's results as a lazy, immutable list that pages from the result store.

Nothing of the results is recorded in the run's history: once an executor finished, its
results are immutable in the store (keyed by workflow id, executor id and item index), so
every replay of the run reads the same bytes. The sequence's length is the executor's
recorded total; a page is read on access (``GetParallelResults`` through the worker's client)
and only the last ``MAX_CACHED_PAGES`` pages are kept, so iterating a million results does
not hold them all (iterating asks for the next page while the current one is used).

* ``ExecutorResults`` is a ``list`` subclass (``isinstance(results, list)``): ``len``,
  indexing (negative too), slicing (a plain list), iteration, ``reversed``, ``in``, ``index``,
  ``count``, comparison with lists, ``+`` / ``*`` (plain lists), ``list(...)``, ``copy()``,
  ``json.dumps`` and fanflow's payload converter (a workflow result, an activity's or child's
  argument). It cannot be changed (mutating methods raise ``TypeError``).
  What differs from a list: C code that reads a list's storage directly instead of calling
  its methods sees placeholders (``UNREAD``), not the values; that is pydantic's validation
  and serialization of a ``list`` (``Model(field=results)``, ``TypeAdapter(list[int])``) and
  ``heapq``: it fails loudly naming the placeholder; pass ``list(results)`` there. Values are
  decoded again each time their page is read: change a copy, not an element in place. The
  placeholders cost 8 bytes per item.
* A read that fails (the cluster unreachable, history restarting) is retried for up to
  ``READ_DEADLINE`` seconds, then raises ``ResultsUnavailableError``, a ``BaseException``
  that fails the *workflow task* (history retries it; the workflow never sees another value).
* Reads block the thread running the workflow code: the worker runs workflow code that may
  read results on its workflow-code thread (``WorkflowWorker.run_code``), never on the event
  loop that serves the read.
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import itertools
import operator
import threading
import time
from typing import Any, Iterator, NamedTuple

import grpc

from protos import workflow_service_pb2 as ws

from .. import converter

__all__ = [
    "ExecutorResults",
    "ResultReader",
    "ResultsUnavailableError",
    "Chunk",
    "UNREAD",
    "MAX_CACHED_PAGES",
    "PAGE_TARGET_BYTES",
    "READ_DEADLINE",
    "admits_none",
]

#: Pages kept per sequence (least recently used dropped first).
MAX_CACHED_PAGES = 4
#: A page holds about this many bytes of stored results (1 to ``MAX_PAGE_ITEMS`` items).
PAGE_TARGET_BYTES = 1 << 20
MAX_PAGE_ITEMS = 8192  # a power of two below GetParallelResults' 10,000 per call
#: How long a failing read is retried before the workflow task fails (and is retried by
#: history): below the default workflow-task timeout (10 s).
READ_DEADLINE = 5.0
_RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.RESOURCE_EXHAUSTED,
              grpc.StatusCode.ABORTED, grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.CANCELLED}


class ResultsUnavailableError(BaseException):
    """Executor results could not be read now. A ``BaseException`` (``except Exception`` in
    workflow code does not catch it): the workflow task fails and history retries it."""


class _Unread:
    """What C code that reads a list's storage directly finds in an ``ExecutorResults``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<executor result not loaded: ExecutorResults is lazy, pass list(results) here>"


UNREAD = _Unread()


class ResultReader:
    """Reads stored results for workflow code running on another thread than ``loop`` (the
    worker's event loop, where ``client`` lives)."""

    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.client, self.loop = client, loop
        self.reads = 0  # GetParallelResults calls made (tests and the bench look at it)

    def read(self, workflow_id: str, executor_id: str, start: int, limit: int) -> list[bytes]:
        """Stored results ``start, start+1, ...`` (at least one, at most ``limit``: the server
        may stop early on its byte budget), as their JSON bytes."""
        response = self._get(workflow_id, executor_id, start, limit, as_json_array=False)
        values = contiguous(response, start, limit)
        if not values:
            raise ResultsUnavailableError(f"executor {executor_id}: no stored result for item {start} (the store lost it?)")
        return values

    def read_chunk(self, workflow_id: str, executor_id: str, start: int, limit: int) -> "Chunk":
        """As ``read``, as one ``Chunk`` (the server's JSON array: nothing parsed per result)."""
        chunk = chunk_of(self._get(workflow_id, executor_id, start, limit, as_json_array=True), start, limit)
        if not chunk.count:
            raise ResultsUnavailableError(f"executor {executor_id}: no stored result for item {start} (the store lost it?)")
        return chunk

    def _get(self, workflow_id: str, executor_id: str, start: int, limit: int, *, as_json_array: bool) -> ws.GetParallelResultsResponse:
        """One GetParallelResults reply, retried for up to ``READ_DEADLINE`` seconds."""
        if threading.get_ident() == getattr(self.loop, "_thread_id", None):
            raise ResultsUnavailableError(
                "executor results were read on the worker's event-loop thread (workflow code that reads results runs on the "
                "workflow-code thread); the workflow task is retried"
            )
        deadline = time.monotonic() + READ_DEADLINE
        delay = 0.05
        while True:
            future = self.submit(workflow_id, executor_id, start, limit, as_json_array=as_json_array)
            try:
                return future.result(timeout=max(0.1, deadline - time.monotonic()) + 1.0)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in _RETRYABLE or time.monotonic() + delay > deadline:
                    raise ResultsUnavailableError(f"executor {executor_id}: reading results from item {start} failed: {exc.code().name}: {exc.details()}") from None
            except Exception as exc:  # noqa: BLE001 - timeout, loop closed: retried by history
                future.cancel()
                if time.monotonic() + delay > deadline:
                    raise ResultsUnavailableError(f"executor {executor_id}: reading results from item {start} failed: {type(exc).__name__}: {exc}") from None
            time.sleep(delay)
            delay = min(delay * 2, 1.0)

    def submit(self, workflow_id: str, executor_id: str, start: int, limit: int, *, as_json_array: bool = True) -> "concurrent.futures.Future":
        """Start one ``GetParallelResults`` call on the event loop; its future (no retries)."""
        request = ws.GetParallelResultsRequest(
            namespace=self.client.namespace, workflow_id=workflow_id, executor_id=executor_id, start_index=start, limit=limit,
            as_json_array=as_json_array,
        )
        self.reads += 1
        return asyncio.run_coroutine_threadsafe(self.client.call("GetParallelResults", request), self.loop)


def contiguous(response: ws.GetParallelResultsResponse, start: int, limit: int) -> list[bytes]:
    """The JSON of the results ``start, start+1, ...`` a reply holds (up to ``limit``)."""
    results = response.results
    n = len(results)
    if n and results[0].index == start and results[n - 1].index == start + n - 1:  # sorted, unique: contiguous
        return [r.payload.data or b"null" for r in (results if n <= limit else results[:limit])]
    values: list[bytes] = []
    for r in results:
        if r.index != start + len(values) or len(values) >= limit:
            break
        values.append(r.payload.data or b"null")
    return values


class Chunk(NamedTuple):
    """``count`` results in a row, as their JSON data comma-separated (``json``)."""

    count: int
    json: bytes


def chunk_of(response: ws.GetParallelResultsResponse, start: int, limit: int) -> Chunk:
    """The results ``start, start+1, ...`` a reply holds (up to ``limit``), as one ``Chunk``:
    the server's JSON array as it came, or the per-result messages of an older server (or of a
    page that starts with a result that is not plain JSON) joined."""
    if response.json_count:
        if response.json_count > limit:  # a server never sends more than asked; refuse to guess where to cut
            raise ResultsUnavailableError(f"GetParallelResults returned {response.json_count} results for a limit of {limit}")
        return Chunk(response.json_count, response.json_array)
    values = contiguous(response, start, limit)
    return Chunk(len(values), b",".join(values))


def admits_none(return_type: Any) -> bool:
    """Whether ``None`` is a valid result of this return type (then an executor whose
    results are all ``None`` returns ``None``, as before)."""
    try:
        converter.type_adapter(return_type).validate_python(None)
        return True
    except Exception:  # noqa: BLE001 - pydantic's ValidationError or a schema error
        return False


class ExecutorResults(list):
    """The results of a finished executor, in item order (see the module docstring)."""

    __slots__ = ("_reader", "_workflow_id", "_executor_id", "_total", "_adapter", "_pages", "_page_size", "_prefetch", "__weakref__")

    def __init__(self, reader: ResultReader | None, workflow_id: str, executor_id: str, total: int, return_type: Any) -> None:
        list.__init__(self, itertools.repeat(UNREAD, total))
        self._reader = reader
        self._workflow_id, self._executor_id, self._total = workflow_id, executor_id, total
        self._adapter = converter.type_adapter(list[return_type])  # type: ignore[valid-type]
        self._pages: collections.OrderedDict[int, list[Any]] = collections.OrderedDict()
        self._page_size: int | None = None
        #: ``(first index, future)``: the next page, asked for while iterating the one before.
        self._prefetch: tuple[int, concurrent.futures.Future] | None = None

    # ------------------------------------------------------------ reading

    @property
    def executor_id(self) -> str:
        return self._executor_id

    @property
    def cached_pages(self) -> int:
        """Pages held now (at most ``MAX_CACHED_PAGES``)."""
        return len(self._pages)

    def _read_raw(self, start: int, end: int) -> list[Chunk]:
        """Results ``start .. end-1`` as chunks of JSON (one read, or more when the server
        stopped early on its byte budget)."""
        if self._reader is None:
            raise ResultsUnavailableError(
                f"executor {self._executor_id}: its results are read from the cluster, and this workflow code runs without a "
                "connection to it (a Replayer needs client=... for workflows that read executor results)"
            )
        chunks: list[Chunk] = []
        done = 0
        prefetch, self._prefetch = self._prefetch, None
        if prefetch is not None and prefetch[1] is not None and prefetch[0] == start:
            try:  # the page asked for ahead (any failure: read it the normal way, with retries)
                chunk = chunk_of(prefetch[1].result(timeout=READ_DEADLINE), start, end - start)
                if chunk.count:
                    chunks.append(chunk)
                    done = chunk.count
            except Exception:  # noqa: BLE001
                prefetch[1].cancel()
                chunks, done = [], 0
        elif prefetch is not None:
            prefetch[1].cancel()
        while start + done < end:
            chunk = self._reader.read_chunk(self._workflow_id, self._executor_id, start + done, end - start - done)
            chunks.append(chunk)
            done += chunk.count
        return chunks

    def _page(self, number: int) -> list[Any]:
        page = self._pages.get(number)
        if page is not None:
            self._pages.move_to_end(number)
            return page
        size = self._page_size or MAX_PAGE_ITEMS
        page = self._decode(self._read_raw(number * size, min(self._total, (number + 1) * size)))
        self._store(number, page)
        return page

    def _choose_page_size(self, index: int) -> None:
        """The first read: up to ``MAX_PAGE_ITEMS`` results around ``index`` in one call; their
        average size sets the page size (a power of two, about ``PAGE_TARGET_BYTES`` a page)."""
        start = index // MAX_PAGE_ITEMS * MAX_PAGE_ITEMS
        if self._reader is None:
            self._read_raw(start, start + 1)  # raises the explanation
        probe = self._reader.read_chunk(self._workflow_id, self._executor_id, start, min(self._total, start + MAX_PAGE_ITEMS) - start)
        average = max(1, len(probe.json) // probe.count)
        size = 1 << max(0, (PAGE_TARGET_BYTES // average).bit_length() - 1)
        self._page_size = size = max(1, min(MAX_PAGE_ITEMS, size))
        number = index // size
        lo, hi = number * size, min(self._total, (number + 1) * size)
        if hi <= start + probe.count:  # the probe holds the whole page of ``index``
            self._store(number, self._decode([probe])[lo - start:hi - start])

    def _store(self, number: int, page: list[Any]) -> None:
        self._pages[number] = page
        self._pages.move_to_end(number)
        while len(self._pages) > MAX_CACHED_PAGES:
            self._pages.popitem(last=False)

    def _decode(self, chunks: list[Chunk]) -> list[Any]:
        return self._adapter.validate_json(b"[" + b",".join(c.json for c in chunks) + b"]")

    def _value(self, index: int) -> Any:
        if self._page_size is None:
            self._choose_page_size(index)
        size = self._page_size or MAX_PAGE_ITEMS
        return self._page(index // size)[index % size]

    def all_none(self) -> bool:
        """Every stored result is JSON ``null`` (read page by page, stopping at the first other)."""
        step = MAX_PAGE_ITEMS
        for start in range(0, self._total, step):  # raw bytes only: nothing decoded
            if any(c.json != b"null" + b",null" * (c.count - 1) for c in self._read_raw(start, min(self._total, start + step))):
                return False
        return True

    # ------------------------------------------------------ the list API

    def __len__(self) -> int:
        return self._total

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return [self._value(i) for i in range(*key.indices(self._total))]
        i = operator.index(key)
        if i < 0:
            i += self._total
        if not 0 <= i < self._total:
            raise IndexError("executor results index out of range")
        return self._value(i)

    def __iter__(self) -> Iterator[Any]:
        i = 0
        while i < self._total:  # a page at a time (it stays referenced here while in use)
            if self._page_size is None:
                self._choose_page_size(i)
            size = self._page_size or MAX_PAGE_ITEMS
            number = i // size
            page = self._page(number)
            following = (number + 1) * size
            if following < self._total and number + 1 not in self._pages and self._reader is not None and self._prefetch is None:
                # ask for the next page now: the store answers while this one is used
                limit = min(self._total, following + size) - following
                self._prefetch = (following, self._reader.submit(self._workflow_id, self._executor_id, following, limit))
            yield from page[i - number * size:]
            i = following

    def __reversed__(self) -> Iterator[Any]:
        for i in range(self._total - 1, -1, -1):
            yield self._value(i)

    def __contains__(self, value: Any) -> bool:
        return any(v is value or v == value for v in self)

    def index(self, value: Any, start: int = 0, stop: int = 2**63 - 1) -> int:  # type: ignore[override]
        for i in range(*slice(start, stop).indices(self._total)):
            v = self._value(i)
            if v is value or v == value:
                return i
        raise ValueError(f"{value!r} is not in the executor results")

    def count(self, value: Any) -> int:  # type: ignore[override]
        return sum(1 for v in self if v is value or v == value)

    def copy(self) -> list:  # type: ignore[override]
        return list(self)

    def __copy__(self) -> "ExecutorResults":
        return self  # immutable

    def __deepcopy__(self, memo: Any) -> list:
        import copy

        return copy.deepcopy(list(self), memo)

    def __reduce_ex__(self, protocol: Any) -> Any:
        return (list, (list(self),))

    def __eq__(self, other: Any) -> bool:  # type: ignore[override]
        if other is self:
            return True
        if not isinstance(other, list):
            return NotImplemented
        if len(other) != self._total:
            return False
        return all(a is b or a == b for a, b in zip(self, iter(other) if not isinstance(other, ExecutorResults) else other))

    def __ne__(self, other: Any) -> bool:  # type: ignore[override]
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def _compare(self, other: Any, op: Any) -> Any:
        if not isinstance(other, list):
            return NotImplemented
        for a, b in zip(self, other):
            if not (a is b or a == b):
                return op(a, b)
        return op(self._total, len(other))

    def __lt__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, operator.lt)

    def __le__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, operator.le)

    def __gt__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, operator.gt)

    def __ge__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, operator.ge)

    __hash__ = None  # type: ignore[assignment]

    def __add__(self, other: Any) -> list:  # type: ignore[override]
        if not isinstance(other, list):
            return NotImplemented
        return [*self, *other]

    def __radd__(self, other: Any) -> list:
        if not isinstance(other, list):
            return NotImplemented
        return [*other, *self]

    def __mul__(self, n: Any) -> list:  # type: ignore[override]
        return list(self) * n

    __rmul__ = __mul__

    def __repr__(self) -> str:
        if self._total <= 20:
            return repr(list(self))
        head = ", ".join(repr(self._value(i)) for i in range(3))
        return f"ExecutorResults([{head}, ... {self._total - 3:,} more], executor_id={self._executor_id!r})"

    def _immutable(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("executor results cannot be changed; copy them first: values = list(results)")

    append = extend = insert = pop = remove = clear = sort = reverse = _immutable  # type: ignore[assignment]
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _immutable  # type: ignore[assignment]
