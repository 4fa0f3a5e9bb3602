"""A python-snap7 (pure Python, 3.x) S7 server with a DB, run as a subprocess by the real-stack tests."""

import sys
import time

from snap7.server import Server
from snap7.type import SrvArea


def main(port: int) -> None:
    srv = Server(log=False)
    db1 = bytearray(range(64))
    srv.register_area(SrvArea.DB, 1, db1)
    srv.register_area(SrvArea.MK, 0, bytearray(32))
    srv.start(tcp_port=port)
    deadline = time.monotonic() + 120  # bounded: the test stops it long before
    while time.monotonic() < deadline:
        time.sleep(0.2)
    srv.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]))
