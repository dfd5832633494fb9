"""Shared pieces of the reference self-checks and parity drivers."""
import argparse
import json
import os
import random
import shutil
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))

# A fresh seed per run unless SEEK_REF_SEED replays one.
SEED = int(os.environ.get("SEEK_REF_SEED") or int.from_bytes(os.urandom(4), "little"))

# Very small models for float64 finite-difference checks.
MICRO = {
    "gpt2": {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": 37,
             "n_positions": 16, "n_embd": 16, "n_layer": 2, "n_head": 2, "n_inner": None,
             "layer_norm_epsilon": 1e-5, "activation_function": "gelu_new",
             "tie_word_embeddings": True},
    "llama": {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": 37,
              "hidden_size": 16, "intermediate_size": 24, "num_hidden_layers": 2,
              "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-5,
              "rope_theta": 10000.0, "max_position_embeddings": 16,
              "tie_word_embeddings": False, "hidden_act": "silu"},
}


def load_config(name):
    with open(os.path.join(HERE, "configs", name + ".json")) as f:
        return json.load(f)


def run(cmd):
    """Runs cmd; returns (exit code, stdout and stderr together)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def parity_args(what):
    """The parity drivers' command line (--driver, --work, --seed): returns
    (args, seed) with a fresh seed unless --seed replays one, printed as
    '<what> seed S', and an emptied work folder."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    print(f"{what} seed {seed}")
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    return args, seed
