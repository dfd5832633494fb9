// tests/data/filter_test_util.h — documents and texts shared by the text
// stage tests. TEXT_LF_1 is the English sample of datatrove's filter tests
// (tests/pipeline/filters/test_filters.py), a Tolkien quotation.
#pragma once

#include <string>

#include "data/document.h"

namespace seek::testing {

inline Document Doc(std::string text, std::string language = "") {
  Document d;
  d.text = std::move(text);
  d.source = "test";
  d.id = "test/0";
  d.language = std::move(language);
  return d;
}

inline std::string Repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

inline const std::string kTolkien =
    "I wish it need not have happened in my time,' said Frodo. 'So do I,' said Gandalf, 'and so do all who live "
    "to see such times. But that is not for them to decide. All we have to decide is what to do with the time "
    "that is given us.'";

// A plain Chinese paragraph (a walk in the park) with no spaces at all.
inline const std::string kChinese =
    "今天天气很好，我们一起去公园散步。公园里有很多人，有的人在跑步，有的人在下棋，还有的人在唱歌。"
    "孩子们在草地上玩耍，老人们坐在长椅上聊天。我们走到湖边，看见几只白色的鸭子在水里游泳。"
    "湖水很清，可以看见水底的石头和小鱼。中午我们在附近的饭馆吃了午饭，下午又去图书馆看书。"
    "这是愉快的一天，我希望明天也有这样的好天气。";

}  // namespace seek::testing
