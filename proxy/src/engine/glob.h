// Glob-style matching for KEYS, SCAN MATCH and friends, with the exact semantics of Redis's
// stringmatchlen() but without recursion, so hostile patterns cannot blow up the stack or the CPU.
#pragma once

#include <string_view>

namespace slotproxy::engine {

// True when `str` matches the glob `pattern`, byte for byte as Redis 7.0's
// stringmatchlen(pattern, str, nocase) decides: `*` any run of bytes, `?` one byte, `[...]`
// a class (`^` negates, `a-z` ranges in either order, `\` escapes, an unterminated class ends at
// the pattern's end), `\x` the literal x. `nocase` folds ASCII letters. Redis quirks kept: an
// empty `str` matches only an empty pattern (callers special-case the pattern "*"), and, like
// Redis 7.0.15's guard against abusive patterns, a match that has to pass more than 1000 '*'
// groups (not counting a trailing one) fails.
// Cost is O(|pattern| * |str|) in the worst case, with no recursion and no allocation.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

// True when `pattern` is exactly "*": KEYS and SCAN then skip matching altogether, which is also
// how Redis lets "*" return an empty key name.
inline bool IsMatchAll(std::string_view pattern) { return pattern == "*"; }

}  // namespace slotproxy::engine
