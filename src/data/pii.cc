// data/pii.cc — see pii.h.
#include "data/pii.h"

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "data/py_text.h"
#include "data/stage_config.h"

namespace seek {
namespace {

bool IsAsciiAlnum(char c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }
bool IsDigitChar(char c) { return c >= '0' && c <= '9'; }

// A character of the local part of datatrove's e-mail regex, dots aside.
bool IsLocalChar(char c) {
  if (IsAsciiAlnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '/': case '=':
    case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~': case '-':
      return true;
    default:
      return false;
  }
}

// Python's \b before s[i] (s[i] is ASCII here).
bool WordBoundaryAt(std::string_view s, size_t i) {
  size_t len;
  const bool before = i > 0 && IsPyWordChar(CodePointAt(s, PrevCodePointStart(s, i), &len));
  const bool after = i < s.size() && IsPyWordChar(CodePointAt(s, i, &len));
  return before != after;
}

size_t DigitRun(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && IsDigitChar(s[j])) ++j;
  return j - i;
}

// An octet followed by something other than a digit: 1-3 digits, <= 255.
bool IsFullOctet(std::string_view s, size_t i, size_t digits) {
  if (digits < 1 || digits > 3) return false;
  return digits < 3 || (s[i] - '0') * 100 + (s[i + 1] - '0') * 10 + (s[i + 2] - '0') <= 255;
}

// The last octet of the IPv4 pattern 25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?
// at s[i], with nothing required after it: its length, 0 if none.
size_t LastOctetLength(std::string_view s, size_t i) {
  const size_t d = DigitRun(s, i);
  if (d == 0) return 0;
  if (d >= 3 && (s[i] == '2' && (s[i + 1] < '5' || (s[i + 1] == '5' && s[i + 2] <= '5')))) return 3;
  if (d >= 3 && (s[i] == '0' || s[i] == '1')) return 3;
  return d >= 2 ? 2 : 1;
}

// (octet\.){3}: the position after the third dot, or 0.
size_t ThreeOctets(std::string_view s, size_t i) {
  for (int k = 0; k < 3; ++k) {
    const size_t d = DigitRun(s, i);
    if (!IsFullOctet(s, i, d) || i + d >= s.size() || s[i + d] != '.') return 0;
    i += d + 1;
  }
  return i;
}

// The end of the domain of datatrove's e-mail regex starting at s[i], or 0.
size_t MatchDomain(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  if (s[i] == '[') {  // \[ (octet\.){3} (octet | [A-Za-z0-9-]*[A-Za-z0-9]:) \]
    const size_t j = ThreeOctets(s, i + 1);
    if (j == 0) return 0;
    const size_t d = DigitRun(s, j);
    if (IsFullOctet(s, j, d) && j + d < s.size() && s[j + d] == ']') return j + d + 1;
    size_t k = j;
    while (k < s.size() && (IsAsciiAlnum(s[k]) || s[k] == '-')) ++k;
    if (k > j && IsAsciiAlnum(s[k - 1]) && k + 1 < s.size() && s[k] == ':' && s[k + 1] == ']') return k + 2;
    return 0;
  }
  size_t j = i, labels = 0, last_dot = 0;
  while (j < s.size() && IsAsciiAlnum(s[j])) {  // (label\.)+, each label a whole [A-Za-z0-9-] run
    size_t k = j;
    while (k < s.size() && (IsAsciiAlnum(s[k]) || s[k] == '-')) ++k;
    if (k < s.size() && s[k] == '.' && IsAsciiAlnum(s[k - 1])) {
      ++labels;
      last_dot = k;
      j = k + 1;
    } else {
      break;
    }
  }
  if (labels == 0) return 0;
  if (j < s.size() && IsAsciiAlnum(s[j])) {  // the final label ends at its last alphanumeric
    size_t k = j, end = j;
    while (k < s.size() && (IsAsciiAlnum(s[k]) || s[k] == '-')) {
      if (IsAsciiAlnum(s[k])) end = k + 1;
      ++k;
    }
    return end;
  }
  return labels >= 2 ? last_dot : 0;  // backtrack: the last label becomes the final one
}

// Where an IPv6 candidate may not be adjacent to.
bool IsWordByte(char c) { return IsAsciiAlnum(c) || c == '_'; }
bool IsIpv6Char(char c) { return IsDigitChar(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') || c == ':' || c == '.'; }

bool InPrefix(const uint8_t* a, const std::array<uint8_t, 16>& net, int bits) {
  for (int i = 0; i < bits / 8; ++i)
    if (a[i] != net[i]) return false;
  if (bits % 8 == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - bits % 8));
  return (a[bits / 8] & mask) == (net[bits / 8] & mask);
}

bool IsNonPublicIpv6(const uint8_t* a) {
  static const std::array<uint8_t, 16> kZero{}, kLoop{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
      kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, kNat64{0, 0x64, 0xFF, 0x9B, 0, 1},
      kDoc{0x20, 0x01, 0x0D, 0xB8}, kUla{0xFC}, kLinkLocal{0xFE, 0x80};
  return InPrefix(a, kZero, 128) || InPrefix(a, kLoop, 128) || InPrefix(a, kMapped, 96) ||
         InPrefix(a, kNat64, 48) || InPrefix(a, kDoc, 32) || InPrefix(a, kUla, 7) || InPrefix(a, kLinkLocal, 10);
}

// Replaces the matches [begin, end) that `find` yields, in order.
template <typename Find>
size_t ReplaceAll(std::string* text, const std::vector<std::string>& replacements, Find&& find) {
  const std::string_view s = *text;
  thread_local std::string out;
  out.clear();
  size_t copied = 0, n = 0, turn = 0, begin, end;
  for (size_t from = 0; find(s, from, &begin, &end); from = end) {
    out.append(s.substr(copied, begin - copied));
    if (replacements.empty()) {
      out.append(s.substr(begin, end - begin));
    } else {
      out.append(replacements[turn]);
      turn = (turn + 1) % replacements.size();
    }
    copied = end;
    ++n;
  }
  if (n == 0) return 0;
  out.append(s.substr(copied));
  text->swap(out);
  return n;
}

}  // namespace

bool IsGlobalIpv4(std::string_view s, bool* valid) {
  *valid = false;
  uint32_t octets[4];
  size_t i = 0;
  for (int k = 0; k < 4; ++k) {
    const size_t d = DigitRun(s, i);
    if (d == 0 || d > 3 || (d > 1 && s[i] == '0')) return false;  // ipaddress refuses leading zeros
    uint32_t v = 0;
    for (size_t j = 0; j < d; ++j) v = v * 10 + static_cast<uint32_t>(s[i + j] - '0');
    if (v > 255) return false;
    octets[k] = v;
    i += d;
    if (k < 3) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  if (i != s.size()) return false;
  *valid = true;
  const uint32_t a = (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3];
  const auto in = [a](uint32_t net, int bits) { return (a >> (32 - bits)) == (net >> (32 - bits)); };
  if (in(0x64400000, 10)) return false;  // 100.64.0.0/10, shared address space
  if (a == 0xC0000009 || a == 0xC000000A) return true;  // 192.0.0.9 and .10: exceptions, global
  const bool is_private = in(0x00000000, 8) || in(0x0A000000, 8) || in(0x7F000000, 8) || in(0xA9FE0000, 16) ||
                          in(0xAC100000, 12) || in(0xC0000000, 24) || in(0xC0000200, 24) ||
                          in(0xC0A80000, 16) || in(0xC6120000, 15) || in(0xC6336400, 24) ||
                          in(0xCB007100, 24) || in(0xF0000000, 4) || a == 0xFFFFFFFF;
  return !is_private;
}

StatusOr<PiiFormatter> PiiFormatter::FromJson(const nlohmann::json& overrides) {
  PiiConfig c;
  ConfigBinder b("pii");
  b.Bool("remove_emails", &c.remove_emails)
      .Bool("remove_ips", &c.remove_ips)
      .Bool("remove_ipv6", &c.remove_ipv6)
      .Bool("only_remove_public_ips", &c.only_remove_public_ips)
      .Strings("email_replacement", &c.email_replacement)
      .Strings("ip_replacement", &c.ip_replacement)
      .Strings("ipv6_replacement", &c.ipv6_replacement);
  RETURN_IF_ERROR(b.Apply(overrides));
  for (const auto* list : {&c.email_replacement, &c.ip_replacement, &c.ipv6_replacement})
    if (list->empty()) return InvalidArgumentError("stage pii: replacement lists must not be empty");
  return PiiFormatter(std::move(c));
}

size_t PiiFormatter::ReplaceEmails(std::string* text) const {
  if (text->find('@') == std::string::npos) return 0;
  return ReplaceAll(text, config_.email_replacement, [](std::string_view s, size_t from, size_t* b, size_t* e) {
    for (size_t at = s.find('@', from); at != std::string_view::npos; at = s.find('@', at + 1)) {
      size_t run = at;
      while (run > from && (IsLocalChar(s[run - 1]) || s[run - 1] == '.')) --run;
      if (run == at || s[at - 1] == '.') continue;
      size_t lo = run;  // the local part may not hold ".."
      for (size_t k = run; k + 1 < at; ++k)
        if (s[k] == '.' && s[k + 1] == '.') lo = k + 2;
      size_t start = std::string_view::npos;
      for (size_t k = lo; k < at; ++k) {
        if (s[k] != '.' && WordBoundaryAt(s, k)) {
          start = k;
          break;
        }
      }
      if (start == std::string_view::npos) continue;
      const size_t end = MatchDomain(s, at + 1);
      if (end == 0) continue;
      *b = start;
      *e = end;
      return true;
    }
    return false;
  });
}

size_t PiiFormatter::ReplaceIpv4(std::string* text) const {
  if (text->find('.') == std::string::npos) return 0;
  const bool public_only = config_.only_remove_public_ips;
  size_t replaced = 0;
  // Matches that fail the validator are replaced by themselves, as in datatrove.
  std::string out;
  const std::string_view s = *text;
  size_t copied = 0, turn = 0;
  for (size_t x = 0; x < s.size();) {
    if (!IsDigitChar(s[x])) {
      ++x;
      continue;
    }
    const size_t last = ThreeOctets(s, x);
    const size_t len = last == 0 ? 0 : LastOctetLength(s, last);
    if (len == 0) {
      ++x;
      continue;
    }
    const size_t end = last + len;
    bool valid;
    const bool global = IsGlobalIpv4(s.substr(x, end - x), &valid);
    if (valid && (global || !public_only)) {
      out.append(s.substr(copied, x - copied));
      out.append(config_.ip_replacement[turn]);
      turn = (turn + 1) % config_.ip_replacement.size();
      copied = end;
      ++replaced;
    }
    x = end;
  }
  if (replaced == 0) return 0;
  out.append(s.substr(copied));
  text->swap(out);
  return replaced;
}

size_t PiiFormatter::ReplaceIpv6(std::string* text) const {
  if (text->find("::") == std::string::npos && std::count(text->begin(), text->end(), ':') < 2) return 0;
  const bool public_only = config_.only_remove_public_ips;
  return ReplaceAll(text, config_.ipv6_replacement, [&](std::string_view s, size_t from, size_t* b, size_t* e) {
    for (size_t colon = s.find(':', from); colon != std::string_view::npos;) {
      size_t lo = colon, hi = colon;
      while (lo > from && IsIpv6Char(s[lo - 1])) --lo;
      while (hi < s.size() && IsIpv6Char(s[hi])) ++hi;
      const size_t next = s.find(':', hi);
      std::string_view cand = s.substr(lo, hi - lo);
      while (!cand.empty() && cand.back() == '.') cand.remove_suffix(1);
      const bool bounded = (lo == 0 || !IsWordByte(s[lo - 1])) && (hi == s.size() || !IsWordByte(s[hi]));
      if (bounded && std::count(cand.begin(), cand.end(), ':') >= 2 && cand.size() < 64) {
        for (int attempt = 0; attempt < 2 && !cand.empty(); ++attempt) {
          char buf[64];
          std::memcpy(buf, cand.data(), cand.size());
          buf[cand.size()] = '\0';
          uint8_t addr[16];
          if (inet_pton(AF_INET6, buf, addr) == 1) {
            if (public_only && IsNonPublicIpv6(addr)) break;
            *b = lo;
            *e = lo + cand.size();
            return true;
          }
          if (cand.back() != ':') break;
          cand.remove_suffix(1);  // "fe80::1:" at the end of a clause
        }
      }
      colon = next;
    }
    return false;
  });
}

Verdict PiiFormatter::Apply(Document* doc) const {
  const auto count = [doc](const char* key, size_t n) {
    if (n > 0) doc->metadata[key] += static_cast<double>(n);
  };
  if (config_.remove_emails) count("pii.emails", ReplaceEmails(&doc->text));
  if (config_.remove_ips) count("pii.ipv4", ReplaceIpv4(&doc->text));
  if (config_.remove_ipv6) count("pii.ipv6", ReplaceIpv6(&doc->text));
  return Verdict::Keep();
}

}  // namespace seek
