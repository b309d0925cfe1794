// Test helpers: build resp::Value trees by hand, as a decoder would produce them.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "resp/value.h"

namespace slotproxy::cluster::testing {

inline resp::Value Int(int64_t n) {
  resp::Value v;
  v.type = resp::ValueType::kInteger;
  v.integer = n;
  return v;
}

inline resp::Value Bulk(std::string s) {
  resp::Value v;
  v.type = resp::ValueType::kBulkString;
  v.str = std::move(s);
  return v;
}

inline resp::Value Null() { return resp::Value(); }

inline resp::Value Err(std::string s) {
  resp::Value v;
  v.type = resp::ValueType::kError;
  v.str = std::move(s);
  return v;
}

inline resp::Value Aggregate(resp::ValueType type, std::initializer_list<resp::Value> items) {
  resp::Value v;
  v.type = type;
  v.elements.assign(items.begin(), items.end());
  return v;
}

inline resp::Value Arr(std::initializer_list<resp::Value> items) {
  return Aggregate(resp::ValueType::kArray, items);
}

// A RESP3 map: items are key, value, key, value, ...
inline resp::Value Map(std::initializer_list<resp::Value> items) {
  return Aggregate(resp::ValueType::kMap, items);
}

}  // namespace slotproxy::cluster::testing
