"""The page's workers: the batch runner's work function in a pool of processes that compile the templates
once each; a request that runs past its time has its worker stopped and the pool renewed."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable

from ..errors import UserError

START_SECONDS = 120  # imports and template compilation of a worker on a loaded machine


def _start() -> None:
    from .. import batch

    batch._worker_init()
    batch._templates(None, None)  # compiled before the first request, not during it


def _ready() -> None:
    """Nothing: submitted once per worker so that each starts (and compiles) before the first request."""


class Workers:
    def __init__(self, size: int, seconds: float, start: Callable[[], None] = _start):
        self.size, self.seconds, self.start = size, seconds, start
        self.pool = self._new()
        self.slots = asyncio.Semaphore(size)  # a task's time counts from when a worker takes it, not while it queues

    def _new(self) -> ProcessPoolExecutor:
        # the server has threads (event loop, uploads); forking it would copy their locks and pipes
        method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"  # Windows: spawn
        context = multiprocessing.get_context(method)
        pool = ProcessPoolExecutor(max_workers=self.size, initializer=self.start, mp_context=context)
        self.started = [pool.submit(_ready) for _ in range(self.size)]
        return pool

    async def _started(self) -> None:
        """Wait until the pool's workers have started and compiled: a start on a busy machine is not the task's time."""
        if all(f.done() and f.exception() is None for f in self.started):
            return
        try:
            await asyncio.wait_for(asyncio.gather(*map(asyncio.wrap_future, self.started)), START_SECONDS)
        except (asyncio.TimeoutError, BrokenProcessPool):
            self._renew(self.pool)
            raise UserError("处理进程未能启动，请重试；如仍出错，请告知管理员") from None

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        async with self.slots:
            await self._started()
            pool = self.pool
            try:
                future = pool.submit(fn, *args)
                return await asyncio.wait_for(asyncio.wrap_future(future), self.seconds)
            except asyncio.TimeoutError:
                self._renew(pool)
                raise UserError(f"处理超过 {self.seconds:g} 秒，已停止；文件可能过大或异常") from None
            except BrokenProcessPool:
                self._renew(pool)
                raise UserError("处理进程意外退出，请重试；如仍出错，请把文件交给管理员检查") from None

    def _renew(self, pool: ProcessPoolExecutor) -> None:
        if pool is not self.pool:
            return  # another request renewed it already
        self.pool = self._new()
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()  # the executor has no way to stop a running task; its process goes
        pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
