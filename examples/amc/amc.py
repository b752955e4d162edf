#!/usr/bin/python3
"""AMC-style channel pruning of a small int8 CNN, with latency and energy from npusim
(its Python module in process; `npusim serve` with NPUSIM_SERVE=1).

1. Train a small CNN on scikit-learn's 8x8 digits (fixed seed), quantize it to int8 after
   training (common.quantize), export it to npusim's net format (common.export_net).
2. Check the export: `npusim run --check` on test digits must give the integers of the numpy
   integer reference (common.int_forward), bit for bit; also for one node-pruned network.
3. Search per-layer channel keep ratios with a cross-entropy-method agent ("CEMAgent", not AMC's
   DDPG; `--agent ddpg` for the simplified DDPG agent of ddpg.py): accuracy of the pruned int8
   model on validation digits (the channels npusim's node pruning removes, masked; one epoch of
   fine-tuning per candidate, since this small CNN does not survive pruning without it;
   `--search-finetune 0` is AMC's no-fine-tuning rule), latency and energy from
   npusim on arch/dense_16x16.json in timing mode (common.cost_model), reward R = -error * log(cycles)
   (AMC's accuracy-guaranteed reward with latency in place of FLOPs), and a second, constrained
   search (R = -error, latency at most half the unpruned model's: AMC's resource-constrained mode).
4. Fine-tune each best policy briefly in torch (pruned channels masked), re-quantize, export the
   pruned network, check it on npusim and report test accuracy, cycles and energy against the
   unpruned model.

Run from the repository root: /usr/bin/python3 examples/amc/amc.py [--out DIR]
"""
import argparse
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common as C  # noqa: E402

ARCH = os.path.join(C.REPO, "arch", "dense_16x16.json")


def log(*a):
    print(*a, flush=True)


def trained_model(out, data):
    """Trains the CNN (or loads out/model.pt, written by an earlier run with the same seed)."""
    (x_tr, y_tr), _, _ = data
    path = os.path.join(out, "model.pt")
    model = C.Net()
    if os.path.exists(path):
        model.load_state_dict(torch.load(path))
        model.eval()
        log(f"loaded {path}")
        return model
    torch.manual_seed(C.SEED)
    model = C.Net()
    t0 = time.time()
    C.train(model, x_tr, y_tr, epochs=15, log=log)
    log(f"trained in {time.time() - t0:.1f} s")
    torch.save(model.state_dict(), path)
    return model


def verify(q, net, x, tag, out):
    """npusim run --check on each image of x; compares its logits with common.int_forward."""
    ref = C.int_forward(q, x)
    same_int = same_cls = 0
    for i in range(len(x)):
        got, stdout = C.run_npusim(ARCH, net, x[i:i + 1], os.path.join(out, f"run_{tag}_{i}"))
        assert "bit-exact" in stdout, stdout
        same_int += int(np.array_equal(got.reshape(-1), ref[i]))
        same_cls += int(got.reshape(-1).argmax() == ref[i].argmax())
    log(f"  {tag}: npusim vs numpy integer reference on {len(x)} test digits: "
        f"{same_int}/{len(x)} logit vectors identical, {same_cls}/{len(x)} same class "
        f"(npusim --check vs its own reference executor: bit-exact every time)")
    return same_int, same_cls


class CEMAgent:
    """Cross-entropy method over per-layer keep ratios: a Gaussian per layer (clipped to
    [lo, 1]); each round samples `pop` policies, refits mean and std to the `elite` best."""

    def __init__(self, layers, lo=0.2, seed=1, pop=12, elite=3):
        self.layers, self.lo, self.pop, self.elite = layers, lo, pop, elite
        self.rng = np.random.default_rng(seed)
        self.mean = np.full(len(layers), 0.7)
        self.std = np.full(len(layers), 0.3)

    def ask(self):
        return np.clip(self.rng.normal(self.mean, self.std, size=(self.pop, len(self.layers))), self.lo, 1.0)

    def tell(self, actions, rewards):
        best = actions[np.argsort(-np.asarray(rewards), kind="stable")[:self.elite]]
        self.mean = best.mean(axis=0)
        self.std = np.maximum(best.std(axis=0), 0.02)


def snap(q, action):
    """Keep ratios -> whole channel counts (what npusim keeps), as exact ratios count / channels."""
    pol = {}
    for ly, a in zip(C.CONVS, action):
        oc = q[ly]["w"].shape[0]
        pol[ly] = max(1, int(math.floor(a * oc + 0.5))) / oc
    return pol


def layer_features(q):
    """AMC-style static state per prunable layer: input and output channels, share of the MACs
    and of the weights (8x8 input, conv2's output pooled to 4x4)."""
    hw = {"conv1": 64, "conv2": 64, "conv3": 16}
    macs = {ly: hw[ly] * q[ly]["w"].size for ly in C.CONVS}
    size = {ly: q[ly]["w"].size for ly in C.CONVS}
    return [[q[ly]["w"].shape[-1] / 128, q[ly]["w"].shape[0] / 128, macs[ly] / sum(macs.values()),
             size[ly] / sum(size.values())] for ly in C.CONVS]


def search(name, q, costs, accuracy, reward_fn, rounds, seed, agent_kind="cem"):
    """`rounds` rounds of 12 policies (CEM) or 12 * rounds episodes (DDPG). Returns the best
    (reward, policy, cost answer, val accuracy) and every evaluation."""
    evals = {}
    best = [None]

    def evaluate(a):
        pol = snap(q, a)
        key = tuple(sorted(pol.items()))
        if key not in evals:
            acc = accuracy(pol)
            ans = costs.ask(keep={ly: v for ly, v in pol.items() if v < 1.0})
            evals[key] = (reward_fn(1.0 - acc, ans["cycles"]), acc, ans)
        R, acc, ans = evals[key]
        b = best[0]
        if b is None or (R, -ans["cycles"]) > (b[0], -b[2]["cycles"]):  # ties: the faster policy wins
            best[0] = (R, pol, ans, acc)
        return R

    def report(r):
        b = best[0]
        log(f"  [{name}/{agent_kind}] round {r + 1}/{rounds}: best R {b[0]:+.4f}, val acc {b[3]:.4f}, "
            f"{b[2]['cycles']} cycles, keep {fmt(b[1])}  ({len(evals)} policies simulated)")

    if agent_kind == "cem":
        agent = CEMAgent(C.CONVS, seed=seed)
        for r in range(rounds):
            actions = agent.ask()
            agent.tell(actions, [evaluate(a) for a in actions])
            report(r)
    else:
        from ddpg import DDPGAgent
        agent = DDPGAgent(layer_features(q), seed=seed)
        for r in range(rounds):
            for _ in range(12):
                ratios, steps = agent.act_episode()
                agent.observe(steps, evaluate(ratios))
            report(r)
    return best[0], evals


def fmt(pol):
    return "{" + ", ".join(f"{ly}: {v:.3f}" for ly, v in pol.items()) + "}"


def finetune(model, q0, pol, data, epochs, lr=3e-3):
    """Masks the channels npusim's node pruning removes from the int8 model q0 (so the latency
    npusim reports is this network's), fine-tunes `epochs` epochs, re-quantizes (calibrated on the
    training digits as before) and drops the masked channels. Returns the pruned int8 model."""
    (x_tr, y_tr), _, _ = data
    keep = C.keep_indices(q0, pol)
    masks = {}
    for ly, k in keep.items():
        m = torch.zeros(getattr(model, ly).out_channels)
        m[torch.from_numpy(k)] = 1.0
        masks[ly] = m
    ft = C.Net()
    ft.load_state_dict(model.state_dict())
    with torch.no_grad():  # the removed channels start (and, masked, stay) out of the function
        for ly, m in masks.items():
            getattr(ft, ly).weight.mul_(m.view(-1, 1, 1, 1))
            getattr(ft, ly).bias.mul_(m)
    if epochs:
        C.train(ft, x_tr, y_tr, epochs=epochs, masks=masks, lr=lr)
    qf = C.quantize(ft, x_tr, masks=masks)
    return C.prune_q(qf, keep)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(C.HERE, "out"))
    ap.add_argument("--agent", choices=["cem", "ddpg"], default="cem",
                    help="cem: CEMAgent (default); ddpg: the simplified AMC-style DDPGAgent of ddpg.py")
    ap.add_argument("--rounds", type=int, default=6, help="rounds of 12 policies per search")
    ap.add_argument("--search-finetune", type=int, default=1,
                    help="epochs of fine-tuning per candidate during the search (0: none, as in AMC)")
    ap.add_argument("--final-finetune", type=int, default=4, help="epochs of fine-tuning of each best policy")
    args = ap.parse_args()
    t_start = time.time()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    log(f"npusim: {C.npusim_binary()}")
    data = C.load_data()
    (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = data
    log(f"digits: {len(x_tr)} train, {len(x_va)} validation, {len(x_te)} test")

    log("== 1. train, quantize, export")
    model = trained_model(args.out, data)
    q = C.quantize(model, x_tr)
    log(f"  float accuracy: val {C.float_accuracy(model, x_va, y_va):.4f}, "
        f"test {C.float_accuracy(model, x_te, y_te):.4f}")
    acc_va, acc_te = C.int_accuracy(q, x_va, y_va), C.int_accuracy(q, x_te, y_te)
    C.int_forward(q, x_va, exact_check=True)  # the fast float32 convs equal float64 ones here
    log(f"  int8 accuracy (numpy integer reference): val {acc_va:.4f}, test {acc_te:.4f}")
    net = C.export_net(q, os.path.join(args.out, "net"))
    log(f"  exported {net}")

    log("== 2. check the export on npusim")
    verify(q, net, x_te[:8], "int8", args.out)
    # A node-pruned network: `npusim prune --method node` with per-layer sparsity = 1 - keep.
    pol = {"conv1": 0.5, "conv2": 0.75, "conv3": 0.5}
    pl = os.path.join(args.out, "prune_check.json")
    with open(pl, "w") as f:
        f.write("{" + ", ".join(f'"{ly}": {1 - v}' for ly, v in pol.items()) + "}")
    pnet = os.path.join(args.out, "net", "pruned_check.json")
    subprocess.run([C.npusim_binary(), "prune", "--arch", ARCH, "--net", net, "--method", "node",
                    "--sparsity", "0", "--per-layer", pl, "-o", pnet], check=True, capture_output=True)
    ref_p = C.int_forward(q, x_te[:8], C.keep_indices(q, pol))
    ref_q = C.int_forward(C.prune_q(q, C.keep_indices(q, pol)), x_te[:8])
    assert np.array_equal(ref_p, ref_q)
    same = 0
    for i in range(8):
        got, _ = C.run_npusim(ARCH, pnet, x_te[i:i + 1], os.path.join(args.out, f"run_pruned_{i}"))
        same += int(np.array_equal(got.reshape(-1), ref_p[i]))
    log(f"  node-pruned {fmt(pol)} (npusim prune): {same}/8 logit vectors identical to the numpy reference")
    if same != 8:  # the search would score other channels than the ones npusim removes
        sys.exit("npusim's node pruning keeps other channels than common.keep_indices: an npusim older than "
                 "\"Pruning compares weights in real units\" ranks them by L1 in quanta")

    costs = C.cost_model(ARCH, net)
    log(f"== 3. AMC-style search ({'CEMAgent' if args.agent == 'cem' else 'DDPGAgent'}) with npusim "
        f"({costs.kind}, timing mode) on dense_16x16")
    base = costs.ask()
    log(f"  unpruned: {base['cycles']} cycles, {base['seconds'] * 1e6:.2f} us, "
        f"{base['energy_pj'] / 1e6:.4f} uJ, "
        f"{base['macs']} MACs; val acc {acc_va:.4f}")
    results = {}
    t0 = time.time()

    def accuracy(pol):  # validation accuracy of the pruned int8 network (numpy integer reference)
        return C.int_accuracy(finetune(model, q, pol, data, args.search_finetune), x_va, y_va)

    results["R = -error * log(cycles)"] = search(
        "amc", q, costs, accuracy, lambda err, cyc: -err * math.log(cyc), args.rounds, seed=1,
        agent_kind=args.agent)
    budget = 0.5 * base["cycles"]
    results[f"R = -error, cycles <= {budget:.0f} (50%)"] = search(
        "constrained", q, costs, accuracy,
        lambda err, cyc: -err if cyc <= budget else -1.0 - cyc / base["cycles"], args.rounds, seed=2,
        agent_kind=args.agent)
    log(f"  searches: {time.time() - t0:.1f} s, {costs.requests} simulated queries ({costs.kind}) "
        f"({1000 * costs.seconds / max(1, costs.requests):.1f} ms each on average)")

    log(f"== 4. best policies: fine-tuned {args.final_finetune} epochs, re-quantized, exported, checked on "
        "npusim")
    rows = [("unpruned int8", {ly: 1.0 for ly in C.CONVS}, acc_va, acc_te, float("nan"), base)]
    for i, (title, ((R, pol, ans, acc), _evals)) in enumerate(results.items()):
        acc_noft_te = C.int_accuracy(q, x_te, y_te, C.keep_indices(q, pol))
        qp = finetune(model, q, pol, data, args.final_finetune)
        pnet = C.export_net(qp, os.path.join(args.out, f"pruned_{i}"), name=f"pruned_{i}")
        acc_ft_te = C.int_accuracy(qp, x_te, y_te)
        got, stdout = C.run_npusim(ARCH, pnet, x_te[:1], os.path.join(args.out, f"run_best_{i}"))
        ok = np.array_equal(got.reshape(-1), C.int_forward(qp, x_te[:1])[0])
        chk = C.cost_model(ARCH, pnet)
        a2 = chk.ask()
        chk.close()
        assert a2["cycles"] == ans["cycles"], (a2["cycles"], ans["cycles"])
        log(f"  {title}: keep {fmt(pol)}; exported net {pnet}: same cycles as the search answer, "
            f"npusim logits {'identical to' if ok else 'DIFFER from'} the numpy reference")
        rows.append((title, pol, acc, acc_noft_te, acc_ft_te, ans))
    costs.close()
    pol = results[list(results)[1]][0][1]
    a_r = C.int_accuracy(q, x_va, y_va, C.keep_indices(q, pol))
    a_q = C.int_accuracy(q, x_va, y_va, C.keep_indices(q, pol, l1_in_quanta=True))
    log(f"  channel ranking, constrained best policy, no fine-tuning: val acc {a_r:.4f} with npusim's "
        f"real-unit L1 (scale x quanta), {a_q:.4f} ranking by the L1 in quanta instead (npusim before "
        "\"Pruning compares weights in real units\")")

    log("")
    log("| policy | keep conv1 / conv2 / conv3 | val acc (search: int8, 1-epoch fine-tune) "
        "| test acc, no fine-tune | test acc, fine-tuned | cycles | latency us | energy uJ "
        "| vs unpruned: latency, energy |")
    log("|---|---|---|---|---|---|---|---|---|")
    for title, pol, acc, a_no, a_ft, ans in rows:
        k = " / ".join(f"{pol[ly]:.3f}" for ly in C.CONVS)
        ft = "-" if a_ft != a_ft else f"{a_ft:.4f}"  # nan: the unpruned model is not fine-tuned
        log(f"| {title} | {k} | {acc:.4f} | {a_no:.4f} | {ft} | {ans['cycles']} | "
            f"{ans['seconds'] * 1e6:.2f} | "
            f"{ans['energy_pj'] / 1e6:.4f} | {ans['cycles'] / base['cycles']:.3f}x, "
            f"{ans['energy_pj'] / base['energy_pj']:.3f}x |")
    log(f"\ntotal: {time.time() - t_start:.1f} s")


if __name__ == "__main__":
    main()
