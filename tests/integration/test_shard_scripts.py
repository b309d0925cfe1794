"""Differential tests of the shard's Lua scripting (EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT)
against a real redis-server 7.0 in cluster mode: the same commands run against both and the raw
reply bytes must match. Both nodes serve slots 0-16000 only, so a script touching a key of a
higher slot meets the "non local key" rule.

Known Lua 5.1 / 5.4 differences are left out on purpose (see proxy/src/server/scripting/README.md):
compile-error wording, some runtime-error wording, tostring() of integral floats ("5.0").
"""

import contextlib
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

LAST_LOCAL_SLOT = 16000
# A self-referencing table comes back ~8000 arrays deep; harness.reply_end recurses per level.
sys.setrecursionlimit(40000)


def _answers(port):
    try:
        with harness.RawClient(port, timeout=1.0) as c:
            return c.call("PING") == b"+PONG\r\n"
    except (OSError, ConnectionError):
        return False


@contextlib.contextmanager
def shard_server(node_id, foreign_id):
    """Our shard binary serving slots 0-LAST_LOCAL_SLOT; the rest belongs to a node that is
    never contacted. Yields the port."""
    port = harness.free_port(with_bus=True)  # nodes.conf names port+10000 as the bus port
    workdir = tempfile.mkdtemp(prefix="shard-")
    with open(os.path.join(workdir, "nodes.conf"), "w") as f:
        f.write(f"{node_id} 127.0.0.1:{port}@{port + 10000} myself,master - 0 0 1 connected "
                f"0-{LAST_LOCAL_SLOT}\n")
        f.write(f"{foreign_id} 127.0.0.1:1@10001 master - 0 0 2 connected "
                f"{LAST_LOCAL_SLOT + 1}-16383\n")
        f.write("vars currentEpoch 2 lastVoteEpoch 0\n")
    argv = [harness.binary("shard"), "--port", str(port), "--bind", "127.0.0.1", "--dir",
            workdir, "--appendonly", "no"]
    proc = harness.Process(argv, log_name=f"shard-{port}")
    try:
        try:
            harness.wait_until(lambda: proc.alive() and _answers(port), timeout=15,
                               what=f"shard on {port}")
        except TimeoutError:
            raise TimeoutError(f"shard on {port} did not answer: {proc.output()[-2000:]}")
        yield port
    finally:
        proc.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def redis_node():
    """A real redis-server 7.0 cluster node serving slots 0-LAST_LOCAL_SLOT."""
    with harness.redis_server("--cluster-require-full-coverage", "no",
                              cluster=True) as (port, _):
        with harness.RawClient(port) as c:
            assert c.call("CLUSTER", "ADDSLOTSRANGE", "0", str(LAST_LOCAL_SLOT)) == b"+OK\r\n"
            harness.wait_until(lambda: b"cluster_state:ok" in c.call("CLUSTER", "INFO"),
                               timeout=15, what="cluster_state:ok")
        yield port


def sha1(body):
    import hashlib
    return hashlib.sha1(body.encode()).hexdigest()


class ScriptDifferential(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = contextlib.ExitStack()
        cls.redis_port = cls.stack.enter_context(redis_node())
        with harness.RawClient(cls.redis_port) as c:
            # Keys of slots this node serves and does not serve, found by the node itself.
            cls.local_key, cls.remote_key = None, None
            for i in range(10000):
                key = f"key:{i}"
                slot = int(c.call("CLUSTER", "KEYSLOT", key)[1:-2])
                if slot <= LAST_LOCAL_SLOT and cls.local_key is None:
                    cls.local_key = key
                if slot > LAST_LOCAL_SLOT and cls.remote_key is None:
                    cls.remote_key = key
                if cls.local_key and cls.remote_key:
                    break
            node_id = c.call("CLUSTER", "MYID").split(b"\r\n")[1].decode()
        foreign = "f" * 40 if node_id != "f" * 40 else "e" * 40
        cls.shard_port = cls.stack.enter_context(shard_server("a" * 40, foreign))

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    def setUp(self):
        self.s = harness.RawClient(self.shard_port)
        self.r = harness.RawClient(self.redis_port)
        self.addCleanup(self.s.close)
        self.addCleanup(self.r.close)
        self.same("FLUSHALL")
        self.same("SCRIPT", "FLUSH")

    def same(self, *args):
        a = self.s.call(*args)
        b = self.r.call(*args)
        self.assertEqual(a, b, f"command {args!r}")
        return a

    def eval_all(self, scripts, *keys_and_args, command="EVAL"):
        for body in scripts:
            self.same(command, body, *keys_and_args)

    def test_lua_to_reply_conversions(self):
        self.eval_all([
            "return 1", "return 1.9", "return -1.9", "return -0.5", "return 3.99e20",
            "return 1/0", "return -1/0", "return 0/0", "return 2^53", "return 9007199254740993",
            "return 123456789012345678", "return 10 / 2", "return 'x'", "return 'a\\0b'",
            "return nil", "return false", "return true", "return {1,2,3,'x',nil,4}",
            "return {1, 'a', {2, {3}}, {ok='x'}, {err='y'}}", "return {ok='fine'}",
            "return {err='bad thing'}", "return {err='MYERR bad thing'}", "return {err=''}",
            "return {err='a\\r\\nb'}", "return {ok='a\\r\\nb'}", "return {ok=1}", "return {err=1}",
            "return {1, 2, ok='x'}", "return {err='x', ok='y'}", "return {x=1}",
            "return function() end", "return {false, 1}", "return {true, 1}",
            "return {1, nil, 2}", "return {double=1.5}", "return {map={a=1}}",
            "return {set={a=true}}", "return {big_number='123'}",
            "return {verbatim_string={format='txt', string='abc'}}",
            "redis.setresp(3) return true", "redis.setresp(3) return false",
            "redis.setresp(3) return {double=2.5}", "return redis.setresp(3)",
            "return tostring(0.1)", "return 0.1 .. ''", "return tostring(2^63)",
            "return 1e15 .. ''", "return #'abc'", "return select('#', 1, 2)",
            "return {1, 2.5, -3.5}", "return tonumber('0x10')", "return math.floor(3.7)",
            "local t = {}\nt[1] = t\nreturn t",
        ], "0")

    def test_resp3_conversions(self):
        self.s.call("HELLO", "3")  # the replies differ only in the client id
        self.r.call("HELLO", "3")
        self.eval_all([
            "return false", "return true", "return nil", "return {double=1.5}",
            "return {map={a=1}}", "return {set={a=true}}", "return {big_number='123'}",
            "return {verbatim_string={format='txt', string='abc'}}",
            "redis.setresp(3) return false", "redis.setresp(3) return true",
            "redis.setresp(3) return redis.call('hgetall','nohash')",
            "redis.setresp(3) return redis.call('get','nokey')",
            "redis.setresp(3) return type(redis.call('get','nokey'))",
            "return redis.call('get','nokey')",
        ], "0")

    def test_reply_to_lua_conversions(self):
        k = self.local_key
        self.eval_all([
            "return redis.call('set',KEYS[1],'b')", "return redis.call('get',KEYS[1])",
            "return redis.call('get','{%s}nokey')" % k,
            "return type(redis.call('get','{%s}nokey'))" % k,
            "redis.call('set',KEYS[1],'1') return redis.call('incr',KEYS[1])",
            "return type(redis.call('incr',KEYS[1]))",
            "return tostring(redis.call('incr',KEYS[1]))",
            "return redis.call('incrbyfloat',KEYS[1],'1.5')",
            "return redis.call('set',KEYS[1],'v').ok",
            "return redis.call('hset',KEYS[1]..'h','f','v')",
            "return redis.call('hgetall',KEYS[1]..'h')",
            "redis.setresp(3) return redis.call('hgetall',KEYS[1]..'h')",
            "redis.setresp(3) return redis.call('hgetall',KEYS[1]..'h').map.f",
            "redis.call('zadd',KEYS[1]..'z', 1.5, 'm') return redis.call('zscore',KEYS[1]..'z','m')",
            "redis.setresp(3) return redis.call('zscore',KEYS[1]..'z','m')",
            "redis.setresp(3) return type(redis.call('zscore',KEYS[1]..'z','m').double)",
            "redis.call('sadd',KEYS[1]..'s','m') redis.setresp(3) "
            "return redis.call('smembers',KEYS[1]..'s')",
            "local t = redis.call('mget', KEYS[1], KEYS[1]..'no') return {#t, type(t[2])}",
            "return redis.call('lrange', KEYS[1]..'l', 0, -1)",
            "return redis.call('set', KEYS[1], 3.14159)", "return redis.call('get', KEYS[1])",
            "return redis.call('set', KEYS[1], 0.1)", "return redis.call('get', KEYS[1])",
            "return redis.call('set', KEYS[1], -0.0)", "return redis.call('get', KEYS[1])",
            "return redis.call('set', KEYS[1], 1/0)", "return redis.call('get', KEYS[1])",
            "return redis.call('set', KEYS[1], 1e20)", "return redis.call('get', KEYS[1])",
            "return redis.call('set', KEYS[1], 123456789012345678)",
            "return redis.call('get', KEYS[1])",
            "return redis.call('set', KEYS[1], 10/2)", "return redis.call('get', KEYS[1])",
            "return redis.call('set', KEYS[1], 'a\\0b')", "return redis.call('get', KEYS[1])",
            "return redis.call('set', KEYS[1], true)",
        ], "1", "{%s}" % k)

    def test_errors(self):
        k = "{%s}" % self.local_key
        self.eval_all([
            "return redis.call('nosuch')", "return redis.pcall('nosuch')",
            "return redis.call('get')", "return redis.pcall('get')",
            "return redis.call('get','a','b')", "return redis.call()", "return redis.pcall()",
            "redis.call('set',KEYS[1],'x') return redis.call('incr',KEYS[1])",
            "return redis.pcall('incr',KEYS[1])",
            "return redis.pcall('lpush',KEYS[1],'v')", "return redis.call('lpush',KEYS[1],'v')",
            "error('boom')", "error({err='boom'})", "error('boom', 0)", "return error(123)",
            "return error()", "return error(nil)",
            "local function f() error('deep', 2) end\nf()",
            "local function f()\n error('deep')\nend\n\nf()",
            "error(redis.error_reply('MY code'))",
            "return 1 + {}", "return #nil",
            "local t = setmetatable({}, {__index=function() error('idx') end}) return t.x",
            "local ok, e = pcall(redis.call, 'nosuch') return {tostring(ok), e}",
            "local ok, e = pcall(error, {err='x'}) return {tostring(ok), type(e)}",
            "local r = redis.pcall('nosuch') return r.err",
            "local r = redis.pcall('nosuch') return r['ignore_error_stats_update']",
            "return redis.error_reply('My Error')", "return redis.error_reply('-My Error')",
            "return redis.error_reply('nospace')", "return redis.error_reply('')",
            "return redis.error_reply('-')", "return redis.error_reply(1)",
            "local r = redis.error_reply('X y') return {r.err, type(r.ignore_error_stats_update)}",
            "return redis.status_reply('OKAY')", "return redis.status_reply('a b')",
            "return redis.status_reply()", "return redis.sha1hex('')", "return redis.sha1hex(1)",
            "return redis.sha1hex()", "return redis.setresp(4)", "return redis.setresp()",
            "return redis.log(redis.LOG_WARNING, 'hello')", "return redis.log()",
            "return redis.log('x','y')", "return redis.log(99,'y')",
            "return redis.REDIS_VERSION", "return redis.REDIS_VERSION_NUM",
            "return redis.replicate_commands()", "return redis.set_repl(redis.REPL_ALL)",
            "return redis.set_repl(9)", "return redis.set_repl()",
            "return redis.pcall('eval','return 1','0')", "return redis.call('eval','return 1','0')",
            "return redis.pcall('multi')", "return redis.pcall('subscribe','x')",
            "return redis.pcall('blpop',KEYS[1],'0')", "return redis.pcall('script','load','x')",
            "return redis.pcall('config','get','maxmemory')", "return redis.pcall('client','id')",
            "return redis.pcall('fcall','f','0')", "return redis.pcall('function','list')",
            "return redis.call('ping')", "return redis.call('echo','hi')",
            "return redis.call('select','0')",
        ], "1", k)

    def test_sandbox(self):
        names = ["x", "os", "io", "loadfile", "dofile", "require", "print", "debug", "getfenv",
                 "setfenv", "newproxy", "utf8", "rawlen"]
        self.eval_all(["return %s" % n for n in names] + [
            "x = 1", "string.x = 1", "redis.call = nil", "rawset(_G, 'x', 1)",
            "setmetatable(_G, nil)", "local t = {}; t.x = 1; return t.x",
            "getmetatable('').x = 1", "getmetatable('').__index = {}",
            "return type(getmetatable(''))", "return type(getmetatable(_G))",
            "getmetatable(_G).__newindex = nil", "return ('x'):rep(3)",
            "KEYS[2] = 'x'; return KEYS[2]", "return loadstring('return 5')()",
            "return unpack({1,2})", "return table.getn({1,2})", "return type(math.pow)",
            "return type(string.gfind)", "return type(gcinfo)", "return type(coroutine)",
            "return type(bit)", "return bit.band(0xff, 0x0f)", "return bit.tohex(255)",
            "return string.rep('x', 3)", "return string.format('%d', 3)",
        ], "0")

    def test_cjson(self):
        self.eval_all([
            "return cjson.encode({1,2,3})", "return cjson.encode({a=1})", "return cjson.encode({})",
            "return cjson.encode('a/b\"c\\\\d\\n\\t\\1\\127')", "return cjson.encode(1.5)",
            "return cjson.encode(0.1)", "return cjson.encode(123456789012345)",
            "return cjson.encode(-0.0)", "return cjson.encode(1/0)", "return cjson.encode(nil)",
            "return cjson.encode(cjson.null)", "return cjson.encode(true)",
            "return cjson.encode({1,nil,3})", "return cjson.encode({[1]=1,[20]=2})",
            "return cjson.encode({[1.5]=1})", "return cjson.encode({[true]=1})",
            "return cjson.encode(function() end)", "return cjson.encode({a={b={c=1}}})",
            "return cjson.encode()", "return cjson.encode(1, 2)", "return cjson.encode({[2]='x'})",
            "return cjson.encode('\\200\\255')", "return cjson.encode(1e300)",
            "return cjson.encode({1, {2, {}}, 'x'})",
            "local t = {} t[1] = t return cjson.encode(t)",
            "return cjson.decode('[1,2,3]')", "return cjson.decode('{\"a\":5}').a",
            "return cjson.decode('\"x\\\\u00e9\\\\/\"')", "return cjson.decode('1.5')",
            "return type(cjson.decode('null'))", "return cjson.decode('null') == cjson.null",
            "return cjson.decode('[1,')", "return cjson.decode('bad')",
            "return cjson.decode('{1:2}')", "return cjson.decode('{\"a\" 2}')",
            "return cjson.decode('[1 2]')", "return cjson.decode('1 2')", "return cjson.decode('')",
            "return cjson.decode('\"abc')", "return cjson.decode('01')", "return cjson.decode('-')",
            "return cjson.decode('[1e2, -0.5, 1E+2]')", "return tostring(cjson.decode('10'))",
            "return cjson.decode('\"\\\\ud83d\\\\ude00\"')", "return cjson.decode('\"\\\\x\"')",
            "return cjson.decode('{}')", "return #cjson.decode('[]')",
            "return cjson.decode(' [true, false] ')", "return cjson.decode()",
            "return cjson.decode(5)", "return cjson.decode('0x10')", "return cjson.decode('+1')",
            "return cjson.decode('Infinity')", "return cjson.decode('nan')",
            "return cjson.decode('1.')", "return cjson.decode('[[[[1]]]]')[1][1][1][1]",
            "return cjson.decode(string.rep('[', 1001))",
            "return cjson.decode(cjson.encode({x={1,2,{y='z'}}})).x[3].y",
        ], "0")

    def test_cmsgpack(self):
        self.eval_all([
            'return cmsgpack.pack(1)',
            'return cmsgpack.pack(-1)',
            'return cmsgpack.pack(200)',
            'return cmsgpack.pack(70000)',
            'return cmsgpack.pack(-200)',
            'return cmsgpack.pack(1.5)',
            'return cmsgpack.pack(0.1)',
            'return cmsgpack.pack(2^40)',
            "return cmsgpack.pack('abc')",
            "return cmsgpack.pack(string.rep('x', 40))",
            'return cmsgpack.pack({1,2,3})',
            'return cmsgpack.pack({a=1})',
            'return cmsgpack.pack({})',
            'return cmsgpack.pack(true, false, nil)',
            "return cmsgpack.pack(1, 'a')",
            "return {cmsgpack.unpack(cmsgpack.pack(1, 'a', {2, 3}))}",
            'return cmsgpack.unpack(cmsgpack.pack({a=5})).a',
            'return cmsgpack.pack()',
            "return cmsgpack.unpack('')",
            "return cmsgpack.unpack('\\200')",
            'return cmsgpack.pack(-2^40)',
            'return cmsgpack.pack(1/0)',
            'return cmsgpack.pack(function() end)',
            'return type(cmsgpack.unpack_one)',
            'return type(cmsgpack.unpack_limit)',
            'return cmsgpack.pack({1,nil,3})',
            'return cmsgpack.pack({[1]=1,[3]=3})',
            'return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}',
            'return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}',
            'return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 2)}',
            'return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}',
            'return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2, 1)}',
            "return {cmsgpack.unpack_one('', 0)}",
            "return cmsgpack.unpack_one('abc', 9)",
            "return cmsgpack.unpack_one('abc', -1)",
            'return {cmsgpack.unpack(cmsgpack.pack({a={b={1,2}}, c=-5.25}))}',
            'return cmsgpack.unpack(cmsgpack.pack({a={b={1,2}}})).a.b[2]',
            "return cmsgpack.unpack('\\205')",
            "return cmsgpack.unpack('\\193')",
            "return cmsgpack.unpack('\\204')",
            'return cmsgpack.pack({{{{{{{{{{{{{{{{{{1}}}}}}}}}}}}}}}}}})',
            "return cmsgpack.pack(string.rep('y', 300))",
            "return #cmsgpack.pack(string.rep('y', 70000))",
            'return cmsgpack.pack(0.5, -0.0, 2^63, -2^63, 0/0)',
            'return tostring(cmsgpack.unpack(cmsgpack.pack(2.5)))',
            "return {cmsgpack.unpack(cmsgpack.pack(true, 'x'))}",
        ], "0")

    def test_struct(self):
        self.eval_all([
            "return struct.pack('>I2', 258)",
            "return struct.pack('<I2', 258)",
            "return struct.pack('i', -2)",
            "return struct.pack('b', -1)",
            "return struct.pack('B', 255)",
            "return struct.pack('h', 1000)",
            "return struct.pack('l', 1)",
            "return struct.pack('L', 2^40)",
            "return struct.pack('T', 5)",
            "return struct.pack('>d', 1.5)",
            "return struct.pack('<f', 0.5)",
            "return struct.pack('s', 'ab')",
            "return struct.pack('c3', 'abcd')",
            "return struct.pack('c0', 'abcd')",
            "return struct.pack('c5', 'ab')",
            "return struct.pack('x')",
            "return struct.pack('!4 b i', 1, 2)",
            "return struct.pack('!3 i', 1)",
            "return struct.pack('q', 1)",
            "return struct.pack('i33', 1)",
            "return struct.pack('>I16', 1)",
            "return struct.pack('i', 'x')",
            "return struct.pack('i')",
            "return struct.pack('>i3', -5)",
            "return {struct.unpack('>I2', '\\1\\2')}",
            "return {struct.unpack('<i2', '\\255\\255')}",
            "return {struct.unpack('b', '\\200')}",
            "return {struct.unpack('B', '\\200')}",
            "return {struct.unpack('s', 'ab\\0cd')}",
            "return {struct.unpack('s', 'abcd')}",
            "return {struct.unpack('c2', 'abcd')}",
            "return {struct.unpack('b c0', '\\3abcd')}",
            "return {struct.unpack('c0', 'abcd')}",
            "return {struct.unpack('i', 'ab')}",
            "return {struct.unpack('>d', struct.pack('>d', 2.25))}",
            "return tostring(struct.unpack('f', struct.pack('f', 0.5)))",
            "return {struct.unpack('b', 'xy', 2)}",
            "return {struct.unpack('b', 'xy', 0)}",
            "return {struct.unpack('b', 'xy', 3)}",
            "return {struct.unpack('!4 b i', struct.pack('!4 b i', 7, 9))}",
            "return {struct.unpack('xxb', 'abc')}",
            "return struct.size('i')",
            "return struct.size('!8 b d')",
            "return struct.size('s')",
            "return struct.size('c0')",
            "return struct.size('c7 h')",
            "return struct.size('>i3 x')",
            "return struct.size('z')",
            "return {struct.unpack('L', struct.pack('L', -1))}",
            "return tostring(struct.unpack('I8', struct.pack('I8', -1)))",
            "return {struct.unpack('>I3', '\\1\\2\\3')}",
            "return struct.pack('!', 1)",
            "return struct.pack('!5 i', 1)",
        ], "0")

    def test_math_random_sequence(self):
        # Both servers are fresh and no other test calls math.random: the same generator state.
        self.eval_all(["return math.random(100)", "return {math.random(100), math.random(100)}",
                       "return tostring(math.random())", "return math.random(3,7)",
                       "math.randomseed(5); return math.random(1000)", "return math.random(0)",
                       "return math.random(1,2,3)"], "0")

    def test_keys_argv_and_numkeys(self):
        k = "{%s}" % self.local_key
        self.same("EVAL", "return {KEYS[1], ARGV[1], #KEYS, #ARGV}", "1", k, "v", "w")
        self.same("EVAL", "return #KEYS + #ARGV", "2", k + "1", k + "2", "a", "b", "c")
        for numkeys in ["2", "-1", "x", "1.5", " 1", "01", "+1", "99999999999999999999"]:
            self.same("EVAL", "return 1", numkeys, "a")
        self.same("EVAL", "return 1", "1")
        self.same("EVAL", "return 1")
        self.same("EVAL", "return 1", "2", "a", "b")  # CROSSSLOT
        self.same("EVAL", "return 'x'", "0", "a", "b")

    def test_script_cache(self):
        body = "return ARGV[1]"
        sha = sha1(body)
        self.same("EVALSHA", sha, "0", "x")
        self.same("EVALSHA", "abc", "0")
        self.same("EVALSHA", "abc", "5")
        self.same("EVALSHA_RO", "abc", "0")
        self.same("SCRIPT", "LOAD", body)
        self.same("EVALSHA", sha, "0", "x")
        self.same("EVALSHA", sha.upper(), "0", "y")
        self.same("EVALSHA_RO", sha, "0", "z")
        self.same("EVALSHA", sha, "5")
        self.same("SCRIPT", "EXISTS", sha, "abc", sha.upper())
        self.same("EVAL", "return 2", "0")
        self.same("SCRIPT", "EXISTS", sha1("return 2"))
        self.same("SCRIPT", "FLUSH")
        self.same("SCRIPT", "EXISTS", sha, sha1("return 2"))
        self.same("EVALSHA", sha, "0", "x")
        for cmd in [("SCRIPT", "FLUSH", "ASYNC"), ("SCRIPT", "FLUSH", "sync"),
                    ("SCRIPT", "FLUSH", "x"), ("SCRIPT", "FLUSH", "SYNC", "x"),
                    ("SCRIPT", "KILL"), ("SCRIPT", "KILL", "x"), ("SCRIPT",), ("SCRIPT", "HELP"),
                    ("SCRIPT", "NOSUCH"), ("SCRIPT", "EXISTS"), ("SCRIPT", "LOAD"),
                    ("SCRIPT", "LOAD", "return 1", "x"), ("SCRIPT", "DEBUG", "no"),
                    ("SCRIPT", "LOAD", "#!lua flags=bogus\nreturn 1")]:
            self.same(*cmd)

    def test_read_only_scripts(self):
        k = "{%s}" % self.local_key
        self.eval_all(["return redis.call('set',KEYS[1],'1')",
                       "return redis.pcall('set',KEYS[1],'1')",
                       "return redis.call('get',KEYS[1])",
                       "return redis.pcall('publish','ch','m')"], "1", k, command="EVAL_RO")
        self.same("SCRIPT", "LOAD", "return redis.call('set',KEYS[1],'2')")
        self.same("EVALSHA_RO", sha1("return redis.call('set',KEYS[1],'2')"), "1", k)
        self.same("GET", k)

    def test_shebang(self):
        self.eval_all([
            "#!lua\nreturn 1", "#!lua flags=no-writes\nreturn redis.call('set','a','1')",
            "#!lua flags=no-writes\nreturn redis.pcall('set','a','1')",
            "#!lua flags=no-cluster\nreturn 1", "#!luajit\nreturn 1",
            "#!lua flags=bogus\nreturn 1", "#!lua name=x\nreturn 1", "#!lua\nreturn x",
            "#!lua flags=no-writes,allow-stale\nreturn 1", "#!lua flags=\nreturn 1",
            "#!lua  flags=no-writes  \nreturn 1", "#!lua", "#! lua\nreturn 1",
            "#!lua\n\nerror('x')", "\nerror('x')",
        ], "0")
        self.same("EVAL_RO", "#!lua\nreturn 1", "0")
        self.same("EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0")

    def test_cluster_keys(self):
        local, remote = self.local_key, self.remote_key
        self.same("EVAL", "return redis.call('get', KEYS[1])", "1", local)
        self.same("EVAL", "return redis.call('get', ARGV[1])", "0", remote)
        self.same("EVAL", "return redis.pcall('get', ARGV[1])", "0", remote)
        self.same("EVAL", "return redis.call('set', ARGV[1], 'x')", "0", remote)
        self.same("EVAL", "return redis.call('mget', 'a', 'b')", "0")
        self.same("EVAL", "return redis.call('exists', 'nokey', 'hh')", "0")
        # Undeclared local keys of different slots are fine in Redis 7.0.
        self.same("EVAL", "redis.call('get','a'); return redis.call('get','b')", "0")
        self.same("EVAL", "return redis.call('get', 'b')", "1", "a")

    def test_transactions_and_watch(self):
        k = "{%s}" % self.local_key
        self.same("MULTI")
        self.same("EVAL", "return redis.call('set',KEYS[1],'1')", "1", k)
        self.same("EVAL", "return redis.call('get',KEYS[1])", "1", k)
        self.same("EXEC")
        self.same("WATCH", k)
        other_s = harness.RawClient(self.shard_port)
        other_r = harness.RawClient(self.redis_port)
        self.addCleanup(other_s.close)
        self.addCleanup(other_r.close)
        self.assertEqual(other_s.call("EVAL", "return redis.call('set',KEYS[1],'2')", "1", k),
                         other_r.call("EVAL", "return redis.call('set',KEYS[1],'2')", "1", k))
        self.same("MULTI")
        self.same("GET", k)
        self.same("EXEC")


class ScriptClients(unittest.TestCase):
    """redis-py's script helpers against the shard."""

    def test_redis_py_register_script(self):
        import redis
        with contextlib.ExitStack() as stack:
            port = stack.enter_context(shard_server("b" * 40, "c" * 40))
            r = redis.Redis(host="127.0.0.1", port=port)
            stack.callback(r.close)
            incr = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
            self.assertEqual(incr(keys=["n"], args=[5]), 5)
            self.assertEqual(incr(keys=["n"], args=[2]), 7)
            r.script_flush()
            self.assertEqual(incr(keys=["n"], args=[1]), 8)  # NOSCRIPT, then EVAL
            self.assertEqual(r.script_exists(incr.sha), [True])
            with self.assertRaises(redis.exceptions.ResponseError):
                r.eval("return redis.call('nosuch')", 0)


class ScriptAof(unittest.TestCase):
    """A script's writes reach the append-only file as the commands it ran: after a restart the
    shard replays them to the same data."""

    def test_script_effects_survive_restart(self):
        workdir = tempfile.mkdtemp(prefix="shard-scripts-aof-")
        self.addCleanup(shutil.rmtree, workdir, True)
        port = harness.free_port()
        argv = [harness.binary("shard"), "--port", str(port), "--bind", "127.0.0.1", "--dir",
                workdir, "--appendonly", "yes", "--appendfsync", "always"]
        script = ("redis.call('set', KEYS[1], ARGV[1]) "
                  "redis.call('incrby', KEYS[1], 10) "
                  "redis.call('hset', KEYS[2], 'f', 'v', 'g', 'w') "
                  "redis.call('hdel', KEYS[2], 'g') "
                  "redis.call('set', KEYS[3], 'tmp', 'EX', 1000) "
                  "redis.call('rpush', KEYS[4], 'a', 'b', 'c') "
                  "redis.call('lpop', KEYS[4]) "
                  "redis.set_repl(redis.REPL_NONE) "
                  "redis.call('set', KEYS[5], 'not logged') "
                  "return redis.call('get', KEYS[1])")
        keys = ["{s}n", "{s}h", "{s}t", "{s}l", "{s}x"]
        with harness.Process(argv, log_name="shard-scripts-aof") as proc:
            harness.wait_until(lambda: proc.alive() and _answers(port), timeout=15,
                               what="shard start")
            with harness.RawClient(port) as c:
                self.assertEqual(c.call("EVAL", script, "5", *keys, "5"), b"$2\r\n15\r\n")
                self.assertEqual(c.call("EVAL_RO", "return redis.call('get', KEYS[1])", "1",
                                        keys[0]), b"$2\r\n15\r\n")
        with harness.Process(argv, log_name="shard-scripts-aof") as proc:
            harness.wait_until(lambda: proc.alive() and _answers(port), timeout=15,
                               what="shard restart")
            with harness.RawClient(port) as c:
                self.assertEqual(c.call("GET", keys[0]), b"$2\r\n15\r\n")
                self.assertEqual(c.call("HGETALL", keys[1]), b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n")
                self.assertEqual(c.call("GET", keys[2]), b"$3\r\ntmp\r\n")
                ttl = int(c.call("TTL", keys[2])[1:-2])
                self.assertTrue(0 < ttl <= 1000, ttl)
                self.assertEqual(c.call("LRANGE", keys[3], "0", "-1"),
                                 b"*2\r\n$1\r\nb\r\n$1\r\nc\r\n")
                self.assertEqual(c.call("EXISTS", keys[4]), b":0\r\n")
        with open(os.path.join(workdir, "appendonly.aof"), "rb") as f:
            aof = f.read().lower()
        self.assertNotIn(b"eval", aof)


if __name__ == "__main__":
    unittest.main(verbosity=2)
