// resp::Value: a decoded RESP2/RESP3 reply as an owning tree. For control-plane replies only
// (CLUSTER SLOTS, COMMAND, INFO, HELLO); the hot path frames replies with ReplyParser and passes
// the raw bytes through instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace slotproxy::resp {

enum class ValueType {
  kSimpleString,  // +OK
  kError,         // -ERR ... and RESP3 blob error !
  kInteger,       // :1
  kBulkString,    // $3 foo
  kNull,          // $-1, *-1, _
  kArray,         // *N
  kMap,           // %N (elements hold key, value, key, value, ...)
  kSet,           // ~N
  kPush,          // >N
  kDouble,        // ,3.14
  kBoolean,       // #t / #f
  kBigNumber,     // (123...
  kVerbatim,      // =N txt:...  (str holds the payload after "txt:", format holds "txt")
};

struct Value {
  ValueType type = ValueType::kNull;
  std::string str;                // simple string, error, bulk, big number, verbatim text
  std::string format;             // verbatim format ("txt", "mkd")
  int64_t integer = 0;            // kInteger
  double number = 0;              // kDouble
  bool boolean = false;           // kBoolean
  std::vector<Value> elements;    // aggregates; a map stores 2*N elements (k0, v0, k1, v1, ...)
  std::vector<Value> attributes;  // RESP3 attribute (|N) that preceded this value, flattened

  // True for bulk, simple and verbatim strings.
  bool IsString() const {
    return type == ValueType::kBulkString || type == ValueType::kSimpleString ||
           type == ValueType::kVerbatim;
  }
};

// Decodes exactly one complete reply from the start of `bytes` (RESP2 or RESP3). Returns the
// value and sets *consumed to its length. An error Status when the bytes are not valid RESP,
// nest deeper than `max_depth`, or are incomplete (message "incomplete").
Result<Value> DecodeValue(std::string_view bytes, size_t* consumed, int max_depth = 64);

}  // namespace slotproxy::resp
