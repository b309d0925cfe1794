#include "engine/glob.h"

#include <cstddef>

namespace slotproxy::engine {
namespace {

// Redis compares bytes as (signed) char and folds with tolower() in the C locale; doing the same
// keeps range classes with bytes >= 0x80 byte-for-byte compatible.
// Redis 7.0.15's guard against abusive patterns (CVE-2024-31228): the matcher gives up (no
// match) when it has to recurse through more than this many '*' groups.
constexpr size_t kMaxStarNesting = 1000;

int Fold(int c) { return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c; }

// A view of the pattern that reads a NUL past its end, as Redis's code reads the sds terminator.
class Pattern {
 public:
  explicit Pattern(std::string_view p) : p_(p) {}
  int At(size_t i) const { return i < p_.size() ? static_cast<signed char>(p_[i]) : 0; }
  size_t size() const { return p_.size(); }

 private:
  std::string_view p_;
};

// Matches the one-byte token at pattern[*pi] (a literal, an escape, `?` or a class) against `c`,
// and advances *pi past the token whether or not it matched: the pattern bytes a token spans
// never depend on the string, which is what makes single-star backtracking complete.
bool MatchToken(const Pattern& p, size_t* pi, int c, bool nocase) {
  size_t i = *pi;
  const int tok = p.At(i);
  if (tok == '?') {
    *pi = i + 1;
    return true;
  }
  if (tok != '[') {
    // A trailing lone backslash is a literal backslash, as in Redis.
    if (tok == '\\' && p.size() - i >= 2) i++;
    const int lit = p.At(i);
    *pi = i + 1;
    return nocase ? Fold(lit) == Fold(c) : lit == c;
  }
  // Character class: mirrors Redis's loop, where `left` is its patternLen.
  i++;
  const bool negate = p.At(i) == '^';
  if (negate) i++;
  bool match = false;
  while (true) {
    const size_t left = p.size() - i;  // i never passes p.size()
    if (p.At(i) == '\\' && left >= 2) {
      i++;
      if (p.At(i) == c) match = true;
    } else if (p.At(i) == ']') {
      break;
    } else if (left == 0) {
      i--;  // unterminated class: the closing step below lands exactly on the pattern's end
      break;
    } else if (left >= 3 && p.At(i + 1) == '-') {
      int start = p.At(i);
      int end = p.At(i + 2);
      int ch = c;
      if (start > end) std::swap(start, end);
      if (nocase) {
        start = Fold(start);
        end = Fold(end);
        ch = Fold(ch);
      }
      i += 2;
      if (ch >= start && ch <= end) match = true;
    } else if (nocase ? Fold(p.At(i)) == Fold(c) : p.At(i) == c) {
      match = true;
    }
    i++;
  }
  *pi = i + 1;  // past the ']' (or past the end for an unterminated class)
  return negate ? !match : match;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  // Redis's loop runs only while both sides are non-empty, so an empty string matches only an
  // empty pattern (even "*" does not match it).
  if (str.empty()) return pattern.empty();
  const Pattern p(pattern);
  const size_t m = pattern.size();
  const size_t n = str.size();
  size_t pi = 0;
  size_t si = 0;
  // The most recent '*': where its continuation starts in the pattern, and the string position
  // it was last tried from. Only the latest star ever needs to be retried because every other
  // token consumes exactly one byte.
  size_t star_next = 0;
  size_t star_si = 0;
  bool have_star = false;
  // Star groups passed in the current attempt, which is the recursion depth Redis would be at;
  // and that depth at the latest star, restored when backtracking to it.
  size_t depth = 0;
  size_t star_depth = 0;
  while (si < n) {
    if (pi < m && pattern[pi] == '*') {
      while (pi < m && pattern[pi] == '*') pi++;
      if (pi == m) return true;
      // Redis recurses once per star group; past its nesting limit every attempt fails.
      if (++depth > kMaxStarNesting) return false;
      have_star = true;
      star_next = pi;
      star_si = si;
      star_depth = depth;
      continue;
    }
    if (pi < m && MatchToken(p, &pi, static_cast<signed char>(str[si]), nocase)) {
      si++;
      continue;
    }
    if (!have_star) return false;
    // Let the star swallow one more byte and retry the rest of the pattern from there.
    star_si++;
    si = star_si;
    pi = star_next;
    depth = star_depth;
  }
  while (pi < m && pattern[pi] == '*') pi++;
  return pi == m;
}

}  // namespace slotproxy::engine
