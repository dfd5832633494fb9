// data/pii.h — replaces e-mail and IP addresses with placeholders, as
// datatrove's PIIFormatter (src/datatrove/pipeline/formatters/pii.py).
//
// E-mail addresses: what datatrove's e-mail regex matches, found by a scan
// from each '@' instead of a regex: a word-boundary start, a local part of
// letters, digits and !#$%&'*+/=?^_`{|}~- in dot-separated runs, '@', then a
// domain of dot-separated labels (letters, digits, inner hyphens, at least
// two labels) or a bracketed IPv4 address "[1.2.3.4]".
// IPv4: four dot-separated decimal octets as datatrove's regex finds them
// (no word boundaries, so "1.2.3.4" inside "x1.2.3.45" is found, the last
// octet taking at most what is <= 255), replaced only if Python's
// ipaddress.ip_address accepts it (no leading zeros) and, with
// only_remove_public_ips, it is_global (not in 0/8, 10/8, 100.64/10,
// 127/8, 169.254/16, 172.16/12, 192.0.0/24 but .9 and .10, 192.0.2/24,
// 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 240/4, and not
// 255.255.255.255 — Python 3.13's tables).
// IPv6 (Seek's addition; datatrove has none): a run of hex digits, ':' and
// '.' with at least two colons that inet_pton accepts, not touching a
// letter, digit or '_'; with only_remove_public_ips, loopback, unspecified,
// link-local fe80::/10, unique-local fc00::/7, documentation 2001:db8::/32,
// IPv4-mapped ::ffff:0:0/96 and 64:ff9b:1::/48 are left alone.
//
// Placeholders are used in turn, as datatrove does; the turn restarts with
// each document so that the output does not depend on thread scheduling
// (datatrove's turn runs on across the documents of one worker). The
// defaults are datatrove's: two example.com/org addresses and six IPv4
// addresses that did not answer ping; the IPv6 ones are from 2001:db8::/32,
// the documentation prefix. Counts go to doc->metadata "pii.emails",
// "pii.ipv4" and "pii.ipv6" (only when non-zero). Never drops a document.
// Thread-safety: immutable; Apply may run concurrently.
#pragma once

#include <string>
#include <vector>

#include "data/text_stage.h"

namespace seek {

struct PiiConfig {
  bool remove_emails = true;
  bool remove_ips = true;
  bool remove_ipv6 = true;
  bool only_remove_public_ips = true;
  std::vector<std::string> email_replacement = {"email@example.com", "firstname.lastname@example.org"};
  std::vector<std::string> ip_replacement = {"22.214.171.124", "126.96.36.199", "188.8.131.52",
                                             "184.108.40.206", "220.127.116.11", "18.104.22.168"};
  std::vector<std::string> ipv6_replacement = {"2001:db8::7e1a:40c2", "2001:db8::3f02:9b1d"};
};

class PiiFormatter : public TextStage {
 public:
  explicit PiiFormatter(PiiConfig config = {}) : config_(std::move(config)) {}
  static StatusOr<PiiFormatter> FromJson(const nlohmann::json& overrides);

  std::string_view name() const override { return "pii"; }
  Verdict Apply(Document* doc) const override;
  const PiiConfig& config() const { return config_; }

  // The steps of Apply, for tests: each returns the number replaced.
  size_t ReplaceEmails(std::string* text) const;
  size_t ReplaceIpv4(std::string* text) const;
  size_t ReplaceIpv6(std::string* text) const;

 private:
  PiiConfig config_;
};

// Python's ipaddress.ip_address(s).is_global for a dotted IPv4 address
// without leading zeros; false if `s` is not one.
bool IsGlobalIpv4(std::string_view s, bool* valid);

}  // namespace seek
