#include "server/embedded.h"

#include <future>
#include <random>
#include <utility>

namespace slotproxy::server {

std::string RandomNodeId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::mt19937_64 rng((static_cast<uint64_t>(rd()) << 32) ^ rd());
  std::string id(40, '0');
  for (char& ch : id) ch = kHex[rng() & 15];
  return id;
}

namespace {

struct Started {
  Status status;
  uint16_t port = 0;
};

}  // namespace

Result<std::unique_ptr<EmbeddedShards>> EmbeddedShards::Start(
    std::vector<EmbeddedShardSpec> specs) {
  std::unique_ptr<EmbeddedShards> fleet(new EmbeddedShards());
  for (size_t i = 0; i < specs.size(); ++i) {
    EmbeddedShardSpec spec = std::move(specs[i]);
    if (spec.options.node_id.empty()) spec.options.node_id = RandomNodeId();
    fleet->node_ids_.push_back(spec.options.node_id);
    auto thread = std::make_unique<net::WorkerThread>("sp-shard-" + std::to_string(i));
    std::promise<Started> started;
    std::future<Started> ready = started.get_future();
    thread->Start([spec = std::move(spec), &started](net::EventLoop& loop) mutable {
      Started result;
      {
        Shard shard(loop, spec.options);
        result.status = shard.Start();
        if (result.status.ok() && spec.on_start) result.status = spec.on_start(shard);
        result.port = shard.Port();
        bool ok = result.status.ok();
        started.set_value(result);  // `started` must not be touched after this
        if (ok) loop.Run();
      }
    });
    Started result = ready.get();
    fleet->threads_.push_back(std::move(thread));
    if (!result.status.ok()) {
      fleet->Stop();
      return Status::Error("shard " + std::to_string(i) + ": " + result.status.message());
    }
    fleet->ports_.push_back(result.port);
  }
  return fleet;
}

EmbeddedShards::~EmbeddedShards() { Stop(); }

void EmbeddedShards::Stop() {
  for (auto& t : threads_) t->Stop();
  for (auto& t : threads_) t->Join();
  threads_.clear();
}

}  // namespace slotproxy::server
