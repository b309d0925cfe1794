// Status and Result<T>: the error type every module returns instead of throwing.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace slotproxy {

// A success, or an error with a human-readable message. The message of an error that a client
// will see is already in Redis's wording (e.g. "ERR Protocol error: invalid bulk length").
class Status {
 public:
  // Success.
  Status() = default;

  // Returns an error carrying `message`; `message` must not be empty.
  static Status Error(std::string message) { return Status(std::move(message)); }

  // True when this is a success.
  bool ok() const { return message_.empty(); }

  // The error text; empty on success.
  const std::string& message() const { return message_; }

 private:
  explicit Status(std::string message) : message_(std::move(message)) {}
  std::string message_;
};

// Either a value of T or an error Status.
template <typename T>
class Result {
 public:
  // Holds `value`.
  Result(T value) : data_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // Holds the error `status`; `status` must not be ok().
  Result(Status status) : data_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  // True when a value is held.
  bool ok() const { return std::holds_alternative<T>(data_); }

  // The held value; only valid when ok().
  T& value() { return std::get<T>(data_); }
  const T& value() const { return std::get<T>(data_); }

  // The error; a success Status when ok().
  Status status() const { return ok() ? Status() : std::get<Status>(data_); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace slotproxy
