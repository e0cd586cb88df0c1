"""`python -m chalicelib.localstack`: run the whole service locally until Ctrl-C."""

from __future__ import annotations

import argparse
import faulthandler
import signal
import sys
import threading
from pathlib import Path

from chalicelib.localstack.stack import PROJECT_DIR, LocalStack


def main() -> None:
    parser = argparse.ArgumentParser(description="宁乡 governance service, local stack")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--moto-port", type=int, default=5000)
    parser.add_argument("--save-interval", type=float, default=120.0, help="seconds between state saves")
    parser.add_argument("--state-dir", type=Path, default=PROJECT_DIR / ".local", help="where state is kept")
    args = parser.parse_args()
    stack = LocalStack(
        port=args.port, moto_port=args.moto_port, save_interval=args.save_interval, state_dir=args.state_dir
    )
    done = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: done.set())
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: every thread's stack, to stderr
    stack.start()
    print(f"宁乡 governance service / 基层治理服务: {stack.base_url}", flush=True)
    print(f"  OpenAPI: {stack.base_url}/openapi.json   health: {stack.base_url}/health")
    print(f"  restored {stack.restored} items from {args.state_dir}, resumed {stack.resumed} workflows")
    print('  demo accounts (sign in at / or POST /local-auth/token {"username": ...}):')
    for a in stack.accounts()["accounts"]:
        print(f"    {a['username']:<14} {a['role']:<15} {a['scope']:<28} {a['display_name']}")
    for c in stack.accounts()["clients"]:
        print(f"    {c['username']:<14} {c['role']:<15} {c['scope']:<28} {c['display_name']}")
        print("      its Open311 api_key: .local/agency-api-key (or GET /local-auth/accounts)")
    print(f"  state saved to {args.state_dir} every {args.save_interval:.0f} s and on exit; Ctrl-C stops everything")
    sys.stdout.flush()
    # wait in short steps: a signal the kernel hands to another thread sets only a flag, which the main
    # thread reads between steps (a wait without a timeout would never see it)
    while not done.wait(0.5):
        pass
    print("stopping", flush=True)
    took = stack.stop()
    print(f"stopped; state saved ({took})", flush=True)


if __name__ == "__main__":
    main()
