#include "session/proxy_server.h"

#include <unistd.h>

#include <future>
#include <limits>
#include <string>
#include <utility>

#include <set>

namespace slotproxy::session {

ProxyServer::ProxyServer(const command::CommandTable& table, ProxyServerOptions options)
    : table_(table), options_(std::move(options)) {
  if (options_.workers < 1) options_.workers = 1;
  live_.limits = options_.worker.limits;
  live_.max_clients = options_.worker.max_clients;
}

ProxyServer::~ProxyServer() { Stop(); }

Status ProxyServer::Start(Status* topology_status) {
  started_ = std::chrono::steady_clock::now();
  const bool discover = options_.static_map == nullptr;
  if (!discover) holder_.Store(options_.static_map);
  WorkerOptions wopts = options_.worker;
  wopts.listen.reuse_port = true;
  wopts.log = options_.log;
  workers_.assign(static_cast<size_t>(options_.workers), nullptr);
  busy_ = std::make_unique<std::atomic<size_t>[]>(static_cast<size_t>(options_.workers));
  pending_ = std::make_unique<std::atomic<size_t>[]>(static_cast<size_t>(options_.workers));
  wopts.fill_info = [this](ProxyInfoInput* in) { FillInfo(in); };
  auto refresh = [this](backend::RefreshTrigger trigger) {
    backend::TopologyManager* tm = topology_.load(std::memory_order_acquire);
    if (tm != nullptr) tm->RequestRefresh(trigger);
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
    if (static_cast<size_t>(i) < options_.stats.size()) o.stats = options_.stats[i];
    o.tick = [this, i] {
      const size_t n = static_cast<size_t>(i);
      pending_[n].store(workers_[n]->PendingRequests(), std::memory_order_relaxed);
      if (options_.heartbeat) options_.heartbeat(n);
    };
    const bool first = (i == 0);
    thread->Start([this, i, o, first, discover, refresh, first_map, mine](net::EventLoop& loop) {
      auto worker = std::make_unique<Worker>(loop, holder_, table_, o, shared_);
      workers_[static_cast<size_t>(i)] = worker.get();
      worker->dispatcher().SetRefreshTriggerCallback(refresh);
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
      if (first) WatchTopology(loop);
      mine->set_value(worker->Port());
      loop.Run();
      if (first) topology_timer_.reset();
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
  listening_.store(true);
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

void ProxyServer::BeginDrain() {
  if (draining_.exchange(true)) return;
  for (size_t i = 0; i < threads_.size(); ++i) {
    busy_[i].store(std::numeric_limits<size_t>::max(), std::memory_order_release);
    threads_[i]->loop().Post([this, i] { workers_[i]->BeginDrain(&busy_[i]); });
  }
}

bool ProxyServer::Drained() const {
  if (!draining_.load()) return false;
  for (size_t i = 0; i < threads_.size(); ++i) {
    if (busy_[i].load(std::memory_order_acquire) != 0) return false;
  }
  return true;
}

size_t ProxyServer::DrainBusy() const {
  size_t total = 0;
  for (size_t i = 0; i < threads_.size(); ++i) {
    const size_t b = busy_[i].load(std::memory_order_acquire);
    if (b != std::numeric_limits<size_t>::max()) total += b;
  }
  return total;
}

void ProxyServer::ApplyLive(const LiveSettings& settings) {
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    live_ = settings;
  }
  for (size_t i = 0; i < threads_.size(); ++i) {
    threads_[i]->loop().Post([this, i, settings] { workers_[i]->ApplyLive(settings); });
  }
}

LiveSettings ProxyServer::live() const {
  std::lock_guard<std::mutex> lock(live_mu_);
  return live_;
}

size_t ProxyServer::PendingRequests() const {
  size_t total = 0;
  for (size_t i = 0; i < workers_.size(); ++i) total += pending_[i].load(std::memory_order_relaxed);
  return total;
}

uint64_t ProxyServer::SlotMapVersion() const {
  cluster::SlotMapPtr map = holder_.Load();
  return map ? map->version() : 0;
}

double ProxyServer::SlotMapAgeSeconds() const {
  const int64_t at = map_published_ns_.load(std::memory_order_relaxed);
  if (at == 0) return 0;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  return static_cast<double>(now - at) / 1e9;
}

std::vector<std::pair<std::string, double>> ProxyServer::SlotsPerNode() const {
  std::vector<std::pair<std::string, double>> out;
  cluster::SlotMapPtr map = holder_.Load();
  if (!map) return out;
  std::vector<double> counts(map->node_count(), 0);
  for (uint32_t slot = 0; slot < 16384; ++slot) {
    const cluster::NodeIndex owner = map->OwnerOf(static_cast<uint16_t>(slot));
    if (owner != cluster::kNoNode && owner < counts.size()) counts[owner] += 1;
  }
  for (size_t i = 0; i < counts.size(); ++i) {
    const cluster::Node& n = map->node(static_cast<cluster::NodeIndex>(i));
    if (n.role == cluster::NodeRole::kMaster) out.emplace_back(n.Address(), counts[i]);
  }
  return out;
}

std::string ProxyServer::ReadinessProblem() const {
  if (draining_.load()) return "shutting down";
  if (!listening_.load()) return "not listening yet";
  cluster::SlotMapPtr map = holder_.Load();
  if (!map) return "cluster topology not known yet";
  if (map->covered_slots() < 16384) {
    return "cluster topology serves " + std::to_string(map->covered_slots()) + " of 16384 slots";
  }
  return "";
}

void ProxyServer::WatchTopology(net::EventLoop& loop) {
  topology_timer_ = std::make_unique<net::Timer>(loop);
  auto check = [this] {
    cluster::SlotMapPtr map = holder_.Load();
    if (!map || map == logged_map_) return;
    map_published_ns_.store(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::steady_clock::now().time_since_epoch())
                                .count(),
                            std::memory_order_relaxed);
    if (options_.log) LogTopology(logged_map_, *map);
    logged_map_ = std::move(map);
  };
  check();
  topology_timer_->StartRepeating(200, check);
}

void ProxyServer::LogTopology(const cluster::SlotMapPtr& previous,
                              const cluster::SlotMap& map) const {
  const log::EventLog& log = options_.log;
  uint32_t masters = 0;
  std::set<std::string> now;
  for (const cluster::Node& n : map.nodes()) {
    if (n.role == cluster::NodeRole::kMaster) ++masters;
    now.insert(n.host + ":" + std::to_string(n.port));
  }
  log.Notice(std::string("Cluster topology ") + (previous ? "changed" : "known") +
             ": slot map version " + std::to_string(map.version()) + ", " +
             std::to_string(map.node_count()) + " node(s), " + std::to_string(masters) +
             " master(s), " + std::to_string(map.covered_slots()) + " of 16384 slots served");
  if (!previous) return;
  std::set<std::string> before;
  for (const cluster::Node& n : previous->nodes()) {
    before.insert(n.host + ":" + std::to_string(n.port));
  }
  for (const std::string& addr : now) {
    if (before.count(addr) == 0) log.Notice("Node " + addr + " joined the topology");
  }
  for (const std::string& addr : before) {
    if (now.count(addr) == 0) log.Warning("Node " + addr + " left the topology");
  }
}

void ProxyServer::FillInfo(ProxyInfoInput* in) const {
  in->proxy_version = options_.proxy_version;
  in->process_id = static_cast<int64_t>(getpid());
  in->tcp_port = port_;
  in->uptime_seconds = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_)
          .count());
  in->config_file = options_.config_file;
  if (in->want_command_stats && options_.command_stats) options_.command_stats(in);
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
