#!/usr/bin/env python3
"""Reference renderings of chat_conversations.json with Jinja2 set up exactly as
transformers' apply_chat_template does (ImmutableSandboxedEnvironment with
trim_blocks, lstrip_blocks and loopcontrols; tojson = json.dumps with
ensure_ascii=False; raise_exception; {% generation %} renders its body).

  python3 reference_chat.py <tokenizer_config.json> <tokenizer> <conversations.json> <out.jsonl>

Writes one line per conversation that applies to <tokenizer> (see "only"):
{"name", "ok": text} or {"name", "error": message}. Exit code 2 if jinja2 is
missing (Debian: python3-jinja2).
"""
import json
import sys

try:
    import jinja2
    from jinja2.ext import Extension
    from jinja2.sandbox import ImmutableSandboxedEnvironment
except ImportError as e:
    print(f"reference_chat.py: {e} (apt-get install python3-jinja2)", file=sys.stderr)
    sys.exit(2)


class GenerationTag(Extension):
    """transformers' AssistantTracker, without the index tracking."""
    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_render", []), [], [], body).set_lineno(lineno)

    def _render(self, caller):
        return caller()


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def main():
    config_path, name, conv_path, out_path = sys.argv[1:5]
    config = json.load(open(config_path, encoding="utf-8"))
    source = config["chat_template"]
    if isinstance(source, list):
        source = next(t["template"] for t in source if t["name"] == "default")
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[GenerationTag, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    template = env.from_string(source)
    special = {}
    for key in ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"):
        tok = config.get(key)
        if isinstance(tok, dict):
            tok = tok.get("content")
        if isinstance(tok, str):
            special[key] = tok
    lines, ok = [], 0
    for c in json.load(open(conv_path, encoding="utf-8")):
        if "only" in c and name not in c["only"]:
            continue
        kwargs = {**special, **c.get("extra", {})}
        try:
            text = template.render(messages=c["messages"], tools=c.get("tools"), documents=None,
                                   add_generation_prompt=c["add_generation_prompt"], **kwargs)
            lines.append(json.dumps({"name": c["name"], "ok": text}, ensure_ascii=False))
            ok += 1
        except Exception as e:  # noqa: BLE001 - any template error is a reference outcome
            lines.append(json.dumps({"name": c["name"], "error": f"{type(e).__name__}: {e}"}, ensure_ascii=False))
    with open(out_path + ".tmp", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    import os
    os.replace(out_path + ".tmp", out_path)
    print(f"reference_chat.py: {name}: {ok}/{len(lines)} conversations rendered -> {out_path}")


if __name__ == "__main__":
    main()
