"""Service checks side by side: a thread per service, services in processes.

A service's checks run in the plan's order, one after the other (a check may
rely on what an earlier one of its service did); different services are
checked at the same time, and their results are handed out in the plan's
order (:meth:`result`), whoever finished first.

:class:`ServiceThreads` checks each service in a thread of this process.
Threads overlap the services' waiting, but the run's own work (generating
requests, judging replies) shares one interpreter lock. With ``--jobs`` of
two or more, :class:`ServiceProcesses` forks worker processes (on Linux) and
shares the services out among them, each checking its services in threads:
the run then uses every core. A service is never split between processes,
so its rate limit and the order of its checks hold as in one process.

A worker that dies (killed, out of memory, a crash in a native library)
costs the checks it was running: each gets an error result saying so, and
the checks of its services it had not begun are made in the main process.
Ctrl-C or SIGTERM in the main process terminates every worker.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from conformance.engine.jobs import STOP_SECONDS, end_processes, how_it_ended
from conformance.engine.units import ServiceUnit, Unit
from conformance.errors import ConformanceError
from conformance.model import Result
from conformance.processes import can_fork, serve_the_run, start_forked

if TYPE_CHECKING:
    from conformance.engine.runner import Engine


class ServiceThreads:
    """Checks services side by side: one thread per service, each running
    that service's units in the plan's order, while :meth:`result` hands the
    results out in the plan's order. A service's client keeps its rate limit
    across threads; the services' requests overlap, so the run's work and
    the services' (the bundled service runs in a process of its own) use
    both cores. Leaving the ``with`` block (Ctrl-C, say) stops every thread
    before its next unit.
    """

    def __init__(
        self,
        engine: Engine,
        units: Sequence[Unit],
        futures: dict[int, Future[Result]] | None = None,
        *,
        lazy: bool = False,
    ) -> None:
        self.engine = engine
        self.lazy = lazy
        self.started = False
        self.futures: dict[int, Future[Result]] = {} if futures is None else futures
        self.stopping = threading.Event()
        groups = _groups(units)
        for group in groups:
            for unit in group:
                self.futures.setdefault(id(unit), Future())
        self.threads = [
            threading.Thread(
                target=self._work,
                args=(group,),
                name=f"service-{group[0].planned.target.id}",
                daemon=True,
            )
            for group in groups
        ]

    def _work(self, units: list[ServiceUnit]) -> None:
        for unit in units:
            future = self.futures[id(unit)]
            if self.stopping.is_set():
                future.cancel()
                continue
            try:
                future.set_result(self.engine.execute(unit))
            except BaseException as exc:  # the main thread raises it
                future.set_exception(exc)

    def result(self, unit: ServiceUnit) -> Result:
        """The result of one service unit, once its thread has it."""
        self._start()
        return self.futures[id(unit)].result()

    def _start(self) -> None:
        if not self.started:
            self.started = True
            for thread in self.threads:
                thread.start()

    def __enter__(self) -> ServiceThreads:
        if not self.lazy:
            self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()


def service_checks(
    engine: Engine, units: Sequence[Unit], jobs: int, *, lazy: bool = False
) -> ServiceThreads | ServiceProcesses:
    """What checks the services of ``units``: worker processes when ``jobs``
    allows, there are two services or more and this process can fork;
    threads of this process otherwise.

    Neither leaves a thread running in this process until a result is asked
    for when ``lazy``: payload workers forked meanwhile copy no thread's locks.
    """
    groups = _groups(units)
    targets = [group[0].planned.target for group in groups]
    if engine.options.dry_run or not targets:
        return ServiceThreads(engine, units, lazy=lazy)
    services = engine.services()
    if jobs < 2 or len(groups) < 2 or not can_fork():
        # The reference services' process starts now, while payloads are
        # checked; here, not in Engine.start(): a pytest -n controller starts
        # a session but its workers execute the units.
        services.prepare(targets)
        return ServiceThreads(engine, units, lazy=lazy)
    # Built once here, what the workers (and the reference services' process,
    # forked next) would otherwise each build for themselves.
    services.warm(targets)
    services.open_references(targets)
    if not can_fork():  # opening them left a thread behind
        return ServiceThreads(engine, units, lazy=lazy)
    return ServiceProcesses(engine, groups, jobs)


def _groups(units: Sequence[Unit]) -> list[list[ServiceUnit]]:
    """The service units by service, each in the plan's order."""
    groups: dict[str, list[ServiceUnit]] = {}
    for unit in units:
        if isinstance(unit, ServiceUnit):
            groups.setdefault(unit.service, []).append(unit)
    return list(groups.values())


THREADS = 2
"""Services a worker checks at once, in threads: one's requests overlap the
other's work. More would claim every service at the start, and a worker
with slow services would be left with them while the other one idles."""


MAIN = -2
"""Who claimed a service that the main process checks (its workers ended)."""


@dataclass(slots=True)
class _Worker:
    number: int
    process: BaseProcess
    conn: Connection
    open: bool = True


class _Board:
    """What the workers share, in memory every process sees at once: the
    next service to claim, who claimed each, and which of its checks is
    under way (so a worker's crash names it, whatever it had sent)."""

    def __init__(self, context: BaseContext, services: int) -> None:
        self.next = context.Value("i", 0)
        self.owner = context.Array("i", [-1] * services, lock=False)
        self.under_way = context.Array("i", [-1] * services, lock=False)

    def claim(self, worker: int) -> int | None:
        """The next service for ``worker``, or ``None`` when none is left.

        A worker killed while holding the lock would keep it held: the
        others then stop claiming, and the main process checks what is left
        once they have ended (:meth:`unclaimed`).
        """
        lock = self.next.get_lock()
        if not lock.acquire(timeout=STOP_SECONDS):
            return None
        try:
            group: int = self.next.value
            if group >= len(self.owner):
                return None
            self.next.value = group + 1
            self.owner[group] = worker
            return group
        finally:
            lock.release()

    def unclaimed(self) -> list[int]:
        """Every service nobody claimed, now the main process's.

        Only once every worker has ended: the lock is not taken (a worker
        killed holding it left it held), and no worker can claim meanwhile.
        """
        left = [g for g, owner in enumerate(self.owner) if owner == -1]
        for group in left:
            self.owner[group] = MAIN
        # Written past the lock: its value's own setter would take it.
        self.next.get_obj().value = len(self.owner)
        return left


class ServiceProcesses:
    """Checks services in forked worker processes; :meth:`result` hands the
    results out in the plan's order. See the module's description.

    Each worker claims the next service not yet claimed whenever one of its
    threads is free, so a worker left with quick services takes more.
    """

    def __init__(
        self, engine: Engine, groups: list[list[ServiceUnit]], jobs: int
    ) -> None:
        self.engine = engine
        self.groups = groups
        self.futures: dict[int, Future[Result]] = {
            id(unit): Future() for group in groups for unit in group
        }
        self.count = min(jobs, len(groups))
        self.context = multiprocessing.get_context("fork")
        self.board = _Board(self.context, len(groups))
        self.workers: list[_Worker] = []
        self.live: list[_Worker] = []
        self.stopping = False
        self.leftovers: list[ServiceThreads] = []

    def __enter__(self) -> ServiceProcesses:
        try:
            self._start()
        except BaseException:
            # Ctrl-C while forking: the workers started already end here.
            self.stopping = True
            end_processes([(w.process, True) for w in self.workers])
            raise
        self.live = list(self.workers)
        return self

    def _start(self) -> None:
        for number in range(self.count):
            ours, theirs = self.context.Pipe(duplex=False)
            process = self.context.Process(
                target=_serve,
                args=(theirs, self.engine, self.groups, self.board, number),
                daemon=True,
                name=f"conformance-services-{number}",
            )
            start_forked(process)
            theirs.close()
            self.workers.append(_Worker(number, process, ours))

    def result(self, unit: ServiceUnit) -> Result:
        """The result of one service unit, once a worker has sent it.

        Messages are read here, when a result is wanted (a worker keeps what
        it has not sent yet, in memory, and goes on checking): the main
        process runs no thread of its own and may fork payload workers.
        """
        future = self.futures[id(unit)]
        while not future.done() and self.live:
            self._pump()
        return future.result()

    def _pump(self) -> None:
        """Wait for a message or a worker's end, and take what came."""
        waited: list[Connection | int] = [w.conn for w in self.live if w.open]
        waited += [w.process.sentinel for w in self.live]
        ready = wait(waited)
        for worker in list(self.live):
            if worker.open and worker.conn in ready:
                self._receive(worker)
            if worker.process.sentinel in ready:
                self._receive(worker)
                worker.process.join()
                self.live.remove(worker)
                self._ended(worker)

    def _receive(self, worker: _Worker) -> None:
        while worker.open:
            try:
                if not worker.conn.poll():
                    return
                what, group, position, detail = worker.conn.recv()
            except (EOFError, OSError):
                worker.open = False
                return
            future = self.futures[id(self.groups[group][position])]
            if what == "done":
                future.set_result(detail)
            else:  # "raised": a bug in a check, raised in the main thread
                unit = self.groups[group][position]
                future.set_exception(ConformanceError(f"{unit.id}: {detail}"))

    def _ended(self, worker: _Worker) -> None:
        """A worker exited: the check it was making fails; the rest of its
        services' checks, and the services nobody can claim now, are made
        here."""
        worker.conn.close()
        mine = [g for g, owner in enumerate(self.board.owner) if owner == worker.number]
        if not self.live:
            # Nobody left to claim the rest: this process takes it.
            mine += self.board.unclaimed()
        rest: list[ServiceUnit] = []
        how = how_it_ended(worker.process.exitcode)
        for group in mine:
            under_way = self.board.under_way[group]
            for position, unit in enumerate(self.groups[group]):
                future = self.futures[id(unit)]
                if future.done():
                    continue
                if self.stopping:
                    future.cancel()
                elif position == under_way and self.board.owner[group] != MAIN:
                    future.set_result(self._lost(unit, how))
                else:
                    rest.append(unit)
        if rest:
            threads = ServiceThreads(self.engine, rest, futures=self.futures)
            self.leftovers.append(threads)
            threads.__enter__()

    def _lost(self, unit: ServiceUnit, how: str) -> Result:
        from conformance.probing.plan import lost_result  # probing: loaded already

        return lost_result(
            self.engine.registry,
            unit.planned,
            f"the worker process checking it stopped unexpectedly ({how}); the"
            " other checks were made: check this service alone with --jobs 1 to"
            " see why",
        )

    def __exit__(self, *exc: object) -> None:
        self.stopping = True
        for threads in self.leftovers:
            threads.__exit__()
        unfinished = any(not f.done() for f in self.futures.values())
        end_processes([(w.process, unfinished) for w in self.workers])
        for worker in self.workers:
            worker.conn.close()


def _serve(
    conn: Connection,
    engine: Engine,
    groups: list[list[ServiceUnit]],
    board: _Board,
    number: int,
) -> None:
    """A worker: :data:`THREADS` threads, each claiming a service and making
    its checks in order; every result is sent as it comes, under its
    service's place and its own."""
    serve_the_run(f"conformance-s{number}")
    engine.services().detach()
    # The main process reads when it wants a result (after its payload
    # files, say): what it has not read waits here, not in a full pipe.
    outbox: queue.SimpleQueue[tuple[object, ...] | None] = queue.SimpleQueue()

    def send() -> None:
        while (message := outbox.get()) is not None:
            try:
                conn.send(message)
            except OSError:  # the main process is gone or stopped reading
                return

    def work() -> None:
        while (group := board.claim(number)) is not None:
            for position, unit in enumerate(groups[group]):
                board.under_way[group] = position
                try:
                    result = engine.execute(unit)
                except Exception as exc:
                    why = f"{type(exc).__name__}: {exc}"
                    outbox.put(("raised", group, position, why))
                    return
                outbox.put(("done", group, position, result))

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    threads = [threading.Thread(target=work, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outbox.put(None)
    sender.join()
    with contextlib.suppress(OSError):
        conn.close()
