#!/usr/bin/env python3
"""The workloads of awaitlet's Rust benchmark suite, under Python's awaitlet with asyncio.

Run by hand (not by CI or `cargo bench`): see README.md beside this file. Writes results.json
beside this file, which `cargo run -p awaitlet-benches --bin report` puts into BENCHMARKS.md.

Each workload is measured for Python's awaitlet and its baselines, like the Rust suite:

- ready: one ``awaitlet(coro())`` of a coroutine that returns without suspending, against
  ``await coro()``; the loop runs inside one ``async_def`` (one coroutine).
- pending_once: one ``awaitlet(asyncio.sleep(0))`` (suspends once, rescheduled at once), against
  ``await asyncio.sleep(0)``, in a task.
- roundtrip: one ``await async_def(fn)`` of a fn returning 1, against
  ``await asyncio.create_task(coro())`` and the thread bridge,
  ``await asyncio.to_thread(lambda: run_coroutine_threadsafe(coro(), loop).result())``.
- pingpong: two ``asyncio.Queue(1)``; a native producer; the consumer native, sync code under
  ``awaitlet``, or the thread bridge (``run_coroutine_threadsafe(...).result()`` in ``to_thread``).
- echo: N concurrent clients x 100 round trips on one loopback connection each, against an
  asyncio echo server in another process; the client an ``async_def`` around the unchanged sync
  middle layer, native asyncio, or one OS thread per client with blocking sockets.

The figure of each variant is the median over several runs of the time per operation.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import multiprocessing
import os
import platform
import socket
import statistics
import sys
import threading
import time
from importlib import metadata
from pathlib import Path

import awaitlet
from awaitlet import async_def

HERE = Path(__file__).resolve().parent
COMMAND = "python3 benches/python/bench_awaitlet.py"
ROUNDS = 100
MESSAGE = "ping"


def median_ns(samples: list[float]) -> float:
    return statistics.median(samples)


def per_op(run, ops: int, repeats: int) -> float:
    """Median over `repeats` runs of `run(ops)` (which returns elapsed ns) divided by `ops`."""
    return median_ns([run(ops) / ops for _ in range(repeats)])


# ---- ready -----------------------------------------------------------------------------------


async def ready_coro() -> int:
    return 1


def ready_awaitlet(ops: int) -> float:
    def body() -> float:
        start = time.perf_counter_ns()
        for _ in range(ops):
            awaitlet.awaitlet(ready_coro())
        return time.perf_counter_ns() - start

    return asyncio.run(async_def(body))


def ready_native(ops: int) -> float:
    async def body() -> float:
        start = time.perf_counter_ns()
        for _ in range(ops):
            await ready_coro()
        return time.perf_counter_ns() - start

    return asyncio.run(body())


# ---- pending_once ----------------------------------------------------------------------------


def pending_awaitlet(ops: int) -> float:
    def body() -> float:
        start = time.perf_counter_ns()
        for _ in range(ops):
            awaitlet.awaitlet(asyncio.sleep(0))
        return time.perf_counter_ns() - start

    async def main() -> float:
        return await asyncio.create_task(async_def(body))

    return asyncio.run(main())


def pending_native(ops: int) -> float:
    async def body() -> float:
        start = time.perf_counter_ns()
        for _ in range(ops):
            await asyncio.sleep(0)
        return time.perf_counter_ns() - start

    async def main() -> float:
        return await asyncio.create_task(body())

    return asyncio.run(main())


# ---- roundtrip -------------------------------------------------------------------------------


def one() -> int:
    return 1


async def one_async() -> int:
    return 1


def roundtrip_awaitlet(ops: int) -> float:
    async def main() -> float:
        await async_def(one)
        start = time.perf_counter_ns()
        for _ in range(ops):
            await async_def(one)
        return time.perf_counter_ns() - start

    return asyncio.run(main())


def roundtrip_create_task(ops: int) -> float:
    async def main() -> float:
        start = time.perf_counter_ns()
        for _ in range(ops):
            await asyncio.create_task(one_async())
        return time.perf_counter_ns() - start

    return asyncio.run(main())


def roundtrip_thread_bridge(ops: int) -> float:
    async def main() -> float:
        loop = asyncio.get_running_loop()

        def bridge() -> int:
            return asyncio.run_coroutine_threadsafe(one_async(), loop).result()

        await asyncio.to_thread(bridge)
        start = time.perf_counter_ns()
        for _ in range(ops):
            await asyncio.to_thread(bridge)
        return time.perf_counter_ns() - start

    return asyncio.run(main())


# ---- pingpong --------------------------------------------------------------------------------


async def producer(to_consumer: asyncio.Queue, from_consumer: asyncio.Queue, ops: int) -> float:
    start = time.perf_counter_ns()
    for i in range(ops):
        await to_consumer.put(i)
        if await from_consumer.get() != i:
            raise AssertionError("the consumer sent back the wrong number")
    elapsed = time.perf_counter_ns() - start
    await to_consumer.put(None)
    return elapsed


async def native_consumer(from_producer: asyncio.Queue, to_producer: asyncio.Queue) -> None:
    while (value := await from_producer.get()) is not None:
        await to_producer.put(value)


def sync_consumer(from_producer: asyncio.Queue, to_producer: asyncio.Queue) -> None:
    while (value := awaitlet.awaitlet(from_producer.get())) is not None:
        awaitlet.awaitlet(to_producer.put(value))


def pingpong(consumer_kind: str, ops: int) -> float:
    async def main() -> float:
        to_consumer: asyncio.Queue = asyncio.Queue(1)
        to_producer: asyncio.Queue = asyncio.Queue(1)
        loop = asyncio.get_running_loop()
        if consumer_kind == "native":
            consumer = asyncio.create_task(native_consumer(to_consumer, to_producer))
        elif consumer_kind == "awaitlet":
            consumer = asyncio.create_task(async_def(sync_consumer, to_consumer, to_producer))
        else:

            def blocking_consumer() -> None:
                def call(coro):
                    return asyncio.run_coroutine_threadsafe(coro, loop).result()

                while (value := call(to_consumer.get())) is not None:
                    call(to_producer.put(value))

            consumer = asyncio.ensure_future(asyncio.to_thread(blocking_consumer))
        elapsed = await producer(to_consumer, to_producer, ops)
        await consumer
        return elapsed

    return asyncio.run(main())


# ---- echo ------------------------------------------------------------------------------------


def echo_server(port_pipe, stop) -> None:
    """The server process: an asyncio echo server on 127.0.0.1 until `stop` is set."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(4096):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        port_pipe.send(server.sockets[0].getsockname()[1])
        loop = asyncio.get_running_loop()
        # Serve until the parent says stop (bounded: the parent always sets it or terminates us).
        await loop.run_in_executor(None, stop.wait)
        server.close()

    asyncio.run(main())


def send_receive_logic(conn, msg: str, implementation) -> str:
    """The unchanged sync middle layer of the synopsis."""
    return implementation(conn, f"message number {msg}\n")


async def send_receive_logic_async(conn, msg: str) -> str:
    """The middle layer as a native asyncio port must rewrite it."""
    return await native_send_receive(conn, f"message number {msg}\n")


EXPECTED = f"message number {MESSAGE}\n"


def check(reply: str) -> None:
    if reply != EXPECTED:
        raise AssertionError(f"the echo server sent back {reply!r}")


def awaitlet_send_receive(conn, line: str) -> str:
    reader, writer = conn
    writer.write(line.encode())
    awaitlet.awaitlet(writer.drain())
    return awaitlet.awaitlet(reader.readline()).decode()


async def native_send_receive(conn, line: str) -> str:
    reader, writer = conn
    writer.write(line.encode())
    await writer.drain()
    return (await reader.readline()).decode()


def blocking_send_receive(conn, line: str) -> str:
    sock, file = conn
    sock.sendall(line.encode())
    return file.readline().decode()


def awaitlet_client(port: int, rounds: int) -> None:
    conn = awaitlet.awaitlet(asyncio.open_connection("127.0.0.1", port))
    try:
        for _ in range(rounds):
            check(send_receive_logic(conn, MESSAGE, awaitlet_send_receive))
    finally:
        conn[1].close()


async def native_client(port: int, rounds: int) -> None:
    conn = await asyncio.open_connection("127.0.0.1", port)
    try:
        for _ in range(rounds):
            check(await send_receive_logic_async(conn, MESSAGE))
    finally:
        conn[1].close()


def blocking_client(port: int, rounds: int, errors: list) -> None:
    try:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with sock.makefile("rb") as file:
                for _ in range(rounds):
                    check(send_receive_logic((sock, file), MESSAGE, blocking_send_receive))
    except BaseException as error:  # reported by the main thread
        errors.append(error)


def echo_run(kind: str, port: int, clients: int, rounds: int) -> float:
    """Elapsed ns for `clients` concurrent clients of `kind`."""
    if kind == "threads":
        errors: list = []
        start = time.perf_counter_ns()
        threads = [
            threading.Thread(target=blocking_client, args=(port, rounds, errors))
            for _ in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter_ns() - start
        if errors:
            raise errors[0]
        return elapsed

    async def main() -> float:
        start = time.perf_counter_ns()
        if kind == "awaitlet":
            tasks = [async_def(awaitlet_client, port, rounds) for _ in range(clients)]
        else:
            tasks = [native_client(port, rounds) for _ in range(clients)]
        await asyncio.gather(*tasks)
        return time.perf_counter_ns() - start

    return asyncio.run(main())


# ---- main ------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def variant(id_: str, label: str, ns: float, runs: int) -> dict:
    print(f"  {label:<40} {ns:12.1f} ns", flush=True)
    return {"id": id_, "label": label, "median_ns": ns, "runs": runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script")
    parser.add_argument(
        "--skip-1000", action="store_true", help="skip the echo at 1,000 clients"
    )
    parser.add_argument("--output", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    scale = 0.01 if args.quick else 1.0
    repeats = 2 if args.quick else 7

    def n(ops: int) -> int:
        return max(10, int(ops * scale))

    groups = []

    print("ready: per await", flush=True)
    ops = n(200_000)
    groups.append({
        "group": "ready",
        "title": "ready await",
        "per": "await",
        "variants": [
            variant("awaitlet", "awaitlet(coro())", per_op(ready_awaitlet, ops, repeats), repeats),
            variant("native", "await coro()", per_op(ready_native, ops, repeats), repeats),
        ],
    })

    print("pending_once: per await", flush=True)
    ops = n(100_000)
    groups.append({
        "group": "pending_once",
        "title": "pending-once await",
        "per": "await",
        "variants": [
            variant("awaitlet", "awaitlet(asyncio.sleep(0))",
                    per_op(pending_awaitlet, ops, repeats), repeats),
            variant("native", "await asyncio.sleep(0)",
                    per_op(pending_native, ops, repeats), repeats),
        ],
    })

    print("roundtrip: per round trip", flush=True)
    groups.append({
        "group": "roundtrip",
        "title": "async_def round trip",
        "per": "round trip",
        "variants": [
            variant("awaitlet", "await async_def(fn)",
                    per_op(roundtrip_awaitlet, n(100_000), repeats), repeats),
            variant("create_task", "await create_task(coro())",
                    per_op(roundtrip_create_task, n(100_000), repeats), repeats),
            variant("thread_bridge", "to_thread + run_coroutine_threadsafe",
                    per_op(roundtrip_thread_bridge, n(5_000), repeats), repeats),
        ],
    })

    print("pingpong: per round trip", flush=True)
    groups.append({
        "group": "pingpong",
        "title": "Queue(1) ping-pong",
        "per": "round trip",
        "variants": [
            variant("awaitlet", "sync consumer under awaitlet()",
                    per_op(lambda o: pingpong("awaitlet", o), n(50_000), repeats), repeats),
            variant("native", "native consumer",
                    per_op(lambda o: pingpong("native", o), n(50_000), repeats), repeats),
            variant("thread_bridge", "to_thread consumer",
                    per_op(lambda o: pingpong("thread_bridge", o), n(2_000), repeats), repeats),
        ],
    })

    receiver, sender = multiprocessing.Pipe(duplex=False)
    stop = multiprocessing.Event()
    server = multiprocessing.Process(target=echo_server, args=(sender, stop), daemon=True)
    server.start()
    port = receiver.recv()
    try:
        scales = [(100, "echo_100")] if args.skip_1000 else [(100, "echo_100"), (1_000, "echo")]
        for clients, group in scales:
            clients = max(2, int(clients * scale))
            rounds = max(2, int(ROUNDS * scale))
            runs = 2 if args.quick else (5 if clients <= 100 else 3)
            print(f"{group}: {clients} clients x {rounds} round trips, per round trip", flush=True)
            ops = clients * rounds

            def measure(kind: str) -> float:
                return per_op(lambda _ops: echo_run(kind, port, clients, rounds), ops, runs)

            groups.append({
                "group": group,
                "title": f"echo, {clients:,} clients × {rounds}",
                "per": "round trip",
                "variants": [
                    variant("awaitlet", "async_def client", measure("awaitlet"), runs),
                    variant("native", "native asyncio client", measure("native"), runs),
                    variant("threads", "thread per client", measure("threads"), runs),
                ],
            })
    finally:
        stop.set()
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()

    results = {
        "command": COMMAND + (" --quick" if args.quick else ""),
        "python": platform.python_version(),
        "awaitlet": metadata.version("awaitlet"),
        "greenlet": metadata.version("greenlet"),
        "cpu": cpu_model(),
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "groups": groups,
    }
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
