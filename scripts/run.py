"""``make run``'s server: the web server and the task-queue consumer together, stopped together.

    python scripts/run.py [--host 127.0.0.1] [--port 5000] [--workers 2]

Starts ``flask run`` and ``flask queue run`` with this process's environment (so the same instance folder,
database and ``LMS_QUEUE_URL``), each in a process group of its own. Ctrl-C (SIGINT) or SIGTERM is passed on to
both; when either stops by itself, the other is stopped too. Exits once both are gone (a child that does not
stop within ``--grace`` seconds is killed with its group), with the status of the one that stopped first.

With ``LMS_QUEUE_URL=immediate`` tasks run inside the web process: no consumer is started.

In production each runs as a service of its own (deploy/tadrib-web.service, deploy/tadrib-queue.service).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signum)


def _reap(procs: dict[str, subprocess.Popen], grace: float) -> None:
    """Wait for every child to end; kill the process group of those still there after ``grace`` seconds."""
    deadline = time.monotonic() + grace
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(proc, signal.SIGKILL)
            proc.wait(timeout=5)
        # Whatever the child left in its group (a server's worker) goes with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default=os.environ.get("PORT", "5000"))
    parser.add_argument("--workers", type=int, default=2, help="the consumer's threads")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds a child has to stop before it is killed")
    args = parser.parse_args(argv)

    flask = [sys.executable, "-m", "flask"]
    commands = {"web": [*flask, "run", "--host", args.host, "--port", str(args.port)]}
    if os.environ.get("LMS_QUEUE_URL", "").strip() == "immediate":
        print("LMS_QUEUE_URL=immediate: tasks run in the web process, no queue consumer.", flush=True)
    else:
        commands["queue"] = [*flask, "queue", "run", "--workers", str(args.workers)]

    stopping: list[int] = []

    def forward(signum, _frame):
        if not stopping:
            print(f"\nstopping ({signal.Signals(signum).name})...", file=sys.stderr, flush=True)
        stopping.append(signum)
        for proc in procs.values():
            _signal_group(proc, signum)

    procs: dict[str, subprocess.Popen] = {}
    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    status = 0
    try:
        for name, command in commands.items():
            # A group of its own: the terminal's Ctrl-C reaches only this launcher, which passes it on once.
            procs[name] = subprocess.Popen(command, start_new_session=True)  # noqa: S603 - our own flask commands
        print(
            f"web server http://{args.host}:{args.port} (pid {procs['web'].pid})"
            + (f", queue consumer (pid {procs['queue'].pid})" if "queue" in procs else "")
            + "; Ctrl-C stops both.",
            flush=True,
        )
        while True:
            ended = [(name, proc.returncode) for name, proc in procs.items() if proc.poll() is not None]
            if ended:
                name, code = ended[0]
                if not stopping:
                    print(f"the {name} process stopped (status {code}): stopping the other.", file=sys.stderr)
                    status = 128 - code if code < 0 else (code or 1)  # killed by a signal: 128 + its number
                    for proc in procs.values():
                        _signal_group(proc, signal.SIGTERM)
                break
            if stopping:  # a signal: wait for the children below
                break
            time.sleep(0.2)
    finally:
        # A child that failed to start, an exception here: never leave one behind.
        if not stopping and not all(proc.poll() is not None for proc in procs.values()):
            for proc in procs.values():
                _signal_group(proc, signal.SIGTERM)
        _reap(procs, args.grace)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    if stopping and stopping[0] == signal.SIGINT:
        return 130 if status == 0 else status
    return status


if __name__ == "__main__":
    sys.exit(main())
