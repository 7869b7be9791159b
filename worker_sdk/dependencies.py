"""Dependency injection for activities: ``Depends(provider)`` as the seed system has it.

    async def get_db() -> Database:
        return await Database.connect(...)

    @workflows.activity()
    async def insert_user(name: str, db: Database = workflows.Depends(get_db)) -> int:
        return await db.insert(name)

A parameter whose default is ``Depends(provider)`` is *injected*: it is not part of the
activity's input (workflow code calls ``insert_user("bob")``; nothing about ``db`` is sent or
validated), and the value is the provider's when the function runs. A provider takes no
argument and may be a sync or async function, a sync or async context manager (a
``@contextmanager`` function or a class with ``__enter__`` / ``__aenter__``), or a sync or async
generator (the value is what it yields first; the rest runs on exit).

Lifetime, as the seed documents it:

* **On a worker**, a provider's value is created once per ``Worker`` (the first time an activity
  that needs it runs there) and shared by every later call of every activity that depends on the
  same provider; it is exited (context managers, generators) when the worker shuts down. The
  seed enters all of them when the worker starts; fanflow enters each on first use, so a
  provider that fails fails only the attempts that need it (retried as their policy says) and a
  worker never fails to start because of one.
* **Called directly** (outside any workflow or worker, e.g. in a unit test), each call enters
  what it needs before the call and exits it after (``async with`` semantics, even when the
  call raised: the exit never swallows the call's exception).
* Inside ``async with DependencyInjector.get_singleton_instance().with_dependencies():`` (or
  ``with_scoped_dependencies(deps)``), calls take the values entered by that block.

A caller may pass an injected parameter explicitly in a direct call (handy in tests); that value
is used and the provider is not called. A provider that raises gives a ``DependencyError``
naming the activity, the parameter and the provider.
"""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
from typing import Any, AsyncIterator, Callable, Iterable, Mapping

from .exceptions import DependencyError

__all__ = ["Depends", "DependsCls", "DependencyInjector", "DependencyScope", "injected_parameters", "provide"]


class Depends:
    """Marks a parameter as injected: ``db: Database = Depends(get_db)``."""

    __slots__ = ("dependency",)

    def __init__(self, dependency: Callable[[], Any]) -> None:
        if not callable(dependency):
            raise TypeError(f"Depends() needs a callable provider (a function, context manager or generator function), got {dependency!r}")
        self.dependency = dependency

    def __repr__(self) -> str:
        return f"Depends({_provider_name(self.dependency)})"


#: The seed's class name for what ``Depends(...)`` returns.
DependsCls = Depends


def _provider_name(provider: Callable[..., Any]) -> str:
    return getattr(provider, "__qualname__", None) or getattr(provider, "__name__", None) or repr(provider)


def injected_parameters(fn: Callable[..., Any]) -> dict[str, Callable[[], Any]]:
    """``{parameter name: provider}`` for the parameters of ``fn`` whose default is ``Depends``."""
    found: dict[str, Callable[[], Any]] = {}
    for param in inspect.signature(fn).parameters.values():
        if isinstance(param.default, Depends):
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):  # pragma: no cover - no default possible
                raise TypeError(f"*{param.name} cannot be injected")
            found[param.name] = param.default.dependency
    return found


@contextlib.asynccontextmanager
async def _enter(provider: Callable[[], Any]) -> AsyncIterator[Any]:
    """The provider's value, whatever kind of provider it is, with its exit after."""
    result = provider()
    if isinstance(result, contextlib.AbstractAsyncContextManager):
        async with result as value:
            yield value
    elif isinstance(result, contextlib.AbstractContextManager):
        with result as value:
            yield value
    elif inspect.isasyncgen(result):
        async with contextlib.asynccontextmanager(lambda: result)() as value:
            yield value
    elif inspect.isgenerator(result):
        with contextlib.contextmanager(lambda: result)() as value:
            yield value
    elif inspect.isawaitable(result):
        yield await result
    else:
        yield result


class DependencyScope:
    """Provider values entered on first use and kept until ``aclose()`` (a worker's lifetime)."""

    def __init__(self) -> None:
        self._values: dict[Callable[[], Any], Any] = {}
        self._stack = contextlib.AsyncExitStack()
        self._lock: asyncio.Lock | None = None
        self._closed = False

    def __contains__(self, provider: Callable[[], Any]) -> bool:
        return provider in self._values

    async def get(self, provider: Callable[[], Any]) -> Any:
        if provider in self._values:
            return self._values[provider]
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # two first uses at once: the provider runs once
            if provider not in self._values:
                if self._closed:
                    raise RuntimeError("the worker's dependencies are closed (the worker is shutting down)")
                self._values[provider] = await self._stack.enter_async_context(_enter(provider))
            return self._values[provider]

    def put(self, provider: Callable[[], Any], value: Any) -> None:
        self._values[provider] = value

    async def aclose(self) -> None:
        """Exit every entered provider, last entered first."""
        self._closed = True
        self._values.clear()
        await self._stack.aclose()


_CONTEXT_VALUES: contextvars.ContextVar[Mapping[Callable[[], Any], Any] | None] = contextvars.ContextVar(
    "fanflow_dependency_values", default=None
)


def _current_worker_scope() -> DependencyScope | None:
    from .activity_context import ActivityContext

    ctx = ActivityContext.current()
    return ctx.dependencies if ctx is not None else None


@contextlib.asynccontextmanager
async def provide(
    activity_name: str,
    providers: Mapping[str, Callable[[], Any]],
    given: Iterable[str] = (),
    scope: DependencyScope | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """The injected keyword arguments of one call of ``activity_name``.

    ``providers``: ``{parameter: provider}``; ``given``: parameters the caller passed itself (not
    injected). Values come from an enclosing ``DependencyInjector`` block, else ``scope`` (or the
    running activity's worker scope), else are entered for this call and exited after it."""
    if not providers:
        yield {}
        return
    given = set(given)
    if scope is None:
        scope = _current_worker_scope()
    outer = _CONTEXT_VALUES.get() or {}
    values: dict[str, Any] = {}
    async with contextlib.AsyncExitStack() as stack:
        for param, provider in providers.items():
            if param in given:
                continue
            try:
                if provider in outer:
                    values[param] = outer[provider]
                elif scope is not None:
                    values[param] = await scope.get(provider)
                else:
                    values[param] = await stack.enter_async_context(_enter(provider))
            except Exception as exc:
                raise DependencyError(
                    f"activity {activity_name!r}: dependency {_provider_name(provider)!r} (parameter {param!r}) "
                    f"failed: {type(exc).__name__}: {exc}",
                    activity=activity_name,
                    parameter=param,
                    provider=_provider_name(provider),
                ) from exc
        try:
            yield values
        finally:
            # Exit what this call entered without handing it the call's exception: a provider
            # (a generator catching it) must never swallow the activity's error or result.
            await stack.aclose()


class DependencyInjector:
    """The seed's injector. Every ``Depends`` provider of a decorated activity is registered
    with the singleton (``get_singleton_instance()``); ``with_dependencies()`` enters them all
    for the block (calls inside use those values), ``with_scoped_dependencies(providers)`` only
    the given ones. Blocks nest: an inner one enters only what the outer did not."""

    _singleton: "DependencyInjector | None" = None

    def __init__(self) -> None:
        self._providers: dict[Callable[[], Any], None] = {}

    @classmethod
    def get_singleton_instance(cls) -> "DependencyInjector":
        if cls._singleton is None:
            cls._singleton = cls()
        return cls._singleton

    @classmethod
    def clear_singleton_cache(cls) -> None:
        cls._singleton = None

    @staticmethod
    def clear_resolved_dependencies() -> None:
        _CONTEXT_VALUES.set(None)

    @staticmethod
    def is_inside_dependencies_context() -> bool:
        return _CONTEXT_VALUES.get() is not None

    def register(self, provider: Callable[[], Any]) -> None:
        self._providers.setdefault(provider, None)

    @property
    def providers(self) -> list[Callable[[], Any]]:
        return list(self._providers)

    @staticmethod
    def collect_dependencies(funcs: Iterable[Callable[..., Any]]) -> set[Callable[[], Any]]:
        """The providers the given activities (or plain functions) depend on."""
        found: set[Callable[[], Any]] = set()
        for fn in funcs:
            defn = getattr(fn, "__fanflow_activity__", None)
            target = defn.fn if defn is not None else fn
            found.update(injected_parameters(target).values())
        return found

    def with_dependencies(self) -> contextlib.AbstractAsyncContextManager[None]:
        return self.with_scoped_dependencies(self._providers)

    @contextlib.asynccontextmanager
    async def with_scoped_dependencies(self, providers: Iterable[Callable[[], Any]]) -> AsyncIterator[None]:
        outer = _CONTEXT_VALUES.get()
        merged = dict(outer or {})
        async with contextlib.AsyncExitStack() as stack:
            for provider in providers:
                if provider not in merged:
                    merged[provider] = await stack.enter_async_context(_enter(provider))
            token = _CONTEXT_VALUES.set(merged)
            try:
                yield
            finally:
                _CONTEXT_VALUES.reset(token)

    def auto_resolve_dependencies(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn`` without its injected parameters: an async function that provides them on
        each call (as an activity called directly does)."""
        providers = injected_parameters(fn)
        for provider in providers.values():
            self.register(provider)
        signature = inspect.signature(fn)
        name = getattr(fn, "__qualname__", repr(fn))

        async def call(*args: Any, **kwargs: Any) -> Any:
            given = signature.bind_partial(*args, **kwargs).arguments
            async with provide(name, providers, given) as values:
                result = fn(*args, **kwargs, **values)
                if inspect.isawaitable(result):
                    result = await result
                return result

        call.__signature__ = signature.replace(parameters=[p for n, p in signature.parameters.items() if n not in providers])  # type: ignore[attr-defined]
        call.__name__ = getattr(fn, "__name__", "call")
        call.__qualname__ = name
        call.__wrapped__ = fn  # type: ignore[attr-defined]
        return call
