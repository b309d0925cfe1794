// ClientSession, part 4: CLIENT LIST and CLIENT KILL over the clients of every worker. The
// command is posted to each loop that has clients (ClientRegistry); each builds its part on its
// own thread from its own sessions and posts it back; the entry completes with all parts, so
// the reply keeps its place in the pipeline like any backend reply.
#include <algorithm>
#include <charconv>
#include <utility>

#include "resp/encoder.h"
#include "session/client_registry.h"
#include "session/client_session.h"

namespace slotproxy::session {
namespace {

// The id of a CLIENT LIST line ("id=12 addr=..."), for sorting the parts together.
uint64_t LineId(std::string_view line) {
  uint64_t id = 0;
  if (line.size() > 3) std::from_chars(line.data() + 3, line.data() + line.size(), id);
  return id;
}

}  // namespace

void ClientSession::RouteClients(const command::CommandInfo& info,
                                 std::span<const std::string_view> args) {
  const bool kill = info.name == "client|kill";
  session::LocalContext& lctx = ctx_.local;
  Result<ClientFilter> parsed = ParseClientFilter(kill, args, lctx);
  if (!parsed.ok()) return ReplyError(parsed.status().message());
  local_.last_command = info.name;
  ClientFilter filter = std::move(parsed.value());
  std::vector<net::EventLoop*> loops = ClientRegistry::Process().Loops();
  net::EventLoop* home = &conn_->loop();
  if (std::find(loops.begin(), loops.end(), home) == loops.end()) loops.push_back(home);
  Entry& entry = pending_.back();
  entry.kind = Entry::Kind::kGather;
  entry.gather_kill = kill;
  entry.gather_old_form = filter.old_form;
  entry.parts.resize(loops.size());
  entry.outstanding = static_cast<uint32_t>(loops.size());
  const uint64_t seq = SeqOfBack();
  const uint64_t me = id_;
  for (size_t i = 0; i < loops.size(); ++i) {
    net::EventLoop* loop = loops[i];
    loop->Post([loop, home, filter, me, seq, i] {
      std::string part = ClientsPart(loop, filter, me);
      home->Post([home, me, seq, i, part = std::move(part)]() mutable {
        // The asking session may have gone meanwhile: look it up again on its own loop.
        if (ClientSession* s = ClientRegistry::Process().Find(me, home)) {
          s->OnClientsPart(seq, i, std::move(part));
        }
      });
    });
  }
}

std::string ClientSession::ClientsPart(net::EventLoop* loop, const ClientFilter& filter,
                                       uint64_t me) {
  std::string out;
  size_t killed = 0;
  bool self = false;
  const uint64_t now = loop->NowMs();
  for (ClientSession* s : ClientRegistry::Process().SessionsOn(loop)) {
    const LocalSession& info = s->local();
    if (!filter.Matches(info)) continue;
    if (!filter.kill) {
      out.append(ClientInfoLine(info, now)).push_back('\n');
      continue;
    }
    if (s->id_ == me) {
      if (filter.skip_me) continue;
      self = true;  // closed after its reply, as Redis (CLIENT_CLOSE_AFTER_REPLY)
    } else {
      s->closing_ = true;
      s->conn_->Close();
    }
    ++killed;
  }
  if (filter.kill) out = std::to_string(killed) + (self ? "+self" : "");
  return out;
}

void ClientSession::OnClientsPart(uint64_t seq, size_t index, std::string part) {
  if (seq < head_seq_ || seq - head_seq_ >= pending_.size()) return;
  Entry& e = pending_[seq - head_seq_];
  if (e.kind != Entry::Kind::kGather || e.outstanding == 0) return;
  e.parts[index] = std::move(part);
  if (--e.outstanding > 0) return;
  resp::Encoder enc(&e.reply, local_.protocol);
  if (e.gather_kill) {
    int64_t killed = 0;
    bool self = false;
    for (const std::string& p : e.parts) {
      int64_t n = 0;
      std::from_chars(p.data(), p.data() + p.size(), n);
      killed += n;
      self = self || p.ends_with("+self");
    }
    if (!e.gather_old_form) {
      enc.Integer(killed);
    } else if (killed == 0) {
      enc.Error("ERR No such client");
    } else {
      enc.SimpleString("OK");
    }
    e.close_after = self;
  } else {
    std::vector<std::string_view> lines;
    for (const std::string& p : e.parts) {
      for (size_t pos = 0; pos < p.size();) {
        const size_t nl = p.find('\n', pos);
        if (nl == std::string::npos) break;
        lines.push_back(std::string_view(p).substr(pos, nl - pos + 1));
        pos = nl + 1;
      }
    }
    std::sort(lines.begin(), lines.end(),
              [](std::string_view a, std::string_view b) { return LineId(a) < LineId(b); });
    std::string text;
    for (std::string_view line : lines) text.append(line);
    enc.Verbatim(text);
  }
  e.parts.clear();
  e.ready = true;
  RecordDone(e, e.reply, nullptr);
  FlushReady();
  UpdateBackPressure();
}

}  // namespace slotproxy::session
