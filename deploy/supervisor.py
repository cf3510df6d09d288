"""Local supervisor: `python -m deploy.supervisor run` starts the embedded stack and keeps it up.

Ports default to registry 8000, matching 8001, notify 8002, broker 9092, database 27017 (and 27018 for
notify's own embedded database); override with
DUIJIE_<NAME>_PORT or pass --free-ports. Data lives in --var (default var/) and survives a restart
(the broker is memory-only: matching rebuilds its index from the registry's catalogue at start-up).
Ctrl-C or SIGTERM stops every child. A child that dies stops the stack with a non-zero exit.
"""

import argparse
import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx

from deploy import seed
from deploy.stack import Stack, ports_from_env


def admin_key_shown(var: Path) -> str:
    """The admin key the services were given: DUIJIE_ADMIN_KEY when set (a key kept in var/ from a run without
    it is then not the admin's), else the one kept in var/admin_key (`deploy.stack.secret_in`)."""
    if os.environ.get("DUIJIE_ADMIN_KEY") or not (var / "admin_key").exists():
        return "(from DUIJIE_ADMIN_KEY)"
    return (var / "admin_key").read_text().strip()


async def run(var: Path, free_ports: bool, seed_demo: bool = True) -> int:
    stack = Stack(var=var, ports=ports_from_env(free_ports))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"starting the embedded stack (data in {var}/, logs in {var}/log/) ...", flush=True)
    try:
        await stack.start()
    except (RuntimeError, TimeoutError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if seed_demo:
        try:
            keys = await seed.seed_once(stack.url("registry"), var)
        except httpx.HTTPError as error:
            print(f"warning: could not seed the demo district: {error}", file=sys.stderr, flush=True)
        else:
            if keys:
                print(f"seeded the demo district (隆平现代产业园): organisations' API keys in {keys}", flush=True)
    admin_key = admin_key_shown(var)
    print(f"""
Duijie is up.
  registry  {stack.url('registry')}   (OpenAPI: {stack.url('registry')}/docs)
  matching  {stack.url('matching')}
  notify    {stack.url('notify')}   (OpenAPI: {stack.url('notify')}/docs)
  broker    {stack.bootstrap}   (Tansu, memory-only)
  database  {stack.mongo_url}   (mongoeco on SQLite in {var}/mongo/)
  notify db {stack.database_url('notify-database')}   (notify's own embedded database)
  admin key {admin_key}
Press Ctrl-C to stop.""", flush=True)
    code = 0
    while not stop.is_set():
        dead = stack.dead()
        if dead:
            for child in dead:
                rc = child.proc.returncode if child.proc else "?"
                print(f"\nerror: {child.name} exited with status {rc}; last lines of {child.log}:\n{child.tail()}",
                      file=sys.stderr)
            code = 1
            break
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except TimeoutError:
            pass
    print("stopping ...", flush=True)
    stack.stop()
    print("stopped.", flush=True)
    return code


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.supervisor", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="start the embedded stack and wait for Ctrl-C")
    run_p.add_argument("--var", type=Path, default=Path("var"))
    run_p.add_argument("--free-ports", action="store_true", help="pick free ports instead of the defaults")
    run_p.add_argument("--no-seed", action="store_true", help="do not seed the demo district on a fresh var/")
    args = parser.parse_args()
    sys.exit(asyncio.run(run(args.var, args.free_ports, seed_demo=not args.no_seed)))


if __name__ == "__main__":
    main()
