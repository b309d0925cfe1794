#include "backend/backend_board.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"

namespace slotproxy::backend {

BackendBoard::BackendBoard(size_t max_publishers, log::EventLog log)
    : max_(max_publishers),
      slots_(std::make_unique<std::atomic<std::shared_ptr<const Counts>>[]>(max_publishers)),
      log_(std::move(log)) {}

size_t BackendBoard::Join() {
  const size_t slot = joined_.fetch_add(1, std::memory_order_relaxed);
  return slot < max_ ? slot : SIZE_MAX;
}

void BackendBoard::Publish(size_t slot, Counts counts) {
  if (slot >= max_) return;
  slots_[slot].store(std::make_shared<const Counts>(std::move(counts)), std::memory_order_release);
}

std::vector<std::pair<std::string, double>> BackendBoard::Connections() const {
  absl::flat_hash_map<std::string, double> sum;
  const size_t n = std::min(joined_.load(std::memory_order_relaxed), max_);
  for (size_t i = 0; i < n; ++i) {
    const std::shared_ptr<const Counts> counts = slots_[i].load(std::memory_order_acquire);
    if (!counts) continue;
    for (const auto& [node, open] : *counts) sum[node] += open;
  }
  std::vector<std::pair<std::string, double>> out(sum.begin(), sum.end());
  std::sort(out.begin(), out.end());
  return out;
}

bool BackendBoard::MarkDown(std::string_view node, std::string_view why) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!down_.emplace(std::string(node)).second) return false;
  }
  log_.Warning("Backend node " + std::string(node) + " is down: " + std::string(why));
  return true;
}

bool BackendBoard::MarkUp(std::string_view node) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = down_.find(std::string(node));
    if (it == down_.end()) return false;
    down_.erase(it);
  }
  log_.Notice("Backend node " + std::string(node) + " is up again");
  return true;
}

bool BackendBoard::IsDown(std::string_view node) const {
  std::lock_guard<std::mutex> lock(mu_);
  return down_.contains(std::string(node));
}

}  // namespace slotproxy::backend
