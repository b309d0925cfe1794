#include "net/event_loop.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>

#include "net/loop_internal.h"

namespace slotproxy::net {
namespace internal {

std::string UvError(int code) { return uv_strerror(code); }

void LoopState::Forget(TurnParticipant* p) {
  std::erase(flush_list, p);
  std::erase(redeliver_list, p);
  std::erase(detached_closing, p);
}

namespace {

// Enough passes for "flush completes → drain callback → more output" chains; anything left
// after them is handled next turn, with the poll made non-blocking by the idle handle.
constexpr int kMaxBeforeSleepPasses = 8;

void RunPosted(LoopState& s) {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    batch.swap(s.posted);
  }
  for (auto& fn : batch) fn();
}

void OnAsync(uv_async_t* handle) {
  auto& s = *static_cast<LoopState*>(handle->data);
  RunPosted(s);
  if (s.stop_requested.exchange(false)) uv_stop(&s.loop);
}

void RunHooks(std::vector<std::unique_ptr<LoopState::Hook>>& hooks) {
  // Index loop: a hook may append hooks (they run next pass) or mark hooks removed.
  const size_t n = hooks.size();
  for (size_t i = 0; i < n; ++i) {
    LoopState::Hook* hook = hooks[i].get();
    if (!hook->removed) hook->fn();
  }
}

void OnIdle(uv_idle_t* handle) { uv_idle_stop(handle); }

// The before-sleep phase (a uv_prepare callback). uv_prepare rather than uv_check because
// prepare runs after this turn's timers, write completions and I/O callbacks of the previous
// poll, right before the loop computes its poll timeout and blocks: output produced by a timer
// (a request timeout's -ERR) is flushed before sleeping. A uv_check callback runs after the
// poll, so a timer's output would wait for the next I/O event.
void OnPrepare(uv_prepare_t* handle) {
  auto& s = *static_cast<LoopState*>(handle->data);
  s.in_before_sleep = true;
  std::vector<TurnParticipant*>& work = s.work;
  for (int pass = 0; pass < kMaxBeforeSleepPasses; ++pass) {
    if (!s.redeliver_list.empty()) {
      work.swap(s.redeliver_list);
      for (TurnParticipant* p : work) p->RedeliverFromLoop();
      work.clear();
    }
    RunHooks(s.hooks);
    if (!s.flush_list.empty()) {
      work.swap(s.flush_list);
      for (TurnParticipant* p : work) p->FlushFromLoop();
      work.clear();
    }
    if (s.flush_list.empty() && s.redeliver_list.empty()) break;
  }
  s.in_before_sleep = false;
  std::erase_if(s.hooks, [](const auto& h) { return h->removed; });
  if (!s.flush_list.empty() || !s.redeliver_list.empty()) uv_idle_start(&s.idle, OnIdle);
}

// Counts handles that are neither closing nor ours, i.e. objects the owner forgot to destroy.
void CountLeaked(uv_handle_t* handle, void* arg) {
  if (!uv_is_closing(handle)) ++*static_cast<int*>(arg);
}

}  // namespace
}  // namespace internal

using internal::LoopState;

EventLoop::EventLoop() : state_(std::make_unique<LoopState>()) {
  LoopState& s = *state_;
  int rc = uv_loop_init(&s.loop);
  if (rc == 0) rc = uv_async_init(&s.loop, &s.async, internal::OnAsync);
  if (rc != 0) {
    std::fprintf(stderr, "slotproxy: cannot create an event loop: %s\n", uv_strerror(rc));
    std::abort();
  }
  uv_prepare_init(&s.loop, &s.prepare);
  uv_idle_init(&s.loop, &s.idle);
  s.loop.data = &s;
  s.async.data = &s;
  s.prepare.data = &s;
  s.idle.data = &s;
  uv_prepare_start(&s.prepare, internal::OnPrepare);
  s.scratch = std::make_unique<char[]>(LoopState::kScratchSize);
  s.thread.store(std::this_thread::get_id());
}

EventLoop::~EventLoop() {
  LoopState& s = *state_;
  s.thread.store(std::this_thread::get_id());
  for (internal::TurnParticipant* p : std::vector(s.detached_closing)) p->ForceClose();
  uv_close(reinterpret_cast<uv_handle_t*>(&s.async), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&s.prepare), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&s.idle), nullptr);
  int leaked = 0;
  uv_walk(&s.loop, internal::CountLeaked, &leaked);
  if (leaked == 0) {
    // Only closing handles and in-flight requests remain: this returns once they are done.
    uv_run(&s.loop, UV_RUN_DEFAULT);
  } else {
    uv_run(&s.loop, UV_RUN_NOWAIT);
  }
  if (uv_loop_close(&s.loop) != 0) {
    std::fprintf(stderr, "slotproxy: event loop destroyed with %d live handle(s)\n", leaked);
    uv_print_all_handles(&s.loop, stderr);
    assert(false && "objects bound to an EventLoop must be destroyed before it");
    (void)state_.release();  // the live handles point into it: leak rather than corrupt
  }
}

void EventLoop::Run() {
  state_->thread.store(std::this_thread::get_id());
  uv_run(&state_->loop, UV_RUN_DEFAULT);
}

void EventLoop::Stop() {
  state_->stop_requested.store(true);
  uv_async_send(&state_->async);
}

void EventLoop::Post(std::function<void()> fn) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    // Only the first Post since the last drain needs a wakeup; uv_async_send coalesces too,
    // but skipping it avoids the eventfd write entirely.
    wake = state_->posted.empty();
    state_->posted.push_back(std::move(fn));
  }
  if (wake) uv_async_send(&state_->async);
}

bool EventLoop::IsLoopThread() const { return state_->thread.load() == std::this_thread::get_id(); }

uint64_t EventLoop::NowMs() const { return uv_now(&state_->loop); }

EventLoop::HookId EventLoop::AddBeforeSleep(std::function<void()> hook) {
  auto h = std::make_unique<LoopState::Hook>();
  h->id = state_->next_hook_id++;
  h->fn = std::move(hook);
  HookId id = h->id;
  state_->hooks.push_back(std::move(h));
  return id;
}

void EventLoop::RemoveBeforeSleep(HookId id) {
  auto& hooks = state_->hooks;
  for (size_t i = 0; i < hooks.size(); ++i) {
    if (hooks[i]->id != id) continue;
    // Inside the phase the hook may be running: mark it, the phase compacts afterwards.
    if (state_->in_before_sleep) {
      hooks[i]->removed = true;
    } else {
      hooks.erase(hooks.begin() + static_cast<std::ptrdiff_t>(i));
    }
    return;
  }
}

uint64_t EventLoop::WriteCount() const { return state_->write_count; }
uint64_t EventLoop::BytesRead() const { return state_->bytes_read; }
uint64_t EventLoop::BytesWritten() const { return state_->bytes_written; }

bool EventLoop::RunNestedTurn() {
  if (state_->in_before_sleep) return false;
  uv_run(&state_->loop, UV_RUN_NOWAIT);
  return true;
}

uv_loop_s* EventLoop::raw() { return &state_->loop; }

// ---------------------------------------------------------------------------------------------
// Timer

struct Timer::Core {
  uv_timer_t handle;
  bool attached = true;  // false once the Timer object is gone
  bool repeating = false;
  uint64_t generation = 0;   // bumped by every Start/Stop, so a callback can tell it was replaced
  std::function<void()> fn;  // lives here, not in Timer, so the Timer may die inside it

  static void OnFire(uv_timer_t* handle) {
    Core* c = static_cast<Core*>(handle->data);
    if (!c->attached) return;
    const uint64_t gen = c->generation;
    // Run a local copy: the callback may replace c->fn (restart) or the Timer may be destroyed.
    std::function<void()> fn = std::move(c->fn);
    c->fn = nullptr;
    fn();
    // Close callbacks never run inside a timer callback, so `c` is still valid here.
    if (c->repeating && c->attached && c->generation == gen) c->fn = std::move(fn);
  }
};

Timer::Timer(EventLoop& loop) : core_(new Core) {
  uv_timer_init(loop.raw(), &core_->handle);
  core_->handle.data = core_;
}

Timer::~Timer() {
  core_->attached = false;
  ++core_->generation;
  uv_close(reinterpret_cast<uv_handle_t*>(&core_->handle),
           [](uv_handle_t* h) { delete static_cast<Core*>(h->data); });
}

void Timer::Start(uint64_t delay_ms, std::function<void()> cb) {
  ++core_->generation;
  core_->repeating = false;
  core_->fn = std::move(cb);
  uv_timer_start(&core_->handle, Core::OnFire, delay_ms, 0);
}

void Timer::StartRepeating(uint64_t interval_ms, std::function<void()> cb) {
  assert(interval_ms > 0);
  ++core_->generation;
  core_->repeating = true;
  core_->fn = std::move(cb);
  uv_timer_start(&core_->handle, Core::OnFire, interval_ms, interval_ms);
}

void Timer::Stop() {
  ++core_->generation;
  core_->fn = nullptr;
  uv_timer_stop(&core_->handle);
}

bool Timer::IsActive() const {
  return uv_is_active(reinterpret_cast<const uv_handle_t*>(&core_->handle)) != 0;
}

}  // namespace slotproxy::net
