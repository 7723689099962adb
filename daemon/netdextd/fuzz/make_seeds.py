#!/usr/bin/env python3
"""Writes the seed corpus for dext_session_fuzz (format: see the top of dext_session_fuzz.cpp).

Run from anywhere: python3 daemon/netdextd/fuzz/make_seeds.py — it rewrites the seeds below in
daemon/netdextd/fuzz/corpus/ and leaves other files there alone (regression-* inputs the fuzzer
once failed on, kept so every build replays them).
"""
import os
import struct

STEPS = ["Message", "Typed", "Raw", "Reply", "Link", "Exit", "Fault", "Terminate", "Output",
         "BringUp", "Relaunch"]
STEP = {name: i for i, name in enumerate(STEPS)}
TYPED = ["Hello", "StartResult", "CreatePool", "ReleasePool", "RegisterInterface",
         "UnregisterInterface", "LinkStatus", "MediaTypes", "LinkQuality", "DataBandwidths",
         "QueueEnable", "Misuse", "Log", "DriverCallReply"]
LINK = {"admin": 0, "mtu": 1, "promisc": 2, "allmulti": 3, "multicast": 4, "deleted": 5,
        "offloads": 6, "mac": 7}
# BringUp variant bits: 0-1 pool size, 2-3 ring capacities, 0x10 StartResult(ok),
# 0x20 LinkStatus(active), 0x40 every queue enabled, 0x80 hardware assists declared (TSO).
# Link "offloads" value: bits 0-2 the old kOffload* set, bits 3-5 the new one.
UP = 0x70


def step(name, fmt="", *args):
    return bytes([STEP[name]]) + struct.pack("<" + fmt, *args)


def typed(name, payload=b""):
    return step("Typed", "B", TYPED.index(name)) + payload


def reply(which=0, status=0, value=0):
    return step("Reply", "BiI", which, status, value)


def link(kind, value):
    return step("Link", "BI", LINK[kind], value)


SEEDS = {
    "bring-up-and-calls": bytes([0]) + step("BringUp", "B", UP) + link("admin", 1) + reply()
    + link("mtu", 9000) + reply(0, 0, 0) + link("mtu", 1400) + reply(0x40, -536870206, 0)
    + link("promisc", 1) + link("allmulti", 1) + link("multicast", 0x0102) + reply()
    + step("Exit", "B", 9),
    "relaunch-kept-interface": bytes([2]) + step("BringUp", "B", UP) + link("admin", 1) + reply()
    + step("Relaunch", "BH", 7, 1400) + step("BringUp", "B", UP) + reply(0, 0, 9000) + reply()
    + reply() + step("Relaunch", "BH", 0, 0) + step("BringUp", "B", UP | 1),
    "protocol-errors": bytes([0]) + b"".join(step("Raw", "H", 8) + bytes(range(8))
                                             for _ in range(12)),
    "framed-garbage": bytes([0]) + step("Message", "HBH", 0, 0, 4) + b"\xff\xff\xff\xff"
    + step("Message", "HBH", 9999, 0, 0) + step("Message", "HBH", 4, 2, 48) + bytes(48)
    + step("Message", "HBH", 2, 0, 4000) + bytes(4000),
    "every-typed-message": bytes([0]) + b"".join(typed(name, bytes(8)) for name in TYPED)
    + typed("Hello", struct.pack("<II", 99, 1)),
    "no-networking-entitlement": bytes([1]) + step("BringUp", "B", UP) + link("admin", 1),
    "mac-in-use-and-second-interface": bytes([0]) + step("BringUp", "B", 0xee)
    + step("BringUp", "B", UP) + step("BringUp", "B", UP | 4),
    "output-and-logs": bytes([0]) + step("Output", "B", 12) + b"line\x1b[31m\r\nx"
    + typed("Log", b"\x00\x00\x00\x00forged\nline") + typed("Misuse", b"misuse\x07")
    + step("Output", "B", 0),
    "terminate-unregister-exit": bytes([0]) + step("BringUp", "B", UP) + step("Terminate")
    + typed("UnregisterInterface") + step("Exit", "B", 0),
    "fault-then-exit": bytes([0]) + step("BringUp", "B", UP) + step("Fault") + reply(3)
    + step("Exit", "B", 31),
    "link-deleted": bytes([0]) + step("BringUp", "B", UP) + link("deleted", 0)
    + step("BringUp", "B", UP) + step("Exit", "B", 0),
    "ethtool-offloads-and-mac": bytes([0]) + step("BringUp", "B", UP | 0x80) + reply(0, 0, 9000)
    + link("offloads", 7 | (1 << 3)) + reply() + link("offloads", 1 | (0 << 3)) + reply(0, -536870206)
    + link("offloads", 0 | (7 << 3)) + reply() + link("mac", 0x0102) + link("offloads", 7 | (6 << 3))
    + step("Relaunch", "BH", 1, 1500) + step("BringUp", "B", UP | 0x80) + link("offloads", 7 | (7 << 3)),
    "release-pool-in-use": bytes([0]) + step("BringUp", "B", UP)
    + typed("ReleasePool", struct.pack("<Q", 1)) + typed("QueueEnable", bytes([9, 1, 0, 0]))
    + typed("LinkStatus", struct.pack("<II", 1, 0)),
}


def main():
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(corpus, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(corpus, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
