package io.jmptcp.core.robust;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.mib.StackMib;
import io.jmptcp.core.mptcp.MptcpConfig;
import io.jmptcp.core.mptcp.MptcpConnection;
import io.jmptcp.core.sim.Packet;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.RandomGenerator;

/**
 * Random and mutated IP packets through the whole inbound path of the engine (IP and TCP
 * decoding, checksums, demultiplexing, listener, TCP state machine, MPTCP option handling, DSS
 * mappings, reassembly), against a server that listens and a live two-subflow MPTCP connection
 * with data in flight both ways (DSS checksums on, so that a forged payload is caught as the
 * RFC 8684 section 3.3.1 receiver catches it).
 *
 * <p>Each case is drawn by jqwik: a kind of input, the stack it goes to, how much virtual time
 * passes before it, and a seed for its details. The bases are packets an on-path observer saw
 * (SYN with MP_CAPABLE, MP_JOIN SYN, DSS data and acks, ADD_ADDR) and fresh forgeries (SYN floods
 * from random sources, MP_JOIN with real and random tokens, ADD_ADDR with wrong HMACs, RSTs,
 * DSS mappings of every shape, random bytes). Mutations: bit flips, truncation, random option
 * bytes, random header fields; with the checksums repaired or not.
 *
 * <p>After every case: no exception escaped (and none was caught inside the engine:
 * {@link StackMib#CONNECTION_ERRORS} stays 0), state is bounded (connections, half-open
 * connections, tokens, subflows), and each end of the live connection has read a prefix of what
 * the other wrote, byte for byte. That last check holds for what the DSS checksum can catch: it is
 * a 16-bit one's-complement sum, like TCP's, so two compensating bit flips in a payload (found by
 * this test in its first version, case 702 of seed 20240613), or forged new data with a
 * right-by-chance checksum (1 in 65536), pass it, as they pass TCP's. The mutations are built
 * so that forged bytes never race the real ones into the window: checksum-repaired damage to a
 * packet with payload stays in its headers (not its sequence number or data offset), forged data
 * segments carry sequence numbers the target already has or that lie beyond its window. Forged
 * bytes that do win the race are caught by the DSS checksum, and then a connection with more
 * than one subflow resets the subflow (no byte delivered), while a connection that has only ever
 * had one subflow takes them as a middlebox's rewrite, sends MP_FAIL and falls back to TCP, as
 * Linux does (found by this test too: seed 20240613, case 5865 of its second version). The fixture is renewed when its connection died or every
 * {@link #RENEW_EVERY} cases.
 *
 * <p>10^4 cases in the normal suite; the long run is
 * {@code mvn -B -o -pl mptcp-core -am -Dsurefire.excludedGroups=netns -Dtest=InboundFuzzTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Djmptcp.fuzz.tries=1000000 verify} (seed with
 * {@code -Djmptcp.fuzz.seed=N}).
 */
class InboundFuzzTest {
    static final int RENEW_EVERY = 2500;
    static final int MAX_HALF_OPEN = 64;
    static final int BACKLOG = 16;
    static final int MAX_SUBFLOWS = 4;

    enum Kind {
        REPLAY_MUTATED, FLIPPED_RAW, TRUNCATED, RANDOM_OPTIONS, RANDOM_HEADER, SYN_CAPABLE, JOIN_SYN,
        ADD_ADDR, RST, DSS, RANDOM_BYTES
    }

    record Case(Kind kind, boolean toServer, int advanceMicros, long seed) {
    }

    static Arbitrary<Case> cases() {
        return Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.of(true, true, false),
                Arbitraries.integers().between(0, 3000), Arbitraries.longs()).as(Case::new);
    }

    @Example
    void mutatedAndRandomPacketsKeepTheEngineSound() {
        run(Long.getLong("jmptcp.fuzz.tries", 10_000), Long.getLong("jmptcp.fuzz.seed", 20240613), -1);
    }

    /** Runs {@code tries} cases from {@code seed}; case {@code skip} is drawn but not injected (for bisecting). */
    static void run(long tries, long seed, long skip) {
        RandomGenerator<Case> gen = cases().generator(1000, true);
        Random random = new Random(seed);
        Map<Kind, Long> count = new EnumMap<>(Kind.class);
        long renewals = 0;
        long deliveredTotal = 0;
        int maxSubflowsSeen = 0;
        int maxLiveSeen = 0;
        HostileNet net = null;
        int sinceRenewal = 0;
        long fixtureSeed = seed;
        for (long i = 0; i < tries; i++) {
            if (net == null || sinceRenewal >= RENEW_EVERY || !alive(net)) {
                if (net != null) {
                    deliveredTotal += net.clientApp.received + net.serverApp.received;
                }
                net = fixture(++fixtureSeed);
                renewals++;
                sinceRenewal = 0;
            }
            sinceRenewal++;
            Case c = gen.next(random).value();
            count.merge(c.kind(), 1L, Long::sum);
            byte[] packet = null;
            try {
                long t = net.now() + c.advanceMicros();
                net.net.sim.runTo(t);
                packet = make(net, c);
                if (probe != null) {
                    probe.accept(i, net, packet);
                }
                if (packet != null && i != skip) {
                    net.inject(packet, c.toServer());
                }
            } catch (RuntimeException | AssertionError e) {
                throw new AssertionError(where(seed, i, c, packet, net), e);
            }
            recent.addLast(i + " " + c + " -> " + (c.toServer() ? "server" : "client") + " "
                    + (packet == null ? "-" : HexFormat.of().formatHex(packet)));
            if (recent.size() > 12) {
                recent.removeFirst();
            }
            check(net, seed, i, c, packet);
            maxLiveSeen = Math.max(maxLiveSeen, net.net.server.liveConnections());
            if (net.clientConn != null) {
                maxSubflowsSeen = Math.max(maxSubflowsSeen, net.clientConn.subflows().size());
            }
            if (net.serverConn() != null) {
                maxSubflowsSeen = Math.max(maxSubflowsSeen, ((MptcpConnection) net.serverConn()).subflows().size());
            }
        }
        deliveredTotal += net.clientApp.received + net.serverApp.received;
        System.out.printf("fuzz: %d cases, seed %d, %d fixtures, %d bytes delivered intact, most live connections %d,"
                + " most subflows %d, by kind %s%n", tries, seed, renewals, deliveredTotal, maxLiveSeen,
                maxSubflowsSeen, count);
        // The cases reached the deep end: the live connections moved data, the listener was flooded.
        assertTrue(deliveredTotal > 1_000_000, "delivered only " + deliveredTotal);
        assertEquals(Kind.values().length, count.size(), "every kind drawn: " + count);
    }

    static HostileNet fixture(long seed) {
        MptcpConfig c = new MptcpConfig().checksum(true).maxSubflows(MAX_SUBFLOWS);
        MptcpConfig s = new MptcpConfig().checksum(true).maxSubflows(MAX_SUBFLOWS);
        HostileNet n = new HostileNet(seed, c, s, 1L << 40, BACKLOG, MAX_HALF_OPEN, HostileNet.link(20_000_000, 5_000));
        n.clientApp.holdOpen = true;
        n.serverApp.holdOpen = true;
        n.connect();
        assertTrue(n.run(() -> n.clientConn.subflows().size() == 2 && n.serverConn() != null
                && n.clientApp.received > 10_000 && n.serverApp.received > 10_000, 5_000_000), n::describe);
        return n;
    }

    /**
     * Both ends established with a subflow each. A connection that lost every subflow stays
     * established for the close timeout (break before make) but moves nothing: renew it.
     */
    static boolean alive(HostileNet n) {
        return n.clientConn.state() == Connection.State.ESTABLISHED && n.serverConn() != null
                && n.serverConn().state() == Connection.State.ESTABLISHED && !n.clientConn.subflows().isEmpty()
                && !((MptcpConnection) n.serverConn()).subflows().isEmpty();
    }

    static void check(HostileNet n, long seed, long i, Case c, byte[] packet) {
        String where = where(seed, i, c, packet, n);
        for (boolean server : new boolean[] {true, false}) {
            assertEquals(0, n.counter(server, StackMib.CONNECTION_ERRORS), () -> "a connection threw: " + where);
        }
        // Bounded state: the live connection, the SYN queue, the accept queue (drained by the app).
        int live = n.net.server.liveConnections();
        assertTrue(live <= 1 + MAX_HALF_OPEN + BACKLOG, () -> live + " connections on the server: " + where);
        assertTrue(n.listener.halfOpen() <= MAX_HALF_OPEN, where);
        assertTrue(n.listener.acceptable() <= BACKLOG, where);
        assertTrue(n.net.client.liveConnections() <= 1, () -> "client connections: " + where);
        assertTrue(n.serverFactory.tokenCount() <= live, () -> "server tokens " + n.serverFactory.tokenCount() + ": " + where);
        assertTrue(n.clientFactory.tokenCount() <= 1, where);
        for (MptcpConnection m : List.of(n.clientConn, (MptcpConnection) n.serverConn())) {
            long open = m.subflows().stream().filter(s -> !s.toString().contains("CLOSED")).count();
            assertTrue(open <= MAX_SUBFLOWS, () -> open + " open subflows: " + where);
        }
        // Only intact bytes: each end read a prefix of the other's stream.
        assertEquals(-1, n.clientApp.firstCorrupt, () -> "client read a corrupt byte: " + where);
        assertEquals(-1, n.serverApp.firstCorrupt, () -> "server read a corrupt byte: " + where);
        assertTrue(n.clientApp.received <= n.serverApp.written && n.serverApp.received <= n.clientApp.written, where);
    }

    interface Probe {
        void accept(long i, HostileNet n, byte[] packet);
    }

    static Probe probe;

    /** The last cases, for the failure message. */
    static final java.util.ArrayDeque<String> recent = new java.util.ArrayDeque<>();

    static String where(long seed, long i, Case c, byte[] packet, HostileNet n) {
        return "seed " + seed + " case " + i + " " + c + " packet "
                + (packet == null ? "-" : HexFormat.of().formatHex(packet)) + "\nchecksums "
                + n.clientConn.checksumsInUse() + "\n" + n.describe() + "\nlast cases:\n" + String.join("\n", recent);
    }

    // ---- the inputs ------------------------------------------------------------------------------

    /** The packet for one case, or null when the case has no base to work on. */
    static byte[] make(HostileNet n, Case c) {
        SplittableRandom r = new SplittableRandom(c.seed());
        HostileNet.Seen base = seen(n, c.toServer(), r);
        switch (c.kind()) {
            case REPLAY_MUTATED: {
                // Checksums repaired. A packet with payload gets one bit in its headers, never in
                // its sequence number or data offset: damaged payload that races the real segment
                // is what a rewriting middlebox sends, and a connection with one subflow takes it
                // after MP_FAIL, by design (see the class doc).
                if (base == null) {
                    return null;
                }
                byte[] b = base.bytes();
                int hdr = Mutator.headersLength(b);
                if (hdr >= b.length) {
                    return Mutator.fix(Mutator.flipBits(b, 1 + r.nextInt(4), b.length, r));
                }
                int off = Mutator.tcpOffset(b);
                byte[] m;
                do {
                    m = Mutator.flipBits(b, 1, hdr, r);
                } while (off >= 0 && differsIn(b, m, off + 4, off + 8) || off >= 0 && differsIn(b, m, off + 12, off + 13));
                return Mutator.fix(m);
            }
            case FLIPPED_RAW:
                // One bit, checksums left as they are: the IP or TCP checksum must catch it.
                return base == null ? null : Mutator.flipBits(base.bytes(), 1, Integer.MAX_VALUE, r);
            case TRUNCATED: {
                if (base == null) {
                    return null;
                }
                byte[] t = Mutator.truncate(base.bytes(), r);
                return r.nextBoolean() ? Mutator.fix(t) : t;
            }
            case RANDOM_OPTIONS: {
                if (base == null) {
                    return null;
                }
                int off = Mutator.tcpOffset(base.bytes());
                int hl = Mutator.tcpHeaderLength(base.bytes());
                if (off < 0 || hl <= 20) {
                    return Mutator.fix(Mutator.overwrite(base.bytes(), 0, base.bytes().length, r));
                }
                int from = off + 20 + r.nextInt(hl - 20);
                return Mutator.fix(Mutator.overwrite(base.bytes(), from, off + hl, r));
            }
            case RANDOM_HEADER: {
                if (base == null) {
                    return null;
                }
                int off = Mutator.tcpOffset(base.bytes());
                if (off < 0) {
                    return null;
                }
                // One of seq (of a packet without payload), ack, flags, window; or the IP header.
                boolean data = base.bytes().length > Mutator.headersLength(base.bytes());
                int[][] fields = {data ? new int[] {off + 13, off + 14} : new int[] {off + 4, off + 8},
                                  {off + 8, off + 12}, {off + 13, off + 14}, {off + 14, off + 16}, {0, off}};
                int[] f = fields[r.nextInt(fields.length)];
                return Mutator.fix(Mutator.overwrite(base.bytes(), f[0], f[1], r));
            }
            case RANDOM_BYTES:
                return r.nextBoolean() ? Mutator.random(r) : Mutator.fix(Mutator.random(r));
            default:
                return forge(n, c, r);
        }
    }

    static boolean differsIn(byte[] a, byte[] b, int from, int to) {
        for (int i = from; i < to && i < a.length; i++) {
            if (a[i] != b[i]) {
                return true;
            }
        }
        return false;
    }

    /** A packet seen on the wire travelling towards the chosen stack, or null. */
    static HostileNet.Seen seen(HostileNet n, boolean toServer, SplittableRandom r) {
        List<HostileNet.Seen> pool = new ArrayList<>();
        for (int k = n.seen.size() - 1; k >= 0 && pool.size() < 64; k--) {
            if (n.seen.get(k).fromClient() == toServer) {
                pool.add(n.seen.get(k));
            }
        }
        for (HostileNet.Seen s : n.firstPackets) {
            if (s.fromClient() == toServer && r.nextInt(4) == 0) {
                return s; // the handshakes: SYN with MP_CAPABLE, MP_JOIN SYN and their answers
            }
        }
        return pool.isEmpty() ? null : pool.get(r.nextInt(pool.size()));
    }

    /** Forged packets built from what an observer learnt (addresses, ports, sequence numbers, token). */
    static byte[] forge(HostileNet n, Case c, SplittableRandom r) {
        boolean toServer = c.toServer();
        // The target's own last packet tells what it expects: its ACK is its rcv.nxt.
        HostileNet.Seen last = null;
        for (int k = n.seen.size() - 1; k >= 0; k--) {
            if (n.seen.get(k).fromClient() != toServer) {
                last = n.seen.get(k);
                break;
            }
        }
        if (last == null) {
            return null;
        }
        Packet p = new Packet(0, last.bytes());
        FourTuple from = p.tuple().reversed(); // the target's peer, as the sender
        TcpHeader h = p.segment().header();
        int rcvNxt = h.ack();
        int seq = rcvNxt + (r.nextInt(3) == 0 ? 0 : r.nextInt(-200_000, 200_000));
        int ack = h.seq() + p.segment().length() + (r.nextInt(3) == 0 ? r.nextInt(-200_000, 200_000) : 0);
        switch (c.kind()) {
            case SYN_CAPABLE: {
                FourTuple t = new FourTuple(randomV4(r), 1024 + r.nextInt(60_000), HostileNet.S, HostileNet.PORT);
                int flags = r.nextInt(8) == 0 ? r.nextInt(256) : MptcpOption.CAP_H_HMAC_SHA256;
                int version = r.nextInt(8) == 0 ? r.nextInt(16) : 1;
                List<TcpOption> o = List.of(new TcpOption.Mss(1460), new TcpOption.SackPermitted(),
                        new MptcpOption.MpCapable(MptcpOption.CapableForm.SYN, version, flags, 0, 0, 0, 0));
                return Packet.encode(toServer ? t : swapTo(t, HostileNet.C1),
                        Segment.of(new TcpHeader(t.localPort(), toServer ? HostileNet.PORT : from.remotePort(), r.nextInt(),
                                0, TcpHeader.SYN, 65535, 0, 0, o)));
            }
            case JOIN_SYN: {
                int token = n.serverToken != 0 && r.nextBoolean() ? n.serverToken : r.nextInt();
                InetAddress src = r.nextBoolean() ? HostileNet.C2 : randomV4(r);
                FourTuple t = new FourTuple(src, 1024 + r.nextInt(60_000), HostileNet.S, HostileNet.PORT);
                List<TcpOption> o = List.of(new TcpOption.Mss(1460),
                        new MptcpOption.MpJoinSyn(r.nextBoolean(), r.nextInt(256), token, r.nextInt()));
                return Packet.encode(t, Segment.of(new TcpHeader(t.localPort(), HostileNet.PORT, r.nextInt(), 0,
                        TcpHeader.SYN, 65535, 0, 0, o)));
            }
            case ADD_ADDR: {
                MptcpOption.AddAddr a = new MptcpOption.AddAddr(r.nextInt(4) == 0, r.nextInt(256), randomV4(r),
                        r.nextBoolean() ? -1 : r.nextInt(65536), r.nextLong());
                return Packet.encode(from, Segment.of(new TcpHeader(from.localPort(), from.remotePort(),
                        r.nextBoolean() ? rcvNxt : seq, ack, TcpHeader.ACK, h.window(), 0, 0, List.of(a))));
            }
            case RST: {
                List<TcpOption> o = switch (r.nextInt(3)) {
                    case 0 -> List.of();
                    case 1 -> List.of(new MptcpOption.MpTcpRst(r.nextInt(16), r.nextInt(256)));
                    default -> List.of(new MptcpOption.MpFastclose(r.nextLong()));
                };
                int flags = TcpHeader.RST | (r.nextBoolean() ? TcpHeader.ACK : 0);
                return Packet.encode(from, Segment.of(new TcpHeader(from.localPort(), from.remotePort(), seq, ack,
                        flags, 0, 0, 0, o)));
            }
            case DSS: {
                int len = r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(1200);
                byte[] data = new byte[len];
                for (int k = 0; k < len; k++) {
                    data[k] = (byte) r.nextInt(256);
                }
                long dsn = r.nextLong();
                MptcpOption.Dss base = dssOf(h);
                if (base != null && base.hasMapping() && r.nextBoolean()) {
                    dsn = base.dsn() + base.dataLevelLength() + r.nextInt(-5000, 5000);
                }
                boolean m = r.nextInt(5) != 0;
                int dll = switch (r.nextInt(4)) {
                    case 0 -> len;
                    case 1 -> len + 1 + r.nextInt(10_000); // longer than its segment
                    case 2 -> 0; // the infinite mapping
                    default -> r.nextInt(65536);
                };
                int ssn = base != null && base.hasMapping() ? base.ssn() + base.dataLevelLength() + r.nextInt(-3000, 3000)
                        : r.nextInt();
                MptcpOption.Dss d = new MptcpOption.Dss(r.nextBoolean(), r.nextBoolean(),
                        base != null && r.nextBoolean() ? base.dataAck() + r.nextInt(-100_000, 100_000) : r.nextLong(),
                        m, r.nextBoolean(), dsn, ssn, dll, r.nextInt(6) == 0, r.nextInt(4) != 0, r.nextInt(65536));
                int flags = TcpHeader.ACK | (r.nextInt(10) == 0 ? TcpHeader.FIN : 0);
                if (len > 0 && r.nextInt(4) != 0) {
                    // Data the target already has (TCP trims it, the mapping is still examined); new
                    // forged data in the window would pass a 16-bit checksum once in 65536 tries.
                    seq = rcvNxt - len - r.nextInt(2000);
                } else if (len > 0) {
                    seq = rcvNxt + 70_000 + r.nextInt(1 << 30); // beyond the window
                }
                return Packet.encode(from, new Segment(new TcpHeader(from.localPort(), from.remotePort(), seq, ack,
                        flags, h.window(), 0, 0, List.of(d)), data, 0, len));
            }
            default:
                throw new IllegalStateException(c.kind().toString());
        }
    }

    private static FourTuple swapTo(FourTuple t, InetAddress dst) {
        return new FourTuple(t.localAddress(), t.localPort(), dst, t.remotePort());
    }

    static MptcpOption.Dss dssOf(TcpHeader h) {
        for (TcpOption o : h.options()) {
            if (o instanceof MptcpOption.Dss d) {
                return d;
            }
        }
        return null;
    }

    static InetAddress randomV4(SplittableRandom r) {
        byte[] a = new byte[4];
        int v = r.nextInt();
        a[0] = (byte) (1 + r.nextInt(223));
        a[1] = (byte) (v >>> 16);
        a[2] = (byte) (v >>> 8);
        a[3] = (byte) v;
        try {
            return InetAddress.getByAddress(a);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
