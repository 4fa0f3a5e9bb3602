"""A real pymodbus TCP server whose device identity is controlled by an attacker.

Run as a subprocess by tests/web/test_e2e_chromium.py (``python hostile_modbus_server.py PORT [HOST]``):
a client asking it "Read Device Identification" gets strings made to run script in a dashboard that
puts them into HTML, or formulas in a spreadsheet that opens an exported CSV. The dashboard must show
them as text and the CSV must defuse them.
"""

from __future__ import annotations

import asyncio
import sys

#: the identity objects the server answers with (pymodbus names); each one is a different attack
IDENTITY = {
    "VendorName": "<script>window.__pwned=1</script>Evil",  # stored XSS through a script element
    "ProductName": '"><img src=x onerror="window.__pwned=2">',  # breaking out of an attribute
    "ModelName": '=HYPERLINK("http://evil.example","x")',  # CSV injection, formula
    "UserApplicationName": "+cmd|' /C calc'!A0",  # CSV injection, DDE
    "ProductCode": "@SUM(1+1)",  # CSV injection, @ function
    "MajorMinorRevision": "-2+3",  # CSV injection, leading minus
}


async def main(port: int, host: str = "127.0.0.1") -> None:
    from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
    from pymodbus.pdu.device import ModbusDeviceIdentification
    from pymodbus.server import StartAsyncTcpServer

    device = ModbusDeviceContext(
        di=ModbusSequentialDataBlock(1, [1, 0] * 50), co=ModbusSequentialDataBlock(1, [0] * 100),
        hr=ModbusSequentialDataBlock(1, [100 + i for i in range(100)]), ir=ModbusSequentialDataBlock(1, [42] * 100))
    identity = ModbusDeviceIdentification(info_name=dict(IDENTITY))
    await StartAsyncTcpServer(context=ModbusServerContext(devices=device, single=True), identity=identity,
                              address=(host, port))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), *sys.argv[2:3]))
