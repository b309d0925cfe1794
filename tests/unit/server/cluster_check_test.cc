// The redirect decision (ClusterCheckImpl) in Redis 7.0's getNodeByQuery order, on a three-node
// fleet where this node (node 0) owns 0-5460.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "cluster/crc16.h"
#include "cluster/fleet.h"
#include "command/command_table.h"
#include "server/cluster_check_impl.h"
#include "server/cluster_state.h"

namespace slotproxy::server {
namespace {

// "bar" -> 5061 (mine), "foo" -> 12182 (node 2), "{a}x" -> 15495 (node 2), "zap" -> ?
class CheckFixture {
 public:
  explicit CheckFixture(bool gap = false) : db_(&cluster::KeySlot) {
    const uint16_t ports[] = {7000, 7001, 7002};
    fleet_ = cluster::MakeEvenFleet("127.0.0.1", ports, "check").value();
    if (gap) fleet_[1].slots.clear();
    ClusterStateOptions o;
    o.fleet = fleet_;
    o.self_id = fleet_[0].id;
    auto s = ClusterState::Open(o);
    REQUIRE(s.ok());
    state_ = std::move(s.value());
    check_ = std::make_unique<ClusterCheckImpl>(*state_, &db_);
  }

  std::optional<std::string> Run(std::vector<std::string> args, bool asking = false) {
    std::vector<std::string_view> views(args.begin(), args.end());
    const command::CommandInfo* info = command::CommandTable::BuiltIn().Lookup(views);
    REQUIRE(info != nullptr);
    return check_->Check(*info, views, asking);
  }

  // Marks `slot` migrating to node `to` or importing from node `from`.
  void SetMigration(uint16_t slot, cluster::NodeIndex to, cluster::NodeIndex from) {
    cluster::SlotMapBuilder b(*state_->map());
    if (to != cluster::kNoNode) REQUIRE(b.SetMigrating(slot, to).ok());
    if (from != cluster::kNoNode) REQUIRE(b.SetImporting(slot, from).ok());
    b.set_version(state_->map()->version() + 1);
    REQUIRE(state_->Replace(b.Build(), state_->current_epoch()).ok());
  }

  // Makes this node (node 0) the owner of all 16384 slots.
  void TakeAllSlots() {
    cluster::SlotMapBuilder b(*state_->map());
    REQUIRE(b.UnassignSlots(cluster::SlotRange{0, 16383}).ok());
    REQUIRE(b.AssignSlots(cluster::SlotRange{0, 16383}, 0).ok());
    b.set_version(state_->map()->version() + 1);
    REQUIRE(state_->Replace(b.Build(), state_->current_epoch()).ok());
  }

  engine::Keyspace& db() { return db_; }
  ClusterCheckImpl& check() { return *check_; }

 private:
  engine::Keyspace db_;
  std::vector<cluster::FleetNode> fleet_;
  std::unique_ptr<ClusterState> state_;
  std::unique_ptr<ClusterCheckImpl> check_;
};

using Opt = std::optional<std::string>;

}  // namespace

TEST_CASE("cluster check: key slots used by the tests") {
  CHECK(cluster::KeySlot("bar") == 5061);
  CHECK(cluster::KeySlot("foo") == 12182);
  CHECK(cluster::KeySlot("{a}x") == 15495);
  CHECK(cluster::KeySlot("123456789") == 12739);
}

TEST_CASE("cluster check: local keys run, keyless commands are never redirected") {
  CheckFixture f;
  CHECK(f.Run({"get", "bar"}) == Opt());
  CHECK(f.Run({"mget", "bar", "{bar}2", "bar"}) == Opt());
  CHECK(f.Run({"ping"}) == Opt());
  CHECK(f.Run({"dbsize"}) == Opt());
  CHECK(f.Run({"keys", "*"}) == Opt());
}

TEST_CASE("cluster check: MOVED to the owner with its address") {
  CheckFixture f;
  CHECK(f.Run({"get", "foo"}) == Opt("MOVED 12182 127.0.0.1:7002"));
  CHECK(f.Run({"set", "123456789", "v"}) == Opt("MOVED 12739 127.0.0.1:7002"));
  CHECK(f.Run({"mget", "{a}x", "{a}y"}) == Opt("MOVED 15495 127.0.0.1:7002"));
  // Shard channels are routed like keys (SPUBLISH's channel is a not_key key spec).
  CHECK(f.Run({"spublish", "foo", "m"}) == Opt("MOVED 12182 127.0.0.1:7002"));
  CHECK(f.Run({"spublish", "bar", "m"}) == Opt());
  CHECK(f.Run({"ssubscribe", "bar", "foo"}) ==
        Opt("CROSSSLOT Keys in request don't hash to the same slot"));
}

TEST_CASE("cluster check: CROSSSLOT before MOVED, even when no key is local") {
  CheckFixture f;
  const Opt cross("CROSSSLOT Keys in request don't hash to the same slot");
  CHECK(f.Run({"mget", "bar", "foo"}) == cross);
  CHECK(f.Run({"mget", "foo", "bar"}) == cross);
  CHECK(f.Run({"rename", "foo", "{a}x"}) == cross);
  CHECK(f.Run({"del", "bar", "bar", "foo"}) == cross);
}

TEST_CASE("cluster check: unserved first slot, CROSSSLOT, then the down state") {
  CheckFixture f(/*gap=*/true);  // node 1's 5461-10922 unserved: the cluster is down
  const uint16_t unserved = cluster::KeySlot("zzz");
  INFO("slot " << unserved);
  REQUIRE(unserved >= 5461);
  REQUIRE(unserved <= 10922);
  CHECK(f.Run({"get", "zzz"}) == Opt("CLUSTERDOWN Hash slot not served"));
  // The first key's slot is looked up before any other key is compared.
  CHECK(f.Run({"mget", "zzz", "foo"}) == Opt("CLUSTERDOWN Hash slot not served"));
  CHECK(f.Run({"mget", "foo", "zzz"}) ==
        Opt("CROSSSLOT Keys in request don't hash to the same slot"));
  CHECK(f.Run({"get", "bar"}) == Opt("CLUSTERDOWN The cluster is down"));
  CHECK(f.Run({"get", "foo"}) == Opt("CLUSTERDOWN The cluster is down"));
  CHECK(f.Run({"ping"}) == Opt());
  // cluster-allow-pubsubshard-when-down yes: shard channels still route.
  CHECK(f.Run({"spublish", "bar", "m"}) == Opt());
  CHECK(f.Run({"spublish", "foo", "m"}) == Opt("MOVED 12182 127.0.0.1:7002"));
}

TEST_CASE("cluster check: a migrating slot serves present keys, ASKs for absent, TRYAGAIN mixed") {
  CheckFixture f;
  f.SetMigration(5061, /*to=*/1, cluster::kNoNode);
  f.db().SetString("bar", "1");
  f.db().SetString("{bar}2", "2");
  CHECK(f.Run({"get", "bar"}) == Opt());
  CHECK(f.Run({"mget", "bar", "{bar}2"}) == Opt());
  CHECK(f.Run({"get", "{bar}3"}) == Opt("ASK 5061 127.0.0.1:7001"));
  CHECK(f.Run({"set", "{bar}3", "x"}) == Opt("ASK 5061 127.0.0.1:7001"));
  CHECK(f.Run({"mget", "{bar}3", "{bar}4"}) == Opt("ASK 5061 127.0.0.1:7001"));
  CHECK(f.Run({"mget", "bar", "{bar}3"}) ==
        Opt("TRYAGAIN Multiple keys request during rehashing of slot"));
  // An expired key is missing.
  engine::Entry* e = f.db().SetString("{bar}old", "x");
  f.db().SetExpire(e, 1000);
  CHECK(f.Run({"get", "{bar}old"}) == Opt("ASK 5061 127.0.0.1:7001"));
  CHECK(f.db().Peek("{bar}old") != nullptr);  // the check itself deletes nothing
  // MIGRATE always runs on the source.
  CHECK(f.Run({"migrate", "127.0.0.1", "7001", "{bar}3", "0", "1000"}) == Opt());
}

TEST_CASE("cluster check: an importing slot serves only after ASKING") {
  CheckFixture f;
  f.SetMigration(12182, cluster::kNoNode, /*from=*/2);
  f.db().SetString("foo", "1");
  CHECK(f.Run({"get", "foo"}) == Opt("MOVED 12182 127.0.0.1:7002"));
  CHECK(f.Run({"get", "foo"}, /*asking=*/true) == Opt());
  CHECK(f.Run({"set", "{foo}new", "v"}, true) == Opt());
  CHECK(f.Run({"mget", "foo", "foo"}, true) == Opt());
  CHECK(f.Run({"mget", "foo", "{foo}2"}, true) ==
        Opt("TRYAGAIN Multiple keys request during rehashing of slot"));
  // RESTORE-ASKING carries the asking flag itself.
  CHECK(f.Run({"restore-asking", "{foo}3", "0", "payload"}) == Opt());
}

TEST_CASE("cluster check: EXEC's whole queue is one request") {
  CheckFixture f;
  std::vector<std::string_view> a = {"bar"}, b = {"{bar}x"}, c = {"foo"};
  KeyedCommand q1{a, true}, q2{b, false}, q3{c, false};
  std::vector<KeyedCommand> same = {q1, q2};
  CHECK(f.check().CheckCommands(same, false) == Opt());
  std::vector<KeyedCommand> cross = {q1, q3};
  CHECK(f.check().CheckCommands(cross, false) ==
        Opt("CROSSSLOT Keys in request don't hash to the same slot"));
  std::vector<KeyedCommand> moved = {q3};
  CHECK(f.check().CheckCommands(moved, false) == Opt("MOVED 12182 127.0.0.1:7002"));
  std::vector<KeyedCommand> none;
  CHECK(f.check().CheckCommands(none, false) == Opt());
}

TEST_CASE("cluster check: a lone node owning every slot only answers CROSSSLOT") {
  auto s = ClusterState::Open(ClusterStateOptions{});
  REQUIRE(s.ok());
  ClusterCheckImpl check(*s.value(), nullptr);
  std::vector<std::string_view> args = {"mget", "foo", "bar"};
  const auto* info = command::CommandTable::BuiltIn().Lookup(args);
  CHECK(check.Check(*info, args, false) ==
        Opt("CROSSSLOT Keys in request don't hash to the same slot"));
  args = {"mget", "foo", "{foo}2"};
  CHECK(check.Check(*info, args, false) == Opt());
}

TEST_CASE("cluster check: the every-slot shortcut follows each new map") {
  CheckFixture f;
  CHECK(f.Run({"get", "foo"}) == Opt("MOVED 12182 127.0.0.1:7002"));
  // This node takes every slot: nothing is redirected, CROSSSLOT still applies.
  f.TakeAllSlots();
  CHECK(f.Run({"get", "foo"}) == Opt());
  CHECK(f.Run({"mget", "foo", "{foo}x", "foo"}) == Opt());
  CHECK(f.Run({"mget", "foo", "bar"}) ==
        Opt("CROSSSLOT Keys in request don't hash to the same slot"));
  // A migration ends the shortcut: the absent key is asked for at the target.
  f.SetMigration(12182, 2, cluster::kNoNode);
  CHECK(f.Run({"get", "foo"}) == Opt("ASK 12182 127.0.0.1:7002"));
  f.db().SetString("foo", "1");
  CHECK(f.Run({"get", "foo"}) == Opt());
}

}  // namespace slotproxy::server
