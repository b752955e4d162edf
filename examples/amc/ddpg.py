"""A small DDPG-style agent in the shape of AMC's (He et al., ECCV 2018, section 3): it walks the
prunable layers in order; its state per layer is the layer's description plus what has been
removed so far; it outputs one keep ratio per layer; the episode's reward (of the whole policy)
is given to every step, minus a moving-average baseline.

Simpler than AMC's agent: the critic regresses Q(s, a) directly on the episode's (baselined,
scaled) reward, with no bootstrapping through the next state and no target networks (AMC's
critic bootstraps with discount 1 through target networks); like AMC, random warm-up episodes,
then truncated Gaussian exploration noise whose width decays per episode.
"""
import numpy as np
import torch
import torch.nn as nn


def _mlp(i, o, out_act=None):
    layers = [nn.Linear(i, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, o)]
    if out_act:
        layers.append(out_act)
    return nn.Sequential(*layers)


class DDPGAgent:
    def __init__(self, layer_features, lo=0.2, hi=1.0, seed=1, warmup=16, sigma=0.5, decay=0.95,
                 lr_actor=1e-3, lr_critic=2e-3, batch=64, updates=20):
        """layer_features: one list of static features per layer (already scaled to ~[0, 1])."""
        self.feats = [np.asarray(f, dtype=np.float32) for f in layer_features]
        self.lo, self.hi = lo, hi
        self.rng = np.random.default_rng(seed)
        torch.manual_seed(seed)
        dim = len(self.feats[0]) + 2  # + fraction of layers done, previous action
        self.actor = _mlp(dim, 1, nn.Sigmoid())
        self.critic = _mlp(dim + 1, 1)
        self.opt_a = torch.optim.Adam(self.actor.parameters(), lr=lr_actor)
        self.opt_c = torch.optim.Adam(self.critic.parameters(), lr=lr_critic)
        self.warmup, self.sigma, self.decay = warmup, sigma, decay
        self.batch, self.updates = batch, updates
        self.buffer = []  # (state, action in [0, 1], baselined reward)
        self.episode = 0
        self.baseline = None

    def _state(self, t, prev):
        return np.concatenate([self.feats[t], [t / len(self.feats), prev]]).astype(np.float32)

    def act_episode(self):
        """One policy: a keep ratio per layer, and the (state, action) pairs that chose it."""
        steps, prev = [], 1.0
        for t in range(len(self.feats)):
            s = self._state(t, prev)
            if self.episode < self.warmup:
                a = self.rng.uniform(0, 1)
            else:
                with torch.no_grad():
                    mu = float(self.actor(torch.from_numpy(s)[None])[0, 0])
                sd = self.sigma * self.decay ** (self.episode - self.warmup)
                for _ in range(100):  # truncated normal on [0, 1]
                    a = self.rng.normal(mu, sd)
                    if 0 <= a <= 1:
                        break
                a = float(np.clip(a, 0, 1))
            steps.append((s, a))
            prev = self.lo + (self.hi - self.lo) * a
        return [self.lo + (self.hi - self.lo) * a for _, a in steps], steps

    def observe(self, steps, reward):
        self.baseline = reward if self.baseline is None else 0.95 * self.baseline + 0.05 * reward
        for s, a in steps:
            self.buffer.append((s, a, reward - self.baseline))
        self.episode += 1
        if self.episode >= self.warmup:
            self._train()

    def _train(self):
        S = torch.from_numpy(np.stack([b[0] for b in self.buffer]))
        A = torch.tensor([[b[1]] for b in self.buffer], dtype=torch.float32)
        R = torch.tensor([[b[2]] for b in self.buffer], dtype=torch.float32)
        scale = R.abs().max().clamp(min=1e-6)
        for _ in range(self.updates):
            idx = torch.from_numpy(self.rng.choice(len(S), size=min(self.batch, len(S)), replace=False))
            q = self.critic(torch.cat([S[idx], A[idx]], 1))
            loss_c = ((q - R[idx] / scale) ** 2).mean()
            self.opt_c.zero_grad()
            loss_c.backward()
            self.opt_c.step()
            loss_a = -self.critic(torch.cat([S[idx], self.actor(S[idx])], 1)).mean()
            self.opt_a.zero_grad()
            loss_a.backward()
            self.opt_a.step()
