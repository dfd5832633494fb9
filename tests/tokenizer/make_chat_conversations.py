# Writes chat_conversations.json: the conversations that chat_template_test.cc
# renders with Seek and with the references (js/reference_chat.mjs, reference_chat.py).
# "only" limits a conversation to the templates that support its features.
import json
C=[]
def add(name, messages, gen=False, only=None, tools=None, extra=None):
    c={"name":name,"add_generation_prompt":gen,"messages":messages}
    if only: c["only"]=only
    if tools is not None: c["tools"]=tools
    if extra is not None: c["extra"]=extra
    C.append(c)
S=lambda t:{"role":"system","content":t}
U=lambda t:{"role":"user","content":t}
A=lambda t:{"role":"assistant","content":t}
T=lambda t:{"role":"tool","content":t}
add("single_user", [U("Hello!")])
add("single_user_gen", [U("Hello!")], True)
add("system_user_gen", [S("You are a helpful assistant."), U("What is 2+2?")], True)
add("multi_turn", [S("Be brief."), U("Hi"), A("Hello! How can I help?"), U("Tell me a joke."), A("Why did the chicken cross the road?")])
add("multi_turn_gen", [U("Hi"), A("Hello!"), U("Tell me a joke.")], True)
add("unicode", [S("Réponds en français 🇫🇷"), U("Ça va? 你好，世界！ Привет 👋🏽 ✓ \u00a0nbsp"), A("Très bien, merci ! 😊")], True)
add("empty_content", [U(""), A(""), U("")], True)
add("empty_system", [S(""), U("x")], False)
add("whitespace_content", [S("  padded system \n"), U("\n\n  spaced user  \t\n"), A("  answer with spaces  ")], True)
add("newlines_and_markup", [U("line1\nline2\r\n{{ not a template }} {% if %} <|eot_id|>"), A("```python\nprint('hi')\n```")], True)
add("two_systems", [S("First system."), S("Second system."), U("Hi")], True)
add("system_only", [S("Only a system prompt.")], True)
add("assistant_first", [A("I start."), U("ok")], False)
add("long_conversation", sum([[U(f"question {i}"), A(f"answer {i}")] for i in range(8)], []) + [U("last question")], True)
add("quotes_backslashes", [U('He said "hi" and \'bye\' \\ back\\slash \\n not newline'), A("tab\there")], True)
add("think_in_content", [U("Solve 1+1"), A("<think>\nLet me add.\n</think>\n\n2"), U("And 2+2?")], True)
add("think_last_assistant", [U("Solve 1+1"), A("<think>\nadding\n</think>\n\nThe answer is 2.")], False)
add("user_named_role", [{"role":"user","content":"hi","name":"bob"}, A("hey")], True)
add("long_content", [U("lorem ipsum " * 800), A("ok " * 300)], True)
add("rtl_and_combining", [U("مرحبا بالعالم — שלום — e\u0301 a\u0308 \u200d\u200b"), A("נעים מאוד")], True)
add("unicode_spaces_edges", [S("\u3000ideographic space\u3000"), U("\u2003em space\u2003 \n"), A("\u00a0x\u00a0")], True)
add("json_like_content", [U("{\"a\": [1, 2, {\"b\": null}]}"), A("[]")], False)
# Qwen3-specific
add("qwen_reasoning_content", [U("Why is the sky blue?"), {"role":"assistant","content":"Rayleigh scattering.","reasoning_content":"Think about light scattering."}], False, only=["qwen3"])
add("qwen_reasoning_content_history", [U("q1"), {"role":"assistant","content":"a1","reasoning_content":"r1"}, U("q2"), {"role":"assistant","content":"a2","reasoning_content":"r2"}], True, only=["qwen3"])
add("qwen_think_multi_turn", [U("q1"), A("<think>\nr1\n</think>\n\na1"), U("q2"), A("<think>r2</think>a2")], False, only=["qwen3"])
add("qwen_enable_thinking_false", [U("Quick: capital of France?")], True, only=["qwen3"], extra={"enable_thinking": False})
add("qwen_enable_thinking_true", [U("Quick: capital of France?")], True, only=["qwen3"], extra={"enable_thinking": True})
weather={"type":"function","function":{"name":"get_weather","description":"Get the weather — métèo","parameters":{"type":"object","properties":{"city":{"type":"string","description":"City name"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]}}}
add("qwen_tools_system", [S("You are a weather bot."), U("Weather in Paris?")], True, only=["qwen3"], tools=[weather])
add("qwen_tools_no_system", [U("Weather in Paris?")], True, only=["qwen3"], tools=[weather, {"type":"function","function":{"name":"noop","parameters":{}}}])
add("qwen_tool_call_flow", [U("Weather in Paris and Rome?"),
    {"role":"assistant","content":"","tool_calls":[{"type":"function","function":{"name":"get_weather","arguments":{"city":"Paris","unit":"c"}}},{"type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Rome\"}"}}]},
    T("{\"temp\": 21}"), T("{\"temp\": 25, \"note\": \"très chaud\"}"),
    A("Paris 21°C, Rome 25°C.")], True, only=["qwen3"], tools=[weather])
add("qwen_tool_call_with_text", [U("Weather?"),
    {"role":"assistant","content":"Let me check.","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Oslo","days":[1,2],"opts":{"x":None,"y":True,"z":1.5}}}}]},
    T("sunny")], True, only=["qwen3"])
add("qwen_tool_response_user", [U("<tool_response>\nx\n</tool_response>"), A("<think>\nr\n</think>\n\nok")], False, only=["qwen3"])
# DeepSeek-specific
add("ds_tool_call_flow", [S("You can call tools."), U("Weather in Paris?"),
    {"role":"assistant","content":None,"tool_calls":[{"type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}}]},
    T("{\"temp\": 21}"), A("It is 21°C in Paris.")], True, only=["deepseek_v3"])
add("ds_two_tool_calls", [U("Paris and Rome?"),
    {"role":"assistant","content":None,"tool_calls":[{"type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Paris\"}"}},{"type":"function","function":{"name":"get_weather","arguments":"{\"city\": \"Rome\"}"}}]},
    T("21"), T("25")], True, only=["deepseek_v3"])
add("ds_tool_output_then_gen", [U("x"), {"role":"assistant","content":None,"tool_calls":[{"type":"function","function":{"name":"f","arguments":"{}"}}]}, T("out")], True, only=["deepseek_v3"])
import os
json.dump(C, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'chat_conversations.json'), 'w'), ensure_ascii=False, indent=1)
for t in ["llama3","deepseek_v3","qwen3"]:
    print(t, sum(1 for c in C if t in c.get("only",[t])))
