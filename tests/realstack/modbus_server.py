"""A pymodbus TCP server with a device identity, run as a subprocess by the real-stack tests."""

import asyncio
import sys

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.pdu.device import ModbusDeviceIdentification
from pymodbus.server import StartAsyncTcpServer

# attacker-style strings: the inventory must keep them as data and escape them where shown
IDENTITY = {
    "VendorName": "Acme <script>alert(1)</script> Controls",
    "ProductCode": "AC-PLC-9",
    "MajorMinorRevision": "4.2.1",
    "VendorUrl": "http://acme.example",
    "ProductName": "Acme Line Controller",
    "ModelName": "LC-9000\x1b[31m",
    "UserApplicationName": "bottling line 2",
}


async def main(port: int) -> None:
    block = ModbusDeviceContext(
        di=ModbusSequentialDataBlock(1, [0] * 100), co=ModbusSequentialDataBlock(1, [0] * 100),
        hr=ModbusSequentialDataBlock(1, list(range(100))), ir=ModbusSequentialDataBlock(1, [7] * 100))
    ident = ModbusDeviceIdentification(info_name=IDENTITY)
    await StartAsyncTcpServer(context=ModbusServerContext(devices=block, single=True), identity=ident,
                              address=("127.0.0.1", port))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
