"""A private, deterministic asyncio event loop for workflow code.

It has no clock, no I/O and no threads: ``call_soon`` appends to a FIFO queue and
``run_until_idle`` runs callbacks until the queue is empty (every task is blocked on a
future that only history can resolve). Enough of ``AbstractEventLoop`` is implemented for
``asyncio.Task`` / ``Future`` / ``gather`` / ``wait`` / ``Queue`` / ``Lock`` / ``Semaphore`` /
``Event``; every I/O and thread method raises with a message pointing at the workflow API.

Time is the run's: ``time()`` is the start time of the workflow task being worked on (the
same on every replay), and ``call_later`` / ``call_at`` are *durable timers*, as on Temporal:
each one is a StartTimer command (timer ids shared with ``workflow.sleep``), and its callback
runs when history's TimerFired for it is applied. So ``asyncio.sleep(x)``,
``asyncio.wait_for(aw, timeout)``, ``asyncio.timeout(x)`` and ``asyncio.wait(..., timeout=x)``
work in workflow code and survive worker restarts. Cancelling the handle (what those do when
the awaited thing finished first) sends CancelTimer, or withdraws the StartTimer when it was
produced in the same workflow task and never reached history. A delay <= 0 just runs the
callback soon (no timer). Replaying a history produces the same commands.

While stepping, the loop is installed as the thread's *running* loop (so user code's
``asyncio.gather``, ``asyncio.create_task`` and ``asyncio.get_running_loop()`` use it); the
previous running loop (the worker's real loop, when ``activate`` is called from a
coroutine) is restored afterwards.
"""
from __future__ import annotations

import asyncio
import collections
import contextvars
import logging
import sys
from asyncio import events, futures, tasks
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from ._instance import WorkflowInstance

log = logging.getLogger("worker_sdk.workflow")

_NOT_ALLOWED = (
    "{what} is not allowed in workflow code: workflow code must be deterministic and may not "
    "do I/O or use the wall clock. {hint}"
)


class WorkflowLoopError(RuntimeError):
    """Workflow code used an event-loop feature that would break determinism."""


def _forbidden(what: str, hint: str = "Do it in an activity instead.") -> WorkflowLoopError:
    return WorkflowLoopError(_NOT_ALLOWED.format(what=what, hint=hint))


class _DurableTimerHandle(asyncio.TimerHandle):
    """A ``call_later`` handle backed by a durable timer of the run (``_instance._TimerState``)."""

    __slots__ = ("fanflow_timer",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fanflow_timer: Any = None


class WorkflowEventLoop(asyncio.AbstractEventLoop):
    def __init__(self, instance: "WorkflowInstance | None" = None) -> None:
        self.instance = instance
        self._ready: collections.deque[asyncio.Handle] = collections.deque()
        self._running = False
        self._closed = False
        self._time = 0.0
        self._callback_errors: list[BaseException] = []

    # ------------------------------------------------------------ stepping

    def run_until_idle(self) -> None:
        """Run ready callbacks FIFO until none are left (this is one activation)."""
        if self._closed:
            raise RuntimeError("the workflow event loop is closed")
        if self._running:
            raise RuntimeError("the workflow event loop is already running")
        previous = events._get_running_loop()
        old_hooks = sys.get_asyncgen_hooks()
        events._set_running_loop(self)
        sys.set_asyncgen_hooks(firstiter=None, finalizer=None)
        self._running = True
        ready = self._ready
        try:
            while ready:
                handle = ready.popleft()
                if handle._cancelled:
                    continue
                handle._run()
                if self._callback_errors:
                    err = self._callback_errors[0]
                    self._callback_errors.clear()
                    raise err
        finally:
            self._running = False
            sys.set_asyncgen_hooks(*old_hooks)
            events._set_running_loop(previous)

    def set_time(self, seconds: float) -> None:
        self._time = seconds

    # -------------------------------------------------- scheduling basics

    def call_soon(self, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None) -> asyncio.Handle:
        if self._closed:
            raise RuntimeError("the workflow event loop is closed")
        handle = asyncio.Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None) -> asyncio.Handle:
        raise _forbidden("call_soon_threadsafe (threads)")

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None) -> asyncio.TimerHandle:
        """A durable timer of ``delay`` seconds that runs ``callback(*args)`` when it fires."""
        if self._closed:
            raise RuntimeError("the workflow event loop is closed")
        handle = _DurableTimerHandle(self._time + max(delay, 0.0), callback, args, self, context)
        if delay <= 0:
            self._ready.append(handle)  # due now: no timer
            return handle
        if self.instance is None:
            raise _forbidden("call_later() on a workflow loop with no workflow", "Use `await workflow.sleep(seconds)`.")
        handle.fanflow_timer = self.instance.timer_handle(delay, handle)
        handle._scheduled = True
        return handle

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any, context: contextvars.Context | None = None) -> asyncio.TimerHandle:
        """``call_later(when - time())``: ``when`` is on this loop's clock (the run's time)."""
        return self.call_later(when - self._time, callback, *args, context=context)

    def _timer_handle_cancelled(self, handle: asyncio.TimerHandle) -> None:
        # Called by TimerHandle.cancel(): stop the durable timer behind it.
        timer = getattr(handle, "fanflow_timer", None)
        if timer is not None and self.instance is not None:
            self.instance.cancel_timer(timer, withdraw_unsent=True)

    def call_handle(self, handle: asyncio.Handle) -> None:
        """Run ``handle`` in this activation (a fired timer's callback); skipped if cancelled."""
        if not handle.cancelled():
            self._ready.append(handle)

    def time(self) -> float:
        """The workflow's deterministic time (the current workflow task's start), in seconds."""
        return self._time

    def create_future(self) -> asyncio.Future[Any]:
        return futures.Future(loop=self)

    def create_task(self, coro: Any, *, name: str | None = None, context: contextvars.Context | None = None) -> asyncio.Task[Any]:
        if context is None:
            task = tasks.Task(coro, loop=self, name=name)
        else:
            task = tasks.Task(coro, loop=self, name=name, context=context)
        # Tasks still blocked when an instance is evicted are expected: no "destroyed but
        # pending" warnings.
        task._log_destroy_pending = False
        return task

    # -------------------------------------------------------------- state

    def is_running(self) -> bool:
        return self._running

    def is_closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        self._ready.clear()
        self._closed = True

    def get_debug(self) -> bool:
        return False

    def set_debug(self, enabled: bool) -> None:
        pass

    def run_forever(self) -> None:
        raise RuntimeError("a workflow event loop is driven by WorkflowInstance.activate, not run_forever")

    def run_until_complete(self, future: Any) -> Any:
        raise RuntimeError("a workflow event loop is driven by WorkflowInstance.activate, not run_until_complete")

    def stop(self) -> None:
        pass

    async def shutdown_asyncgens(self) -> None:
        pass

    async def shutdown_default_executor(self, timeout: float | None = None) -> None:
        pass

    # --------------------------------------------------------- exceptions

    def default_exception_handler(self, context: dict[str, Any]) -> None:
        message = context.get("message") or "unhandled exception in workflow event loop"
        exc = context.get("exception")
        inst = self.instance
        where = f" (workflow {inst.definition.name!r}, workflow_id={inst.workflow_id})" if inst is not None else ""
        log.warning("%s%s", message, where, exc_info=exc if isinstance(exc, BaseException) else None)

    def call_exception_handler(self, context: dict[str, Any]) -> None:
        # A callback (not a task) raising is an SDK bug: surface it from run_until_idle.
        # Everything else ("Task exception was never retrieved", ...) is only logged.
        exc = context.get("exception")
        if "handle" in context and isinstance(exc, BaseException) and self._running:
            self._callback_errors.append(exc)
            return
        self.default_exception_handler(context)

    def get_exception_handler(self) -> Any:
        return None

    def set_exception_handler(self, handler: Any) -> None:
        raise _forbidden("set_exception_handler")

    def get_task_factory(self) -> Any:
        return None

    def set_task_factory(self, factory: Any) -> None:
        raise _forbidden("set_task_factory")

    # -------------------------------------------------- forbidden: threads & I/O

    def run_in_executor(self, executor: Any, func: Any, *args: Any) -> Any:
        raise _forbidden("run_in_executor (threads)")

    def set_default_executor(self, executor: Any) -> None:
        raise _forbidden("set_default_executor")

    async def getaddrinfo(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("getaddrinfo (network I/O)")

    async def getnameinfo(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("getnameinfo (network I/O)")

    async def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("create_connection (network I/O)")

    async def create_server(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("create_server (network I/O)")

    async def create_datagram_endpoint(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("create_datagram_endpoint (network I/O)")

    async def create_unix_connection(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("create_unix_connection (I/O)")

    async def create_unix_server(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("create_unix_server (I/O)")

    async def sendfile(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("sendfile (I/O)")

    async def start_tls(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("start_tls (network I/O)")

    async def connect_accepted_socket(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("connect_accepted_socket (network I/O)")

    async def connect_read_pipe(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("connect_read_pipe (I/O)")

    async def connect_write_pipe(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("connect_write_pipe (I/O)")

    async def subprocess_shell(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("subprocesses")

    async def subprocess_exec(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("subprocesses")

    def add_reader(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("add_reader (I/O)")

    def remove_reader(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("remove_reader (I/O)")

    def add_writer(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("add_writer (I/O)")

    def remove_writer(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("remove_writer (I/O)")

    async def sock_recv(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("socket I/O")

    async def sock_recv_into(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("socket I/O")

    async def sock_sendall(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("socket I/O")

    async def sock_connect(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("socket I/O")

    async def sock_accept(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("socket I/O")

    async def sock_sendfile(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("socket I/O")

    def add_signal_handler(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("add_signal_handler")

    def remove_signal_handler(self, *args: Any, **kwargs: Any) -> Any:
        raise _forbidden("remove_signal_handler")


def current_loop() -> WorkflowEventLoop | None:
    loop = events._get_running_loop()
    return loop if isinstance(loop, WorkflowEventLoop) else None


def current_instance() -> "WorkflowInstance | None":
    """The WorkflowInstance whose code is running right now, else ``None``."""
    loop = events._get_running_loop()
    if isinstance(loop, WorkflowEventLoop):
        return loop.instance
    return None
