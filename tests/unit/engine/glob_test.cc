#include <catch2/catch.hpp>

#include <random>
#include <string>

#include "engine/glob.h"

namespace slotproxy::engine {
namespace {

// An independent recursive matcher with Redis's stringmatchlen semantics, used as the oracle for
// random differential checks on short inputs (where recursion depth is no concern).
int Low(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }
bool RefMatch(const char* p, int plen, const char* s, int slen, bool nocase) {
  auto at = [&](int i) { return i < plen ? static_cast<int>(static_cast<signed char>(p[i])) : 0; };
  int pi = 0;
  while (pi < plen && slen > 0) {
    const int c = static_cast<signed char>(s[0]);
    switch (at(pi)) {
      case '*': {
        while (pi < plen && at(pi + 1) == '*') pi++;
        if (pi == plen - 1) return true;
        for (int k = 0; k < slen; k++) {
          if (RefMatch(p + pi + 1, plen - pi - 1, s + k, slen - k, nocase)) return true;
        }
        return false;
      }
      case '?':
        s++;
        slen--;
        break;
      case '[': {
        pi++;
        const bool neg = at(pi) == '^';
        if (neg) pi++;
        bool match = false;
        for (;;) {
          const int left = plen - pi;
          if (at(pi) == '\\' && left >= 2) {
            pi++;
            if (at(pi) == c) match = true;
          } else if (at(pi) == ']') {
            break;
          } else if (left == 0) {
            pi--;
            break;
          } else if (left >= 3 && at(pi + 1) == '-') {
            int a = at(pi), b = at(pi + 2), x = c;
            if (a > b) std::swap(a, b);
            if (nocase) a = Low(a), b = Low(b), x = Low(x);
            pi += 2;
            if (x >= a && x <= b) match = true;
          } else if (nocase ? Low(at(pi)) == Low(c) : at(pi) == c) {
            match = true;
          }
          pi++;
        }
        if (neg) match = !match;
        if (!match) return false;
        s++;
        slen--;
        break;
      }
      case '\\':
        if (plen - pi >= 2) pi++;
        [[fallthrough]];
      default:
        if (nocase ? Low(at(pi)) != Low(c) : at(pi) != c) return false;
        s++;
        slen--;
        break;
    }
    pi++;
    if (slen == 0) {
      while (pi < plen && at(pi) == '*') pi++;
      break;
    }
  }
  return pi >= plen && slen == 0;
}

bool Ref(std::string_view p, std::string_view s, bool nocase = false) {
  return RefMatch(p.data(), static_cast<int>(p.size()), s.data(), static_cast<int>(s.size()),
                  nocase);
}

TEST_CASE("glob: basic tokens", "[glob]") {
  CHECK(GlobMatch("foo*", "foobar"));
  CHECK(GlobMatch("foo*", "foo"));
  CHECK_FALSE(GlobMatch("foo*", "fo"));
  CHECK(GlobMatch("*bar", "foobar"));
  CHECK(GlobMatch("f?o", "fxo"));
  CHECK_FALSE(GlobMatch("f?o", "fo"));
  CHECK(GlobMatch("h[ae]llo", "hello"));
  CHECK(GlobMatch("h[ae]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[ae]llo", "hillo"));
  CHECK(GlobMatch("h[^e]llo", "hallo"));
  CHECK_FALSE(GlobMatch("h[^e]llo", "hello"));
  CHECK(GlobMatch("h[a-b]llo", "hbllo"));
  CHECK(GlobMatch("h[b-a]llo", "hallo"));  // reversed range
  CHECK_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  CHECK(GlobMatch("a\\*b", "a*b"));
  CHECK_FALSE(GlobMatch("a\\*b", "axb"));
  CHECK(GlobMatch("[\\]]", "]"));
  CHECK(GlobMatch("a\\", "a\\"));  // trailing lone backslash is literal
  CHECK(GlobMatch("", ""));
  CHECK_FALSE(GlobMatch("", "a"));
}

TEST_CASE("glob: Redis quirks", "[glob]") {
  CHECK_FALSE(GlobMatch("*", ""));  // callers special-case "*"
  CHECK_FALSE(GlobMatch("?", ""));
  CHECK(GlobMatch("a*", "a"));
  CHECK(GlobMatch("[abc", "b"));  // unterminated class
  CHECK_FALSE(GlobMatch("[", "["));
  CHECK(GlobMatch("[^", "x"));
  CHECK(GlobMatch("[a-]", "]"));  // "a-]" is the range ']'..'a'
  CHECK(GlobMatch("[a-]", "^"));
  CHECK_FALSE(GlobMatch("[a-]", "-"));
  CHECK(GlobMatch("HeLLo", "hello", true));
  CHECK_FALSE(GlobMatch("HeLLo", "hello", false));
  CHECK(GlobMatch("[A-C]x", "bX", true));
}

TEST_CASE("glob: hostile patterns stay cheap", "[glob]") {
  // CVE-2022-36021: Redis's recursive matcher was exponential here (keyspace.tcl regression).
  CHECK_FALSE(GlobMatch("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", std::string(40, 'a')));
  std::string pattern;
  for (int i = 0; i < 1000; i++) pattern += "*a";
  const std::string subject(20000, 'a');
  CHECK(GlobMatch(pattern, subject));
  CHECK_FALSE(GlobMatch(pattern + "*b", subject));
  const std::string stars(100000, '*');  // one star group, however long
  CHECK(GlobMatch(stars + "a", subject));
  CHECK_FALSE(GlobMatch("a" + stars + "b", subject));
}

std::string Repeat(std::string_view s, int n) {
  std::string out;
  for (int i = 0; i < n; i++) out += s;
  return out;
}

TEST_CASE("glob: Redis 7.0.15's star nesting limit", "[glob]") {
  // Observed on redis-server 7.0.15 with KEYS: past 1000 '*' groups that must be recursed
  // through, Redis gives up and reports no match; a trailing star does not count.
  CHECK(GlobMatch(Repeat("*?", 1000), std::string(1000, 'a')));
  CHECK_FALSE(GlobMatch(Repeat("*?", 1001), std::string(1001, 'a')));
  CHECK_FALSE(GlobMatch("a" + Repeat("*a", 1001), std::string(1500, 'a')));
  CHECK(GlobMatch("a" + Repeat("*a", 999), std::string(1500, 'a')));
  CHECK(GlobMatch(Repeat("*a", 1000) + "*", std::string(1500, 'a')));
  CHECK_FALSE(GlobMatch(Repeat("*a", 1001) + "*", std::string(1500, 'a')));
  CHECK_FALSE(GlobMatch(Repeat("*a", 1000) + "*?", std::string(1500, 'a')));
  CHECK_FALSE(GlobMatch(Repeat("*?", 50000), std::string(50000, 'a')));  // keyspace.tcl
}

TEST_CASE("glob: agrees with a recursive reference on random inputs", "[glob]") {
  std::mt19937 rng(12345);
  const std::string palpha = "ab-]^\\[*?A\xe9";
  const std::string salpha = "ab-]^\\[A\xe9";
  int matched = 0;
  for (int i = 0; i < 200000; i++) {
    std::string p(rng() % 8, ' ');
    for (char& c : p) c = palpha[rng() % palpha.size()];
    std::string s(rng() % 7, ' ');
    for (char& c : s) c = salpha[rng() % salpha.size()];
    const bool nocase = (i & 1) != 0;
    const bool want = Ref(p, s, nocase);
    matched += want;
    INFO("pattern=" << p << " string=" << s << " nocase=" << nocase);
    REQUIRE(GlobMatch(p, s, nocase) == want);
  }
  CHECK(matched > 1000);  // the corpus exercises matches, not only failures
}

}  // namespace
}  // namespace slotproxy::engine
