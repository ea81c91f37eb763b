"""Payload files checked in worker processes: ``--jobs``.

A run's payload units go to worker processes in small batches; a large
JSON Lines file is split into ranges of whole lines, each validated on its
own and merged in file order with one cap (:mod:`conformance.validation.payloads`).
Every result is recorded in the plan's order, whichever worker finished it
first, so ``--jobs 2`` and ``--jobs 1`` give the same run. Other units (a
standard's lifecycle, service checks) run in the main process.

A worker that dies (killed, out of memory, a crash in a native library)
costs the file it was on: that file gets an error result saying so, the
rest of its batch goes to another worker, and a new worker takes its place.
Ctrl-C or SIGTERM in the main process terminates every worker before the
run is concluded as incomplete; a worker whose main process is gone exits.

On Linux a single-threaded main process forks its workers (they inherit the
opened registry and compiled schemas, and start in milliseconds); anywhere
else, or with threads running (a reference service), workers start from a
fresh interpreter (``forkserver`` or ``spawn``) and open their own engine.
"""

from __future__ import annotations

import contextlib
import copyreg
import dataclasses
import functools
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from conformance.engine.units import PayloadUnit, Unit, payload_result
from conformance.errors import ConformanceError
from conformance.model import Finding, Requirement, Result, WaiverNote
from conformance.processes import can_fork, serve_the_run, start_forked
from conformance.registry.manifest import StandardVersion
from conformance.results.waivers import waive
from conformance.validation.payloads import (
    JSON_LINES_SUFFIXES,
    LinesPart,
    PayloadResult,
    merge_lines_parts,
    sniff,
    split_lines,
    validate_lines_part,
)

if TYPE_CHECKING:
    from multiprocessing.sharedctypes import Synchronized

    from conformance.engine.options import RunOptions
    from conformance.engine.runner import Engine

AUTO_MIN_UNITS = 64
"""With ``--jobs`` left to auto, fewer payload files than this (and no large
JSON Lines file) are checked in the main process: workers would cost more
than they save."""
SPLIT_BYTES = 4 * 1024 * 1024
"""A JSON Lines file at least this large is validated in parts."""
PART_BYTES = 2 * 1024 * 1024
"""The size of a part, about (at least two parts per worker)."""
BATCH = 64
"""Payload files sent to a worker at once."""
IN_FLIGHT = 2
"""Batches a worker holds at once: the next is ready when one is done."""
STOP_SECONDS = 2.0
"""How long stopped workers get to exit before they are killed."""


def _as_arguments(
    names: tuple[str, ...], value: object
) -> tuple[type, tuple[object, ...]]:
    return type(value), tuple(getattr(value, name) for name in names)


def _fast_pickling(*classes: type) -> None:
    """Pickle these dataclasses as their constructor's arguments.

    A frozen dataclass with slots is otherwise pickled through its fields()
    on every object, both ways: for thousands of results a second of the
    main process's time, spent while the workers wait.
    """
    for cls in classes:
        fields = dataclasses.fields(cls)
        if all(f.init for f in fields):
            names = tuple(f.name for f in fields)
            copyreg.pickle(cls, functools.partial(_as_arguments, names))


def resolve_jobs(jobs: int | None) -> int:
    """The number of worker processes: ``jobs``, or the processors usable."""
    if jobs is not None:
        return max(jobs, 1)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Task:
    """One payload file, or one part of a JSON Lines file, for a worker."""

    slot: int
    """The unit's place in the run."""
    unit: PayloadUnit | None
    """The unit, or ``None`` for a forked worker, which has the run's units."""
    part: tuple[int, int, int] | None = None
    index: int = 0
    """Which part of the file."""


@dataclass(slots=True)
class _Failure:
    """An exception a worker caught while checking a task."""

    message: str


_Outcome = Result | LinesPart | _Failure
_fast_pickling(Result, Finding, Requirement, WaiverNote, PayloadUnit, LinesPart, Task)


@dataclass(slots=True)
class _Slot:
    """One unit of the run and what has come back for it."""

    unit: Unit
    parts: int = 0
    """For a JSON Lines file validated in parts, how many; else 0."""
    done: dict[int, _Outcome] = field(default_factory=dict)
    result: Result | None = None
    started: float = field(default_factory=time.perf_counter)


@dataclass(slots=True)
class _Worker:
    process: BaseProcess
    conn: Connection
    current: Synchronized[int]
    batches: deque[list[Task]] = field(default_factory=deque)


def _context() -> BaseContext:
    if can_fork():
        return multiprocessing.get_context("fork")
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context(
        "forkserver" if "forkserver" in methods else "spawn"
    )


def _serve(
    conn: Connection,
    current: Synchronized[int],
    engine: Engine | None,
    options: RunOptions,
    units: Sequence[Unit] = (),
) -> None:
    """A worker's loop: a batch of tasks in, their outcomes out, in one message.

    ``current`` says which task of the batch is under way (-1: none), in
    memory the main process shares: if this process dies, that task is the
    one it died on.
    """
    serve_the_run()
    if engine is None:
        from conformance.engine.runner import Engine

        engine = Engine(options)
    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            break
        if batch is None:
            break
        outcomes = []
        for position, sent in enumerate(batch):
            current.value = position
            # A forked worker's whole file comes as its slot (_on_the_wire).
            task = Task(sent, None) if isinstance(sent, int) else sent
            unit = task.unit or units[task.slot]
            assert isinstance(unit, PayloadUnit)
            outcomes.append((task.slot, task.index, _run(engine, task, unit)))
        current.value = -1
        try:
            conn.send(outcomes)
        except (BrokenPipeError, OSError):
            return
    conn.close()


def _on_the_wire(batch: list[Task]) -> list[Task | int]:
    """A batch as a worker is sent it: a whole file a forked worker has the
    unit of goes as its slot (a list of numbers pickles in C; a task, as
    its fields, at some microseconds each in the main process)."""
    return [
        task.slot if task.unit is None and task.part is None else task for task in batch
    ]


def _run(engine: Engine, task: Task, unit: PayloadUnit) -> _Outcome:
    try:
        if task.part is None:
            return engine.execute(unit)
        validator = engine.validators.json(unit.standard)
        if validator is None:  # the main process checked: never
            raise ConformanceError("no JSON validator")
        return validate_lines_part(
            unit.path,
            validator,
            task.part,
            limits=engine.limits,
            max_findings=engine.options.limits.max_findings,
        )
    except Exception as exc:  # reported as the file's error, never lost
        return _Failure(f"{type(exc).__name__}: {exc}")


def worth_workers(engine: Engine, units: Sequence[Unit], jobs: int) -> bool:
    """Whether checking ``units`` in ``jobs`` workers can pay off."""
    if jobs < 2:
        return False
    payloads = [u for u in units if isinstance(u, PayloadUnit)]
    if engine.options.jobs is not None:  # asked for explicitly
        return len(payloads) > 1 or any(_splittable(engine, u) for u in payloads)
    return len(payloads) >= AUTO_MIN_UNITS or any(
        _splittable(engine, u) for u in payloads
    )


def _splittable(engine: Engine, unit: PayloadUnit) -> bool:
    """A regular JSON Lines file large enough to split, with a validator."""
    if unit.path.suffix.lower() not in JSON_LINES_SUFFIXES:
        return False
    try:
        status = unit.path.stat()
        if not unit.path.is_file() or status.st_size < SPLIT_BYTES:
            return False
        with unit.path.open("rb") as handle:
            if sniff(handle.read(4096)) != "json":
                return False
        return engine.validators.json(unit.standard) is not None
    except (OSError, ConformanceError):
        return False  # checked whole, which reports it


class WorkerPool:
    """Checks a run's payload units in worker processes, in the run's order."""

    def __init__(
        self,
        engine: Engine,
        jobs: int,
        record: Callable[[Result], None],
        other: Callable[[Unit], Result] | None = None,
    ) -> None:
        self.engine = engine
        self.jobs = jobs
        self.record = record
        # The results of the units that are not payload files (a lifecycle,
        # a service check), asked for in their turn.
        self.other = other or engine.execute
        self.context = _context()
        self.forks = self.context.get_start_method() == "fork"
        self.units: Sequence[Unit] = ()
        self.workers: list[_Worker] = []
        self.pending: deque[list[Task]] = deque()
        self.slots: list[_Slot] = []
        self.recorded = 0
        self.started = 0

    def run(self, units: Sequence[Unit]) -> None:
        """Check and record every unit, in order; workers stopped on return."""
        self.units = units
        try:
            self._plan(units)
            self._loop()
        finally:
            self.stop()

    def _plan(self, units: Sequence[Unit]) -> None:
        batch: list[Task] = []
        for slot, unit in enumerate(units):
            self.slots.append(_Slot(unit))
            if not isinstance(unit, PayloadUnit):
                continue
            # A forked worker has the units already: a task names its slot.
            carried = None if self.forks else unit
            if _splittable(self.engine, unit):
                size = unit.path.stat().st_size
                count = max(2 * self.jobs, -(-size // PART_BYTES))
                ranges = split_lines(unit.path, count)
                self.slots[slot].parts = len(ranges)
                for index, part in enumerate(ranges):
                    self.pending.append([Task(slot, carried, part, index)])
                continue
            batch.append(Task(slot, carried))
            if len(batch) == BATCH:
                self.pending.append(batch)
                batch = []
        if batch:
            self.pending.append(batch)

    def _start_worker(self) -> None:
        fork = self.context.get_start_method() == "fork"
        ours, theirs = self.context.Pipe()
        current = self.context.Value("i", -1, lock=False)
        process = self.context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(
                theirs,
                current,
                self.engine if fork else None,
                self.engine.options,
                self.units if fork else (),
            ),
            daemon=True,
            name=f"conformance-worker-{self.started}",
        )
        if fork:
            start_forked(process)
        else:
            process.start()
        theirs.close()
        self.started += 1
        self.workers.append(_Worker(process, ours, current))

    def _warm(self) -> None:
        """Compile the schemas the payload files name, once, before forking:
        every worker inherits them."""
        wanted: set[tuple[str, StandardVersion]] = set()
        for slot in self.slots:
            unit = slot.unit
            if isinstance(unit, PayloadUnit) and unit.standard is not None:
                kind = "xml" if unit.path.suffix.lower() == ".xml" else "json"
                wanted.add((kind, unit.standard))
        if any(standard.rules is not None for _, standard in wanted):
            # Business rules are imported on first need: here once, not in
            # every worker.
            import conformance.validation.rules  # noqa: F401

        validators = self.engine.validators
        for kind, standard in wanted:
            # A schema that does not compile is each file's error, as ever.
            with contextlib.suppress(ConformanceError):
                if kind == "xml":
                    validators.xml(standard)
                else:
                    validators.json(standard)

    def _loop(self) -> None:
        wanted = min(self.jobs, len(self.pending))
        if wanted and self.forks:
            self._warm()
        while len(self.workers) < wanted:
            self._start_worker()
        self._flush()
        while self.recorded < len(self.slots):
            self._dispatch()
            if not self.workers:
                self._run_here()
                continue
            ready = wait(
                [w.conn for w in self.workers]
                + [w.process.sentinel for w in self.workers]
            )
            for worker in list(self.workers):
                if worker.conn in ready:
                    self._receive(worker)
            for worker in list(self.workers):
                if worker.process.sentinel in ready:
                    self._receive(worker)
                    self._lost(worker)
            self._flush()

    def _dispatch(self) -> None:
        for worker in self.workers:
            while self.pending and len(worker.batches) < IN_FLIGHT:
                batch = self.pending.popleft()
                try:
                    worker.conn.send(_on_the_wire(batch))
                except (BrokenPipeError, OSError):
                    self.pending.appendleft(batch)
                    break
                worker.batches.append(batch)

    def _receive(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                outcomes = worker.conn.recv()
                worker.batches.popleft()
                for slot, index, outcome in outcomes:
                    self.slots[slot].done[index] = outcome
        except (EOFError, OSError):
            pass

    def _lost(self, worker: _Worker) -> None:
        """A worker exited: the task it was on fails, the rest go elsewhere."""
        self.workers.remove(worker)
        worker.conn.close()
        worker.process.join(STOP_SECONDS)
        how = how_it_ended(worker.process.exitcode)
        leftovers = list(worker.batches)
        position = worker.current.value
        if leftovers and 0 <= position < len(leftovers[0]):
            # The batch under way: the task it was on fails; those done
            # before it (their outcomes were never sent) and after it are
            # checked again elsewhere.
            batch = leftovers[0]
            crashed = batch[position]
            self.slots[crashed.slot].done[crashed.index] = _Failure(
                f"the worker process checking it stopped unexpectedly ({how}); the"
                " other files were checked: check this one alone with --jobs 1"
                " to see why"
            )
            rest = batch[:position] + batch[position + 1 :]
            leftovers = ([rest] if rest else []) + leftovers[1:]
        self.pending.extendleft(reversed(leftovers))
        if self.pending and self.started < 4 * self.jobs:
            self._start_worker()

    def _run_here(self) -> None:
        """No worker left to start: the main process checks what remains."""
        while self.pending:
            for task in self.pending.popleft():
                unit = self.slots[task.slot].unit
                assert isinstance(unit, PayloadUnit)
                self.slots[task.slot].done[task.index] = _run(self.engine, task, unit)
        self._flush()

    def _flush(self) -> None:
        """Record every result ready, in order; other units run here."""
        while self.recorded < len(self.slots):
            slot = self.slots[self.recorded]
            if isinstance(slot.unit, PayloadUnit):
                if len(slot.done) < max(slot.parts, 1):
                    return
                result = self._finish(slot, slot.unit)
            else:
                if not self.pending and not any(w.batches for w in self.workers):
                    # Every payload file is checked: no worker idles through
                    # the service checks that may follow.
                    self.stop()
                result = self.other(slot.unit)
            self.record(result)
            slot.done.clear()
            self.recorded += 1

    def _finish(self, slot: _Slot, unit: PayloadUnit) -> Result:
        failure = next((o for o in slot.done.values() if isinstance(o, _Failure)), None)
        if failure is not None:
            payload = PayloadResult(
                unit.path,
                "unknown",
                unit.standard.ref if unit.standard else None,
                (),
                error=f"{unit.shown}: {failure.message}",
            )
            return self._result(payload, unit, slot)
        if not slot.parts:
            outcome = slot.done[0]
            assert isinstance(outcome, Result)
            return outcome
        parts = [slot.done[i] for i in range(slot.parts)]
        merged = merge_lines_parts(
            unit.path,
            unit.standard,
            [p for p in parts if isinstance(p, LinesPart)],
            self.engine.options.limits.max_findings,
        )
        if merged is None:  # findings that depend on the cap's room: one pass
            return self.engine.execute(unit)
        return self._result(merged, unit, slot)

    def _result(self, payload: PayloadResult, unit: PayloadUnit, slot: _Slot) -> Result:
        engine = self.engine
        result = payload_result(
            engine.registry,
            payload,
            unit,
            duration=time.perf_counter() - slot.started,
        )
        if engine.waivers is not None:
            result = waive(result, engine.waivers, engine.day)
        return result

    def stop(self) -> None:
        """Stop every worker: asked first, terminated, then killed."""
        for worker in self.workers:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        end_processes([(w.process, bool(w.batches)) for w in self.workers])
        for worker in self.workers:
            worker.conn.close()
        self.workers.clear()


def end_processes(processes: Sequence[tuple[BaseProcess, bool]]) -> None:
    """Wait for worker processes to exit; each busy one is terminated first,
    and any still there after :data:`STOP_SECONDS` is killed."""
    deadline = time.monotonic() + STOP_SECONDS
    for process, busy in processes:
        if busy and process.is_alive():
            process.terminate()
    for process, _ in processes:
        process.join(max(deadline - time.monotonic(), 0.05))
        if process.is_alive():
            process.kill()
            process.join(STOP_SECONDS)


def how_it_ended(code: int | None) -> str:
    """How a worker process ended, from its exit code, in words."""
    if code is None:
        return "it did not exit"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
