// ReplyParser: finds the exact byte span of one complete RESP2/RESP3 reply, so the proxy can pass
// backend replies through as raw bytes. It never copies or decodes payloads; bulk payloads are
// skipped by their announced length. Every RESP3 type is accepted, including attributes (which
// form one span with the reply they precede), pushes, and the streamed forms ("$?" with ";N"
// chunks, "*?"/"%?"/"~?" ended by ".") that Redis 7 never sends but the spec defines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "resp/error_kind.h"
#include "resp/value.h"

namespace slotproxy::resp {

// Bounds on what a peer may announce. A reply beyond them is a protocol error (kError).
struct ReplyLimits {
  // Deepest nesting of aggregates (arrays, maps, sets, pushes, attributes). A flat array is
  // depth 1. Bounded so a hostile peer cannot make us grow the stack without limit.
  int max_depth = 128;
  // Largest bulk/verbatim/blob-error payload, as Redis's proto-max-bulk-len (512 MB).
  int64_t max_bulk_length = 512LL * 1024 * 1024;
  // Largest element count of one aggregate (a map counts its pairs).
  int64_t max_aggregate_length = (1LL << 32) - 1;
  // Longest simple string, error, double or big number line, CRLF excluded.
  int64_t max_line_length = 512LL * 1024 * 1024;
};

enum class ReplyStatus : uint8_t {
  kComplete,  // one whole reply starts the buffer; see ReplyParser::info()
  kNeedMore,  // no error in the bytes so far, but the reply is not whole; append and call again
  kError,     // the bytes are not valid RESP; see ReplyParser::error()
};

// What the parser learned about the complete reply at the start of the buffer.
struct ReplyInfo {
  size_t length = 0;  // bytes of the reply, a leading attribute included
  // Type of the reply proper (after any attribute). kNull for "_", "$-1" and "*-1". kPush is an
  // out-of-band message (pub/sub, invalidation), not the answer to a request.
  ValueType type = ValueType::kNull;
  ErrorKind error_kind = ErrorKind::kNone;  // kNone unless type == kError
  bool has_attribute = false;               // a RESP3 attribute (|N) preceded the reply
  // For type == kError: the message (after '-' or the blob error payload, CRLF excluded) is
  // bytes[message_offset, message_offset + message_length) of the reply.
  size_t message_offset = 0;
  size_t message_length = 0;

  // The error message of an error reply, as a view into `reply` (the bytes the parser saw).
  std::string_view Message(std::string_view reply) const {
    return reply.substr(message_offset, message_length);
  }
};

// Resumable framer for one reply at a time.
//
// Usage: call Parse() with ALL unconsumed bytes (the same bytes as the previous call, possibly
// moved in memory, plus whatever arrived since). On kComplete, consume info().length bytes; the
// parser is then ready for the next reply. Progress is kept between calls, so bytes already
// walked are not scanned again: total work is linear in the reply size whatever the chunking,
// and a large bulk is skipped by length.
class ReplyParser {
 public:
  explicit ReplyParser(ReplyLimits limits = {});

  // Frames the reply at the start of `unconsumed`. kComplete: info() describes it and the
  // parser is reset for the next reply. kNeedMore: no error so far but the reply is not whole;
  // call again with more bytes appended (passing fewer bytes than last time is a caller bug).
  // kError: the reply is malformed or exceeds the limits; error() says why, and every further
  // call returns kError until Reset() (the connection should be dropped).
  ReplyStatus Parse(std::string_view unconsumed);

  // The reply found by the last kComplete (unspecified after kNeedMore or kError).
  const ReplyInfo& info() const { return info_; }

  // Why the last kError happened ("invalid bulk length", ...); empty otherwise.
  std::string_view error() const { return error_; }

  // Forgets all progress and any error.
  void Reset();

 private:
  struct Frame {
    // Elements still expected (a map/attribute counts keys and values); for a streamed
    // aggregate, one more than the elements still allowed.
    int64_t remaining;
    bool attribute;  // an attribute does not count as an element of its parent
    bool streamed;   // RESP3 "*?"-style aggregate, ended by "."
    bool map;        // elements come in key/value pairs
  };
  // Outcome of one step of the slow path.
  enum class Step : uint8_t { kContinue, kNeedMore, kError };

  bool TryFast(const char* data, size_t size);
  ReplyStatus ParseSlow(const char* data, size_t size);
  Step ParseLine(const char* data, size_t size, bool* element_done);
  Step ScalarLine(char type, std::string_view line, size_t line_start);
  Step LineNeedMore(char type, size_t size, bool ends_with_cr);
  Step StartBulk(char type, std::string_view line, bool* element_done);
  Step StartAggregate(char type, std::string_view line, bool* element_done);
  Step FinishBulk(const char* data);
  Step ElementDone(bool* reply_done);
  ReplyStatus Complete(const char* data);
  Step Fail(const char* reason);
  void SetTop(ValueType type);

  ReplyLimits limits_;
  ReplyInfo info_;
  std::vector<Frame> stack_;
  const char* error_ = "";
  size_t pos_ = 0;                   // start of the next header line, or end of the pending bulk
  size_t line_scan_ = 0;             // bytes of the current header line already searched for '\n'
  size_t bulk_start_ = 0;            // payload start of the pending bulk
  char bulk_type_ = 0;               // '$', '!', '=' or ';' while a payload is pending, else 0
  int64_t streamed_length_ = 0;      // payload bytes of the current streamed string so far
  bool in_streamed_string_ = false;  // inside "$?": only ";N" chunks may follow
  bool after_attribute_ = false;     // an attribute just ended: a value must follow
  bool failed_ = false;
};

}  // namespace slotproxy::resp
