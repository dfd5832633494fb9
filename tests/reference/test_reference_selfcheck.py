#!/usr/bin/python3
"""Self-check of the PyTorch oracle (torch_models.py, reference_cli.py).

Run: /usr/bin/python3 tests/reference/test_reference_selfcheck.py   (exit 0/1)
Fresh random seed each run; it is printed, and SEEK_REF_SEED=<n> replays it.
"""

import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile
import time
import unittest

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import reference_cli  # noqa: E402
import torch_models  # noqa: E402
from ref_common import MICRO, SEED, load_config  # noqa: E402

CONFIGS = ("gpt2_tiny", "llama_tiny", "llama_tiny_tied")





def gen_for(tag):
    """A generator per test, derived from SEED and the test's tag."""
    return torch.Generator().manual_seed((SEED * 1000003 + sum(map(ord, tag)) * 7919) % 2**62)


@torch.no_grad()
def randomized_model(config, gen, dtype=torch.float32, scale=0.3):
    """Model with all parameters random (norm weights around 1, biases nonzero),
    so that no part of the computation is trivially the identity."""
    model = torch_models.build_model(config)
    for name, p in model.named_parameters():
        noise = torch.randn(p.shape, generator=gen)
        if model.is_norm_weight(name):
            p.copy_(1.0 + 0.2 * noise)
        elif name.endswith(".bias"):
            p.copy_(0.1 * noise)
        elif "wte" in name or "wpe" in name or "embed_tokens" in name:
            p.copy_(scale * noise)
        else:
            p.copy_(noise / math.sqrt(p.shape[-1] if p.dim() == 2 else 1) * (1.5 if "gpt2" in
                    config["model_type"] else 1.0))
    return model.to(dtype)


def random_batch(config, gen, B, T, docs=True):
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    b = reference_cli.make_batch(config, seed, B, T, docs)
    return (torch.tensor(b["input_ids"]), torch.tensor(b["targets"]), torch.tensor(b["doc_ids"]))


def naive_runs(doc_row):
    """Python loop: list of (start, end) maximal runs of equal ids."""
    runs, start = [], 0
    for t in range(1, len(doc_row) + 1):
        if t == len(doc_row) or doc_row[t] != doc_row[start]:
            runs.append((start, t))
            start = t
    return runs


def quiet(fn, *args):
    buf_out, buf_err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
        rc = fn(*args)
    return rc, buf_out.getvalue() + buf_err.getvalue()


class PackingTest(unittest.TestCase):
    """(a) a packed document computes exactly what it computes alone."""

    def test_doc_layout_matches_naive(self):
        gen = gen_for("layout")
        doc = torch.randint(0, 3, (3, 40), generator=gen)  # reused ids: runs, not ids
        pos, mask = torch_models.doc_layout(doc)
        for b in range(doc.shape[0]):
            want_pos = torch.zeros(40, dtype=torch.long)
            want_mask = torch.zeros(40, 40, dtype=torch.bool)
            for s, e in naive_runs(doc[b].tolist()):
                want_pos[s:e] = torch.arange(e - s)
                for t in range(s, e):
                    want_mask[t, s:t + 1] = True
            self.assertTrue(torch.equal(pos[b], want_pos))
            self.assertTrue(torch.equal(mask[b], want_mask))

    def _check_packing(self, name):
        config = load_config(name)
        gen = gen_for("pack" + name)
        model = randomized_model(config, gen)
        ids, _, doc = random_batch(config, gen, 2, 64, docs=True)
        # Row 1: reuse ids in non-adjacent runs ([.. 0 0 1 1 0 0 ..] = three documents).
        doc[1] = (doc[1] % 2)
        with torch.no_grad():
            packed, _ = model(ids, doc)
            whole, _ = model(ids, torch.zeros_like(doc))
        worst, n_docs, n_len1 = 0.0, 0, 0
        for b in range(ids.shape[0]):
            for s, e in naive_runs(doc[b].tolist()):
                with torch.no_grad():
                    alone, _ = model(ids[b:b + 1, s:e])
                worst = max(worst, (alone[0] - packed[b, s:e]).abs().max().item())
                n_docs += 1
                n_len1 += e - s == 1
        self.assertGreaterEqual(n_docs, 4)
        self.assertGreaterEqual(n_len1, 1, "batch should contain a length-1 document")
        self.assertLessEqual(worst, 1e-5, f"{name}: packed vs alone max|diff| {worst:.3e}")
        # Not vacuous: without the document mask the later documents do differ.
        self.assertGreater((whole - packed).abs().max().item(), 1e-2)

    def test_gpt2(self):
        self._check_packing("gpt2_tiny")

    def test_llama(self):
        self._check_packing("llama_tiny")

    def test_llama_tied(self):
        self._check_packing("llama_tiny_tied")

    def test_loss_is_mean_over_non_ignored(self):
        config = load_config("llama_tiny")
        gen = gen_for("loss")
        model = randomized_model(config, gen)
        ids, tgt, doc = random_batch(config, gen, 2, 32)
        with torch.no_grad():
            logits, loss = model(ids, doc, tgt)
        lp = torch.log_softmax(logits.double(), -1)
        terms = [-lp[b, t, tgt[b, t]] for b in range(2) for t in range(32) if tgt[b, t] != -1]
        self.assertGreater(len(terms), 0)
        self.assertLess(len(terms), 64)
        self.assertAlmostEqual(loss.item(), float(sum(terms) / len(terms)), delta=1e-5)


class FiniteDifferenceTest(unittest.TestCase):
    """(b) autograd gradients match central differences in float64."""

    def _check(self, family, tied):
        config = dict(MICRO[family], tie_word_embeddings=tied)
        gen = gen_for(f"fd{family}{tied}")
        model = randomized_model(config, gen, torch.float64, scale=1.0)
        ids, tgt, doc = random_batch(config, gen, 2, 12)
        _, loss = model(ids, doc, tgt)
        loss.backward()
        h, checked = 1e-6, 0
        with torch.no_grad():
            for name, p in model.named_parameters():
                g = p.grad.reshape(-1)
                picks = {int(g.abs().argmax()), int(torch.randint(0, g.numel(), (1,), generator=gen))}
                for i in picks:
                    flat = p.view(-1)
                    orig = flat[i].item()
                    flat[i] = orig + h
                    lp = model(ids, doc, tgt)[1].item()
                    flat[i] = orig - h
                    lm = model(ids, doc, tgt)[1].item()
                    flat[i] = orig
                    fd = (lp - lm) / (2 * h)
                    self.assertLessEqual(abs(fd - g[i].item()), 1e-8 + 1e-6 * abs(fd),
                                         f"{family} tied={tied} {name}[{i}]: autograd "
                                         f"{g[i].item():.10e} vs finite diff {fd:.10e}")
                    checked += 1
        self.assertGreaterEqual(checked, len(list(model.parameters())))

    def test_gpt2_tied(self):
        self._check("gpt2", True)

    def test_llama_untied(self):
        self._check("llama", False)

    def test_llama_tied(self):
        self._check("llama", True)


def naive_llama_attention(attn, x, doc_row, theta):
    """Per-head loop MHA with its own RoPE and mask, for one row x [T,C]."""
    T = x.shape[0]
    D, H = attn.head_dim, attn.n_head
    n_rep = attn.n_head // attn.n_kv
    Wq, Wk, Wv, Wo = (m.weight.double() for m in (attn.q_proj, attn.k_proj, attn.v_proj, attn.o_proj))
    x = x.double()
    pos = torch.zeros(T, dtype=torch.float64)
    allowed = torch.zeros(T, T, dtype=torch.bool)
    for s, e in naive_runs(doc_row):
        pos[s:e] = torch.arange(e - s, dtype=torch.float64)
        for t in range(s, e):
            allowed[t, s:t + 1] = True
    half = D // 2
    inv = torch.tensor([1.0 / theta ** (2 * i / D) for i in range(half)], dtype=torch.float64)
    ang = pos[:, None] * inv[None, :]  # [T, D/2]

    def rope(z):  # z [T, D]; pairs (i, i + D/2) rotate by ang[:, i]
        a, b = z[:, :half], z[:, half:]
        c, s = ang.cos(), ang.sin()
        return torch.cat((a * c - b * s, b * c + a * s), dim=1)

    heads = []
    for h in range(H):
        kv = h // n_rep
        q = rope(x @ Wq[h * D:(h + 1) * D].T)
        k = rope(x @ Wk[kv * D:(kv + 1) * D].T)
        v = x @ Wv[kv * D:(kv + 1) * D].T
        sc = (q @ k.T) / math.sqrt(D)
        sc[~allowed] = -math.inf
        heads.append(torch.softmax(sc, -1) @ v)
    return torch.cat(heads, dim=1) @ Wo.T


class GQATest(unittest.TestCase):
    """(c) attention heads: GQA path vs plain multi-head attention."""

    def test_kv_equal_heads_matches_naive_mha(self):
        config = dict(load_config("llama_tiny"), num_key_value_heads=4)
        gen = gen_for("mha")
        model = randomized_model(config, gen)
        ids, _, doc = random_batch(config, gen, 2, 40)
        attn = model.model.layers[0].self_attn
        x = model.model.embed_tokens(ids)
        pos, mask = torch_models.doc_layout(doc)
        cos, sin = torch_models.rope_cos_sin(pos, attn.head_dim, model.theta, x.dtype)
        with torch.no_grad():
            got = attn(x, mask, cos, sin)
            for b in range(ids.shape[0]):
                want = naive_llama_attention(attn, x[b], doc[b].tolist(), model.theta)
                err = (got[b].double() - want).abs().max().item()
                self.assertLessEqual(err, 1e-5, f"row {b}: max|diff| {err:.3e}")

    def test_gqa_matches_naive_and_expanded_mha(self):
        config = load_config("llama_tiny")  # 4 heads, 2 kv heads
        gen = gen_for("gqa")
        model = randomized_model(config, gen)
        ids, _, doc = random_batch(config, gen, 2, 40)
        attn = model.model.layers[1].self_attn
        x = torch.randn(2, 40, config["hidden_size"], generator=gen)
        pos, mask = torch_models.doc_layout(doc)
        cos, sin = torch_models.rope_cos_sin(pos, attn.head_dim, model.theta, x.dtype)
        with torch.no_grad():
            got = attn(x, mask, cos, sin)
            for b in range(2):
                want = naive_llama_attention(attn, x[b], doc[b].tolist(), model.theta)
                self.assertLessEqual((got[b].double() - want).abs().max().item(), 1e-5)
        # Whole model: MHA with each kv head's projection repeated (HF repeat_kv
        # order: query head h reads kv head h // n_rep) gives the same logits.
        mha = torch_models.build_model(dict(config, num_key_value_heads=4))
        n_rep, D = 2, attn.head_dim
        sd = {n: p.detach() for n, p in model.named_parameters()}
        for n in list(sd):
            if n.endswith(("k_proj.weight", "v_proj.weight")):
                sd[n] = sd[n].view(-1, D, sd[n].shape[1]).repeat_interleave(n_rep, 0).reshape(-1, sd[n].shape[1])
        torch_models.load_weights(mha, sd)
        with torch.no_grad():
            a, _ = model(ids, doc)
            m, _ = mha(ids, doc)
        self.assertLessEqual((a - m).abs().max().item(), 1e-5)


class CliTest(unittest.TestCase):
    """(d) init -> run -> compare; perturbed outputs fail."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = cls.tmp.name

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def _init_run(self, name, seed):
        cfg = os.path.join(HERE, "configs", name + ".json")
        mdir, bj = self.path(f"{name}_{seed}"), self.path(f"{name}_{seed}.json")
        out = self.path(f"{name}_{seed}.safetensors")
        for argv in (["init", "--config", cfg, "--seed", str(seed), "--out", mdir],
                     ["batch", "--config", cfg, "--seed", str(seed + 1), "--batch-size", "2",
                      "--seq-len", "48", "--out", bj, "--docs"],
                     ["run", "--model", mdir, "--batch", bj, "--out", out]):
            rc, log = quiet(reference_cli.main, argv)
            self.assertEqual(rc, 0, log)
        return mdir, bj, out

    def compare(self, a, b, *extra):
        return quiet(reference_cli.main, ["compare", "--a", a, "--b", b] + list(extra))

    def test_roundtrip_and_perturbations(self):
        seed = SEED % 100000
        for name in CONFIGS:
            with self.subTest(config=name):
                mdir, bj, out = self._init_run(name, seed)
                with open(os.path.join(mdir, "config.json")) as f:
                    written = json.load(f)
                self.assertEqual(written, load_config(name))
                weights = reference_cli.load_file(os.path.join(mdir, "model.safetensors"))
                self.assertEqual("lm_head.weight" in weights, name == "llama_tiny")
                res = reference_cli.load_file(out)
                self.assertEqual(set(res), {"logits", "loss"} | {"grad." + n for n in weights})
                self.assertTrue(all(t.dtype == torch.float32 for t in res.values()))

                rc, log = self.compare(out, out)
                self.assertEqual(rc, 0, log)
                self.assertIn("max(max|b|, 1e-6)", log)
                out64 = self.path(f"{name}_64.safetensors")
                rc, log = quiet(reference_cli.main, ["run", "--model", mdir, "--batch", bj,
                                                     "--out", out64, "--dtype", "float64"])
                self.assertEqual(rc, 0, log)
                rc, log = self.compare(out, out64)
                self.assertEqual(rc, 0, log)

                gname = sorted(k for k in res if k.startswith("grad."))[seed % (len(res) - 2)]
                for key, scale in (("logits", 1e-3), ("loss", 1e-4), (gname, 1e-3)):
                    bad = dict(res)
                    t = bad[key].clone().reshape(-1)
                    i = int(t.abs().argmax())
                    t[i] += scale * max(1.0, abs(t[i].item()))
                    bad[key] = t.reshape(res[key].shape)
                    pert = self.path("perturbed.safetensors")
                    reference_cli.save_file(bad, pert)
                    rc, log = self.compare(pert, out)
                    self.assertEqual(rc, 1, f"perturbing {key} should fail:\n{log}")
                    self.assertIn(key, log.splitlines()[-1])
                missing = {k: v for k, v in res.items() if k != gname}
                reference_cli.save_file(missing, self.path("missing.safetensors"))
                rc, log = self.compare(self.path("missing.safetensors"), out)
                self.assertEqual(rc, 2, log)
                self.assertIn(gname, log)

    def test_init_statistics_and_determinism(self):
        seed = SEED % 100000 + 7
        mdir, _, _ = self._init_run("gpt2_tiny", seed)
        w = reference_cli.load_file(os.path.join(mdir, "model.safetensors"))
        self.assertAlmostEqual(w["transformer.wte.weight"].std().item(), 0.02, delta=0.001)
        self.assertAlmostEqual(w["transformer.h.0.mlp.c_fc.weight"].std().item(), 0.02, delta=0.001)
        self.assertAlmostEqual(w["transformer.h.1.mlp.c_proj.weight"].std().item(), 0.01, delta=0.0007)
        self.assertTrue(torch.equal(w["transformer.h.0.attn.c_attn.bias"], torch.zeros(192)))
        self.assertTrue(torch.equal(w["transformer.ln_f.weight"], torch.ones(64)))
        again, _, _ = self._init_run("gpt2_tiny", seed)
        w2 = reference_cli.load_file(os.path.join(again, "model.safetensors"))
        self.assertTrue(all(torch.equal(w[k], w2[k]) for k in w))  # same seed, same weights
        other, _, _ = self._init_run("gpt2_tiny", seed + 1)
        w3 = reference_cli.load_file(os.path.join(other, "model.safetensors"))
        self.assertFalse(torch.equal(w["transformer.wte.weight"], w3["transformer.wte.weight"]))
        mdir, _, _ = self._init_run("llama_tiny", seed)
        w = reference_cli.load_file(os.path.join(mdir, "model.safetensors"))
        self.assertAlmostEqual(w["model.layers.0.self_attn.o_proj.weight"].std().item(), 0.01, delta=0.001)
        self.assertAlmostEqual(w["lm_head.weight"].std().item(), 0.02, delta=0.001)
        self.assertTrue(torch.equal(w["model.norm.weight"], torch.ones(64)))

    def test_batch_conventions(self):
        config = load_config("gpt2_tiny")
        b = reference_cli.make_batch(config, SEED, 4, 50, True)
        ids, tgt, doc = (np.array(b[k]) for k in ("input_ids", "targets", "doc_ids"))
        self.assertTrue(((ids >= 0) & (ids < 1003)).all())
        for r in range(4):
            runs = naive_runs(doc[r].tolist())
            self.assertGreaterEqual(len(runs), 2)
            self.assertIn(1, [e - s for s, e in runs])
            for s, e in runs:
                self.assertEqual(tgt[r, e - 1], -1)
                for t in range(s, e - 1):
                    self.assertIn(tgt[r, t], (-1, ids[r, t + 1]))
        self.assertGreater((tgt != -1).sum(), 0)

    def test_script_entry_point(self):
        _, _, out = self._init_run("llama_tiny_tied", SEED % 1000 + 3)
        p = subprocess.run([sys.executable, os.path.join(HERE, "reference_cli.py"), "compare",
                            "--a", out, "--b", out], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("PASS", p.stdout)


class TiedEmbeddingTest(unittest.TestCase):
    """(e) the tied embedding's gradient holds the input and the output use."""

    def _check(self, name):
        config = load_config(name)
        gen = gen_for("tied" + name)
        tied = randomized_model(config, gen)
        emb_name = "transformer.wte.weight" if name.startswith("gpt2") else "model.embed_tokens.weight"
        untied = torch_models.build_model(dict(config, tie_word_embeddings=False))
        sd = torch_models.hf_state_dict(tied)
        sd["lm_head.weight"] = sd[emb_name].clone()
        torch_models.load_weights(untied, sd)
        ids, tgt, doc = random_batch(config, gen, 2, 40)
        out_t = reference_cli.run_model(tied, ids, tgt, doc)
        out_u = reference_cli.run_model(untied, ids, tgt, doc)
        self.assertNotIn("grad.lm_head.weight", out_t)
        g_in, g_out = out_u["grad." + emb_name], out_u["grad.lm_head.weight"]
        total = out_t["grad." + emb_name]
        err = (total - (g_in + g_out)).abs().max().item() / total.abs().max().item()
        self.assertLessEqual(err, 1e-5)
        for part in (g_in, g_out):
            self.assertGreater(part.norm().item(), 1e-3 * total.norm().item())
        self.assertLessEqual((out_t["logits"] - out_u["logits"]).abs().max().item(), 1e-6)

    def test_gpt2(self):
        self._check("gpt2_tiny")

    def test_llama_tied(self):
        self._check("llama_tiny_tied")


if __name__ == "__main__":
    print(f"reference self-check: SEED={SEED} (replay with SEEK_REF_SEED={SEED})", flush=True)
    t0 = time.time()
    result = unittest.main(exit=False, verbosity=2).result
    print(f"self-check took {time.time() - t0:.1f} s")
    sys.exit(0 if result.wasSuccessful() else 1)
