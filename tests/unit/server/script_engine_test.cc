// ScriptEngine against a scripted host: the sandbox, Lua <-> RESP conversions both ways, the
// error texts of Redis 7.0 (checked byte for byte against a real redis-server in
// tests/integration/test_shard_scripts.py), the cache, shebang flags and redis.* helpers.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "resp/encoder.h"
#include "server/scripting/lua_values.h"
#include "server/scripting/script_engine.h"
#include "server/scripting/sha1.h"
#include "server/scripting/shebang.h"

namespace slotproxy::server::scripting {
namespace {

using namespace std::string_literals;

// Answers redis.call with canned replies keyed by the lowercase command name; records calls.
class FakeHost final : public ScriptHost {
 public:
  std::string Call(std::span<const std::string_view> args, const CallOptions& options,
                   std::string* reply) override {
    calls.emplace_back(args.begin(), args.end());
    last_options = options;
    std::string name(args[0]);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (auto it = refuse.find(name); it != refuse.end()) return it->second;
    if (auto it = replies.find(name); it != replies.end()) {
      reply->append(options.protocol == resp::Protocol::kResp3 && resp3.contains(name)
                        ? resp3[name]
                        : it->second);
      return {};
    }
    reply->append("+OK\r\n");
    return {};
  }

  std::map<std::string, std::string> replies;
  std::map<std::string, std::string> resp3;
  std::map<std::string, std::string> refuse;
  std::vector<std::vector<std::string>> calls;
  CallOptions last_options;
};

struct Runner {
  ScriptEngine engine;
  FakeHost host;

  std::string Eval(std::string_view body, std::vector<std::string_view> keys = {},
                   std::vector<std::string_view> argv = {},
                   resp::Protocol protocol = resp::Protocol::kResp2, bool read_only = false) {
    std::string out;
    resp::Encoder enc(&out, protocol);
    EvalRequest req;
    req.script = body;
    req.keys = keys;
    req.argv = argv;
    req.read_only = read_only;
    engine.Eval(req, host, enc);
    return out;
  }

  std::string EvalSha(std::string_view sha) {
    std::string out;
    resp::Encoder enc(&out, resp::Protocol::kResp2);
    EvalRequest req;
    req.script = sha;
    req.by_sha = true;
    engine.Eval(req, host, enc);
    return out;
  }
};

// The suffix Redis appends to a runtime error: " script: <sha>, on @user_script:<line>."
std::string At(std::string_view body, int line = 1) {
  return " script: " + Sha1Hex(body) + ", on @user_script:" + std::to_string(line) + ".";
}

TEST_CASE("Lua values become replies as in Redis") {
  Runner r;
  CHECK(r.Eval("return 1") == ":1\r\n");
  CHECK(r.Eval("return 1.9") == ":1\r\n");
  CHECK(r.Eval("return -1.9") == ":-1\r\n");
  CHECK(r.Eval("return -0.5") == ":0\r\n");
  CHECK(r.Eval("return 3.99e20") == ":-9223372036854775808\r\n");
  CHECK(r.Eval("return 0/0") == ":-9223372036854775808\r\n");
  CHECK(r.Eval("return 9007199254740993") == ":9007199254740992\r\n");  // through a double
  CHECK(r.Eval("return 'x'") == "$1\r\nx\r\n");
  CHECK(r.Eval("return nil") == "$-1\r\n");
  CHECK(r.Eval("return false") == "$-1\r\n");
  CHECK(r.Eval("return true") == ":1\r\n");
  CHECK(r.Eval("return {1,2,3,'x',nil,4}") == "*4\r\n:1\r\n:2\r\n:3\r\n$1\r\nx\r\n");
  CHECK(r.Eval("return {1, 'a', {2, {3}}, {ok='x'}, {err='y'}}") ==
        "*5\r\n:1\r\n$1\r\na\r\n*2\r\n:2\r\n*1\r\n:3\r\n+x\r\n-y\r\n");
  CHECK(r.Eval("return {ok='fine'}") == "+fine\r\n");
  CHECK(r.Eval("return {ok='a\\r\\nb'}") == "+a  b\r\n");
  CHECK(r.Eval("return {err='MYERR bad'}") == "-MYERR bad\r\n");
  CHECK(r.Eval("return {1, 2, ok='x'}") == "+x\r\n");
  CHECK(r.Eval("return {ok=1}") == "*0\r\n");
  CHECK(r.Eval("return {false, 1}") == "*2\r\n$-1\r\n:1\r\n");
  CHECK(r.Eval("return function() end") == "$-1\r\n");
  CHECK(r.Eval("return {double=1.5}") == "$3\r\n1.5\r\n");
  CHECK(r.Eval("return {map={a=1}}") == "*2\r\n$1\r\na\r\n:1\r\n");
  CHECK(r.Eval("return {set={a=true}}") == "*1\r\n$1\r\na\r\n");
  CHECK(r.Eval("return {big_number='123'}") == "$3\r\n123\r\n");
}

TEST_CASE("RESP3 clients and redis.setresp(3) get RESP3 forms") {
  Runner r;
  auto p3 = resp::Protocol::kResp3;
  CHECK(r.Eval("return false", {}, {}, p3) == "_\r\n");
  CHECK(r.Eval("return {double=1.5}", {}, {}, p3) == ",1.5\r\n");
  CHECK(r.Eval("return {map={a=1}}", {}, {}, p3) == "%1\r\n$1\r\na\r\n:1\r\n");
  CHECK(r.Eval("return {set={a=true}}", {}, {}, p3) == "~1\r\n$1\r\na\r\n");
  CHECK(r.Eval("return {big_number='123'}", {}, {}, p3) == "(123\r\n");
  CHECK(r.Eval("return {verbatim_string={format='txt', string='abc'}}", {}, {}, p3) ==
        "=7\r\ntxt:abc\r\n");
  CHECK(r.Eval("redis.setresp(3) return false", {}, {}, p3) == "#f\r\n");
  CHECK(r.Eval("redis.setresp(3) return true") == ":1\r\n");
  CHECK(r.Eval("redis.setresp(3) return false") == ":0\r\n");
  CHECK(r.Eval("return redis.setresp(4)") ==
        "-ERR RESP version must be 2 or 3." + At("return redis.setresp(4)") + "\r\n");
}

TEST_CASE("replies become Lua values as in Redis") {
  Runner r;
  r.host.replies["get"] = "$1\r\nb\r\n";
  r.host.replies["nil"] = "$-1\r\n";
  r.host.replies["incr"] = ":5\r\n";
  r.host.replies["arr"] = "*3\r\n:1\r\n$-1\r\n$1\r\nz\r\n";
  r.host.replies["bad"] = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
  r.host.replies["hgetall"] = "*2\r\n$1\r\nf\r\n$1\r\nv\r\n";
  r.host.resp3["hgetall"] = "%1\r\n$1\r\nf\r\n$1\r\nv\r\n";
  r.host.replies["nil3"] = "$-1\r\n";
  r.host.resp3["nil3"] = "_\r\n";
  r.host.replies["zscore"] = "$3\r\n1.5\r\n";
  r.host.resp3["zscore"] = ",1.5\r\n";
  CHECK(r.Eval("return redis.call('get','a')") == "$1\r\nb\r\n");
  CHECK(r.Eval("return redis.call('nil')") == "$-1\r\n");
  CHECK(r.Eval("return type(redis.call('nil'))") == "$7\r\nboolean\r\n");
  CHECK(r.Eval("return tostring(redis.call('incr'))") == "$1\r\n5\r\n");
  CHECK(r.Eval("return redis.call('incr') + 0.5") == ":5\r\n");
  CHECK(r.Eval("local t = redis.call('arr') return {#t, tostring(t[2]), t[3]}") ==
        "*3\r\n:3\r\n$5\r\nfalse\r\n$1\r\nz\r\n");
  CHECK(r.Eval("return redis.call('set','a','b')") == "+OK\r\n");
  CHECK(r.Eval("return redis.call('set','a','b').ok") == "$2\r\nOK\r\n");
  std::string bad = "return redis.call('bad')";
  CHECK(r.Eval(bad) ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value" + At(bad) + "\r\n");
  CHECK(r.Eval("return redis.pcall('bad')") ==
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(r.Eval("return redis.pcall('bad').err") ==
        "$65\r\nWRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(r.Eval("return redis.pcall('bad').ignore_error_stats_update") == ":1\r\n");
  CHECK(r.Eval("redis.setresp(3) return redis.call('hgetall','h').map.f") == "$1\r\nv\r\n");
  CHECK(r.Eval("redis.setresp(3) return type(redis.call('nil3'))") == "$3\r\nnil\r\n");
  CHECK(r.Eval("redis.setresp(3) return redis.call('zscore','z','m')") == "$3\r\n1.5\r\n");
  CHECK(r.Eval("redis.setresp(3) return redis.call('hgetall','h')", {}, {},
               resp::Protocol::kResp3) == "%1\r\n$1\r\nf\r\n$1\r\nv\r\n");
  CHECK(r.host.last_options.protocol == resp::Protocol::kResp3);
}

TEST_CASE("redis.call arguments: numbers as %.17g, strings as bytes, others refused") {
  Runner r;
  r.Eval("redis.call('set', 'k', 3.14159, 10/2, 100, 1e20, -0.0, 123456789012345678, 'a\\0b')");
  REQUIRE(r.host.calls.size() == 1);
  CHECK(r.host.calls[0] == std::vector<std::string>{"set", "k", "3.1415899999999999", "5", "100",
                                                    "1e+20", "-0", "1.2345678901234568e+17",
                                                    std::string("a\0b", 3)});
  std::string b = "return redis.call('set','n',true)";
  CHECK(r.Eval(b) ==
        "-ERR Lua redis lib command arguments must be strings or integers" + At(b) + "\r\n");
  b = "return redis.call()";
  CHECK(r.Eval(b) ==
        "-ERR Please specify at least one argument for this redis lib call" + At(b) + "\r\n");
  CHECK(r.Eval("return redis.pcall()") ==
        "-ERR Please specify at least one argument for this redis lib call\r\n");
  CHECK(FormatNumberArg(0.1) == "0.10000000000000001");
  CHECK(NumberToInteger(-2.9) == -2);
  CHECK(NumberToInteger(1e300) == INT64_MIN);
}

TEST_CASE("refused commands: call raises with the script position, pcall returns the table") {
  Runner r;
  r.host.refuse["nosuch"] = "Unknown Redis command called from script";
  r.host.refuse["eval"] = "This Redis command is not allowed from script";
  std::string b = "return redis.call('nosuch')";
  CHECK(r.Eval(b) == "-ERR Unknown Redis command called from script" + At(b) + "\r\n");
  CHECK(r.Eval("return redis.pcall('nosuch')") ==
        "-ERR Unknown Redis command called from script\r\n");
  CHECK(r.Eval("local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}") ==
        "*2\r\n$5\r\nfalse\r\n$44\r\nERR Unknown Redis command called from script\r\n");
  b = "\n\nredis.call('eval', 'return 1', '0')";
  CHECK(r.Eval(b) == "-ERR This Redis command is not allowed from script" + At(b, 3) + "\r\n");
}

TEST_CASE("runtime and compile errors carry Redis 7.0's texts") {
  Runner r;
  std::string b = "error('boom')";
  CHECK(r.Eval(b) == "-ERR user_script:1: boom" + At(b) + "\r\n");
  b = "error({err='boom'})";
  CHECK(r.Eval(b) == "-boom" + At(b) + "\r\n");
  b = "error('boom', 0)";
  CHECK(r.Eval(b) == "-ERR boom" + At(b) + "\r\n");
  b = "return error(123)";
  CHECK(r.Eval(b) == "-ERR user_script:1: 123" + At(b) + "\r\n");
  b = "return error()";
  CHECK(r.Eval(b) == "-ERR nil" + At(b) + "\r\n");
  b = "local function f()\n error('deep')\nend\n\nf()";
  CHECK(r.Eval(b) == "-ERR user_script:2: deep" + At(b, 2) + "\r\n");
  b = "local function f() error('deep', 2) end\nf()";
  CHECK(r.Eval(b) == "-ERR user_script:2: deep" + At(b, 1) + "\r\n");
  b = "error(redis.error_reply('MY code'))";
  CHECK(r.Eval(b) == "-MY code" + At(b) + "\r\n");
  CHECK(r.Eval("syntax error here") ==
        "-ERR Error compiling script (new function): user_script:1: syntax error near "
        "'error'\r\n");
}

TEST_CASE("the sandbox: no os/io/loaders, read-only globals and libraries") {
  Runner r;
  for (const char* name : {"os", "io", "loadfile", "dofile", "require", "print", "debug", "package",
                           "getfenv", "utf8", "rawlen"}) {
    std::string b = std::string("return ") + name;
    CHECK(r.Eval(b) ==
          "-ERR user_script:1: Script attempted to access nonexistent global "
          "variable '" +
              std::string(name) + "'" + At(b) + "\r\n");
  }
  std::string b = "x = 1";
  CHECK(r.Eval(b) == "-ERR user_script:1: Attempt to modify a readonly table" + At(b) + "\r\n");
  b = "string.x = 1";
  CHECK(r.Eval(b) == "-ERR user_script:1: Attempt to modify a readonly table" + At(b) + "\r\n");
  b = "redis.call = nil";
  CHECK(r.Eval(b) == "-ERR user_script:1: Attempt to modify a readonly table" + At(b) + "\r\n");
  b = "rawset(_G, 'x', 1)";
  CHECK(r.Eval(b) == "-ERR Attempt to modify a readonly table" + At(b) + "\r\n");
  b = "setmetatable(_G, nil)";
  CHECK(r.Eval(b) == "-ERR Attempt to modify a readonly table" + At(b) + "\r\n");
  CHECK(r.Eval("local t = {} t.x = 1 rawset(t, 'y', 2) return t.x + t.y") == ":3\r\n");
  CHECK(r.Eval("KEYS[2] = 'x' return KEYS[2]") == "$1\r\nx\r\n");
  CHECK(r.Eval("return load(string.dump(function() end))") == "$-1\r\n");  // binary refused
  CHECK(r.Eval("return loadstring('return 5')()") == ":5\r\n");
  CHECK(r.Eval("return load('x = 1') ~= nil and 1 or 0") == ":1\r\n");
  CHECK(r.Eval("local f = loadstring('x = 1') f()")
            .starts_with("-ERR [string \"x = 1\"]:1: Attempt to modify a readonly table"));
  CHECK(r.Eval("return ('abc'):upper()") == "$3\r\nABC\r\n");
  b = "getmetatable('').__index = {}";
  CHECK(r.Eval(b) == "-ERR user_script:1: Attempt to modify a readonly table" + At(b) + "\r\n");
  b = "getmetatable(_G).__newindex = nil";
  CHECK(r.Eval(b) == "-ERR user_script:1: Attempt to modify a readonly table" + At(b) + "\r\n");
  CHECK(r.Eval("local n = 0 for k in pairs(string) do n = n + 1 end return n > 10") == ":1\r\n");
  CHECK(r.Eval("return {unpack({1,2})}") == "*2\r\n:1\r\n:2\r\n");
  CHECK(r.Eval("return table.getn({1,2,3})") == ":3\r\n");
  CHECK(r.Eval("return math.pow(2, 10)") == ":1024\r\n");
  CHECK(r.Eval("return {bit.band(0xff, 0x0f), bit.bor(1, 2), bit.bxor(3, 1), bit.lshift(1, 4), "
               "bit.tohex(255), bit.bnot(0), bit.arshift(-16, 2), bit.rshift(-1, 28)}") ==
        "*8\r\n:15\r\n:3\r\n:2\r\n:16\r\n$8\r\n000000ff\r\n:-1\r\n:-4\r\n:15\r\n");
  CHECK(r.Eval("return type(gcinfo())") == "$6\r\nnumber\r\n");
  CHECK(r.Eval("return cjson.encode({1, 'a/b', {}, {k=true}})") ==
        "$24\r\n[1,\"a\\/b\",{},{\"k\":true}]\r\n");
  CHECK(r.Eval("return cjson.decode('{\"a\":[1,2.5,null]}').a[2] * 2") == ":5\r\n");
  CHECK(r.Eval("return cmsgpack.pack({1, 'a', {k=-200}}, 1.5)") ==
        "$15\r\n\x93\x01\xa1\x61\x81\xa1k\xd1\xff\x38\xca\x3f\xc0\x00\x00\r\n"s);
  CHECK(r.Eval("return {cmsgpack.unpack(cmsgpack.pack({a={1, 2}}, 'x'))}") ==
        "*2\r\n*0\r\n$1\r\nx\r\n");
  CHECK(r.Eval("return cmsgpack.unpack(cmsgpack.pack({a={1, 2}})).a[2]") == ":2\r\n");
  CHECK(r.Eval("return {struct.unpack('>I2 b', struct.pack('>I2 b', 258, -1))}") ==
        "*3\r\n:258\r\n:-1\r\n:4\r\n");
  CHECK(r.Eval("return struct.size('!8 b d')") == ":16\r\n");
  std::string j = "return cjson.decode('[1 2]')";
  CHECK(r.Eval(j) ==
        "-ERR user_script:1: Expected comma or array end but found T_NUMBER at character 4" +
            At(j) + "\r\n");
  CHECK(r.Eval("local ok = pcall(function() cjson.encode = nil end) return type(cjson.encode)") ==
        "$8\r\nfunction\r\n");
  // Nothing a script does survives into the next one.
  r.Eval("local ok = pcall(function() x = 1 end)");
  CHECK(r.Eval("return rawget(_G, 'x')") == "$-1\r\n");
}

TEST_CASE("redis.* helpers") {
  Runner r;
  CHECK(r.Eval("return redis.sha1hex('')") ==
        "$40\r\nda39a3ee5e6b4b0d3255bfef95601890afd80709\r\n");
  CHECK(r.Eval("return redis.sha1hex(1)") == "$40\r\n356a192b7913b04c54574d18c28d46e6395428ab\r\n");
  std::string b = "return redis.sha1hex()";
  CHECK(r.Eval(b) == "-ERR wrong number of arguments" + At(b) + "\r\n");
  CHECK(r.Eval("return redis.error_reply('My Error')") == "-My Error\r\n");
  CHECK(r.Eval("return redis.error_reply('-My Error')") == "-My Error\r\n");
  CHECK(r.Eval("return redis.error_reply('nospace')") == "-ERR nospace\r\n");
  CHECK(r.Eval("return redis.error_reply('')") == "-ERR \r\n");
  CHECK(r.Eval("return redis.error_reply(1)") == "-ERR wrong number or type of arguments\r\n");
  CHECK(r.Eval("return redis.status_reply('OKAY')") == "+OKAY\r\n");
  CHECK(r.Eval("return redis.status_reply()") == "-ERR wrong number or type of arguments\r\n");
  CHECK(r.Eval("return redis.log(redis.LOG_WARNING, 'hello')") == "$-1\r\n");
  b = "return redis.log(99,'y')";
  CHECK(r.Eval(b) == "-ERR Invalid debug level." + At(b) + "\r\n");
  b = "return redis.log('x','y')";
  CHECK(r.Eval(b) == "-ERR First argument must be a number (log level)." + At(b) + "\r\n");
  CHECK(r.Eval("return redis.REDIS_VERSION") == "$6\r\n7.0.15\r\n");
  CHECK(r.Eval("return redis.REDIS_VERSION_NUM") == ":458767\r\n");
  CHECK(r.Eval("return redis.replicate_commands()") == ":1\r\n");
  r.Eval("redis.set_repl(redis.REPL_NONE) redis.call('set','a','b')");
  CHECK_FALSE(r.host.last_options.propagate);
  r.Eval("redis.call('set','a','b')");
  CHECK(r.host.last_options.propagate);
  // Redis's generator, never reseeded between scripts: 40, 85, 36 from a fresh server.
  CHECK(r.Eval("return math.random(100)") == ":40\r\n");
  CHECK(r.Eval("return {math.random(100), math.random(100)}") == "*2\r\n:85\r\n:36\r\n");
  b = "return math.random(0)";
  CHECK(r.Eval(b) ==
        "-ERR user_script:1: bad argument #1 to 'random' (interval is empty)" + At(b) + "\r\n");
}

TEST_CASE("the script cache, EVALSHA and shebang flags") {
  Runner r;
  Result<std::string> sha = r.engine.Load("return 1");
  REQUIRE(sha.ok());
  CHECK(sha.value() == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  CHECK(r.engine.Exists("E0E1F9FABFC9D4800C877A703B823AC0578FF8DB"));
  CHECK(r.EvalSha("E0E1F9FABFC9D4800C877A703B823AC0578FF8DB") == ":1\r\n");
  CHECK(r.EvalSha("ffffffffffffffffffffffffffffffffffffffff") ==
        "-NOSCRIPT No matching script. Please use EVAL.\r\n");
  r.Eval("return 2");
  CHECK(r.engine.Exists(Sha1Hex("return 2")));
  r.engine.Flush();
  CHECK_FALSE(r.engine.Exists(sha.value()));
  CHECK(r.engine.size() == 0);
  CHECK(r.engine.Load("bad syntax").status().message() ==
        "ERR Error compiling script (new function): user_script:1: syntax error near 'syntax'");

  CHECK(r.Eval("#!lua\nreturn 1") == ":1\r\n");
  CHECK(r.Eval("#!lua\nreturn x").starts_with("-ERR user_script:2: Script attempted"));
  CHECK(r.Eval("#!lua flags=no-cluster\nreturn 1") ==
        "-ERR Can not run script on cluster, 'no-cluster' flag is set.\r\n");
  CHECK(r.Eval("#!luajit\nreturn 1") == "-ERR Unexpected engine in script shebang: #!luajit\r\n");
  CHECK(r.Eval("#!lua flags=bogus\nreturn 1") ==
        "-ERR Unexpected flag in script shebang: bogus\r\n");
  CHECK(r.Eval("#!lua name=x\nreturn 1") == "-ERR Unknown lua shebang option: name=x\r\n");
  CHECK(r.Eval("#!lua") == "-ERR Invalid script shebang\r\n");
  CHECK(r.Eval("#!lua\nreturn 1", {}, {}, resp::Protocol::kResp2, /*read_only=*/true) ==
        "-ERR Can not execute a script with write flag using *_ro command.\r\n");
  r.Eval("#!lua flags=no-writes,allow-stale\nreturn redis.call('get','a')");
  CHECK(r.host.last_options.read_only);
  r.Eval("return redis.call('get','a')", {}, {}, resp::Protocol::kResp2, /*read_only=*/true);
  CHECK(r.host.last_options.read_only);
  r.Eval("return redis.call('get','a')");
  CHECK_FALSE(r.host.last_options.read_only);
}

TEST_CASE("KEYS and ARGV, and self-referencing tables end in Redis's stack-limit error") {
  Runner r;
  CHECK(r.Eval("return {KEYS[1], ARGV[1], #KEYS, #ARGV}", {"k"}, {"v", "w"}) ==
        "*4\r\n$1\r\nk\r\n$1\r\nv\r\n:1\r\n:2\r\n");
  CHECK(r.Eval("return #KEYS") == ":0\r\n");
  std::string out = r.Eval("local t = {} t[1] = t return t");
  CHECK(out.ends_with("-ERR reached lua stack limit\r\n"));
  size_t headers = 0;
  for (size_t pos = 0; (pos = out.find("*1\r\n", pos)) != std::string::npos; pos += 4) ++headers;
  CHECK(headers == 7995);
}

TEST_CASE("shebang parsing") {
  size_t len = 0;
  Result<ScriptFlags> f = ParseShebang("#!lua flags=no-writes,allow-oom\nreturn 1", &len);
  REQUIRE(f.ok());
  CHECK(len == 31);
  CHECK(f.value().has_shebang);
  CHECK(f.value().no_writes);
  CHECK(f.value().allow_oom);
  CHECK_FALSE(f.value().no_cluster);
  f = ParseShebang("return 1", &len);
  REQUIRE(f.ok());
  CHECK(len == 0);
  CHECK_FALSE(f.value().has_shebang);
  CHECK(ParseShebang("#! lua\nx", &len).status().message() ==
        "ERR Unexpected engine in script shebang: #!");
  CHECK(ParseShebang("#!lua flags=\nx", &len).ok());
}

}  // namespace
}  // namespace slotproxy::server::scripting
