#!/usr/bin/python3
"""Self-check of the training oracle (torch_train.py, reference_cli.py train).

Run: /usr/bin/python3 tests/reference/test_train_selfcheck.py   (exit 0/1, ~10 s)
Fresh random seed each run; it is printed, and SEEK_REF_SEED=<n> replays it.
"""

import contextlib
import copy
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import reference_cli  # noqa: E402
import torch_models  # noqa: E402
from ref_common import MICRO, SEED, load_config  # noqa: E402
import torch_train  # noqa: E402
from safetensors_io import load_file  # noqa: E402

CLI = os.path.join(HERE, "reference_cli.py")





def seed_for(tag):
    return (SEED * 1000003 + sum(map(ord, tag)) * 7919) % 2**31


@torch.no_grad()
def random_model(config, tag, dtype=torch.float64):
    """Model with every parameter random (norm weights around 1, biases
    nonzero), so that every gradient is non-trivial."""
    gen = torch.Generator().manual_seed(seed_for(tag))
    model = torch_models.build_model(config)
    for name, p in model.named_parameters():
        noise = torch.randn(p.shape, generator=gen)
        if model.is_norm_weight(name):
            p.copy_(1.0 + 0.2 * noise)
        elif name.endswith(".bias"):
            p.copy_(0.1 * noise)
        elif name in torch_train.EMBEDDING_NAMES:
            p.copy_(0.3 * noise)
        else:
            p.copy_(noise / math.sqrt(p.shape[-1]))
    return model.to(dtype)


def micro_batches(config, tag, count, B, T, docs=True):
    out = []
    for i in range(count):
        b = reference_cli.make_batch(config, [seed_for(tag), i], B, T, docs)
        out.append(tuple(torch.tensor(b[k]) for k in ("input_ids", "targets", "doc_ids")))
    return out


def grads(model):
    return {n: p.grad.detach().clone() for n, p in model.named_parameters()}


def max_rel(a, b):
    """max over tensors of max|a-b| / max(max|b|, 1e-30)."""
    return max(float((a[k] - b[k]).abs().max()) / max(float(b[k].abs().max()), 1e-30) for k in b)


class Schedules(unittest.TestCase):
    """(a) lr_at at hand-computed points."""

    def check(self, o, expected):
        o = torch_train.resolve_opt(o)
        for s, want in expected.items():
            got = torch_train.lr_at(s, o)
            self.assertAlmostEqual(got, want, delta=1e-15,
                                   msg=f"{o['schedule']} step {s}: {got!r} != {want!r}")
            self.assertIsInstance(got, float)

    def test_cosine(self):
        base = {"lr": 1e-3, "min_lr": 1e-4, "warmup_steps": 2, "total_steps": 10}
        self.check(base, {0: 5e-4, 1: 1e-3, 2: 1e-3,
                          4: 1e-4 + 4.5e-4 * (1 + math.sqrt(0.5)),  # progress 2/8
                          6: 5.5e-4,                                  # progress 1/2
                          8: 1e-4 + 4.5e-4 * (1 - math.sqrt(0.5)),  # progress 6/8
                          10: 1e-4, 13: 1e-4})                        # clamped at 1
        self.check({**base, "warmup_steps": 0}, {0: 1e-3, 5: 5.5e-4, 10: 1e-4})
        self.check({**base, "warmup_steps": 4}, {0: 2.5e-4, 2: 7.5e-4, 3: 1e-3, 4: 1e-3,
                                                 7: 5.5e-4})  # progress 3/6
        # warmup >= total: progress (s - 10) / max(1, 5 - 10), clamped to [0, 1]
        self.check({**base, "warmup_steps": 10, "total_steps": 5}, {9: 1e-3, 10: 1e-3,
                                                                     11: 1e-4, 30: 1e-4})

    def test_constant(self):
        self.check({"lr": 2e-3, "warmup_steps": 4, "total_steps": 10, "schedule": "constant"},
                   {0: 5e-4, 3: 2e-3, 4: 2e-3, 9: 2e-3, 50: 2e-3})

    def test_wsd(self):
        base = {"lr": 1e-3, "min_lr": 1e-4, "warmup_steps": 2, "total_steps": 10,
                "schedule": "wsd"}
        # decay_start = 10 - round(0.2 * 10) = 8
        self.check(base, {0: 5e-4, 1: 1e-3, 2: 1e-3, 7: 1e-3, 8: 1e-3,
                          9: 1e-3 - 9e-4 * 0.5, 10: 1e-4, 12: 1e-4})
        # 0.25 * 10 = 2.5 rounds half up to 3: decay_start = 7, progress (s - 7) / 3
        self.check({**base, "decay_fraction": 0.25}, {6: 1e-3, 7: 1e-3, 8: 7e-4, 9: 4e-4})
        # decay_fraction 0: decay_start = total, max(1, 0) keeps it finite
        self.check({**base, "decay_fraction": 0.0}, {9: 1e-3, 10: 1e-3})
        # decay_fraction 1: decay starts at 0, but warmup comes first
        self.check({**base, "decay_fraction": 1.0, "warmup_steps": 0}, {0: 1e-3, 5: 5.5e-4})

    def test_multistep(self):
        base = {"lr": 1e-3, "warmup_steps": 2, "total_steps": 10, "schedule": "multistep"}
        # milestones round(0.8*10) = 8, round(0.9*10) = 9
        self.check(base, {0: 5e-4, 1: 1e-3, 7: 1e-3, 8: 1e-3 * 0.316, 9: 1e-3 * 0.1,
                          20: 1e-3 * 0.1})
        # total 15: round(12.0) = 12, round(13.5) = 14 (half up)
        self.check({**base, "total_steps": 15}, {11: 1e-3, 12: 3.16e-4, 13: 3.16e-4,
                                                 14: 1e-3 * 0.1})
        self.check({**base, "milestones": [0.5], "factors": [0.5]}, {4: 1e-3, 5: 5e-4})
        # a milestone inside warmup does not touch the warmup lr
        self.check({**base, "milestones": [0.1], "factors": [0.5]}, {0: 5e-4, 1: 5e-4 * 2,
                                                                     2: 5e-4})

    def test_round_half_up(self):
        for x, want in ((0.0, 0), (0.49999999999999994, 0), (0.5, 1), (1.5, 2), (2.5, 3),
                        (2.4999, 2), (8.000000000000002, 8)):
            self.assertEqual(torch_train.round_half_up(x), want, x)

    def test_resolve_defaults_and_errors(self):
        r = torch_train.resolve_opt({}, 7)
        self.assertEqual(r["total_steps"], 7)
        self.assertEqual((r["lr"], r["min_lr"], r["warmup_steps"], r["schedule"]),
                         (1e-3, 1e-4, 2, "cosine"))
        self.assertEqual((r["weight_decay"], r["beta1"], r["beta2"], r["eps"], r["grad_clip"],
                          r["grad_accum"], r["decay_fraction"]),
                         (0.1, 0.9, 0.95, 1e-8, 1.0, 2, 0.2))
        self.assertEqual(torch_train.resolve_opt({"grad_clip": None})["grad_clip"], 0.0)
        for bad in ({"schedule": "linear"}, {"lr_max": 1.0}, {"grad_accum": 0},
                    {"milestones": [0.5]}, {"warmup_steps": 1.5}, {"decay_embeddings": 1}):
            with self.assertRaises(ValueError, msg=bad):
                torch_train.resolve_opt(bad, 10)


class Accumulation(unittest.TestCase):
    """(b) A micro-batches give the gradient of the step's combined mean loss."""

    def check(self, family, A):
        cfg = MICRO[family]
        model = random_model(cfg, f"acc-{family}-{A}")
        mbs = micro_batches(cfg, f"accb-{family}-{A}", A, 2, 12)
        counts = [int((t != -1).sum()) for _, t, _ in mbs]
        loss, n = torch_train.accumulate(model, mbs)
        g_acc = grads(model)
        self.assertEqual(n, sum(counts))
        # one forward over the rows of all micro-batches (same T): its mean loss
        # is exactly sum of token losses / total targets
        cat = [torch.cat([mb[i] for mb in mbs]) for i in range(3)]
        model.zero_grad(set_to_none=True)
        _, ref_loss = model(cat[0], cat[2], cat[1])
        ref_loss.backward()
        g_ref = grads(model)
        self.assertAlmostEqual(loss, float(ref_loss), delta=1e-12)
        self.assertLess(max_rel(g_acc, g_ref), 1e-11)
        # and the test can see the difference from averaging per-micro-batch means
        if len(set(counts)) > 1:
            model.zero_grad(set_to_none=True)
            for ids, tg, docs in mbs:
                (model(ids, docs, tg)[1] / A).backward()
            self.assertGreater(max_rel(grads(model), g_ref), 1e-6)

    def test_gpt2_a2(self):
        self.check("gpt2", 2)

    def test_llama_a2(self):
        self.check("llama", 2)

    def test_llama_a3(self):
        self.check("llama", 3)

    def test_unequal_counts_forced(self):
        """Micro-batches with very different target counts (one mostly ignored)."""
        cfg = MICRO["llama"]
        model = random_model(cfg, "acc-forced")
        mbs = micro_batches(cfg, "accb-forced", 2, 2, 12)
        ids, tg, docs = mbs[1]
        tg = tg.clone()
        tg[:, 3:] = -1
        tg[0, 0] = 5
        mbs[1] = (ids, tg, docs)
        loss, n = torch_train.accumulate(model, mbs)
        g_acc = grads(model)
        cat = [torch.cat([mb[i] for mb in mbs]) for i in range(3)]
        model.zero_grad(set_to_none=True)
        _, ref = model(cat[0], cat[2], cat[1])
        ref.backward()
        self.assertAlmostEqual(loss, float(ref), delta=1e-12)
        self.assertLess(max_rel(g_acc, grads(model)), 1e-11)

    def test_no_targets_is_an_error(self):
        cfg = MICRO["gpt2"]
        model = random_model(cfg, "acc-none")
        ids, tg, docs = micro_batches(cfg, "accb-none", 1, 2, 8)[0]
        with self.assertRaises(ValueError):
            torch_train.accumulate(model, [(ids, torch.full_like(tg, -1), docs)])

    def test_loss_is_f64_sum_of_f32_sums(self):
        cfg = MICRO["gpt2"]
        model = random_model(cfg, "acc-f32", torch.float32)
        mbs = micro_batches(cfg, "accb-f32", 2, 2, 12)
        loss, n = torch_train.accumulate(model, mbs)
        with torch.no_grad():
            sums = [float(torch_train.lm_loss_sum(model(i, d, None)[0], t)[0]) for i, t, d in mbs]
        self.assertEqual(loss, sum(sums) / n)


class Clipping(unittest.TestCase):
    """(c) clip_grad_norm_ semantics and the reported pre-clip norm."""

    def setup_grads(self, scale):
        model = random_model(MICRO["llama"], "clip")
        gen = torch.Generator().manual_seed(seed_for("clipg"))
        for p in model.parameters():
            p.grad = torch.randn(p.shape, generator=gen, dtype=p.dtype) * scale
        return model

    @staticmethod
    def norm(g):
        return math.sqrt(sum(float((t.double() ** 2).sum()) for t in g.values()))

    def test_clips_to_max_norm(self):
        model = self.setup_grads(1.0)
        before = grads(model)
        n0 = self.norm(before)
        self.assertGreater(n0, 2.0)
        reported = torch_train.grad_norm_and_clip(model, 1.0)
        self.assertAlmostEqual(reported, n0, delta=1e-12 * n0)
        after = grads(model)
        self.assertAlmostEqual(self.norm(after), 1.0, delta=2e-6)
        coef = 1.0 / (n0 + 1e-6)
        self.assertLess(max_rel({k: after[k] for k in after},
                                {k: before[k] * coef for k in before}), 1e-14)

    def test_below_max_norm_untouched(self):
        model = self.setup_grads(1e-3)
        before = grads(model)
        n0 = self.norm(before)
        self.assertLess(n0, 1.0)
        self.assertAlmostEqual(torch_train.grad_norm_and_clip(model, 1.0), n0, delta=1e-12 * n0)
        for k, g in grads(model).items():
            self.assertTrue(torch.equal(g, before[k]), k)

    def test_no_clipping(self):
        for max_norm in (0.0, None):
            model = self.setup_grads(1.0)
            before = grads(model)
            n0 = self.norm(before)
            self.assertAlmostEqual(torch_train.grad_norm_and_clip(model, max_norm), n0,
                                   delta=1e-12 * n0)
            for k, g in grads(model).items():
                self.assertTrue(torch.equal(g, before[k]), k)


class DecayGroups(unittest.TestCase):
    """(d) exactly the intended names decay."""

    def split(self, name, **kw):
        model = torch_models.build_model(load_config(name))
        decay, no_decay = torch_train.decay_split(model, **kw)
        self.assertEqual(sorted(decay + no_decay), sorted(n for n, _ in model.named_parameters()))
        self.assertFalse(set(decay) & set(no_decay))
        o = torch_train.resolve_opt(kw, 10)
        groups = torch_train.make_optimizer(model, o).param_groups
        by_wd = {g["weight_decay"]: g["names"] for g in groups}
        if decay:
            self.assertEqual(by_wd[0.1], decay)
        if no_decay:
            self.assertEqual(by_wd[0.0], no_decay)
        for g in groups:
            self.assertEqual((g["betas"], g["eps"], g["amsgrad"], g["foreach"]),
                             ((0.9, 0.95), 1e-8, False, False))
        return set(decay), set(no_decay)

    def test_gpt2_tied(self):
        d, nd = self.split("gpt2_tiny")
        layers = range(2)
        self.assertEqual(d, {f"transformer.h.{i}.{m}.weight" for i in layers
                             for m in ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")})
        self.assertEqual(nd, {"transformer.wte.weight", "transformer.wpe.weight",
                              "transformer.ln_f.weight", "transformer.ln_f.bias"}
                         | {f"transformer.h.{i}.{m}.{wb}" for i in layers
                            for m, wb in (("ln_1", "weight"), ("ln_1", "bias"), ("ln_2", "weight"),
                                          ("ln_2", "bias"), ("attn.c_attn", "bias"),
                                          ("attn.c_proj", "bias"), ("mlp.c_fc", "bias"),
                                          ("mlp.c_proj", "bias"))})
        d2, nd2 = self.split("gpt2_tiny", decay_embeddings=True)
        self.assertEqual(d2, d | {"transformer.wte.weight", "transformer.wpe.weight"})
        d3, nd3 = self.split("gpt2_tiny", decay_norms_and_biases=True)
        self.assertEqual(nd3, {"transformer.wte.weight", "transformer.wpe.weight"})
        d4, nd4 = self.split("gpt2_tiny", decay_embeddings=True, decay_norms_and_biases=True)
        self.assertEqual(nd4, set())

    def test_llama_untied(self):
        d, nd = self.split("llama_tiny")
        layers = range(2)
        self.assertEqual(d, {"lm_head.weight"} | {
            f"model.layers.{i}.{m}.weight" for i in layers
            for m in ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
                      "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")})
        self.assertEqual(nd, {"model.embed_tokens.weight", "model.norm.weight"} | {
            f"model.layers.{i}.{m}.weight" for i in layers
            for m in ("input_layernorm", "post_attention_layernorm")})
        d2, _ = self.split("llama_tiny", decay_embeddings=True)
        self.assertEqual(d2, d | {"model.embed_tokens.weight"})
        _, nd3 = self.split("llama_tiny", decay_norms_and_biases=True)
        self.assertEqual(nd3, {"model.embed_tokens.weight"})

    def test_llama_tied(self):
        d, nd = self.split("llama_tiny_tied")
        self.assertNotIn("lm_head.weight", d | nd)
        self.assertIn("model.embed_tokens.weight", nd)


def manual_adamw(model, batches, o):
    """Independent f64 AdamW + accumulation + clipping + schedule, from the
    formulas (not torch.optim), for cross-checking train()."""
    A = o["grad_accum"]
    names = [n for n, _ in model.named_parameters()]
    params = dict(model.named_parameters())
    decay, _ = torch_train.decay_split(model, o["decay_embeddings"], o["decay_norms_and_biases"])
    m = {n: torch.zeros_like(params[n]) for n in names}
    v = {n: torch.zeros_like(params[n]) for n in names}
    b1, b2, eps = o["beta1"], o["beta2"], o["eps"]
    losses = []
    for s in range(len(batches) // A):
        chunk = batches[s * A:(s + 1) * A]
        n_tot = sum(int((t != -1).sum()) for _, t, _ in chunk)
        model.zero_grad(set_to_none=True)
        total = 0.0
        for ids, tg, docs in chunk:
            logits, _ = model(ids, docs, None)
            ls = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                   tg.reshape(-1), ignore_index=-1,
                                                   reduction="sum")
            (ls / n_tot).backward()
            total += float(ls)
        losses.append(total / n_tot)
        g = {n: params[n].grad.clone() for n in names}
        norm = math.sqrt(sum(float((x ** 2).sum()) for x in g.values()))
        if o["grad_clip"] and o["grad_clip"] / (norm + 1e-6) < 1:
            g = {n: x * (o["grad_clip"] / (norm + 1e-6)) for n, x in g.items()}
        lr = torch_train.lr_at(s, o)
        t = s + 1
        with torch.no_grad():
            for n in names:
                p = params[n]
                if n in decay:
                    p.mul_(1 - lr * o["weight_decay"])
                m[n] = b1 * m[n] + (1 - b1) * g[n]
                v[n] = b2 * v[n] + (1 - b2) * g[n] ** 2
                mhat = m[n] / (1 - b1 ** t)
                denom = (v[n] / (1 - b2 ** t)).sqrt() + eps
                p.sub_(lr * mhat / denom)
    return losses


class Training(unittest.TestCase):
    """(e) train() end to end."""

    def test_against_manual_adamw(self):
        for family in ("gpt2", "llama"):
            for o in ({"grad_clip": 1.0, "weight_decay": 0.3, "lr": 1e-2},
                      {"grad_clip": None, "schedule": "wsd", "lr": 5e-3, "grad_accum": 3,
                       "decay_embeddings": True, "eps": 1e-6},
                      {"grad_clip": 0.05, "schedule": "multistep", "lr": 1e-2,
                       "decay_norms_and_biases": True, "beta2": 0.999, "warmup_steps": 0}):
                with self.subTest(family=family, opt=o):
                    cfg = MICRO[family]
                    model = random_model(cfg, f"man-{family}")
                    ref = copy.deepcopy(model)
                    A = o.get("grad_accum", 2)
                    mbs = micro_batches(cfg, f"manb-{family}", 4 * A, 2, 10)
                    res = torch_train.train(model, mbs, o)
                    want = manual_adamw(ref, mbs, torch_train.resolve_opt(o, 4))
                    for a, b in zip(res["loss"], want):
                        self.assertAlmostEqual(a, b, delta=1e-12)
                    sd, rd = dict(model.named_parameters()), dict(ref.named_parameters())
                    self.assertLess(max_rel({k: v.detach() for k, v in sd.items()},
                                            {k: v.detach() for k, v in rd.items()}), 1e-10)
                    self.assertEqual(res["lr"], [torch_train.lr_at(s, res["opt"])
                                                 for s in range(4)])

    def test_tiny_configs_learn_and_f32_matches_f64(self):
        for name in ("gpt2_tiny", "llama_tiny", "llama_tiny_tied"):
            with self.subTest(config=name):
                cfg = load_config(name)
                base = torch_models.init_weights(torch_models.build_model(cfg), seed_for(name))
                one = micro_batches(cfg, f"rep-{name}", 1, 2, 32)
                res = {}
                for dt in (torch.float32, torch.float64):
                    res[dt] = torch_train.train(copy.deepcopy(base).to(dt), one * 20, {})
                l32, l64 = res[torch.float32]["loss"], res[torch.float64]["loss"]
                self.assertEqual(len(l32), 10)
                for s in range(1, 10):
                    self.assertLess(l32[s], l32[s - 1], f"step {s}: {l32}")
                self.assertLess(l32[-1], l32[0] - 0.5, l32)
                for s, (a, b) in enumerate(zip(l32, l64)):
                    self.assertLess(abs(a - b), 1e-5, f"step {s}: f32 {a} f64 {b}")

    def test_fresh_batches_f32_matches_f64(self):
        """A new micro-batch every time (packed documents), default settings."""
        cfg = load_config("llama_tiny")
        base = torch_models.init_weights(torch_models.build_model(cfg), seed_for("fresh"))
        mbs = micro_batches(cfg, "fresh", 20, 2, 32)
        r32 = torch_train.train(copy.deepcopy(base), mbs, {})
        r64 = torch_train.train(copy.deepcopy(base).double(), mbs, {})
        for s, (a, b) in enumerate(zip(r32["loss"], r64["loss"])):
            self.assertLess(abs(a - b), 1e-5, f"step {s}: f32 {a} f64 {b}")
        for a, b in zip(r32["grad_norm"], r64["grad_norm"]):
            self.assertLess(abs(a - b), 1e-3 * b)

    def test_bad_micro_batch_count(self):
        cfg = MICRO["gpt2"]
        mbs = micro_batches(cfg, "badcount", 5, 1, 8)
        with self.assertRaises(ValueError):
            torch_train.train(random_model(cfg, "badcount"), mbs, {"grad_accum": 2})


def cli(*args):
    """reference_cli.main in this process -> (exit status, stdout + stderr)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        rc = reference_cli.main([str(a) for a in args])
    return rc, buf.getvalue()


def cli_subprocess(*args):
    """The script itself, as the C++ harness runs it."""
    env = dict(os.environ, OMP_NUM_THREADS="1")
    p = subprocess.run([sys.executable, CLI, *map(str, args)], capture_output=True, text=True,
                       env=env)
    return p.returncode, p.stdout + p.stderr


class Cli(unittest.TestCase):
    """(e) batches -> train -> compare-train, --save, exit codes."""

    def test_end_to_end(self):
        with tempfile.TemporaryDirectory() as d:
            j = lambda *p: os.path.join(d, *p)  # noqa: E731
            cfg = os.path.join(HERE, "configs", "llama_tiny.json")
            rc, out = cli("init", "--config", cfg, "--seed", seed_for("cli") % 1000, "--out",
                          j("m"))
            self.assertEqual(rc, 0, out)
            rc, out = cli("batches", "--config", cfg, "--seed", seed_for("clib") % 1000,
                          "--batch-size", 2, "--seq-len", 16, "--count", 20, "--docs",
                          "--out", j("b.json"))
            self.assertEqual(rc, 0, out)
            with open(j("b.json")) as f:
                mb = json.load(f)["micro_batches"]
            self.assertEqual(len(mb), 20)
            self.assertNotEqual(mb[0]["input_ids"], mb[1]["input_ids"])
            with open(j("opt.json"), "w") as f:
                json.dump({"lr": 2e-3, "schedule": "cosine", "warmup_steps": 2}, f)
            rc, out = cli_subprocess("train", "--model", j("m"), "--batches", j("b.json"),
                                     "--opt", j("opt.json"), "--out", j("r32.json"),
                                     "--save", j("final"))
            self.assertEqual(rc, 0, out)
            rc, out = cli("train", "--model", j("m"), "--batches", j("b.json"), "--opt",
                          j("opt.json"), "--out", j("r64.json"), "--dtype", "float64")
            self.assertEqual(rc, 0, out)
            with open(j("r32.json")) as f:
                r32 = json.load(f)
            self.assertEqual([len(r32[k]) for k in ("loss", "lr", "grad_norm")], [10] * 3)
            self.assertEqual(r32["lr"][:2], [1e-3, 2e-3])
            self.assertEqual(r32["opt"]["total_steps"], 10)

            # the CLI run equals the in-process run, and --save holds its weights
            model = reference_cli.load_model(j("m"))
            micro = reference_cli.load_micro_batches(j("b.json"))
            res = torch_train.train(model, micro, {"lr": 2e-3})
            self.assertEqual(res["loss"], r32["loss"])
            saved = load_file(j("final", "model.safetensors"))
            for n, p in model.named_parameters():
                self.assertTrue(torch.equal(saved[n], p.detach()), n)
            rc, out = cli("train", "--model", j("final"), "--batches", j("b.json"), "--opt",
                          j("opt.json"), "--out", j("again.json"))
            self.assertEqual(rc, 0, out)

            rc, out = cli_subprocess("compare-train", "--a", j("r32.json"), "--b",
                                     j("r64.json"))
            self.assertEqual(rc, 0, out)
            self.assertIn("PASS", out)
            self.assertEqual(len([ln for ln in out.splitlines() if ln.rstrip().endswith("ok")]),
                             10)

            def perturbed(key, step, delta, rel=False):
                with open(j("r64.json")) as f:
                    r = json.load(f)
                r[key][step] = r[key][step] * (1 + delta) if rel else r[key][step] + delta
                with open(j("p.json"), "w") as f:
                    json.dump(r, f)
                return cli("compare-train", "--a", j("p.json"), "--b", j("r64.json"))

            self.assertEqual(perturbed("loss", 3, 9e-5)[0], 0)
            rc, out = perturbed("loss", 3, 2e-4)
            self.assertEqual(rc, 1, out)
            self.assertIn("FAIL: 1 of 10 steps out of tolerance: 3", out)
            self.assertEqual(perturbed("lr", 0, 1e-7, rel=True)[0], 1)
            self.assertEqual(perturbed("grad_norm", 9, 2e-3, rel=True)[0], 1)
            self.assertEqual(perturbed("loss", 5, float("nan"))[0], 1)
            rc, out = cli("compare-train", "--a", j("r32.json"), "--b", j("r64.json"),
                          "--loss-atol", 1e-9)
            self.assertEqual(rc, 1, out)

            # bad input: exit 2
            with open(j("r64.json")) as f:
                r = json.load(f)
            r["loss"] = r["loss"][:-1]
            with open(j("short.json"), "w") as f:
                json.dump(r, f)
            self.assertEqual(cli("compare-train", "--a", j("short.json"), "--b",
                                 j("r64.json"))[0], 2)
            self.assertEqual(cli("compare-train", "--a", j("nope.json"), "--b",
                                 j("r64.json"))[0], 2)
            with open(j("bad_opt.json"), "w") as f:
                json.dump({"lr": 1e-3, "warmpu_steps": 3}, f)
            rc, out = cli("train", "--model", j("m"), "--batches", j("b.json"), "--opt",
                          j("bad_opt.json"), "--out", j("x.json"))
            self.assertEqual(rc, 2, out)
            self.assertIn("warmpu_steps", out)
            with open(j("a3.json"), "w") as f:
                json.dump({"grad_accum": 3}, f)
            rc, out = cli("train", "--model", j("m"), "--batches", j("b.json"), "--opt",
                          j("a3.json"), "--out", j("x.json"))
            self.assertEqual(rc, 2, out)
            self.assertIn("not a positive multiple", out)

    def test_in_process_compare_train(self):
        a = {"loss": [1.0, 2.0], "lr": [1e-3, 2e-3], "grad_norm": [1.0, 0.0]}
        b = copy.deepcopy(a)
        buf = io.StringIO()
        self.assertEqual(reference_cli.compare_train(a, b, 1e-4, 1e-9, 1e-3, out=buf), [])
        b["lr"][1] = 2e-3 * (1 + 2e-9)
        self.assertEqual(reference_cli.compare_train(a, b, 1e-4, 1e-9, 1e-3, out=buf), [1])


if __name__ == "__main__":
    print(f"test_train_selfcheck: seed {SEED} (SEEK_REF_SEED={SEED} replays it)")
    torch.set_num_threads(1)  # tiny tensors: threads only add contention
    t0 = time.time()
    with contextlib.redirect_stderr(sys.stdout):
        result = unittest.main(exit=False, verbosity=2).result
    print(f"{time.time() - t0:.1f} s")
    sys.exit(0 if result.wasSuccessful() else 1)
