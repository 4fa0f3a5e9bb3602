"""An asyncua OPC UA server with a small plant model, run as a subprocess by the real-stack test.

Prints the node ids of its setpoint variable and its reset method (one line, space separated) once
it listens, after the word NODES. No security (policy None) so that the decoder can see every service body.
"""

import asyncio
import sys
import time
from datetime import UTC, datetime

from asyncua import Server, ua, uamethod

BUILD = {"product_uri": "urn:plantwarden:test-plc", "manufacturer_name": "Plantwarden Test Works",
         "product_name": "Loopback PLC", "software_version": "4.2.0", "build_number": "42"}


async def main(port: int) -> None:
    server = Server()
    await server.init()
    server.set_endpoint(f"opc.tcp://127.0.0.1:{port}/plantwarden/")
    server.set_server_name("Plantwarden loopback PLC")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    await server.set_build_info(BUILD["product_uri"], BUILD["manufacturer_name"], BUILD["product_name"],
                                BUILD["software_version"], BUILD["build_number"], datetime(2024, 5, 1, tzinfo=UTC))
    ns = await server.register_namespace("urn:plantwarden:plant")
    plant = await server.nodes.objects.add_object(ns, "Plant")
    setpoint = await plant.add_variable(ns, "Setpoint", 12.5)
    await setpoint.set_writable()

    @uamethod
    def reset(parent: ua.NodeId, level: int) -> str:
        return f"reset to {level}"

    method = await plant.add_method(ns, "Reset", reset, [ua.VariantType.Int32], [ua.VariantType.String])
    async with server:
        print("NODES", setpoint.nodeid.to_string(), method.nodeid.to_string(), plant.nodeid.to_string(), flush=True)
        deadline = time.monotonic() + 120  # bounded: the test stops it long before
        while time.monotonic() < deadline:
            await asyncio.sleep(0.2)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
