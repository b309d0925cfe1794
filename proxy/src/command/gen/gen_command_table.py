#!/usr/bin/env python3
"""Generates proxy/src/command/command_table_data.cc from a real redis-server.

It starts `redis-server` (7.0.15 from Debian) on a free loopback port with persistence off, reads
`COMMAND` and `COMMAND DOCS` over RESP3 (so sets and maps keep their types), and writes one
constant row per command and subcommand: name, arity, flags, legacy key range, ACL categories,
tips, key specs, and the COMMAND DOCS map as a flat pre-order ReplyNode array.

Usage (from the repository root):
    python3 proxy/src/command/gen/gen_command_table.py [--redis-server PATH] [--out FILE]

The output is formatted with clang-format when it is on PATH. Commit the result.
"""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

# Bit names in the order of proxy/src/command/command_info.h (Redis's print order).
COMMAND_FLAGS = ["write", "readonly", "denyoom", "module", "admin", "pubsub", "noscript",
                 "blocking", "loading", "stale", "skip_monitor", "skip_slowlog", "asking", "fast",
                 "no_auth", "no_mandatory_keys", "no_async_loading", "no_multi", "movablekeys",
                 "allow_busy"]
COMMAND_FLAG_IDS = ["kWrite", "kReadonly", "kDenyOom", "kModule", "kAdmin", "kPubsub",
                    "kNoScript", "kBlocking", "kLoading", "kStale", "kSkipMonitor",
                    "kSkipSlowlog", "kAsking", "kFast", "kNoAuth", "kNoMandatoryKeys",
                    "kNoAsyncLoading", "kNoMulti", "kMovableKeys", "kAllowBusy"]
ACL_CATEGORIES = ["@keyspace", "@read", "@write", "@set", "@sortedset", "@list", "@hash",
                  "@string", "@bitmap", "@hyperloglog", "@geo", "@stream", "@pubsub", "@admin",
                  "@fast", "@slow", "@blocking", "@dangerous", "@connection", "@transaction",
                  "@scripting"]
ACL_IDS = ["kKeyspace", "kRead", "kWrite", "kSet", "kSortedSet", "kList", "kHash", "kString",
           "kBitmap", "kHyperLogLog", "kGeo", "kStream", "kPubsub", "kAdmin", "kFast", "kSlow",
           "kBlocking", "kDangerous", "kConnection", "kTransaction", "kScripting"]
KEY_FLAGS = ["RO", "RW", "OW", "RM", "access", "update", "insert", "delete", "not_key",
             "incomplete", "variable_flags"]
KEY_FLAG_IDS = ["kRO", "kRW", "kOW", "kRM", "kAccess", "kUpdate", "kInsert", "kDelete",
                "kNotKey", "kIncomplete", "kVariableFlags"]

# Rows a Redis 7.0 shard must also serve although 7.0.15 lacks them: clients send CLIENT SETINFO
# on connect (issue 3). Copied from Redis 7.2's src/commands/client-setinfo.json, in the shape
# COMMAND / COMMAND DOCS print.
SUPPLEMENT = [
    {
        "container": "client",
        "info": ("array", [
            ("bulk", "client|setinfo"), ("int", 4),
            ("set", [("simple", "noscript"), ("simple", "loading"), ("simple", "stale")]),
            ("int", 0), ("int", 0), ("int", 0),
            ("set", [("simple", "@slow"), ("simple", "@connection")]),
            ("set", [("bulk", "request_policy:all_nodes"),
                     ("bulk", "response_policy:all_succeeded")]),
            ("set", []), ("set", [])]),
        "docs": ("map", [
            (("bulk", "summary"), ("bulk", "Sets information specific to the client or connection.")),
            (("bulk", "since"), ("bulk", "7.2.0")),
            (("bulk", "group"), ("bulk", "connection")),
            (("bulk", "complexity"), ("bulk", "O(1)")),
            (("bulk", "arguments"), ("array", [("map", [
                (("bulk", "name"), ("bulk", "attr")),
                (("bulk", "type"), ("bulk", "oneof")),
                (("bulk", "arguments"), ("array", [
                    ("map", [(("bulk", "name"), ("bulk", "libname")),
                             (("bulk", "type"), ("bulk", "string")),
                             (("bulk", "token"), ("bulk", "lib-name"))]),
                    ("map", [(("bulk", "name"), ("bulk", "libver")),
                             (("bulk", "type"), ("bulk", "string")),
                             (("bulk", "token"), ("bulk", "lib-ver"))]),
                ])),
            ])])),
        ]),
    },
]


class Resp3Client:
    """Just enough of a RESP3 client for COMMAND and COMMAND DOCS."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")

    def call(self, *args):
        out = b"*%d\r\n" % len(args)
        for a in args:
            a = a.encode() if isinstance(a, str) else a
            out += b"$%d\r\n%s\r\n" % (len(a), a)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.file.readline()
        if not line.endswith(b"\r\n"):
            raise RuntimeError("connection closed")
        kind, rest = chr(line[0]), line[1:-2]
        if kind == "+":
            return ("simple", rest.decode())
        if kind == "-":
            raise RuntimeError(rest.decode())
        if kind == ":":
            return ("int", int(rest))
        if kind == "_":
            return ("null", None)
        if kind in "$=":
            n = int(rest)
            if n < 0:
                return ("null", None)
            return ("bulk", self.file.read(n + 2)[:-2].decode())
        if kind in "*~":
            n = int(rest)
            if n < 0:
                return ("null", None)
            return ("array" if kind == "*" else "set", [self.read() for _ in range(n)])
        if kind == "%":
            return ("map", [(self.read(), self.read()) for _ in range(int(rest))])
        raise RuntimeError("unexpected reply type %r" % line)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def capture(redis_server):
    """Returns (version, COMMAND reply, COMMAND DOCS reply) from a fresh redis-server."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="gen_command_table.")
    proc = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                client = Resp3Client(port)
                client.call("PING")
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("redis-server did not start on port %d" % port)
                time.sleep(0.05)
        hello = dict((k[1], v[1]) for k, v in client.call("HELLO", "3")[1])
        return hello["version"], client.call("COMMAND"), client.call("COMMAND", "DOCS")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def cxx_string(s):
    out = ['"']
    for ch in s.encode():
        c = chr(ch)
        if c in '"\\':
            out.append("\\" + c)
        elif 32 <= ch < 127 and c != "?":
            out.append(c)
        else:
            out.append("\\%03o" % ch)
    out.append('"')
    return "".join(out)


def bits(names, table, ids, prefix):
    """C++ bitmask expression for `names`; checks that bit order reproduces Redis's order."""
    idx = []
    for n in names:
        if n not in table:
            raise RuntimeError("unknown %s name %r: add it to command_info.h and here" % (prefix, n))
        idx.append(table.index(n))
    if idx != sorted(idx):
        raise RuntimeError("%s order %r differs from the bit order" % (prefix, names))
    return " | ".join("%s::%s" % (prefix, ids[i]) for i in idx) or "0"


def as_dict(node):
    """A RESP3 map node (or RESP2 flat array) as a Python dict of key -> node."""
    assert node[0] == "map", node
    return dict((k[1], v) for k, v in node[1])


def key_spec_expr(spec):
    """A KeySpec aggregate with every field, in declaration order (no missing initializers)."""
    d = as_dict(spec)
    flags = bits([f[1] for f in d["flags"][1]], KEY_FLAGS, KEY_FLAG_IDS, "key_flag")
    bs, fk = as_dict(d["begin_search"]), as_dict(d["find_keys"])
    bs_type, bs_spec = bs["type"][1], as_dict(bs["spec"])
    bs_fields = ["BeginSearchType::kUnknown", "0", "{}", "0"]
    if bs_type == "index":
        bs_fields = ["BeginSearchType::kIndex", str(bs_spec["index"][1]), "{}", "0"]
    elif bs_type == "keyword":
        bs_fields = ["BeginSearchType::kKeyword", "0", cxx_string(bs_spec["keyword"][1]),
                     str(bs_spec["startfrom"][1])]
    elif bs_type != "unknown":
        raise RuntimeError("begin_search type %r" % bs_type)
    fk_type, fk_spec = fk["type"][1], as_dict(fk["spec"])
    fk_fields = ["FindKeysType::kUnknown", "0", "0", "0", "0", "0"]
    if fk_type == "range":
        fk_fields = ["FindKeysType::kRange", str(fk_spec["lastkey"][1]),
                     str(fk_spec["keystep"][1]), str(fk_spec["limit"][1]), "0", "0"]
    elif fk_type == "keynum":
        fk_fields = ["FindKeysType::kKeynum", "0", str(fk_spec["keystep"][1]), "0",
                     str(fk_spec["keynumidx"][1]), str(fk_spec["firstkey"][1])]
    elif fk_type != "unknown":
        raise RuntimeError("find_keys type %r" % fk_type)
    notes = cxx_string(d["notes"][1]) if "notes" in d else "{}"
    return "{" + ", ".join([flags] + bs_fields + fk_fields + [notes]) + "}"


def doc_nodes(node, out):
    """Appends `node` in pre-order as C++ ReplyNode constructor calls."""
    kind, val = node
    if kind == "bulk":
        out.append("B(%s)" % cxx_string(val))
    elif kind == "simple":
        out.append("S(%s)" % cxx_string(val))
    elif kind == "int":
        out.append("I(%d)" % val)
    elif kind == "null":
        out.append("N()")
    elif kind == "array":
        out.append("A(%d)" % len(val))
        for child in val:
            doc_nodes(child, out)
    elif kind == "set":
        out.append("T(%d)" % len(val))
        for child in val:
            doc_nodes(child, out)
    elif kind == "map":
        out.append("M(%d)" % len(val))
        for k, v in val:
            doc_nodes(k, out)
            doc_nodes(v, out)
    else:
        raise RuntimeError("doc node kind %r" % kind)


def flatten(command_reply, docs_reply):
    """Rows as dicts: each top-level command sorted by name, then its subcommands sorted."""
    docs = {}
    for name, value in docs_reply[1]:
        fields = [(k, v) for k, v in value[1] if k[1] != "subcommands"]
        docs[name[1]] = ("map", fields)
        for k, v in value[1]:
            if k[1] == "subcommands":
                for sub_name, sub_value in v[1]:
                    docs[sub_name[1]] = sub_value
    entries = {e[1][0][1]: e for e in command_reply[1]}
    subs = {name: [s for s in e[1][9][1]] for name, e in entries.items()}
    for extra in SUPPLEMENT:
        subs[extra["container"]].append(extra["info"])
        docs[extra["info"][1][0][1]] = extra["docs"]
    rows = []
    for name in sorted(entries):
        parent = len(rows)
        rows.append((entries[name], -1, docs[name]))
        for sub in sorted(subs[name], key=lambda s: s[1][0][1]):
            rows.append((sub, parent, docs[sub[1][0][1]]))
    return rows


HEADER = """\
// Generated by proxy/src/command/gen/gen_command_table.py from redis-server {version}
// (COMMAND and COMMAND DOCS over RESP3). DO NOT EDIT: regenerate as proxy/src/command/README.md
// explains. Exempt from the file-size rule: it is data.
#include <string_view>

#include "command/command_table_data.h"

namespace slotproxy::command::internal {{
namespace {{

constexpr ReplyNode B(std::string_view s) {{ return {{ReplyKind::kBulkString, 0, s}}; }}
constexpr ReplyNode S(std::string_view s) {{ return {{ReplyKind::kSimpleString, 0, s}}; }}
constexpr ReplyNode I(int64_t v) {{ return {{ReplyKind::kInteger, v, {{}}}}; }}
[[maybe_unused]] constexpr ReplyNode N() {{ return {{ReplyKind::kNull, 0, {{}}}}; }}
constexpr ReplyNode A(int64_t n) {{ return {{ReplyKind::kArray, n, {{}}}}; }}
constexpr ReplyNode M(int64_t n) {{ return {{ReplyKind::kMap, n, {{}}}}; }}
constexpr ReplyNode T(int64_t n) {{ return {{ReplyKind::kSet, n, {{}}}}; }}

"""


def generate(version, command_reply, docs_reply):
    rows = flatten(command_reply, docs_reply)
    out = [HEADER.format(version=version)]
    tip_lists, spec_lists, row_lines, docs = {}, {}, [], []
    for entry, parent, doc in rows:
        f = entry[1]
        name, arity = f[0][1], f[1][1]
        flags = bits([x[1] for x in f[2][1]], COMMAND_FLAGS, COMMAND_FLAG_IDS, "flag")
        cats = bits([x[1] for x in f[6][1]], ACL_CATEGORIES, ACL_IDS, "acl")
        tips = tuple(x[1] for x in f[7][1])
        tips_id = "{}"
        if tips:
            tips_id = tip_lists.setdefault(tips, "kTips%d" % len(tip_lists))
        specs = tuple(key_spec_expr(s) for s in f[8][1])
        specs_id = "{}"
        if specs:
            specs_id = spec_lists.setdefault(specs, "kSpecs%d" % len(spec_lists))
        doc_begin = len(docs)
        doc_nodes(doc, docs)
        row_lines.append("    {%s, %d, %s, %d, %d, %d, %s, %s, %s, %d, %d, %d}," % (
            cxx_string(name), arity, flags, f[3][1], f[4][1], f[5][1], cats, tips_id, specs_id,
            parent, doc_begin, len(docs) - doc_begin))
    for tips, ident in tip_lists.items():
        out.append("constexpr std::string_view %s[] = {%s};\n" % (
            ident, ", ".join(cxx_string(t) for t in tips)))
    out.append("\n")
    for specs, ident in spec_lists.items():
        out.append("constexpr KeySpec %s[] = {%s};\n" % (ident, ", ".join(specs)))
    out.append("\n// clang-format off\nconstexpr ReplyNode kDocNodes[] = {\n")
    line = "   "
    for node in docs:
        if len(line) + len(node) + 2 > 98:
            out.append(line + "\n")
            line = "   "
        line += " " + node + ","
    out.append(line + "\n};\n// clang-format on\n\n")
    out.append("constexpr CommandRow kRows[] = {\n")
    out.append("\n".join(row_lines))
    out.append("\n};\n\n}  // namespace\n\n")
    out.append("std::span<const CommandRow> BuiltinRows() { return kRows; }\n\n")
    out.append("std::span<const ReplyNode> BuiltinDocNodes() { return kDocNodes; }\n\n")
    out.append('std::string_view BuiltinSourceVersion() { return %s; }\n\n' % cxx_string(version))
    out.append("}  // namespace slotproxy::command::internal\n")
    return "".join(out), len(rows)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-server", default="redis-server")
    parser.add_argument("--out", default=os.path.join(here, "..", "command_table_data.cc"))
    args = parser.parse_args()
    version, command_reply, docs_reply = capture(args.redis_server)
    text, count = generate(version, command_reply, docs_reply)
    out = os.path.normpath(args.out)
    with open(out, "w") as f:
        f.write(text)
    if shutil.which("clang-format"):
        subprocess.run(["clang-format", "-i", "--style=file", out], check=True,
                       cwd=os.path.dirname(out))
    print("wrote %s: %d rows from redis-server %s" % (out, count, version))
    return 0


if __name__ == "__main__":
    sys.exit(main())
