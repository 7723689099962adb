#!/usr/bin/env python3
"""Writes the seed corpus for shm_fuzz (format: see the comment at the top of shm_fuzz.cpp).

Run from anywhere: python3 shm/fuzz/make_seeds.py — it rewrites the seeds below in
shm/fuzz/corpus/ and leaves the other files there alone: those (regression-*) are inputs the fuzzer
once crashed on, kept so every build replays them.
"""
import os
import struct

OPS = ["WriteRings", "WritePool", "SetControl", "DriverEnqueue", "DriverDequeue", "RestockRx",
       "RestockAlloc", "SubmitTx", "ReapTx", "PollRx", "ReapFree", "Sleep", "Message",
       "RxOffloads", "TcpFrame", "SetOffload"]
OP = {name: index for index, name in enumerate(OPS)}
TX_COMPLETION, RX_COMPLETION, FREE = 0, 1, 2          # index into the driver-ring table
TX_SUBMISSION, RX_SUBMISSION, ALLOCATION = 0, 1, 2    # index into the daemon-ring table
RING_ID = {"tx-sub": 0, "tx-comp": 1, "rx-sub": 2, "rx-comp": 3, "free": 4, "alloc": 5}
MAGIC = 0x4358444e


def setup(packets=16, size_selector=2, capacities=(4, 4, 4, 4, 4, 4), no_buffer=0):
    """no_buffer: how many of the packets have no buffer (the last ones)."""
    return bytes([packets - 1, size_selector | (no_buffer << 2), *capacities])


def op(name, fmt="", *args):
    return bytes([OP[name]]) + struct.pack("<" + fmt, *args)


def enqueue(ring, ids):
    return op("DriverEnqueue", "BB", ring, len(ids)) + struct.pack("<%dI" % len(ids), *ids)


def message(header_fields, payload, fd_count=0):
    data = struct.pack("<IHHIIQ", *header_fields) + payload
    return op("Message", "BH", fd_count, len(data)) + data


def descriptor_write(packet, offset, length):
    # PacketDescriptor: buffer_index u32, data_length u32, data_offset u16 at byte 4..10
    return op("WritePool", "HB", 64 + packet * 64 + 4, 6) + struct.pack("<IH", length, offset)


SEEDS = {
    "offload-claims": setup(packets=16, size_selector=3) + op("RxOffloads", "B", 3)
    + op("RestockRx", "B", 8) + op("DriverDequeue", "BB", RX_SUBMISSION, 8)
    + op("TcpFrame", "BHB", 0, 100, 0) + op("SetOffload", "BIB", 0, 0x400, 0)
    + op("TcpFrame", "BHB", 1, 100, 1) + op("SetOffload", "BIB", 1, 0x400, 0)
    + op("TcpFrame", "BHB", 2, 5000, 0) + op("SetOffload", "BIB", 2, 0x10000400, 4)
    + op("TcpFrame", "BHB", 3, 5000, 2) + op("SetOffload", "BIB", 3, 0x20000000, 4)
    + op("TcpFrame", "BHB", 4, 0, 0) + op("SetOffload", "BIB", 4, 0x10000000, 2)
    + op("TcpFrame", "BHB", 5, 100, 4) + op("SetOffload", "BIB", 5, 0x400, 0)
    + enqueue(RX_COMPLETION, [0, 1, 2, 3, 4, 5]) + op("PollRx", "B", 16)
    + op("RxOffloads", "B", 0) + op("RestockRx", "B", 8) + op("PollRx", "B", 16),
    "rx-cycle": setup() + op("RestockRx", "B", 8) + op("DriverDequeue", "BB", RX_SUBMISSION, 8)
    + descriptor_write(0, 0, 60) + descriptor_write(1, 2, 1500) + descriptor_write(2, 0, 0)
    + descriptor_write(3, 100, 2000) + op("WritePool", "HB", 64 + 4 * 64, 4) + struct.pack("<I", 9)
    + descriptor_write(4, 0, 60)
    + enqueue(RX_COMPLETION, [0, 1, 2, 3, 4, 4]) + enqueue(TX_COMPLETION, [5])
    + op("PollRx", "B", 16) + op("ReapTx", "B", 4) + op("Sleep"),
    "tx-cycle": setup() + op("SubmitTx", "BH", 6, 1514) + op("DriverDequeue", "BB", TX_SUBMISSION, 6)
    + enqueue(TX_COMPLETION, [0, 1, 2, 2, 99, 0xffffffff]) + op("ReapTx", "B", 16),
    "alloc-free": setup(capacities=(2, 2, 2, 2, 5, 5)) + op("RestockAlloc", "B", 10)
    + op("DriverDequeue", "BB", ALLOCATION, 10) + enqueue(FREE, [0, 1, 2, 3]) + op("ReapFree", "B", 8),
    "bad-indices": setup() + op("RestockRx", "B", 4)
    + op("SetControl", "BBI", RING_ID["rx-comp"], 0, 1000) + op("PollRx", "B", 8)
    + op("SetControl", "BBI", RING_ID["tx-comp"], 0, 0xffffffff) + op("ReapTx", "B", 8)
    + op("SetControl", "BBI", RING_ID["rx-sub"], 1, 77) + op("RestockRx", "B", 8),
    # Indices at the edges on every driver ring: the last packet with a buffer, the packets
    # without one (14, 15), the first index out of range (16 == packet_count) and the last.
    "edge-indices": setup(no_buffer=2) + op("RestockRx", "B", 8)
    + op("DriverDequeue", "BB", RX_SUBMISSION, 8) + descriptor_write(0, 0, 60)
    + enqueue(RX_COMPLETION, [0, 14, 15, 16, 17, 0xffffffff]) + op("PollRx", "B", 16)
    + op("SubmitTx", "BH", 4, 100) + op("DriverDequeue", "BB", TX_SUBMISSION, 4)
    + enqueue(TX_COMPLETION, [16, 15, 13, 8]) + op("ReapTx", "B", 16)
    + op("RestockAlloc", "B", 4) + op("DriverDequeue", "BB", ALLOCATION, 4)
    + enqueue(FREE, [16, 14, 13, 12, 1]) + op("ReapFree", "B", 16),
    "scribble": setup(packets=64, size_selector=0) + op("RestockRx", "B", 64)
    + op("WriteRings", "HB", 0, 32) + bytes(range(32)) + op("WritePool", "HB", 0, 64) + b"\xff" * 64
    + op("PollRx", "B", 64),
    "messages": setup(packets=1)
    + message((MAGIC, 1, 1, 0, 8, 1), struct.pack("<II", 1, 42))
    + message((MAGIC, 1, 2, 1, 8, 7), struct.pack("<Q", 7))
    + message((MAGIC, 2, 2, 0, 8, 1), struct.pack("<Q", 7))
    + message((0, 1, 2, 0, 8, 1), struct.pack("<Q", 7), fd_count=1)
    + message((MAGIC, 1, 9, 0, 4, 1), b"abcd")
    + message((MAGIC, 1, 2, 0x10, 8, 1), struct.pack("<Q", 7))
    + message((MAGIC, 1, 2, 0, 9, 1), struct.pack("<Q", 7))
    + message((MAGIC, 1, 2, 0, 4, 1), b"abcd")
    + message((MAGIC, 1, 1, 0, 8, 1), struct.pack("<II", 1, 42), fd_count=2)
    + op("Message", "BH", 0, 10) + b"\x4e\x44\x58\x43" + bytes(6),
}


def main():
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(corpus, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
