#!/usr/bin/python3
"""HAQ-style per-layer weight bit-width search for the digits CNN on UNPU (arch/unpu.json).

Uses the int8 model of amc.py (examples/amc/out/model.pt; trained here if missing). An agent
("CEMBitsAgent": cross-entropy method over a categorical distribution of 2..8 bits per layer, not
HAQ's DDPG) proposes per-layer weight bits; latency and energy come from npusim on
arch/unpu.json in timing mode (its Python module in process, or `npusim serve` with NPUSIM_SERVE=1;
"weight_bits" policies: npusim re-quantizes the int8 weights per
layer, compiler/transforms/precision.cpp); accuracy from the numpy integer reference of the same
re-quantized network (common.requantize_weights mirrors compiler/transforms/precision.cpp, no
fine-tuning). Reward: validation
accuracy, when the latency is at most the budget (a fraction of the 8-bit model's; HAQ's
latency-constrained mode), else a penalty. The best policy is checked on npusim (`npusim run
--weight-bits ... --check`) against the numpy reference, bit for bit.

Run from the repository root: /usr/bin/python3 examples/amc/haq.py [--budget 0.6]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

ARCH = os.path.join(C.REPO, "arch", "unpu.json")
BITS = list(range(2, 9))


def log(*a):
    print(*a, flush=True)


class CEMBitsAgent:
    """Cross-entropy method over per-layer bit widths: one categorical distribution per layer over
    BITS; each round samples `pop` policies and moves the probabilities towards the frequencies
    of the `elite` best (smoothing `alpha`, a floor so no width dies out)."""

    def __init__(self, layers, seed=3, pop=16, elite=4, alpha=0.7):
        self.layers, self.pop, self.elite, self.alpha = layers, pop, elite, alpha
        self.rng = np.random.default_rng(seed)
        self.p = np.full((len(layers), len(BITS)), 1.0 / len(BITS))

    def ask(self):
        return [{ly: BITS[self.rng.choice(len(BITS), p=self.p[i])] for i, ly in enumerate(self.layers)}
                for _ in range(self.pop)]

    def tell(self, policies, rewards):
        best = [policies[i] for i in np.argsort(-np.asarray(rewards), kind="stable")[:self.elite]]
        for i, ly in enumerate(self.layers):
            f = np.array([sum(p[ly] == b for p in best) for b in BITS], dtype=float) / len(best)
            self.p[i] = np.maximum((1 - self.alpha) * self.p[i] + self.alpha * f, 0.01)
            self.p[i] /= self.p[i].sum()


def fmt(bits):
    return "{" + ", ".join(f"{ly}: {b}" for ly, b in bits.items()) + "}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(C.HERE, "out"))
    ap.add_argument("--budget", type=float, default=0.6, help="latency budget, fraction of the 8-bit model's")
    ap.add_argument("--rounds", type=int, default=8)
    args = ap.parse_args()
    t_start = time.time()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    data = C.load_data()
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = data
    path = os.path.join(args.out, "model.pt")
    model = C.Net()
    if os.path.exists(path):
        model.load_state_dict(torch.load(path))
        log(f"loaded {path}")
    else:
        torch.manual_seed(C.SEED)
        model = C.Net()
        C.train(model, x_tr, y_tr, epochs=15)
        torch.save(model.state_dict(), path)
        log(f"trained, saved {path}")
    model.eval()
    q = C.quantize(model, x_tr)
    net = C.export_net(q, os.path.join(args.out, "net"))

    costs = C.cost_model(ARCH, net)
    base = costs.ask()
    acc8_va, acc8_te = C.int_accuracy(q, x_va, y_va), C.int_accuracy(q, x_te, y_te)
    log(f"8-bit weights on unpu: {base['cycles']} cycles, {base['seconds'] * 1e6:.2f} us, "
        f"{base['energy_pj'] / 1e6:.4f} uJ; int8 accuracy val {acc8_va:.4f}, test {acc8_te:.4f}")
    for b in (2, 4, 6):
        a = costs.ask(weight_bits={"*": b})
        qb = C.requantize_weights(q, {ly: b for ly in C.LAYERS})
        log(f"  all {b}-bit: {a['cycles']} cycles, {a['energy_pj'] / 1e6:.4f} uJ, "
            f"val acc {C.int_accuracy(qb, x_va, y_va):.4f}")
    budget = args.budget * base["cycles"]
    log(f"== HAQ-style search (CEMBitsAgent): max val accuracy, latency <= {budget:.0f} cycles "
        f"({args.budget:.0%} of 8-bit)")

    agent = CEMBitsAgent(C.LAYERS)
    evals, best = {}, None
    t0 = time.time()
    for r in range(args.rounds):
        pols = agent.ask()
        rewards = []
        for pol in pols:
            key = tuple(pol[ly] for ly in C.LAYERS)
            if key not in evals:
                ans = costs.ask(weight_bits=pol)
                acc = C.int_accuracy(C.requantize_weights(q, pol), x_va, y_va)
                R = acc if ans["cycles"] <= budget else -ans["cycles"] / budget
                evals[key] = (R, acc, ans)
            R, acc, ans = evals[key]
            rewards.append(R)
            # ties: the lower-energy policy wins
            if best is None or (R, -ans["energy_pj"]) > (best[0], -best[2]["energy_pj"]):
                best = (R, dict(pol), ans, acc)
        agent.tell(pols, rewards)
        log(f"  round {r + 1}/{args.rounds}: best val acc {best[3]:.4f}, {best[2]['cycles']} cycles, "
            f"{best[2]['energy_pj'] / 1e6:.4f} uJ, bits {fmt(best[1])}"
            f"{'' if best[0] >= 0 else ' (over budget)'}  "
            f"({len(evals)} policies simulated)")
    log(f"  search: {time.time() - t0:.1f} s, {costs.requests} simulated queries ({costs.kind}) "
        f"({1000 * costs.seconds / max(1, costs.requests):.1f} ms each on average)")
    costs.close()

    R, pol, ans, acc = best
    qb = C.requantize_weights(q, pol)
    spec = ",".join(f"{ly}={b}" for ly, b in pol.items())
    same = 0
    for i in range(4):
        got, stdout = C.run_npusim(ARCH, net, x_te[i:i + 1], os.path.join(args.out, f"run_haq_{i}"),
                                   ("--weight-bits", spec))
        assert "bit-exact" in stdout, stdout
        same += int(np.array_equal(got.reshape(-1), C.int_forward(qb, x_te[i:i + 1])[0]))
    log(f"  check: npusim run --arch arch/unpu.json --weight-bits {spec} --check: bit-exact; its logits "
        f"equal the numpy reference of the re-quantized network on {same}/4 test digits")

    log("")
    log("| policy | bits conv1 / conv2 / conv3 / fc | val acc | test acc | cycles | latency us | energy uJ "
        "| vs 8-bit: latency, energy |")
    log("|---|---|---|---|---|---|---|---|")
    table = [("8-bit", {ly: 8 for ly in C.LAYERS}, acc8_va, acc8_te, base),
             (f"best, latency <= {args.budget:.0%}", pol, acc, C.int_accuracy(qb, x_te, y_te), ans)]
    for title, p, a_va, a_te, an in table:
        bits = " / ".join(str(p[ly]) for ly in C.LAYERS)
        log(f"| {title} | {bits} | {a_va:.4f} | {a_te:.4f} | {an['cycles']} | "
            f"{an['seconds'] * 1e6:.2f} | {an['energy_pj'] / 1e6:.4f} | "
            f"{an['cycles'] / base['cycles']:.3f}x, {an['energy_pj'] / base['energy_pj']:.3f}x |")
    log(f"\ntotal: {time.time() - t_start:.1f} s")


if __name__ == "__main__":
    main()
