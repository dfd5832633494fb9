// tests/data/pii_test.cc — e-mail and IP addresses are replaced where
// datatrove's PIIFormatter replaces them (cases in the spirit of its
// test_pii_removal, with "EMAIL" and "IP" placeholders), placeholders are
// used in turn, and IPv6 addresses are replaced too.
#include "data/pii.h"

#include <gtest/gtest.h>

#include "data/filter_test_util.h"

namespace seek {
namespace {

PiiFormatter Marked() {
  PiiConfig c;
  c.email_replacement = {"EMAIL"};
  c.ip_replacement = {"IP"};
  c.ipv6_replacement = {"IPV6"};
  return PiiFormatter(c);
}

std::string Emails(const std::string& text) {
  std::string t = text;
  Marked().ReplaceEmails(&t);
  return t;
}
std::string Ips(const std::string& text) {
  std::string t = text;
  Marked().ReplaceIpv4(&t);
  return t;
}
std::string Ipv6(const std::string& text) {
  std::string t = text;
  Marked().ReplaceIpv6(&t);
  return t;
}

TEST(PiiTest, ValidEmailAddresses) {
  for (const char* address :
       {"email@example.com", "firstname.lastname@example.com", "email@subdomain.example.com",
        "firstname+lastname@example.com", "email@123.123.123.123", "email@[123.123.123.123]",
        "1234567890@example.com", "email@example-one.com", "_______@example.com", "email@example.name",
        "email@example.co.jp", "firstname-lastname@example.com", "NAME@MYSITE.COM"})
    EXPECT_EQ(Emails(address), "EMAIL") << address;
}

TEST(PiiTest, EmailEdgesAsDatatroveRegex) {
  EXPECT_EQ(Emails("\"email\"@example.com"), "\"email\"@example.com");  // no local part before '@'
  EXPECT_EQ(Emails("plainaddress"), "plainaddress");
  EXPECT_EQ(Emails("#@%^%#$@#$@#.com"), "#@%^%#$@#$@#.com");
  EXPECT_EQ(Emails("@example.com"), "@example.com");
  EXPECT_EQ(Emails("Joe Smith <email@example.com>"), "Joe Smith <EMAIL>");
  EXPECT_EQ(Emails("email.example.com"), "email.example.com");
  EXPECT_EQ(Emails("email@example@example.com"), "email@EMAIL");
  EXPECT_EQ(Emails(".email@example.com"), ".EMAIL");
  EXPECT_EQ(Emails("email.@example.com"), "email.@example.com");
  EXPECT_EQ(Emails("email..email@example.com"), "email..EMAIL");
  EXPECT_EQ(Emails("あいうえお@example.com"), "あいうえお@example.com");
  EXPECT_EQ(Emails("email@example.com (Joe Smith)"), "EMAIL (Joe Smith)");
  EXPECT_EQ(Emails("email@example"), "email@example");
  EXPECT_EQ(Emails("email@-example.com"), "email@-example.com");
  EXPECT_EQ(Emails("email@111.222.333.44444"), "EMAIL");
  EXPECT_EQ(Emails("email@example..com"), "email@example..com");
  EXPECT_EQ(Emails("very.unusual.\xE2\x80\x9D@\xE2\x80\x9D.unusual.com@example.com"),
            "very.unusual.\xE2\x80\x9D@\xE2\x80\x9D.EMAIL");
  EXPECT_EQ(Emails("Write to me@example.com."), "Write to EMAIL.");  // the final dot is not the domain's
  EXPECT_EQ(Emails("a@b.c, d@e.f"), "EMAIL, EMAIL");
}

TEST(PiiTest, Ipv4AsDatatrove) {
  for (const char* kept : {"999.999.999.999.", "108.0.0.01", "0.1.2.3", "00.0000.00.00", "192.168.l.1",
                           "912.456.123.123", "192.168.o.0", "172.16.0.9", "127.0.0.2", "10.0.1.5",
                           "172.31.254.254", "192.168.254.0", "100.64.1.1", "255.255.255.255"})
    EXPECT_EQ(Ips(kept), kept) << kept;
  for (const char* ip : {"163.36.107.25", "114.35.103.54", "57.120.21.121", "13.83.69.70", "29.116.31.158",
                         "193.163.229.23", "211.160.67.46", "4.132.211.142", "214.70.227.4", "35.88.121.75",
                         "192.0.0.9"})
    EXPECT_EQ(Ips(ip), "IP") << ip;
  EXPECT_EQ(Ips(".3.3.3.0"), ".IP");
  // No word boundaries in datatrove's pattern: the last octet takes what fits.
  EXPECT_EQ(Ips("1.2.3.256"), "IP6");
  EXPECT_EQ(Ips("server at 8.8.8.8, backup 8.8.4.4."), "server at IP, backup IP.");
}

TEST(PiiTest, PrivateIpsWhenAskedFor) {
  PiiConfig c;
  c.ip_replacement = {"IP"};
  c.only_remove_public_ips = false;
  std::string t = "10.0.0.1 and 192.168.1.2 but not 108.0.0.01";
  PiiFormatter(c).ReplaceIpv4(&t);
  EXPECT_EQ(t, "IP and IP but not 108.0.0.01");
}

TEST(PiiTest, Ipv6) {
  EXPECT_EQ(Ipv6("host 2a00:1450:4001:82a::200e is up"), "host IPV6 is up");
  EXPECT_EQ(Ipv6("at 2606:4700:4700::1111."), "at IPV6.");
  for (const char* kept : {"::1", "fe80::1", "fd00::5", "2001:db8::1", "12:30:45", "00:1a:2b:3c:4d:5e", "std::vector",
                           "a::b::c"})
    EXPECT_EQ(Ipv6(kept), kept) << kept;
}

TEST(PiiTest, PlaceholdersInTurnAndCounts) {
  const PiiFormatter f;  // datatrove's placeholders
  Document d = testing::Doc("a@example.net b@example.net c@example.net 8.8.8.8 1.1.1.1 2606:4700::1111");
  EXPECT_TRUE(f.Apply(&d).keep);
  EXPECT_EQ(d.text,
            "email@example.com firstname.lastname@example.org email@example.com 22.214.171.124 126.96.36.199 "
            "2001:db8::7e1a:40c2");
  EXPECT_EQ(d.metadata["pii.emails"], 3);
  EXPECT_EQ(d.metadata["pii.ipv4"], 2);
  EXPECT_EQ(d.metadata["pii.ipv6"], 1);
  Document clean = testing::Doc(testing::kTolkien);
  EXPECT_TRUE(f.Apply(&clean).keep);
  EXPECT_EQ(clean.text, testing::kTolkien);
  EXPECT_TRUE(clean.metadata.empty());
}

}  // namespace
}  // namespace seek
