// Small text helpers shared by the YAML and command-line readers: "did you mean" hints and
// safe quoting of untrusted text inside error messages.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace slotproxy::config {

// Optimal-string-alignment edit distance (insertions, deletions, substitutions and adjacent
// transpositions each cost 1), so "prot" is one edit from "port".
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a plausible typo (one edit for
// words of up to 3 characters, two up to 8, three beyond); empty when none is. Case is ignored.
std::string NearestMatch(std::string_view word, std::span<const std::string_view> candidates);

// `text` cut to at most 64 characters (with "..." when cut) and with control bytes shown as
// '?', so that hostile input cannot make an error message huge or rewrite a terminal.
std::string Shorten(std::string_view text);

// ASCII lower-case copy of `text`.
std::string ToLower(std::string_view text);

}  // namespace slotproxy::config
