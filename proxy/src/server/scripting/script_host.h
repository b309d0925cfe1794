// ScriptHost: what redis.call and redis.pcall reach, and ScriptRun: the state of the script
// running now (the registry of its lua_State points at it while it runs).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "resp/encoder.h"

struct lua_State;

namespace slotproxy::server::scripting {

// How the running script asks for a command.
struct CallOptions {
  resp::Protocol protocol = resp::Protocol::kResp2;  // redis.setresp: the reply's protocol
  bool read_only = false;  // EVAL_RO / EVALSHA_RO / "#!lua flags=no-writes"
  bool propagate = true;   // redis.set_repl: log the command's writes to the AOF
};

// The shard (or a test double) running one command of a script.
class ScriptHost {
 public:
  virtual ~ScriptHost() = default;
  // Runs `args` (args[0] is the command name) and appends its one reply to *reply. Returns the
  // error Redis gives when the command is refused before it runs, as a message that gets the
  // ERR code ("Unknown Redis command called from script", "Wrong number of args calling Redis
  // command from script", "This Redis command is not allowed from script", "Write commands are
  // not allowed from read-only scripts.", "Script attempted to access a non local key in a
  // cluster node") or as "-CODE message"; empty when the command ran (its reply may still be an
  // error reply).
  virtual std::string Call(std::span<const std::string_view> args, const CallOptions& options,
                           std::string* reply) = 0;

  // Called from inside the script, again and again, once it has run longer than the busy
  // threshold: serves the other clients (they get -BUSY, SCRIPT KILL may mark the run killed).
  // The default (tests, no event loop) does nothing.
  virtual void ServeWhileBusy() {}

  // True once the script called a write command (SCRIPT KILL then answers UNKILLABLE).
  virtual bool WriteCalled() const { return false; }
};

// The script running on a lua_State.
struct ScriptRun {
  ScriptHost* host = nullptr;
  CallOptions options;
  int64_t start_ms = 0;         // steady clock, when the run began
  int64_t threshold_ms = 5000;  // busy-reply-threshold: past it the run serves other clients
  bool timed_out = false;       // past the threshold (Redis's SCRIPT_TIMEDOUT)
  bool killed = false;          // SCRIPT KILL asked to stop it
};

// Points the registry of `L` at `run` (nullptr: no script runs).
void SetCurrentRun(lua_State* L, ScriptRun* run);
// The script running on `L`, or nullptr.
ScriptRun* CurrentRun(lua_State* L);

}  // namespace slotproxy::server::scripting
