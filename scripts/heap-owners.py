#!/usr/bin/env python3
"""Who holds the byte[] of a heap dump: reads an HPROF file (jcmd PID GC.heap_dump FILE) and sums the
byte[] arrays by the path that reaches them, two references up (owner's owner.field -> owner.field),
with the commonest array lengths of each path. Made for issue 12 (what an idle connection keeps):

    scripts/heap-owners.py DUMP.hprof [--top 25] [--per N] [--class NAME]

--per N divides by N (e.g. the connections); --class sums the objects of another class instead,
e.g. java.util.ArrayDeque or '[Ljava.lang.Object;' (sizes then count a 12-byte object header and
4-byte references, as HotSpot lays objects out with compressed oops). An object reached from
several others is counted under the first referrer the dump lists.
"""
import argparse, collections, mmap, struct, sys

# HPROF basic types: 2 object, 4 boolean, 5 char, 6 float, 7 double, 8 byte, 9 short, 10 int, 11 long
SIZES = {4: 1, 5: 2, 6: 4, 7: 8, 8: 1, 9: 2, 10: 4, 11: 8}
BYTE = 8


class Dump:
    def __init__(self, path):
        f = open(path, "rb")
        self.m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        end = self.m.find(b"\0")
        if not self.m[:end].startswith(b"JAVA PROFILE"):
            raise SystemExit(f"{path}: not an HPROF file")
        self.idsize = struct.unpack_from(">I", self.m, end + 1)[0]
        self.start = end + 1 + 4 + 8
        self.idfmt = ">Q" if self.idsize == 8 else ">I"
        SIZES[2] = self.idsize

    def rid(self, off):
        return struct.unpack_from(self.idfmt, self.m, off)[0]

    def records(self):
        """(tag, body offset, body length) of each top-level record."""
        off, m = self.start, self.m
        n = len(m)
        while off < n:
            tag = m[off]
            length = struct.unpack_from(">I", m, off + 5)[0]
            yield tag, off + 9, length
            off += 9 + length

    def segments(self):
        for tag, off, length in self.records():
            if tag in (0x0C, 0x1C):
                yield off, off + length


def scan(d, on_class=None, on_instance=None, on_objarray=None, on_primarray=None):
    """Walks every heap-dump sub-record, calling the handlers with file offsets."""
    I = d.idsize
    skip_roots = {0xFF: I, 0x01: 2 * I, 0x02: I + 8, 0x03: I + 8, 0x04: I + 4, 0x05: I, 0x06: I + 4,
                  0x07: I, 0x08: I + 8, 0x89: I, 0x8A: I, 0x8B: I, 0x8C: I, 0x8D: I, 0x8E: I + 8, 0x90: I,
                  0xC3: I + 8}
    m = d.m
    for off, end in d.segments():
        while off < end:
            sub = m[off]
            off += 1
            if sub in skip_roots:
                off += skip_roots[sub]
            elif sub == 0x20:  # CLASS DUMP
                start = off
                off += 7 * I + 8
                ncp = struct.unpack_from(">H", m, off)[0]
                off += 2
                for _ in range(ncp):
                    t = m[off + 2]
                    off += 3 + SIZES[t]
                nst = struct.unpack_from(">H", m, off)[0]
                off += 2
                for _ in range(nst):
                    t = m[off + I]
                    off += I + 1 + SIZES[t]
                nf = struct.unpack_from(">H", m, off)[0]
                off += 2
                fields = []
                for _ in range(nf):
                    fields.append((d.rid(off), m[off + I]))
                    off += I + 1
                if on_class:
                    on_class(d.rid(start), d.rid(start + I + 4), fields)
            elif sub == 0x21:  # INSTANCE DUMP
                oid = d.rid(off)
                cid = d.rid(off + I + 4)
                n = struct.unpack_from(">I", m, off + 2 * I + 4)[0]
                body = off + 2 * I + 8
                if on_instance:
                    on_instance(oid, cid, body)
                off = body + n
            elif sub == 0x22:  # OBJECT ARRAY DUMP
                oid = d.rid(off)
                n = struct.unpack_from(">I", m, off + I + 4)[0]
                acid = d.rid(off + I + 8)
                body = off + 2 * I + 8
                if on_objarray:
                    on_objarray(oid, acid, body, n)
                off = body + n * I
            elif sub == 0x23:  # PRIMITIVE ARRAY DUMP
                oid = d.rid(off)
                n = struct.unpack_from(">I", m, off + I + 4)[0]
                t = m[off + I + 8]
                if on_primarray:
                    on_primarray(oid, t, n)
                off += I + 9 + n * SIZES[t]
            else:
                raise SystemExit(f"unknown heap sub-record 0x{sub:02x} at {off - 1}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dump")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--per", type=int, default=0, help="also print bytes per N (e.g. per connection)")
    ap.add_argument("--class", dest="cls", default="[B", help="the class to sum (default [B, byte[])")
    a = ap.parse_args()
    d = Dump(a.dump)
    I = d.idsize

    strings, class_name = {}, {}
    for tag, off, length in d.records():
        if tag == 0x01:
            strings[d.rid(off)] = d.m[off + I:off + length].decode("utf-8", "replace")
        elif tag == 0x02:
            class_name[d.rid(off + 4)] = d.rid(off + 8 + I)
    class_name = {k: strings.get(v, "?").replace("/", ".") for k, v in class_name.items()}

    supers, fields = {}, {}
    byte_arrays = {}  # the objects summed: id -> length (arrays) or -1 (instances)
    want = {cid for cid, name in class_name.items() if name == a.cls}
    if a.cls != "[B" and not want:
        raise SystemExit(f"no class {a.cls} in the dump")

    def on_class(cid, sup, fl):
        supers[cid] = sup
        fields[cid] = [(strings.get(n, "?"), t) for n, t in fl]

    def on_prim(oid, t, n):
        if t == BYTE and a.cls == "[B":
            byte_arrays[oid] = n

    def on_want_inst(oid, cid, body):
        if cid in want:
            byte_arrays[oid] = -1

    def on_want_arr(oid, acid, body, n):
        if acid in want:
            byte_arrays[oid] = n

    scan(d, on_class=on_class, on_primarray=on_prim, on_instance=on_want_inst, on_objarray=on_want_arr)
    inst_size = 0
    for cid in want:
        c = cid
        while c:
            inst_size += sum(4 if t == 2 else SIZES[t] for _, t in fields.get(c, []))
            c = supers.get(c, 0)
    inst_size = (12 + inst_size + 7) // 8 * 8

    # per class: (offset, field name) of each reference field, own fields first, then the super's
    layout = {}

    def refs_of(cid):
        if cid in layout:
            return layout[cid]
        out, off, c = [], 0, cid
        while c:
            for name, t in fields.get(c, []):
                if t == 2:
                    out.append((off, name))
                off += SIZES[t]
            c = supers.get(c, 0)
        layout[cid] = out
        return out

    owner = {}  # byte[] id -> (referrer id, referrer class, field)
    obj_class = {}

    def on_inst(oid, cid, body):
        for off, name in refs_of(cid):
            v = d.rid(body + off)
            if v in byte_arrays and v not in owner:
                owner[v] = (oid, class_name.get(cid, "?"), name)

    def on_arr(oid, acid, body, n):
        for i in range(n):
            v = d.rid(body + i * I)
            if v in byte_arrays and v not in owner:
                owner[v] = (oid, class_name.get(acid, "?"), "[]")

    scan(d, on_instance=on_inst, on_objarray=on_arr)

    referrers = {r[0] for r in owner.values()}
    parent = {}  # referrer id -> (its referrer's class, field)

    def on_inst2(oid, cid, body):
        for off, name in refs_of(cid):
            v = d.rid(body + off)
            if v in referrers and v not in parent:
                parent[v] = (class_name.get(cid, "?"), name)

    def on_arr2(oid, acid, body, n):
        for i in range(n):
            v = d.rid(body + i * I)
            if v in referrers and v not in parent:
                parent[v] = (class_name.get(acid, "?"), "[]")

    scan(d, on_instance=on_inst2, on_objarray=on_arr2)

    groups = collections.defaultdict(lambda: [0, 0, collections.Counter()])
    for aid, n in byte_arrays.items():
        if aid in owner:
            rid, rc, rf = owner[aid]
            pc, pf = parent.get(rid, ("(root or unreferenced)", ""))
            key = f"{pc}.{pf} -> {rc}.{rf}"
        else:
            key = "(no referrer)"
        g = groups[key]
        g[0] += 1
        if n < 0:
            g[1] += inst_size
        elif a.cls == "[B":
            g[1] += 16 + (n + 7) // 8 * 8  # array header and padding, as HotSpot lays it out (compressed)
        else:
            g[1] += 16 + (4 * n + 7) // 8 * 8
        g[2][n] += 1
    total = sum(g[1] for g in groups.values())
    print(f"{len(byte_arrays)} of {a.cls}, {total} bytes" +
          (f", {total // a.per} bytes per {a.per}th" if a.per else ""))
    print(f"{'bytes':>12} {'objects':>8} {'per N':>8}  path (owner's owner.field -> owner.field): commonest lengths")
    for key, (cnt, size, lens) in sorted(groups.items(), key=lambda kv: -kv[1][1])[:a.top]:
        common = "" if a.cls != "[B" and not a.cls.startswith("[") else \
            ", ".join(f"{ln} x{c}" for ln, c in lens.most_common(4))
        per = f"{size // a.per:>8}" if a.per else f"{'':>8}"
        print(f"{size:>12} {cnt:>8} {per}  {key}: {common}")


if __name__ == "__main__":
    main()
