"""A pymodbus TCP server on a given address, run as a subprocess by make_attack_captures.py."""

import asyncio
import sys

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartAsyncTcpServer


async def main(host: str, port: int) -> None:
    block = ModbusDeviceContext(
        di=ModbusSequentialDataBlock(1, [0] * 100), co=ModbusSequentialDataBlock(1, [0] * 100),
        hr=ModbusSequentialDataBlock(1, [500 + i for i in range(100)]), ir=ModbusSequentialDataBlock(1, [7] * 100))
    await StartAsyncTcpServer(context=ModbusServerContext(devices=block, single=True), address=(host, port))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
