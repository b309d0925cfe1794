// R14: invalid configs, each checked for the exact file:line:col, key path and message of
// every error it produces (the whole list, so extra or missing errors fail too).
#include <catch2/catch.hpp>

#include "config/loader.h"
#include "test_util.h"

namespace slotproxy::config {
namespace {

struct Fixture {
  const char* name;
  const char* yaml;
  bool shard;
  std::vector<std::string> errors;
};

const Fixture kFixtures[] = {
    {"typo at the top",
     "lisen: 127.0.0.1:7000\n",
     false,
     {"cluster.yaml:1:1: lisen: unknown key (did you mean 'listen'?)"}},
    {"typo in a section",
     "timeouts:\n  connect: 1s\n  opp: 1s\n",
     false,
     {"cluster.yaml:3:3: timeouts.opp: unknown key (did you mean 'op'?)"}},
    {"unknown key with no near match",
     "banana: 1\n",
     false,
     {"cluster.yaml:1:1: banana: unknown key"}},
    {"integer expected",
     "workers: four\n",
     false,
     {"cluster.yaml:1:10: workers: expected an integer, got 'four'"}},
    {"integer out of range",
     "workers: 5000\n",
     false,
     {"cluster.yaml:1:10: workers: must be between 0 and 1024 (got 5000)"}},
    {"empty value",
     "workers:\nmode: embedded\n",
     false,
     {"cluster.yaml:1:1: workers: missing value (expected an integer)"}},
    {"listen port out of range",
     "listen: 127.0.0.1:70000\n",
     false,
     {"cluster.yaml:1:9: listen: invalid address '127.0.0.1:70000': invalid port '70000' (expected "
      "0-65535)"}},
    {"listen without port",
     "listen: 127.0.0.1\n",
     false,
     {"cluster.yaml:1:9: listen: invalid address '127.0.0.1' (expected host:port)"}},
    {"duration without unit",
     "timeouts:\n  op: 5\n",
     false,
     {"cluster.yaml:2:7: timeouts.op: duration '5' needs a unit (us, ms, s, m, h; e.g. 5ms or "
      "5s)"}},
    {"duration with unknown unit",
     "timeouts: {connect: 5x}\n",
     false,
     {"cluster.yaml:1:21: timeouts.connect: invalid duration '5x' (unknown unit 'x'; expected us, "
      "ms, s, m or h)"}},
    {"duration too long",
     "timeouts:\n  op: 2h\n",
     false,
     {"cluster.yaml:2:7: timeouts.op: must be between 1ms and 1h (got 2h)"}},
    {"duration too short",
     "timeouts:\n  topology_refresh: 10ms\n",
     false,
     {"cluster.yaml:2:21: timeouts.topology_refresh: must be 0 (off) or between 100ms and 24h (got "
      "10ms)"}},
    {"duration that is a list",
     "timeouts:\n  connect: [1s]\n",
     false,
     {"cluster.yaml:2:12: timeouts.connect: expected a duration such as 500ms, got a list"}},
    {"size with unknown unit",
     "limits:\n  query_buffer: 1tb\n",
     false,
     {"cluster.yaml:2:17: limits.query_buffer: invalid size '1tb' (unknown unit 'tb'; expected b, "
      "k, kb, m, mb, g or gb)"}},
    {"size below Redis's minimum",
     "limits:\n  proto_max_bulk_len: 1kb\n",
     false,
     {"cluster.yaml:2:23: limits.proto_max_bulk_len: must be between 1mb and 1024gb (got 1kb)"}},
    {"soft output limit above hard",
     "limits:\n  output_buffer: {hard: 1mb, soft: 2mb}\n",
     false,
     {"cluster.yaml:2:30: limits.output_buffer.soft: soft limit (2mb) must not exceed the hard "
      "limit (1mb)"}},
    {"pool size zero",
     "pool:\n  connections_per_backend: 0\n",
     false,
     {"cluster.yaml:2:28: pool.connections_per_backend: must be between 1 and 64 (got 0)"}},
    {"reconnect backoff min above max",
     "pool:\n  reconnect_backoff:\n    min: 5s\n    max: 1s\n",
     false,
     {"cluster.yaml:4:5: pool.reconnect_backoff.max: reconnect_backoff.min (5s) must not exceed "
      "reconnect_backoff.max (1s)"}},
    {"misspelt mode",
     "mode: clustr\nseeds: [a:1]\n",
     false,
     {"cluster.yaml:1:7: mode: invalid value 'clustr' (expected embedded or cluster; did you mean "
      "'cluster'?)"}},
    {"cluster mode without seeds",
     "mode: cluster\n",
     false,
     {"cluster.yaml:1:7: mode: mode cluster needs seeds (a list of host:port of cluster nodes)"}},
    {"seeds in embedded mode",
     "mode: embedded\nseeds: [a:1]\n",
     false,
     {"cluster.yaml:2:1: seeds: only allowed with mode cluster (mode is embedded)"}},
    {"embedded section in cluster mode",
     "mode: cluster\nseeds: [a:1]\nembedded:\n  shards: 2\n",
     false,
     {"cluster.yaml:3:1: embedded: only allowed with mode embedded"}},
    {"seeds and embedded without a mode",
     "seeds: [a:1]\nembedded: {shards: 3}\n",
     false,
     {"cluster.yaml:1:1: seeds: seeds and embedded exclude each other (set mode: cluster or mode: "
      "embedded and remove the other)"}},
    {"duplicate seeds",
     "seeds:\n  - 10.0.0.1:7000\n  - 10.0.0.2:7000\n  - 10.0.0.1:7000\n",
     false,
     {"cluster.yaml:4:5: seeds[2]: duplicate seed (also seeds[0])"}},
    {"seed with port 0",
     "seeds: [\"h:0\"]\n",
     false,
     {"cluster.yaml:1:9: seeds[0]: invalid address 'h:0': invalid port '0' (expected 1-65535)"}},
    {"empty seed list",
     "seeds: []\n",
     false,
     {"cluster.yaml:1:1: seeds: must list at least one host:port of a cluster node"}},
    {"seeds not a list",
     "seeds: 10.0.0.1:7000\n",
     false,
     {"cluster.yaml:1:8: seeds: expected a list"}},
    {"duplicate key",
     "workers: 1\nworkers: 2\n",
     false,
     {"cluster.yaml:2:1: workers: duplicate key (first at line 1)"}},
    {"section that is a scalar",
     "timeouts: 1s\n",
     false,
     {"cluster.yaml:1:11: timeouts: expected a mapping of keys, got a scalar"}},
    {"document that is a list",
     "- a\n- b\n",
     false,
     {"cluster.yaml:1:1: expected a mapping of keys, got a list"}},
    {"key that is not a name",
     "? [a]\n: 1\n",
     false,
     {"cluster.yaml:1:3: keys must be plain names"}},
    {"unclosed flow sequence",
     "timeouts:\n  op: 1s\nseeds: [a:1\n",
     false,
     {"cluster.yaml:4:1: YAML syntax error: end of sequence flow not found"}},
    {"tab indentation",
     "timeouts:\n\top: 1s\n",
     false,
     {"cluster.yaml:2:4: YAML syntax error: illegal map value (a tab in the indentation: YAML "
      "allows only spaces)"}},
    {"bad indentation",
     "workers: 1\n mode: embedded\n",
     false,
     {"cluster.yaml:2:6: YAML syntax error: illegal map value"}},
    {"stray comma at the top (hangs yaml-cpp 0.7's LoadAll)",
     "workers: 1\n, mode: embedded\n",
     false,
     {"cluster.yaml:2:1: YAML syntax error: end of map not found"}},
    {"stray comma as the first character",
     ", workers: 1\n",
     false,
     {"cluster.yaml:1:1: YAML syntax error: unexpected ','"}},
    {"fraction where an integer belongs",
     "workers: 1.5\n",
     false,
     {"cluster.yaml:1:10: workers: expected an integer, got '1.5'"}},
    {"address that is a list",
     "listen: [a]\n",
     false,
     {"cluster.yaml:1:9: listen: expected host:port, got a list"}},
    {"nested list of seeds",
     "seeds: [[a]]\n",
     false,
     {"cluster.yaml:1:9: seeds[0]: expected host:port, got a list"}},
    {"section that is a list",
     "embedded: []\n",
     false,
     {"cluster.yaml:1:11: embedded: expected a mapping of keys, got a list"}},
    {"fleet node that is a number",
     "embedded:\n  fleet:\n    - 5\n",
     false,
     {"cluster.yaml:3:7: embedded.fleet[0]: expected a mapping of keys, got a scalar"}},
    {"undefined alias",
     "workers: *n\n",
     false,
     {"cluster.yaml:1:10: YAML syntax error: the referenced anchor is not defined"}},
    {"two documents",
     "workers: 1\n---\nworkers: 2\n",
     false,
     {"cluster.yaml:2:1: more than one YAML document (remove the second '---')"}},
    {"shard count zero",
     "embedded:\n  shards: 0\n",
     false,
     {"cluster.yaml:2:11: embedded.shards: must be between 1 and 256 (got 0)"}},
    {"misspelt fsync policy",
     "embedded:\n  appendfsync: everysecond\n",
     false,
     {"cluster.yaml:2:16: embedded.appendfsync: invalid value 'everysecond' (expected always, "
      "everysec or no; did you mean 'everysec'?)"}},
    {"base port too high for the shard count",
     "embedded:\n  shards: 3\n  base_port: 65534\n",
     false,
     {"cluster.yaml:3:3: embedded.base_port: base_port + shards - 1 must not exceed 65535"}},
    {"ids do not match the shard count",
     "embedded:\n  ids: [aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
     false,
     {"cluster.yaml:2:3: embedded.ids: lists 1 ids for 3 shards (give one per shard)"}},
    {"malformed node id",
     "embedded:\n  shards: 1\n  ids: [xyz]\n",
     false,
     {"cluster.yaml:3:9: embedded.ids[0]: invalid node id 'xyz' (expected 40 lower-case hex "
      "digits, like Redis node ids)"}},
    {"duplicate ids",
     "embedded:\n  shards: 2\n  ids: [aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n",
     false,
     {"cluster.yaml:3:51: embedded.ids[1]: duplicate node id (also embedded.ids[0])"}},
    {"bind address with a port",
     "embedded:\n  bind: 127.0.0.1:7000\n",
     false,
     {"cluster.yaml:2:9: embedded.bind: invalid bind address (give the port separately)"}},
    {"overlapping slot ranges",
     "embedded:\n  fleet:\n    - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: 127.0.0.1, "
     "port: 0, slots: [0-8191]}\n    - {id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, host: "
     "127.0.0.1, port: 0, slots: [8000-16383]}\n",
     false,
     {"cluster.yaml:4:88: embedded.fleet[1].slots[0]: slots 8000-16383 overlap "
      "embedded.fleet[0].slots[0] (slot 8000 is in both)"}},
    {"slots not covered",
     "embedded:\n  fleet:\n    - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: 127.0.0.1, "
     "port: 0, slots: [0-100]}\n    - {id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, host: "
     "127.0.0.1, port: 0, slots: [200-16383]}\n",
     false,
     {"cluster.yaml:2:3: embedded.fleet: slots not covered by any node: 101-199 (the fleet must "
      "cover all 16384 slots)"}},
    {"slot out of range",
     "embedded:\n  fleet:\n    - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: 127.0.0.1, "
     "port: 0, slots: [0-8191]}\n    - {id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, host: "
     "127.0.0.1, port: 0, slots: [8192-16384]}\n",
     false,
     {"cluster.yaml:4:88: embedded.fleet[1].slots[0]: invalid slot range '8192-16384' (expected N "
      "or N-M with 0 <= N <= M <= 16383)"}},
    {"reversed slot range",
     "embedded:\n  fleet:\n    - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: 127.0.0.1, "
     "port: 0, slots: [0-8191]}\n    - {id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, host: "
     "127.0.0.1, port: 0, slots: [16383-8192]}\n",
     false,
     {"cluster.yaml:4:88: embedded.fleet[1].slots[0]: invalid slot range '16383-8192' (expected N "
      "or N-M with 0 <= N <= M <= 16383)"}},
    {"duplicate fleet ids",
     "embedded:\n  fleet:\n    - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: 127.0.0.1, "
     "port: 0, slots: [0-8191]}\n    - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: "
     "127.0.0.1, port: 0, slots: [8192-16383]}\n",
     false,
     {"cluster.yaml:4:12: embedded.fleet[1].id: duplicate node id (also embedded.fleet[0])"}},
    {"duplicate fleet addresses",
     "embedded:\n  fleet:\n    - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: 127.0.0.1, "
     "port: 30001, slots: [0-8191]}\n    - {id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, host: "
     "127.0.0.1, port: 30001, slots: [8192-16383]}\n",
     false,
     {"cluster.yaml:4:77: embedded.fleet[1].port: duplicate address 127.0.0.1:30001 (also "
      "embedded.fleet[0])"}},
    {"fleet node without slots",
     "embedded:\n  fleet:\n    - id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n      host: "
     "127.0.0.1\n      port: 0\n",
     false,
     {"cluster.yaml:3:7: embedded.fleet[0]: missing required key 'slots'"}},
    {"fleet with base_port",
     "embedded:\n  base_port: 30001\n  fleet:\n    - {id: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: h, port: 0, slots: [0-16383]}\n",
     false,
     {"cluster.yaml:2:3: embedded.base_port: not allowed together with embedded.fleet (the fleet "
      "gives each node's port and id)"}},
    {"fleet size differs from shards",
     "embedded:\n  shards: 3\n  fleet:\n    - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: "
     "h, port: 0, slots: [0-16383]}\n",
     false,
     {"cluster.yaml:2:3: embedded.shards: 3 shards, but embedded.fleet lists 1 nodes"}},
    {"user without a password",
     "auth:\n  users:\n    - name: app\n",
     false,
     {"cluster.yaml:3:7: auth.users[0]: give exactly one of password, password_sha256 or nopass: "
      "yes"}},
    {"user with two passwords",
     "auth:\n  users:\n    - {name: app, password: a, nopass: yes}\n",
     false,
     {"cluster.yaml:3:7: auth.users[0]: give exactly one of password, password_sha256 or nopass: "
      "yes"}},
    {"duplicate user",
     "auth:\n  users:\n    - {name: app, nopass: yes}\n    - {name: app, nopass: yes}\n",
     false,
     {"cluster.yaml:4:7: auth.users[1].name: duplicate user 'app' (also auth.users[0])"}},
    {"bad ACL command rule",
     "auth:\n  users:\n    - {name: a, nopass: yes, commands: [get]}\n",
     false,
     {"cluster.yaml:3:41: auth.users[0].commands[0]: invalid entry 'get' (expected +command, "
      "-command, +@category, -@category, allcommands or nocommands)"}},
    {"bad password hash",
     "auth:\n  users:\n    - {name: a, password_sha256: abc}\n",
     false,
     {"cluster.yaml:3:34: auth.users[0].password_sha256: expected 64 lower-case hex digits (a "
      "SHA-256 digest)"}},
    {"requirepass and a default user",
     "auth:\n  requirepass: x\n  users: [{name: default, nopass: yes}]\n",
     false,
     {"cluster.yaml:2:3: auth.requirepass: conflicts with the user 'default' in auth.users (both "
      "set its password)"}},
    {"bad boolean",
     "auth:\n  users: [{name: a, nopass: maybe}]\n",
     false,
     {"cluster.yaml:2:29: auth.users[0].nopass: expected yes or no (or true/false), got 'maybe'"}},
    {"backend user without password",
     "backend_auth:\n  user: proxy\n",
     false,
     {"cluster.yaml:2:3: backend_auth.user: a backend user needs backend_auth.password too"}},
    {"misspelt log key",
     "log:\n  levl: debug\n",
     false,
     {"cluster.yaml:2:3: log.levl: unknown key (did you mean 'level'?)"}},
    {"bad metrics address",
     "metrics:\n  listen: 9121\n",
     false,
     {"cluster.yaml:2:11: metrics.listen: invalid address '9121' (expected host:port)"}},
    {"negative slowlog length",
     "slowlog: {max_len: -5}\n",
     false,
     {"cluster.yaml:1:20: slowlog.max_len: must be between 0 and 1000000 (got -5)"}},
    {"shard fleet without self",
     "fleet:\n  - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: 10.0.0.1, port: 7001, "
     "slots: [0-8191]}\n  - {id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, host: 10.0.0.2, port: "
     "7001, slots: [8192-16383]}\n",
     true,
     {"shard.yaml:1:1: fleet: a fleet needs self: the id of this shard's node"}},
    {"shard self not in the fleet",
     "fleet:\n  - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: 10.0.0.1, port: 7001, "
     "slots: [0-8191]}\n  - {id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, host: 10.0.0.2, port: "
     "7001, slots: [8192-16383]}\nself: cccccccccccccccccccccccccccccccccccccccc\n",
     true,
     {"shard.yaml:4:7: self: no fleet node has the id 'cccccccccccccccccccccccccccccccccccccccc'"}},
    {"shard self with a typo",
     "fleet:\n  - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: 10.0.0.1, port: 7001, "
     "slots: [0-8191]}\n  - {id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, host: 10.0.0.2, port: "
     "7001, slots: [8192-16383]}\nself: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\n",
     true,
     {"shard.yaml:4:7: self: no fleet node has the id 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab' "
      "(did you mean 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'?)"}},
    {"shard self without a fleet",
     "self: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     true,
     {"shard.yaml:1:1: self: needs a fleet (remove it or add fleet:)"}},
    {"shard port differs from its node",
     "port: 7005\nfleet:\n  - {id: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: 10.0.0.1, port: "
     "7001, slots: [0-8191]}\n  - {id: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, host: 10.0.0.2, "
     "port: 7001, slots: [8192-16383]}\nself: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     true,
     {"shard.yaml:1:1: port: port 7005 differs from the port 7001 of this shard's fleet node"}},
    {"shard fleet node with port 0",
     "self: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nfleet:\n  - {id: "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, host: h, port: 0, slots: [0-16383]}\n",
     true,
     {"shard.yaml:3:67: fleet[0].port: must be between 1 and 65535 (got 0)"}},
    {"shard misspelt key",
     "appendfsyn: always\n",
     true,
     {"shard.yaml:1:1: appendfsyn: unknown key (did you mean 'appendfsync'?)"}},
    {"shard appendonly not a boolean",
     "appendonly: maybe\n",
     true,
     {"shard.yaml:1:13: appendonly: expected yes or no (or true/false), got 'maybe'"}},
    {"shard rewrite size with a space",
     "auto_aof_rewrite_min_size: 64 mb\n",
     true,
     {"shard.yaml:1:28: auto_aof_rewrite_min_size: invalid size '64 mb' (unknown unit ' mb'; "
      "expected b, k, kb, m, mb, g or gb)"}},
    {"shard empty fleet",
     "fleet: []\n",
     true,
     {"shard.yaml:1:1: fleet: must list at least one node"}},
};

TEST_CASE("There are at least 30 invalid fixtures") { CHECK(std::size(kFixtures) >= 30); }

TEST_CASE("Every invalid fixture names file:line:col, key path and problem") {
  for (const Fixture& f : kFixtures) {
    INFO(f.name << "\n" << f.yaml);
    std::vector<ConfigError> errors = f.shard ? ParseShardConfig(f.yaml, "shard.yaml").errors
                                              : ParseProxyConfig(f.yaml, "cluster.yaml").errors;
    CHECK(testing::ErrorLines(errors) == f.errors);
  }
}

}  // namespace
}  // namespace slotproxy::config
