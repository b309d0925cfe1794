#include "session/proxy_server.h"

#include <unistd.h>

#include <future>
#include <utility>

namespace slotproxy::session {

ProxyServer::ProxyServer(const command::CommandTable& table, ProxyServerOptions options)
    : table_(table), options_(std::move(options)) {
  if (options_.workers < 1) options_.workers = 1;
}

ProxyServer::~ProxyServer() { Stop(); }

Status ProxyServer::Start(Status* topology_status) {
  started_ = std::chrono::steady_clock::now();
  const bool discover = options_.static_map == nullptr;
  if (!discover) holder_.Store(options_.static_map);
  WorkerOptions wopts = options_.worker;
  wopts.listen.reuse_port = true;
  wopts.fill_info = [this](ProxyInfoInput* in) { FillInfo(in); };
  auto refresh = [this] {
    backend::TopologyManager* tm = topology_.load(std::memory_order_acquire);
    if (tm != nullptr) tm->RequestRefresh("backend redirect or failure");
  };

  // Shared: the topology callback may run after Start() returned.
  auto first_map = std::make_shared<std::promise<Status>>();
  auto first_future = first_map->get_future();
  for (int i = 0; i < options_.workers; ++i) {
    auto thread = std::make_unique<net::WorkerThread>("sp-worker-" + std::to_string(i));
    auto mine = std::make_shared<std::promise<Result<uint16_t>>>();
    auto mine_future = mine->get_future();
    WorkerOptions o = wopts;
    o.listen.exclusive = (i == 0);  // the others join the first one's port
    if (i > 0) o.listen.port = port_;
    const bool first = (i == 0);
    thread->Start([this, o, first, discover, refresh, first_map, mine](net::EventLoop& loop) {
      auto worker = std::make_unique<Worker>(loop, holder_, table_, o, shared_);
      worker->dispatcher().SetRefreshCallback(refresh);
      Status st = worker->Listen();
      std::unique_ptr<backend::TopologyManager> tm;
      if (st.ok() && first && !discover) first_map->set_value(Status());
      if (st.ok() && first && discover) {
        tm = std::make_unique<backend::TopologyManager>(loop, holder_, options_.topology);
        topology_.store(tm.get(), std::memory_order_release);
        tm->Start([first_map](const Status& s) { first_map->set_value(s); },
                  options_.first_topology_timeout_ms);
      }
      if (!st.ok()) {
        mine->set_value(st);
        return;
      }
      mine->set_value(worker->Port());
      loop.Run();
      if (tm) {
        topology_.store(nullptr, std::memory_order_release);
        tm.reset();
      }
      worker.reset();
    });
    Result<uint16_t> r = mine_future.get();
    threads_.push_back(std::move(thread));
    if (!r.ok()) {
      Stop();
      return r.status();
    }
    if (i == 0) port_ = r.value();
  }
  if (first_future.wait_for(std::chrono::milliseconds(options_.first_topology_timeout_ms + 1000)) ==
      std::future_status::ready) {
    Status s = first_future.get();
    if (topology_status != nullptr) *topology_status = s;
  } else if (topology_status != nullptr) {
    *topology_status = Status::Error("no cluster topology yet");
  }
  return Status();
}

void ProxyServer::Stop() {
  // Workers other than 0 first: they may still ask worker 0's topology manager for refreshes.
  for (size_t i = threads_.size(); i-- > 0;) {
    threads_[i]->Stop();
    threads_[i]->Join();
  }
  threads_.clear();
}

void ProxyServer::FillInfo(ProxyInfoInput* in) const {
  in->proxy_version = options_.proxy_version;
  in->process_id = static_cast<int64_t>(getpid());
  in->tcp_port = port_;
  in->uptime_seconds = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count());
  in->config_file = options_.config_file;
  in->connected_clients = static_cast<uint64_t>(ConnectedClients());
  in->maxclients = static_cast<uint64_t>(options_.worker.max_clients);
  in->used_memory = ReadRssBytes();
  ReadCpuSeconds(&in->used_cpu_sys, &in->used_cpu_user);
  in->workers = static_cast<uint32_t>(options_.workers);
  if (cluster::SlotMapPtr map = holder_.Load()) {
    in->backend_nodes = static_cast<uint32_t>(map->node_count());
    uint32_t masters = 0;
    for (const cluster::Node& n : map->nodes()) {
      if (n.role == cluster::NodeRole::kMaster) ++masters;
    }
    in->backend_masters = masters;
    in->slot_map_version = map->version();
    in->slots_covered = map->covered_slots();
  }
  if (backend::TopologyManager* tm = topology_.load(std::memory_order_acquire)) {
    in->topology_refreshes = tm->refreshes();
    in->topology_refresh_errors = tm->refresh_errors();
  }
}

}  // namespace slotproxy::session
