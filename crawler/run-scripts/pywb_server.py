"""Serve a pywb collection on 127.0.0.1 -- run by pywb's own interpreter, never imported.

pywb lives in its own virtualenv (it pins old redis and monkey-patches the process with
gevent on import), so policytrail starts this file as a subprocess of that interpreter:

    <pywb-venv>/bin/python _pywb_server.py --root DIR [--port 0] [--access-log FILE]

It binds loopback only, prints ``PORT <n>`` once listening, and sets TCP_NODELAY on every
connection (without it keep-alive answers take ~48 ms instead of ~4 ms). With ``--parent-pid``
it exits as soon as that process is no longer its parent: a demo or test killed with SIGKILL
(which runs no handler, so cannot stop us) does not leave pywb listening.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

import gevent  # noqa: E402
from gevent.pywsgi import WSGIServer  # noqa: E402
from pywb.apps.frontendapp import FrontEndApp  # noqa: E402
from pywb.utils.geventserver import RequestURIWSGIHandler  # noqa: E402


class NoDelayHandler(RequestURIWSGIHandler):
    def __init__(self, sock, *args, **kwargs):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().__init__(sock, *args, **kwargs)


def exit_with(parent: int) -> None:
    """Exit once ``parent`` is no longer our parent (it died, whatever killed it: we were handed over)."""
    while os.getppid() == parent:
        gevent.sleep(0.2)
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--access-log")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is no longer our parent")
    args = parser.parse_args()
    if args.parent_pid is not None:
        gevent.spawn(exit_with, args.parent_pid)  # checks at once: a parent gone before we got here counts
    os.chdir(args.root)
    app = FrontEndApp(config_file=os.path.join(args.root, "config.yaml"))
    log = open(args.access_log, "a", buffering=1) if args.access_log else None
    server = WSGIServer(("127.0.0.1", args.port), app, handler_class=NoDelayHandler, log=log, error_log=sys.stderr)
    server.init_socket()
    print(f"PORT {server.address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
