// tests/tokenizer/chat_template_unit_test.cc — the chat-template interpreter
// on small templates: statements, scoping, expressions, filters, errors, and
// randomised templates checked against Jinja2 (skipped without python3-jinja2).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer_test_util.h"

namespace seek {
namespace {

using Json = nlohmann::ordered_json;

StatusOr<std::string> Render(const std::string& source, const Json& ctx = Json::object()) {
  auto t = ChatTemplate::Parse(source, "test");
  if (!t.ok()) return t.status();
  return t->Render(ctx);
}

std::string R(const std::string& source, const Json& ctx = Json::object()) {
  auto r = Render(source, ctx);
  EXPECT_TRUE(r.ok()) << source << "\n" << r.status().ToString();
  return r.ok() ? *r : "<error>";
}

std::string Err(const std::string& source, const Json& ctx = Json::object()) {
  auto r = Render(source, ctx);
  EXPECT_FALSE(r.ok()) << source << " rendered " << (r.ok() ? *r : "");
  return r.ok() ? "" : r.status().message();
}

TEST(ChatTemplate, ForLoopVariables) {
  EXPECT_EQ(R("{% for x in xs %}{{ loop.index0 }}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.length }};"
              "{% endfor %}",
              {{"xs", {"a", "b"}}}),
            "01TrueFalse2;12FalseTrue2;");
  EXPECT_EQ(R("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(R("{% for x in [1,2,3,4] if x is even %}{{ x }}/{{ loop.length }} {% endfor %}"), "2/2 4/2 ");
  EXPECT_EQ(R("{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %}", {{"d", {{"b", 1}, {"a", 2}}}}), "b=1,a=2,");
  EXPECT_EQ(R("{% for x in [1,2,3,4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}"
              "{{ x }}{% endfor %}"),
            "13");
  EXPECT_EQ(R("{% for c in 'hé' %}[{{ c }}]{% endfor %}"), "[h][é]");
}

TEST(ChatTemplate, ScopingAndNamespace) {
  // A set inside a loop lasts one iteration; namespace() carries state out.
  EXPECT_EQ(R("{% set x = 1 %}{% for i in [1,2] %}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}"), "221");
  EXPECT_EQ(R("{% set ns = namespace(n=0, s='') %}{% for i in range(4) %}{% set ns.n = ns.n + i %}"
              "{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }}"),
            "6 0123");
  EXPECT_EQ(R("{% if true %}{% set y = 'in if' %}{% endif %}{{ y }}"), "in if");
  EXPECT_EQ(R("{% set a, b = 1, 2 %}{{ a }}{{ b }}"), "12");
  EXPECT_EQ(R("{% set block %}x{{ 1 + 1 }}{% endset %}[{{ block }}]"), "[x2]");
  EXPECT_NE(Err("{% set x = 1 %}{% set x.y = 2 %}").find("namespace"), std::string::npos);
}

TEST(ChatTemplate, WhitespaceControl) {
  // trim_blocks and lstrip_blocks, as transformers configures Jinja2.
  EXPECT_EQ(R("  {% if true %}\n  a\n  {% endif %}\n  b {{- ' c ' -}}  d\n"), "  a\n  b c d");
  EXPECT_EQ(R("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(R("x\n    {%+ if true %}y{% endif +%}\nz"), "x\n    y\nz");
  EXPECT_EQ(R("a {# comment #}\nb\n  {# own line #}\nc"), "a b\nc");
  EXPECT_EQ(R("{{ 'x' }}\n{{ 'y' }}\n"), "x\ny");  // variable tags keep their newline; one trailing newline goes
}

TEST(ChatTemplate, Expressions) {
  EXPECT_EQ(R("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 7 // 2 }} {{ -7 % 3 }} {{ 3 / 2 }} {{ 2 ** 10 }}"), "7 9 3 2 1.5 1024");
  EXPECT_EQ(R("{{ 'a' ~ 1 ~ none }} {{ 'ab' * 2 }} {{ [1] + [2] }}"), "a1None abab [1, 2]");
  EXPECT_EQ(R("{{ 'b' in 'abc' }} {{ 2 not in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 1 == 1.0 }}"), "True False True True");
  EXPECT_EQ(R("{{ 'yes' if x else 'no' }} {{ x or 'default' }} {{ 1 and 0 }} {{ not x }}"), "no default 0 True");
  EXPECT_EQ(R("{{ [1, 2, 3][::-1] }} {{ 'hello'[1:3] }} {{ 'héllo'[-1] }} {{ [1, 2, 3][-2:] }}"), "[3, 2, 1] el o [2, 3]");
  EXPECT_EQ(R("{{ d.a.b }} {{ d['a']['b'] }} {{ d.missing is defined }} {{ xs.0 }}", {{"d", {{"a", {{"b", 5}}}}}, {"xs", {7}}}),
            "5 5 False 7");
  EXPECT_EQ(R("{{ {'a': [1, 'x', none, true, 1.5]} }} {{ (1, 2) }} {{ 1e20 }} {{ 0.1 + 0.2 }}"),
            "{'a': [1, 'x', None, True, 1.5]} (1, 2) 1e+20 0.30000000000000004");
  EXPECT_EQ(R("{{ messages|length - 1 }}", {{"messages", {1, 2, 3}}}), "2");
  EXPECT_EQ(R("{{ undefined_thing }}|{{ x is none }}|{{ n is none }}", {{"n", nullptr}}), "|False|True");
}

TEST(ChatTemplate, FiltersAndTests) {
  EXPECT_EQ(R("{{ '  a b \n'|trim }}|{{ 'xxaxx'|trim('x') }}|{{ 'Hi'|upper }}{{ 'Hi'|lower }}|{{ 'hello world'|title }}"),
            "a b|a|HIhi|Hello World");
  EXPECT_EQ(R("{{ [3, 1, 2]|first }}{{ [3, 1, 2]|last }}{{ [3, 1, 2]|length }}{{ 'héé'|length }}{{ [3, 1, 2]|sort|join(',') }}"),
            "3233" "1,2,3");
  EXPECT_EQ(R("{{ x|default('d') }} {{ ''|default('d', true) }} {{ 5|string ~ 'x' }} {{ [1, 'a']|join('-') }}"), "d d 5x 1-a");
  EXPECT_EQ(R("{{ v|tojson }}", {{"v", {{"b", {1, "é\n\"<>"}}, {"a", nullptr}, {"f", 1.5}, {"t", true}}}}),
            R"({"b": [1, "é\n\"<>"], "a": null, "f": 1.5, "t": true})");
  EXPECT_EQ(R("{{ v|tojson(indent=2) }}", {{"v", {{"a", {1}}}}}), "{\n  \"a\": [\n    1\n  ]\n}");
  EXPECT_EQ(R("{{ xs|selectattr('on')|map(attribute='n')|join }} {{ xs|rejectattr('on')|list|length }}",
              {{"xs", {{{"n", "a"}, {"on", true}}, {{"n", "b"}, {"on", false}}, {{"n", "c"}, {"on", true}}}}}),
            "ac 1");
  EXPECT_EQ(R("{{ x is string }}{{ x is mapping }}{{ d is mapping }}{{ 3 is odd }}{{ 4 is divisibleby 2 }}"
              "{{ x is sameas 'a' }}{{ f is false }}",
              {{"x", "a"}, {"d", Json::object()}, {"f", false}}),
            "TrueFalseTrueTrueTrueTrueTrue");
}

TEST(ChatTemplate, StringMethods) {
  EXPECT_EQ(R("{{ 'a<think>b</think>\n\nc'.split('</think>')[-1].lstrip('\n') }}"), "c");
  EXPECT_EQ(R("{{ ' a  b '.split() }} {{ 'a,b,,c'.split(',', 1) }} {{ 'a,b,c'.rsplit(',', 1) }}"),
            "['a', 'b'] ['a', 'b,,c'] ['a,b', 'c']");
  EXPECT_EQ(R("{{ 'xhix'.strip('x') }}{{ '  y'.lstrip() }}{{ 'z\n\n'.rstrip('\n') }}{{ 'aaa'.replace('a', 'b', 2) }}"),
            "hiyzbba");
  EXPECT_EQ(R("{{ 'abc'.startswith('ab') }}{{ 'abc'.endswith(('x', 'c')) }}{{ 'abcb'.find('b') }}{{ 'abcb'.count('b') }}"),
            "TrueTrue12");
  EXPECT_EQ(R("{{ ', '.join(['a', 'b']) }} {{ d.get('k', 'none') }} {{ d.keys()|list }}", {{"d", {{"j", 1}}}}),
            "a, b none ['j']");
}

TEST(ChatTemplate, ErrorsNameTheConstructAndPosition) {
  std::string e = Err("line one\n{{ x|frobnicate }}");
  EXPECT_NE(e.find("unknown or unsupported filter 'frobnicate'"), std::string::npos) << e;
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
  e = Err("{% macro m() %}{% endmacro %}");
  EXPECT_NE(e.find("unknown or unsupported tag 'macro'"), std::string::npos) << e;
  EXPECT_NE(e.find("line 1 column 4"), std::string::npos) << e;
  e = Err("{{ x is frob }}");
  EXPECT_NE(e.find("unknown or unsupported test 'frob'"), std::string::npos) << e;
  // Like Jinja2, unknown filters and tests fail when the template is parsed,
  // even in a branch that never runs.
  EXPECT_FALSE(ChatTemplate::Parse("{% if false %}{{ x|frob }}{% endif %}", "t").ok());
  EXPECT_FALSE(ChatTemplate::Parse("{% if false %}{{ x is frob }}{% endif %}", "t").ok());
  e = Err("{{ 'a'.zfill(3) }}");
  EXPECT_NE(e.find("unknown or unsupported method 'zfill' of str"), std::string::npos) << e;
  e = Err("{{ nope(1) }}");
  EXPECT_NE(e.find("unknown function 'nope'"), std::string::npos) << e;
  e = Err("\n\n  {% if x %}never closed");
  EXPECT_NE(e.find("endif"), std::string::npos) << e;
  e = Err("{{ 1 + }}");
  EXPECT_NE(e.find("line 1 column 8"), std::string::npos) << e;
  e = Err("{{ 'a' + 1 }}");
  EXPECT_NE(e.find("unsupported operand types for +: 'str' and 'int'"), std::string::npos) << e;
  e = Err("{{ m.role }}");
  EXPECT_NE(e.find("undefined"), std::string::npos) << e;
  e = Err("{{ 'unterminated }}");
  EXPECT_NE(e.find("unterminated string"), std::string::npos) << e;
}

TEST(ChatTemplate, RaiseException) {
  auto r = Render("{% if messages|length == 0 %}{{ raise_exception('Conversation roles must alternate!') }}{% endif %}",
                  {{"messages", Json::array()}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("Conversation roles must alternate!"), std::string::npos);
  EXPECT_NE(r.status().message().find("line 1"), std::string::npos);
}

TEST(ChatTemplate, LimitsStopRunawayTemplates) {
  EXPECT_NE(Err("{% for i in range(100000000) %}{% endfor %}").find("limit"), std::string::npos);
  EXPECT_NE(Err("{{ 'x' * 100000000 }}").find("bytes"), std::string::npos);
  EXPECT_NE(Err("{% for a in range(1000000) %}{% for b in range(1000000) %}{% endfor %}{% endfor %}").find("iterations"),
            std::string::npos);
  EXPECT_NE(Err("{% set ns = namespace(s='x') %}{% for i in range(100) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}")
                .find("bytes"),
            std::string::npos);
  // Nesting grown across loop iterations through a namespace is bounded too
  // (repr, == and destruction of values recurse over it).
  EXPECT_NE(Err("{% set ns = namespace(l=1) %}{% for i in range(900000) %}{% set ns.l = [ns.l] %}{% endfor %}")
                .find("nested deeper"),
            std::string::npos);
  EXPECT_EQ(R("{% set ns = namespace() %}{% set ns.self = ns %}{% set ns.l = [ns] %}{{ ns.l }}"), "[<Namespace>]");
  // Text of a huge list stops growing at the limit instead of exhausting memory.
  EXPECT_NE(Err("{% set s = 'x' * 60000000 %}{{ [s] * 1000000 }}").find("bytes"), std::string::npos);
  EXPECT_NE(Err("{% set s = 'x' * 60000000 %}{{ ([s] * 1000000)|tojson }}").find("bytes"), std::string::npos);
  EXPECT_NE(Err("{% set s = 'x' * 60000000 %}{{ ([s] * 1000)|string|length }}").find("bytes"), std::string::npos);
  std::string deep(5000, '(');
  EXPECT_NE(Err("{{ " + deep + "1" + std::string(5000, ')') + " }}").find("nested"), std::string::npos);
  std::string chain = "{{ 'a'";
  for (int k = 0; k < 5000; ++k) chain += "|trim";
  EXPECT_NE(Err(chain + " }}").find("nested"), std::string::npos);
}

TEST(ChatTemplate, FormatterReadsConfig) {
  const char* config = R"({"bos_token": {"content": "<s>", "__type": "AddedToken"}, "eos_token": "</s>",
    "chat_template": [{"name": "tool_use", "template": "T"},
                      {"name": "default", "template": "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{% if add_generation_prompt %}>{% endif %}{{ eos_token }}"}]})";
  auto f = ChatFormatter::FromJsonString(config, "cfg");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  auto r = f->Apply(Json::parse(R"([{"role": "user", "content": "hi"}])"), true);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "<s>hi></s>");
  EXPECT_FALSE(ChatFormatter::FromJsonString(R"({"eos_token": "x"})", "cfg").ok());
  EXPECT_FALSE(ChatFormatter::FromJsonString(R"({"chat_template": 3})", "cfg").ok());
  EXPECT_FALSE(f->Apply(Json::parse(R"({"role": "user"})"), false).ok());
}

// Random templates built from text, whitespace and tags with every
// whitespace-control marker, rendered by Seek and by Jinja2 (transformers'
// settings); the outputs must be identical. Fresh seed each run, printed.
TEST(ChatTemplate, RandomTemplatesMatchJinja2) {
  if (std::system("python3 -c 'import jinja2' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3-jinja2 is not installed; no reference for random templates";
  const unsigned seed = std::random_device{}();
  std::mt19937 rng(seed);
  auto pick = [&](std::initializer_list<const char*> xs) { return *(xs.begin() + rng() % xs.size()); };
  Json cases = Json::array();
  for (int n = 0; n < 300; ++n) {
    std::string t;
    std::vector<char> open;  // 'i': if, 'e': if after its else, 'f': for
    auto tag = [&](const std::string& body) {
      return std::string("{%") + pick({"", "-", "+"}) + " " + body + " " + pick({"", "-", "+"}) + "%}";
    };
    const int parts = 1 + rng() % 14;
    for (int k = 0; k < parts; ++k) {
      switch (rng() % 8) {
        case 0: t += pick({" ", "\n", "  ", "\t", "\n  ", " \n", "x", "a b", "\n\n", "\r\n", " \u3000", "\u00a0\n"}); break;
        case 1: t += std::string("{{") + pick({"", "-", "+"}) + " " +
                     pick({"1 + 2", "'s' ~ 3", "xs|length", "xs[::-1]", "xs|join(',')", "'a b'.split()", "d|tojson",
                           "7 // 2 * 3 - -1", "'x' if xs else 'y'", "xs[1:] + [9]", "d.k|upper", "1.5 * 2", "none",
                           "(xs|first) % 2 == 1 and not false", "'abc'[-2]", "d.items()|list", "v", "loop.index0",
                           "loop.last", "ns.n", "d.n[1] ~ d.k", "xs[-1] ** 2 / 4", "' x '|trim ~ '|'"}) +
                     " " + pick({"", "-"}) + "}}";
          break;
        case 2: t += tag(std::string("if ") + pick({"xs", "not xs", "1 > 2", "d.k", "v is defined", "loop is defined"}));
          open.push_back('i');
          break;
        case 3:
          if (!open.empty()) {
            const char top = open.back();
            if (top == 'i' && rng() % 2) {
              t += tag(rng() % 2 ? "else" : "elif v == 1");
              if (t.find("else", t.size() - 12) != std::string::npos) open.back() = 'e';
            } else {
              t += tag(top == 'f' ? "endfor" : "endif");
              open.pop_back();
            }
          }
          break;
        case 4: t += std::string("{#") + pick({"", "-"}) + " c " + pick({"", "-"}) + "#}"; break;
        case 5: t += tag(std::string("set v = ") + pick({"1", "xs", "'q'", "v ~ 'w'"})); break;
        case 6: t += tag(std::string("for x in ") + pick({"xs", "d", "'ab'", "xs if xs", "[] "})); open.push_back('f'); break;
        case 7: t += tag(std::string("set ns.n = ns.n + ") + pick({"1", "xs|length", "(x is defined)|int"})); break;
      }
    }
    while (!open.empty()) {
      t += open.back() == 'f' ? tag("endfor") : tag("endif");
      open.pop_back();
    }
    t = "{% set ns = namespace(n=0) %}" + t + "{{ ns.n }}";
    cases.push_back(t);
  }
  const Json ctx = Json::parse(R"({"xs": [1, 2, 3], "d": {"k": "v", "n": [1, "é"]}})");
  const std::string dir = ::testing::TempDir();
  const std::string in = dir + "/chat_random_in.json", out = dir + "/chat_random_out.json";
  std::ofstream(in) << Json({{"context", ctx}, {"templates", cases}}).dump();
  const std::string script = R"(
import json, sys
from jinja2.sandbox import ImmutableSandboxedEnvironment
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
env.filters['tojson'] = lambda x, indent=None: json.dumps(x, ensure_ascii=False, indent=indent)
spec = json.load(open(sys.argv[1]))
res = []
for t in spec['templates']:
    try: res.append({'ok': env.from_string(t).render(**spec['context'])})
    except Exception as e: res.append({'error': str(e)})
json.dump(res, open(sys.argv[2], 'w'))
)";
  std::ofstream(dir + "/chat_random.py") << script;
  ASSERT_EQ(std::system(("python3 '" + dir + "/chat_random.py' '" + in + "' '" + out + "'").c_str()), 0);
  std::ifstream res_in(out);
  const Json res = Json::parse(res_in);
  int same = 0, failures = 0, both_failed = 0;
  for (size_t k = 0; k < cases.size(); ++k) {
    auto got = Render(cases[k].get<std::string>(), ctx);
    const bool ref_ok = res[k].contains("ok");
    if (ref_ok && got.ok() && *got == res[k]["ok"].get<std::string>()) ++same;
    else if (!ref_ok && !got.ok()) ++same, ++both_failed;
    else if (failures++ < 5)
      ADD_FAILURE() << "seed " << seed << " template " << Json(cases[k]).dump() << "\n  jinja2 " << res[k].dump()
                    << "\n  seek   " << (got.ok() ? Json(*got).dump() : got.status().ToString());
  }
  std::printf("random templates (seed %u): %d/%zu identical to Jinja2 (%d of them fail in both)\n", seed, same,
              cases.size(), both_failed);
  EXPECT_LT(both_failed, static_cast<int>(cases.size()) / 2) << "the generator should mostly make valid templates";
  EXPECT_EQ(same, static_cast<int>(cases.size()));
}

}  // namespace
}  // namespace seek
