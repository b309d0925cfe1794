#!/usr/bin/env node
// ioredis (from the npm registry) as a real client against a Redis-compatible endpoint: the
// proxy or, as a sanity baseline, a plain redis-server. Run by test_proxy_ioredis.py.
//
//   node ioredis_smoke.js --port N [--host 127.0.0.1] [--parts connect,getset,...]
//
// Parts (each independent, each on its own connections, each bounded in time):
//   connect    ioredis connects with its ready check on (it sends INFO and reads loading:0)
//   getset     SET / GET / GET of a missing key / DEL
//   pipeline   one pipeline of 100 commands over many slots, results in request order
//   multi      MULTI/EXEC through ioredis's multi() on same-slot keys (hash tags)
//   blpop      BLPOP woken by an LPUSH from a second connection, and BLPOP running into its own
//              timeout (longer than the proxy's request timeout)
//   subscribe  SUBSCRIBE to two channels; PUBLISH from a second connection; every message
//              arrives exactly once and in order; UNSUBSCRIBE returns the connection to commands
//
// Prints "PASS <part>" or "FAIL <part>: <why>" per part, then one line
// "RESULT {json of part -> pass|fail}", and exits 0 only if every part passed.

"use strict";

const Redis = require("ioredis");

const ALL_PARTS = ["connect", "getset", "pipeline", "multi", "blpop", "subscribe"];
const PART_TIMEOUT_MS = 15000;
const GLOBAL_TIMEOUT_MS = 55000;

function parseArgs(argv) {
  const opts = { host: "127.0.0.1", port: 0, parts: ALL_PARTS };
  for (let i = 0; i < argv.length; i++) {
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${argv[i]} needs a value`);
      return argv[++i];
    };
    if (argv[i] === "--host") opts.host = next();
    else if (argv[i] === "--port") opts.port = Number(next());
    else if (argv[i] === "--parts") opts.parts = next().split(",").filter((p) => p);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!Number.isInteger(opts.port) || opts.port <= 0) throw new Error("--port N is required");
  for (const p of opts.parts) {
    if (!ALL_PARTS.includes(p)) throw new Error(`unknown part ${p} (known: ${ALL_PARTS})`);
  }
  return opts;
}

// Rejects with a message naming `what` if `promise` has not settled within `ms`.
function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function expectEqual(got, want, what) {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`);
}

// One ioredis connection with the ready check on. No automatic reconnects or offline queue, so
// a refused or broken connection is an error here rather than a silent retry.
async function open(opts, clients, name) {
  const client = new Redis({
    host: opts.host,
    port: opts.port,
    lazyConnect: true,
    enableReadyCheck: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 5000,
    retryStrategy: () => null,
    connectionName: name,
  });
  client.on("error", () => {}); // surfaced through the promises of the calls themselves
  // Records every command name ioredis sends, so the connect part can see its ready check.
  client.sentCommands = [];
  const send = client.sendCommand.bind(client);
  client.sendCommand = (command, stream) => {
    client.sentCommands.push(command.name.toLowerCase());
    return send(command, stream);
  };
  clients.push(client);
  await within(8000, `connect + ready check (${name})`, client.connect());
  if (client.status !== "ready") throw new Error(`${name}: status ${client.status}, not ready`);
  return client;
}

async function closeAll(clients) {
  await Promise.all(
    clients.map((c) =>
      within(2000, "QUIT", c.quit()).catch(() => c.disconnect()),
    ),
  );
}

function keyPrefix() {
  return `ioredis-smoke:${process.pid}:${Date.now()}`;
}

const PARTS = {
  async connect(opts, clients) {
    const c = await open(opts, clients, "smoke-connect");
    // Ready means ioredis's ready check (INFO, then loading:0) passed on this connection.
    if (!c.sentCommands.includes("info")) {
      throw new Error(`no INFO ready check was sent: ${JSON.stringify(c.sentCommands)}`);
    }
    // The fields clients read from INFO.
    const text = await within(3000, "INFO", c.info());
    const info = Object.fromEntries(
      text.split("\r\n").filter((l) => l.includes(":")).map((l) => {
        const i = l.indexOf(":");
        return [l.slice(0, i), l.slice(i + 1)];
      }),
    );
    for (const [field, ok] of [
      ["redis_version", (v) => /^\d+\.\d+/.test(v)],
      ["loading", (v) => v === "0"],
      ["connected_clients", (v) => /^\d+$/.test(v)],
    ]) {
      if (info[field] === undefined || !ok(info[field])) {
        throw new Error(`INFO ${field}: ${JSON.stringify(info[field])}`);
      }
    }
    expectEqual(await within(3000, "PING", c.ping()), "PONG", "PING");
  },

  async getset(opts, clients) {
    const c = await open(opts, clients, "smoke-getset");
    const k = `${keyPrefix()}:gs`;
    expectEqual(await within(3000, "SET", c.set(k, "value-1")), "OK", "SET");
    expectEqual(await within(3000, "GET", c.get(k)), "value-1", "GET");
    expectEqual(await within(3000, "GET missing", c.get(`${k}:missing`)), null, "GET missing");
    expectEqual(await within(3000, "DEL", c.del(k)), 1, "DEL");
  },

  async pipeline(opts, clients) {
    const c = await open(opts, clients, "smoke-pipeline");
    const p = keyPrefix();
    const n = 50;
    const pipe = c.pipeline();
    const want = [];
    // 50 SETs then 50 GETs in reverse order: keys spread over every shard, so replies come
    // from several backends and must still be put back in request order.
    for (let i = 0; i < n; i++) {
      pipe.set(`${p}:pl:${i}`, `v${i}`);
      want.push([null, "OK"]);
    }
    for (let i = n - 1; i >= 0; i--) {
      pipe.get(`${p}:pl:${i}`);
      want.push([null, `v${i}`]);
    }
    const got = await within(5000, "pipeline of 100 commands", pipe.exec());
    expectEqual(got.length, 2 * n, "pipeline reply count");
    for (let i = 0; i < got.length; i++) {
      const [err, val] = got[i];
      if (err) throw new Error(`pipeline reply ${i}: error ${err.message}`);
      expectEqual(val, want[i][1], `pipeline reply ${i}`);
    }
    const del = c.pipeline();
    for (let i = 0; i < n; i++) del.del(`${p}:pl:${i}`);
    await within(5000, "pipeline cleanup", del.exec());
  },

  async multi(opts, clients) {
    const c = await open(opts, clients, "smoke-multi");
    const tag = `{${keyPrefix()}:tx}`;
    const got = await within(
      5000,
      "MULTI/EXEC",
      c.multi().set(`${tag}a`, "1").incr(`${tag}b`).incrby(`${tag}b`, 41).get(`${tag}a`)
        .mget(`${tag}a`, `${tag}b`).exec(),
    );
    expectEqual(
      got,
      [[null, "OK"], [null, 1], [null, 42], [null, "1"], [null, ["1", "42"]]],
      "EXEC results",
    );
    // The connection is out of the transaction afterwards: a plain command works.
    expectEqual(await within(3000, "GET after EXEC", c.get(`${tag}b`)), "42", "GET after EXEC");
    // DISCARD leaves nothing applied.
    const discarded = c.multi().set(`${tag}c`, "x");
    await within(3000, "DISCARD", discarded.discard());
    expectEqual(await within(3000, "GET after DISCARD", c.get(`${tag}c`)), null,
      "GET after DISCARD");
    await within(3000, "cleanup", c.del(`${tag}a`, `${tag}b`, `${tag}c`));
  },

  async blpop(opts, clients) {
    const waiter = await open(opts, clients, "smoke-blpop-waiter");
    const pusher = await open(opts, clients, "smoke-blpop-pusher");
    const list = `{${keyPrefix()}:q}list`;
    // Woken by a push from another connection, well after the proxy's own request timeout
    // (config/cluster.yaml: op 1s) would have fired if it applied to blocking commands.
    const t0 = Date.now();
    const pending = waiter.blpop(list, 10);
    pending.catch(() => {}); // an early error is reported where it is awaited, below
    await sleep(1300);
    expectEqual(await within(3000, "LPUSH", pusher.lpush(list, "job-1")), 1, "LPUSH");
    const woken = await within(5000, "BLPOP woken by LPUSH", pending);
    expectEqual(woken, [list, "job-1"], "BLPOP result");
    const waited = Date.now() - t0;
    if (waited < 1200) throw new Error(`BLPOP returned after ${waited} ms, before the LPUSH`);
    // Running into its own timeout: a nil reply after about 1.5 s, not an error.
    const t1 = Date.now();
    const timedOut = await within(6000, "BLPOP with 1.5 s timeout", waiter.blpop(list, 1.5));
    const took = Date.now() - t1;
    expectEqual(timedOut, null, "BLPOP timeout reply");
    if (took < 1400 || took > 4000) throw new Error(`BLPOP 1.5 s timeout took ${took} ms`);
    // The waiting connection is usable again.
    expectEqual(await within(3000, "PING after BLPOP", waiter.ping()), "PONG", "PING after BLPOP");
  },

  async subscribe(opts, clients) {
    const sub = await open(opts, clients, "smoke-subscriber");
    const pub = await open(opts, clients, "smoke-publisher");
    const p = keyPrefix();
    // Two channels with different hash slots, so on a cluster they may live on different nodes.
    const channels = [`${p}:news`, `${p}:sport`];
    const received = [];
    sub.on("message", (channel, message) => received.push([channel, message]));
    const count = await within(5000, "SUBSCRIBE", sub.subscribe(...channels));
    expectEqual(count, 2, "SUBSCRIBE count");
    const want = [];
    for (let i = 0; i < 3; i++) {
      for (const ch of channels) {
        const n = await within(3000, "PUBLISH", pub.publish(ch, `m${i}`));
        if (!Number.isInteger(n) || n < 0) throw new Error(`PUBLISH returned ${n}`);
        want.push([ch, `m${i}`]);
      }
    }
    const deadline = Date.now() + 5000;
    while (received.length < want.length && Date.now() < deadline) await sleep(20);
    await sleep(300); // a duplicate would show up in this window
    // Exactly once: as many messages as published, and per channel the same ones in order
    // (two channels may live on two nodes, so their interleaving is free).
    expectEqual(received.length, want.length, `message count (got ${JSON.stringify(received)})`);
    const byChannel = (xs) => channels.map((ch) => xs.filter(([c]) => c === ch));
    expectEqual(byChannel(received), byChannel(want), "messages per channel, in order");
    await within(5000, "UNSUBSCRIBE", sub.unsubscribe());
    expectEqual(await within(3000, "PING after UNSUBSCRIBE", sub.ping()), "PONG",
      "PING after UNSUBSCRIBE");
  },
};

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`usage error: ${e.message}`);
    process.exit(2);
  }
  // A stray rejection (a late reply after a part gave up) must not crash the run unreported.
  process.on("unhandledRejection", (e) => {
    console.log(`note: unhandled rejection: ${e && e.message ? e.message : e}`);
  });
  const watchdog = setTimeout(() => {
    console.error(`FAIL: the whole smoke run passed ${GLOBAL_TIMEOUT_MS} ms`);
    process.exit(3);
  }, GLOBAL_TIMEOUT_MS);
  const results = {};
  for (const part of opts.parts) {
    const clients = [];
    try {
      await within(PART_TIMEOUT_MS, `part ${part}`, PARTS[part](opts, clients));
      results[part] = "pass";
      console.log(`PASS ${part}`);
    } catch (e) {
      results[part] = "fail";
      console.log(`FAIL ${part}: ${e && e.message ? e.message : e}`);
    } finally {
      await closeAll(clients);
    }
  }
  clearTimeout(watchdog);
  console.log(`RESULT ${JSON.stringify(results)}`);
  const failed = Object.values(results).filter((r) => r !== "pass").length;
  process.exit(failed === 0 ? 0 : 1);
}

main();
