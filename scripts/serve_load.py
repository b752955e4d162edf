#!/usr/bin/python3
"""Mixed load on `npusim serve --socket` (issue 20): 1 stuck client, IDLE idle ones, ACTIVE active ones.

usage: scripts/serve_load.py NPUSIM ARCH NET [SECONDS] [ACTIVE] [IDLE] [-- extra serve flags]
With `-- --listen 127.0.0.1:0` among the extra flags, the clients connect over TCP to the port the
server prints instead of a Unix socket.

- stuck: sends per-layer requests as fast as the server takes them and never reads an answer;
- idle: each sends half a request line and nothing more;
- active: each sends one request, waits for its answer, and again (weight bits 2..8 in turn, so
  with the answer cache most answers come from memory; pass `-- --cache 0` to simulate each).
Prints answers per second, median and p99 latency of the active clients, the server's peak RSS
(VmHWM) and its stderr lines (the cut-off clients). Not a test: figures depend on the machine.
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time


def connect(addr):
    """A client of the server at `addr`: a Unix socket path, or a (host, port) pair."""
    s = socket.socket(socket.AF_UNIX if isinstance(addr, str) else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(addr)
    return s


def wait_for_server(err, path, tcp):
    """The address to connect to once the server listens (TCP: the port its stderr line names)."""
    marker = "listening on 127.0.0.1:"
    for _ in range(400):
        if tcp:
            err.seek(0)
            text = err.read()
            if marker in text and "\n" in text.split(marker, 1)[1]:
                return ("127.0.0.1", int(text.split(marker, 1)[1].split()[0]))
        elif os.path.exists(path):
            time.sleep(0.2)
            return path
        time.sleep(0.05)
    raise SystemExit("the server did not start")


def stuck_client(path, stop, sent):
    s = connect(path)
    i = 0
    try:
        while not stop.is_set():
            s.sendall(b'{"id": %d, "layers": true}\n' % i)
            i += 1
            sent[0] = i
    except OSError:
        pass  # cut off by the server


def active_client(path, stop, k, latencies, errors):
    s = connect(path)
    f = s.makefile("rb")
    i = 0
    while not stop.is_set():
        bits = 2 + (k + i) % 7
        t0 = time.monotonic()
        s.sendall(b'{"id": %d, "weight_bits": {"*": %d}}\n' % (i, bits))
        line = f.readline()
        latencies.append(time.monotonic() - t0)
        if b'"ok":true' not in line:
            errors.append(line[:200])
        i += 1


def peak_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def main():
    args = sys.argv[1:]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    npusim, arch, net = args[:3]
    seconds = float(args[3]) if len(args) > 3 else 20
    n_active = int(args[4]) if len(args) > 4 else 100
    n_idle = int(args[5]) if len(args) > 5 else 100
    tmp = tempfile.mkdtemp(prefix="npusim_serve_load_")
    path = os.path.join(tmp, "s.sock")
    err = open(os.path.join(tmp, "server.err"), "w+")
    tcp = "--listen" in extra
    where = [] if tcp else ["--socket", path]
    server = subprocess.Popen([npusim, "serve", "--arch", arch, "--net", net] + where + extra, stderr=err)
    path = wait_for_server(err, path, tcp)
    stop = threading.Event()
    sent = [0]
    idle = [connect(path) for _ in range(n_idle)]
    for s in idle:
        s.sendall(b'{"id": "idle", "weight')
    threads = [threading.Thread(target=stuck_client, args=(path, stop, sent), daemon=True)]
    latencies, errors = [], []
    threads += [threading.Thread(target=active_client, args=(path, stop, k, latencies, errors), daemon=True)
                for k in range(n_active)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    elapsed = time.monotonic() - t0
    answers = len(latencies)
    for t in threads[1:]:
        t.join(timeout=60)  # each active client finishes its request before the server stops
    rss = peak_rss_kb(server.pid)
    server.terminate()
    server.wait()
    lat = sorted(latencies)

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    err.seek(0)
    cut = [line.strip() for line in err if "cut off" in line]
    print("clients (%s): 1 stuck (sent %d requests), %d idle, %d active; %.1f s"
          % ("TCP %s:%d" % path if tcp else "Unix socket", sent[0], n_idle, n_active, elapsed))
    print("answers: %d (%.0f/s), errors %d; latency median %.1f ms, p99 %.1f ms" %
          (answers, answers / elapsed, len(errors), pct(0.5), pct(0.99)))
    print("server peak RSS: %.1f MB" % (rss / 1024))
    print("server cut off %d client(s): %s" % (len(cut), "; ".join(sorted(set(cut)))))
    for e in errors[:3]:
        print("error answer:", e)


if __name__ == "__main__":
    main()
