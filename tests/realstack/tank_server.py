"""A pymodbus TCP server that is a small tank process, run as a subprocess by the real-stack tests: every
50 ms the level (a 32-bit float in holding registers 0-1, high word first) moves a quarter of the way to
the set-point (register 3) with a little noise, and the pump state (register 2) says whether the level
is below the set-point. Clients read the registers and write the set-point, as an HMI does."""

import asyncio
import random
import struct
import sys

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import ModbusTcpServer

HOLDING = 3  # the function code pymodbus addresses holding registers by


async def process(server: ModbusTcpServer, seed: int) -> None:
    rng = random.Random(seed)
    level = 500.0
    await server.async_setValues(1, HOLDING, 3, [500])
    while True:
        sp = (await server.async_getValues(1, HOLDING, 3, 1))[0]
        pump = 1 if level < sp else 0
        level += 0.25 * (sp - level) + rng.gauss(0, 1.0)
        hi, lo = struct.unpack(">HH", struct.pack(">f", level))
        await server.async_setValues(1, HOLDING, 0, [hi, lo, pump])
        await asyncio.sleep(0.05)


async def main(port: int, seed: int) -> None:
    device = ModbusDeviceContext(hr=ModbusSequentialDataBlock(1, [0] * 16))
    server = ModbusTcpServer(ModbusServerContext(devices=device, single=True), address=("127.0.0.1", port))
    task = asyncio.create_task(process(server, seed))
    await server.serve_forever()
    task.cancel()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1))
