#!/usr/bin/python3
"""Writes the DRAM benchmark traces for `npusim dram --trace T.txt` into a directory.

Each line is `LD 0xADDRESS` or `ST 0xADDRESS`: one 64-byte request (addresses are 64-byte aligned).
N is the number of requests per trace (--requests, default 262,144 = 16 MiB of 64-byte requests);
i runs over 0 .. N-1, and MiB = 2**20.

  seq_read.txt      LD 64*i: sequential reads of N*64 bytes from address 0.
  seq_write.txt     ST 64*i: sequential writes of N*64 bytes from address 0.
  rw_interleaved.txt
                    two sequential streams, alternating: line 2j is LD 64*j, line 2j+1 is
                    ST 256 MiB + 64*j (j < N/2): N*64 bytes in total, half read from region 0,
                    half written to the region that starts at 256 MiB.
  stride_8k.txt     LD 8192*i: one 64-byte read every 8 KiB (N requests, spanning N*8 KiB).
  random_1g.txt     LD 64*k(i), k(i) uniform in 0 .. 2**24-1 (1 GiB of 64-byte lines), drawn with
                    random.Random(SEED).randrange (--seed, default 1): N reads, repeats allowed.
  tiles_2d.txt      LD of 2-D tiles of 64 rows x 256 bytes in an image whose rows are 3584 bytes
                    apart (the pitch; 14 tiles side by side). Tile t is tile column t % 14 of
                    band t // 14; inside a tile, row r (0..63) then its four 64-byte lines c (0..3):
                    address = (t // 14)*64*3584 + r*3584 + (t % 14)*256 + 64*c. One tile is 256
                    requests; the trace stops after N requests (N = 262,144: 1,024 tiles, 73 full
                    bands and 2 tiles of the 74th).

    /usr/bin/python3 scripts/dram_traces.py OUT_DIR [--requests N] [--seed S]
"""
import argparse
import os
import random
import sys

LINE = 64
MIB = 1 << 20
DEFAULT_REQUESTS = 16 * MIB // LINE  # 262,144
WRITE_REGION = 256 * MIB  # where rw_interleaved's write stream starts
STRIDE = 8192
RANDOM_SPAN = 1 << 30
TILE_ROWS, TILE_BYTES, PITCH = 64, 256, 3584
TRACES = ("seq_read", "seq_write", "rw_interleaved", "stride_8k", "random_1g", "tiles_2d")


def seq(n, op):
    return ((op, LINE * i) for i in range(n))


def rw_interleaved(n):
    for j in range(n // 2):
        yield "LD", LINE * j
        yield "ST", WRITE_REGION + LINE * j


def stride_8k(n):
    return (("LD", STRIDE * i) for i in range(n))


def random_1g(n, seed):
    rng = random.Random(seed)
    lines = RANDOM_SPAN // LINE
    return (("LD", LINE * rng.randrange(lines)) for _ in range(n))


def tiles_2d(n):
    per_band = PITCH // TILE_BYTES  # 14
    lines = TILE_BYTES // LINE  # 4
    per_tile = TILE_ROWS * lines
    for i in range(n):
        t, k = divmod(i, per_tile)
        r, c = divmod(k, lines)
        band, col = divmod(t, per_band)
        yield "LD", band * TILE_ROWS * PITCH + r * PITCH + col * TILE_BYTES + LINE * c


def requests(name, n, seed=1):
    """The (op, address) pairs of trace `name` with n requests (n even for rw_interleaved)."""
    makers = {
        "seq_read": lambda: seq(n, "LD"),
        "seq_write": lambda: seq(n, "ST"),
        "rw_interleaved": lambda: rw_interleaved(n),
        "stride_8k": lambda: stride_8k(n),
        "random_1g": lambda: random_1g(n, seed),
        "tiles_2d": lambda: tiles_2d(n),
    }
    return makers[name]()


def write_trace(path, pairs):
    """Writes the pairs as trace lines; returns how many."""
    count = 0
    with open(path, "w") as f:
        for op, addr in pairs:
            f.write("%s 0x%x\n" % (op, addr))
            count += 1
    return count


def write_all(out_dir, n, seed=1):
    """Writes every trace into out_dir; returns {name: (path, lines)}."""
    os.makedirs(out_dir, exist_ok=True)
    written = {}
    for name in TRACES:
        path = os.path.join(out_dir, name + ".txt")
        written[name] = (path, write_trace(path, requests(name, n, seed)))
    return written


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--requests", type=int, default=DEFAULT_REQUESTS,
                    help="requests per trace, a positive even number (default %(default)s = 16 MiB)")
    ap.add_argument("--seed", type=int, default=1, help="random_1g's seed (default %(default)s)")
    a = ap.parse_args(argv[1:])
    if a.requests < 2 or a.requests % 2:
        ap.error("--requests must be a positive even number, got %d" % a.requests)
    for name, (path, lines) in write_all(a.out_dir, a.requests, a.seed).items():
        print("%s: %d lines" % (path, lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
