package io.jmptcp.core.engine;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.SegmentSink;
import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.pm.Endpoint;
import io.jmptcp.core.pm.Endpoints;
import io.jmptcp.core.mib.StackMib;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.IsnGenerator;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.PacketParse;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOptionCodec;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sans-I/O packet engine (after smoltcp's {@code Interface::poll}): IP packets in as bytes, IP
 * packets out as bytes, time as an argument. It owns the connection table and demultiplexes
 * inbound segments by 4-tuple to {@link Connection}s (or to a listener's factory for a new SYN),
 * answers segments for closed ports with the RST of RFC 9293 section 3.10.7.1, keeps every
 * connection's next wake-up as data, and encodes what the connections emit into IPv4/IPv6
 * packets. It implements {@link StackContext} for the connections.
 *
 * <p>It never reads a clock, locks, or starts a thread: a driver (the runtime's event loop, the
 * simulator) calls {@link #poll(long, Rx, Tx)} with the packets that arrived and again by
 * {@link #pollAt()}, and calls the application side ({@link #connect}, {@link #listen},
 * {@link #touch}) from the same thread or under its own lock. Only {@link #decode} may run
 * concurrently with the rest: it reads nothing that changes.
 *
 * <p>Input checks, in order: parseable TCP in IPv4/IPv6 (else dropped and counted), IPv4 header
 * and TCP checksums, destination is an engine address.
 *
 * <p>Failure isolation: a {@link RuntimeException} thrown by one connection's {@code input},
 * {@code poll}, {@code pollAt}, {@code finished} or {@code state} does not reach the driver. The
 * engine aborts that connection (RST, or MP_FASTCLOSE for MPTCP); if the abort throws too, it
 * sends a plain RST on each of the connection's 4-tuples instead. It then drops the connection
 * from its tables, counts {@link StackMib#CONNECTION_ERRORS}, logs it once and goes on with the
 * others. Failures of the {@link Tx} are the driver's and are passed on unchanged.
 */
public final class Engine implements StackContext {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);
    private static final byte[] EMPTY = new byte[0];
    private static final int TTL = 64;
    private static final int EPHEMERAL_LOW = 32768;
    private static final int EPHEMERAL_HIGH = 60999; // Linux ip_local_port_range

    /** Inbound IP packets for one poll: packet {@code i} lies from position 0 to its limit. */
    public interface Rx {
        int size();

        ByteBuffer packet(int i);
    }

    /** Buffers for outbound IP packets. */
    public interface Tx {
        /** A buffer with at least {@code mtu} bytes from index 0 for the next packet. */
        ByteBuffer next();

        /** The buffer from {@link #next()} now holds one IP packet, from position 0 to its limit. */
        void commit(ByteBuffer packet);
    }

    /** What a driver learns after the engine drove a connection (the runtime wakes threads with it). */
    public interface Observer {
        /**
         * The engine polled {@code c} this round.
         *
         * @param attachment   what the driver {@link #attach attached} to the connection, or null
         * @param listener     the attachment of the listener whose accept queue holds it, or null
         * @param news         input arrived that a reader may care about (data, FIN, RST, MPTCP options)
         * @param stateChanged {@link Connection#state()} differs from the last time
         */
        void serviced(Connection c, Object attachment, Object listener, boolean news, boolean stateChanged);

        /** The engine dropped {@code c} (finished, or reset after it threw); it is no longer served. */
        void forgotten(Connection c, Object attachment);
    }

    private static final Observer NO_OBSERVER = new Observer() {
        @Override
        public void serviced(Connection c, Object attachment, Object listener, boolean news, boolean stateChanged) {
        }

        @Override
        public void forgotten(Connection c, Object attachment) {
        }
    };

    /**
     * One inbound packet after {@link #decode}: the segment and its 4-tuple (local address first),
     * or the reason it is dropped. Reusable: a driver keeps one per packet slot.
     */
    public static final class Inbound {
        private StackMib drop;
        private FourTuple tuple;
        private Segment segment;

        /** Why the packet is dropped, or null. */
        public StackMib drop() {
            return drop;
        }

        public FourTuple tuple() {
            return tuple;
        }

        public Segment segment() {
            return segment;
        }

        /** Lets go of the segment (its payload) once it was delivered. */
        public void clear() {
            drop = null;
            tuple = null;
            segment = null;
        }
    }

    /**
     * A listening port: connections from SYNs, in arrival order, until the application accepts them.
     * Two bounds, as Linux keeps a SYN (request) queue apart from the accept queue: at most
     * {@code backlog} connections past their handshake wait to be accepted (a SYN beyond that is
     * dropped, and the peer retries it), and at most {@code maxHalfOpen} are still in their
     * handshake. A SYN beyond the second bound evicts the oldest half-open connection, as the
     * BSD syncache drops its oldest entry (RFC 4987 section 3.4): a SYN flood then holds a
     * bounded amount of state, and a legitimate client gets in as long as its handshake finishes
     * before {@code maxHalfOpen} newer SYNs arrive (RFC 6182 section 5.8: no significant state
     * before a connection is established).
     */
    public static final class Listener {
        private final int port;
        private final int backlog;
        private final int maxHalfOpen;
        private final ArrayDeque<Entry> queue = new ArrayDeque<>();
        /** The queued connections still in their handshake, oldest first. */
        private final LinkedHashSet<Entry> halfOpen = new LinkedHashSet<>();
        private boolean closed;
        private Object attachment;

        Listener(int port, int backlog, int maxHalfOpen) {
            this.port = port;
            this.backlog = backlog;
            this.maxHalfOpen = maxHalfOpen;
        }

        public int port() {
            return port;
        }

        /** Connections of this listener still in their handshake. */
        public int halfOpen() {
            return halfOpen.size();
        }

        /** Connections past their handshake that the application has not accepted yet. */
        public int acceptable() {
            return queue.size() - halfOpen.size();
        }

        public int maxHalfOpen() {
            return maxHalfOpen;
        }

        public boolean closed() {
            return closed;
        }

        /** Something of the driver's, handed to the {@link Observer} with the queued connections. */
        public void attach(Object a) {
            attachment = a;
        }

        public Object attachment() {
            return attachment;
        }
    }

    private final ConnectionFactory factory;
    /** Replaced whole on a change, so {@link #decode} may read it without the driver's lock. */
    private volatile Endpoints endpoints;
    private volatile Set<InetAddress> addressSet;
    private final int mtu;
    private final IsnGenerator isn;
    private final LongSupplier random;
    private final Observer observer;
    private final Mib mib = new Mib();

    private final Map<FourTuple, Entry> demux = new HashMap<>();
    /** Insertion-ordered, so every walk over the connections is the same from run to run. */
    private final Map<Connection, Entry> entries = new LinkedHashMap<>();
    private final Map<Integer, Listener> listeners = new HashMap<>();
    /** Most connections at a time (every state, outgoing ones included); new SYNs beyond it are refused. */
    private volatile int maxConnections = Integer.MAX_VALUE;
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final ArrayDeque<Entry> touched = new ArrayDeque<>();
    private final ArrayList<Entry> due = new ArrayList<>();
    private final Output output;
    private final Inbound scratch = new Inbound();
    /** Made at the first cookie (its secret is drawn then, so a seeded run's keys do not move). */
    private SynCookies cookies;
    /** When the last SYN cookie went out: ACKs for a listener are checked for one within its lifetime. */
    private long cookieSentAt;
    private long nextId = 1;

    /**
     * @param factory   makes connections (plain TCP or MPTCP)
     * @param addresses the engine's own addresses; the first carries outgoing connections
     * @param mtu       the largest IP packet the driver carries
     * @param isn       RFC 6528 ISNs
     * @param random    random 64-bit values (a SecureRandom in production, seeded in tests)
     * @param observer  told about every connection the engine drove, or null
     */
    public Engine(ConnectionFactory factory, List<InetAddress> addresses, int mtu, IsnGenerator isn,
                  LongSupplier random, Observer observer) {
        this(factory, Endpoints.of(addresses, Endpoint.SUBFLOW), mtu, isn, random, observer);
    }

    /**
     * @param endpoints the engine's own addresses and their path-manager flags; the first address
     *                  carries outgoing connections
     */
    public Engine(ConnectionFactory factory, Endpoints endpoints, int mtu, IsnGenerator isn,
                  LongSupplier random, Observer observer) {
        if (endpoints.list().isEmpty()) {
            throw new IllegalArgumentException("the stack needs at least one address");
        }
        this.factory = factory;
        this.endpoints = endpoints;
        this.addressSet = Set.copyOf(new HashSet<>(endpoints.addresses()));
        this.mtu = mtu;
        this.isn = isn;
        this.random = random;
        this.observer = observer == null ? NO_OBSERVER : observer;
        this.output = new Output(mtu);
    }

    // =============================================================================================
    // Driver side
    // =============================================================================================

    /**
     * Delivers the packets of {@code rx}, then polls what is due at {@code nowMicros}: connections
     * that got input or were {@link #touch touched}, and expired timers. Emits into {@code tx}.
     */
    public void poll(long nowMicros, Rx rx, Tx tx) {
        int n = rx.size();
        for (int i = 0; i < n; i++) {
            decode(rx.packet(i), scratch);
            receive(nowMicros, scratch, tx);
        }
        scratch.clear();
        poll(nowMicros, tx);
    }

    /**
     * Parses and checks one IP packet (IP/TCP decoding, checksums, destination) into {@code into}.
     * Changes nothing in the engine and reads only what never changes, so a driver may decode
     * before it takes the lock that serialises the other calls.
     */
    public void decode(ByteBuffer packet, Inbound into) {
        into.clear();
        PacketParse parsed = IpPacketCodec.parse(packet, 0, packet.limit());
        if (!(parsed instanceof PacketParse.Tcp p)) {
            into.drop = StackMib.DROP_REJECTED;
            return;
        }
        if (!p.ipChecksumValid()) {
            into.drop = StackMib.DROP_BAD_IP_CHECKSUM;
            return;
        }
        if (!p.tcpChecksumValid()) {
            into.drop = StackMib.DROP_BAD_TCP_CHECKSUM;
            return;
        }
        if (!addressSet.contains(p.dst())) {
            into.drop = StackMib.DROP_NOT_LOCAL;
            return;
        }
        TcpHeader h = p.header();
        byte[] data = EMPTY;
        int len = p.payloadLength();
        if (len > 0) {
            data = new byte[len];
            packet.get(p.payloadOffset(), data, 0, len);
        }
        into.segment = new Segment(h, data, 0, len);
        into.tuple = new FourTuple(p.dst(), h.dstPort(), p.src(), h.srcPort());
    }

    /**
     * Delivers one decoded packet: counts it (and its drop reason), hands its segment to the
     * connection of its 4-tuple or a listener, or answers with a RST. The connection is polled by
     * the next {@link #poll(long, Tx)}.
     */
    public void receive(long nowMicros, Inbound in, Tx tx) {
        output.tx = tx;
        try {
            mib.inc(StackMib.IN_PACKETS);
            if (in.drop != null) {
                mib.inc(in.drop);
                return;
            }
            deliver(nowMicros, in.tuple, in.segment);
        } catch (TxFailure f) {
            throw f.cause();
        }
    }

    /** Polls the touched connections and those whose timer expired by {@code nowMicros}. */
    public void poll(long nowMicros, Tx tx) {
        output.tx = tx;
        try {
            Entry e;
            while ((e = touched.poll()) != null) {
                e.touched = false;
                service(nowMicros, e);
            }
            Timer t;
            while ((t = timers.peek()) != null && t.at <= nowMicros) {
                timers.poll();
                Entry fired = t.entry;
                if (fired != null) {
                    fired.timer = null;
                    fired.scheduledAt = TcpConnection.NEVER;
                    due.add(fired);
                }
            }
            for (int i = 0; i < due.size(); i++) {
                service(nowMicros, due.get(i));
            }
        } catch (TxFailure f) {
            throw f.cause();
        } finally {
            due.clear();
            output.endRound();
        }
    }

    /**
     * When {@link #poll(long, Tx)} must run next: 0 (at once) while touched connections wait, the
     * earliest connection timer, or {@link TcpConnection#NEVER}.
     */
    public long pollAt() {
        if (!touched.isEmpty()) {
            return 0;
        }
        Timer t;
        while ((t = timers.peek()) != null && t.entry == null) {
            timers.poll(); // stale: rescheduled or forgotten since
        }
        return t == null ? TcpConnection.NEVER : t.at;
    }

    /**
     * For drivers whose application acts on connections without {@link #touch touching} them (the
     * simulator's apps): reads again when each connection wants to be polled.
     */
    public void refresh(long nowMicros, Tx tx) {
        output.tx = tx;
        try {
            for (Entry e : new ArrayList<>(entries.values())) {
                long at;
                try {
                    at = e.conn.pollAt();
                } catch (TxFailure f) {
                    throw f;
                } catch (RuntimeException ex) {
                    fail(nowMicros, e, ex);
                    continue;
                }
                schedule(e, at);
            }
        } catch (TxFailure f) {
            throw f.cause();
        } finally {
            output.endRound();
        }
    }

    /**
     * Aborts every connection that is connecting or established (RST, or MP_FASTCLOSE for MPTCP)
     * and emits its last segments: a stack that shuts down resets its peers instead of leaving
     * them to time out.
     */
    public void abortOpen(long nowMicros, Tx tx) {
        output.tx = tx;
        try {
            for (Entry e : new ArrayList<>(entries.values())) {
                try {
                    Connection.State st = e.conn.state();
                    if (!e.forgotten && (st == Connection.State.CONNECTING || st == Connection.State.ESTABLISHED)) {
                        e.conn.abort();
                        e.conn.poll(nowMicros, output);
                        mib.inc(StackMib.ABORTED_ON_CLOSE);
                    }
                } catch (TxFailure f) {
                    throw f;
                } catch (RuntimeException ex) {
                    fail(nowMicros, e, ex);
                }
            }
        } catch (TxFailure f) {
            throw f.cause();
        } finally {
            output.endRound();
        }
    }

    // =============================================================================================
    // Application side (the driver serialises these with the driver side)
    // =============================================================================================

    /** Opens a connection; it is polled (its SYN sent) by the next {@link #poll(long, Tx)}. */
    public Connection connect(long nowMicros, InetSocketAddress remote, ConnectionOptions options) {
        Connection c = factory.connect(nowMicros, this, remote, options);
        mib.inc(StackMib.CONNECTIONS_OPENED);
        touch(entryFor(c));
        return c;
    }

    public boolean isListening(int port) {
        return listeners.containsKey(port);
    }

    /** Half-open connections a listener keeps by default (Linux tcp_max_syn_backlog is of this order). */
    public static final int DEFAULT_MAX_HALF_OPEN = 1024;

    /** Starts listening on {@code port} on every engine address, with {@link #DEFAULT_MAX_HALF_OPEN}. */
    public Listener listen(int port, int backlog) {
        return listen(port, backlog, DEFAULT_MAX_HALF_OPEN);
    }

    /**
     * Starts listening on {@code port} on every engine address: at most {@code backlog}
     * connections wait to be accepted, at most {@code maxHalfOpen} are in their handshake.
     */
    public Listener listen(int port, int backlog, int maxHalfOpen) {
        if (maxHalfOpen < 1) {
            throw new IllegalArgumentException("maxHalfOpen must be at least 1, got " + maxHalfOpen);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        if (listeners.containsKey(port)) {
            throw new IllegalStateException("port " + port + " is already in use by a listener");
        }
        Listener l = new Listener(port, Math.max(1, backlog), maxHalfOpen);
        listeners.put(port, l);
        return l;
    }

    /** Stops listening; connections not yet accepted are aborted (and polled by the next poll). */
    public void unlisten(Listener l) {
        if (listeners.get(l.port) == l) {
            listeners.remove(l.port);
        }
        l.closed = true;
        for (Entry e : l.queue) {
            e.listener = null;
            e.conn.abort();
            touch(e);
        }
        l.queue.clear();
        l.halfOpen.clear();
    }

    /** The next connection of {@code l} past its handshake, or null if none is ready. */
    public Connection pollAccepted(Listener l) {
        for (var it = l.queue.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            Connection.State s = e.conn.state();
            if (s == Connection.State.FAILED) {
                it.remove();
                l.halfOpen.remove(e);
                e.listener = null;
            } else if (s != Connection.State.CONNECTING) {
                it.remove();
                l.halfOpen.remove(e);
                e.listener = null;
                return e.conn;
            }
        }
        return null;
    }

    /** Marks a connection changed by the application so the next poll polls it. */
    public void touch(Connection c) {
        Entry e = entries.get(c);
        if (e != null) {
            touch(e);
        }
    }

    /** Keeps {@code a} with the connection; the {@link Observer} gets it back. */
    public void attach(Connection c, Object a) {
        Entry e = entries.get(c);
        if (e != null) {
            e.attachment = a;
        }
    }

    /** What was attached to a live connection, or null. */
    public Object attachment(Connection c) {
        Entry e = entries.get(c);
        return e == null ? null : e.attachment;
    }

    /** The id of a live connection (ids count up from 1 per engine), 0 once forgotten. */
    public long idOf(Connection c) {
        Entry e = entries.get(c);
        return e == null ? 0 : e.id;
    }

    public int connectionCount() {
        return entries.size();
    }

    /** The 4-tuples bound to live connections (one per subflow still held): the demultiplexer's size. */
    public int tupleCount() {
        return demux.size();
    }

    /**
     * Caps the connections the engine holds: a SYN for a new connection (not an MP_JOIN, which the
     * subflow limit bounds) that finds {@code max} connections first evicts the listener's oldest
     * half-open one, as a full SYN queue does, and with none to evict is refused with a RST and
     * counted ({@link StackMib#CONNECTION_LIMIT_REFUSED}). Outgoing connections are not refused.
     */
    public void maxConnections(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1, got " + max);
        }
        this.maxConnections = max;
    }

    public int maxConnections() {
        return maxConnections;
    }

    /** The live connections, oldest first. */
    public List<Connection> connections() {
        return new ArrayList<>(entries.keySet());
    }

    /** The attachments of the live connections that have one. */
    public void forEachAttachment(Consumer<Object> action) {
        for (Entry e : entries.values()) {
            if (e.attachment != null) {
                action.accept(e.attachment);
            }
        }
    }

    /** The listeners. */
    public void forEachListener(Consumer<Listener> action) {
        listeners.values().forEach(action);
    }

    public long counter(StackMib c) {
        return mib.get(c);
    }

    // =============================================================================================
    // StackContext (called by connections)
    // =============================================================================================

    @Override
    public List<InetAddress> localAddresses() {
        return endpoints.addresses();
    }

    @Override
    public List<Endpoint> endpoints() {
        return endpoints.list();
    }

    /**
     * Adds an address to the stack, or changes the flags of one it has (like {@code ip mptcp
     * endpoint add|change}), and tells every connection, whose path managers act on it.
     *
     * @throws IllegalStateException when no address id is left
     */
    public Endpoint setEndpoint(long nowMicros, InetAddress address, int flags) {
        Endpoint before = endpoints.find(address);
        endpoints = endpoints.add(address, flags);
        addressSet = Set.copyOf(new HashSet<>(endpoints.addresses()));
        Endpoint after = endpoints.find(address);
        if (!after.equals(before)) {
            forEachConnection(nowMicros, c -> c.endpointChanged(nowMicros, before, after));
        }
        return after;
    }

    /**
     * Removes an address from the stack ({@code ip mptcp endpoint delete}): its subflows close
     * and the peers get REMOVE_ADDR. Returns false if the stack does not have it.
     *
     * @throws IllegalArgumentException for the stack's last address
     */
    public boolean removeEndpoint(long nowMicros, InetAddress address) {
        Endpoint e = endpoints.find(address);
        if (e == null) {
            return false;
        }
        if (endpoints.list().size() == 1) {
            throw new IllegalArgumentException("the stack's last address cannot be removed");
        }
        endpoints = endpoints.remove(address);
        addressSet = Set.copyOf(new HashSet<>(endpoints.addresses()));
        forEachConnection(nowMicros, c -> c.endpointRemoved(nowMicros, e));
        return true;
    }

    /** Runs {@code action} on every live connection, isolating the one that throws. */
    private void forEachConnection(long now, Consumer<Connection> action) {
        for (Entry e : new ArrayList<>(entries.values())) {
            if (e.forgotten) {
                continue;
            }
            try {
                action.accept(e.conn);
            } catch (TxFailure f) {
                throw f;
            } catch (RuntimeException ex) {
                fail(now, e, ex);
                continue;
            }
            touch(e);
        }
    }

    @Override
    public int mtu() {
        return mtu;
    }

    @Override
    public int ephemeralPort(InetAddress local, InetAddress remote, int remotePort) {
        int span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
        int start = (int) Long.remainderUnsigned(random.getAsLong(), span);
        for (int i = 0; i < span; i++) {
            int port = EPHEMERAL_LOW + (start + i) % span;
            if (!listeners.containsKey(port) && !demux.containsKey(new FourTuple(local, port, remote, remotePort))) {
                return port;
            }
        }
        throw new IllegalStateException("no free local port from " + local + " to " + remote + ":" + remotePort);
    }

    @Override
    public void bind(FourTuple tuple, Connection connection) {
        Entry e = entryFor(connection);
        demux.put(tuple, e);
        e.tuples.add(tuple);
    }

    @Override
    public void unbind(FourTuple tuple) {
        Entry e = demux.remove(tuple);
        if (e != null) {
            e.tuples.remove(tuple);
        }
    }

    @Override
    public IsnGenerator isn() {
        return isn;
    }

    @Override
    public LongSupplier random() {
        return random;
    }

    @Override
    public Mib mib() {
        return mib;
    }

    // =============================================================================================
    // Internals
    // =============================================================================================

    private void deliver(long now, FourTuple tuple, Segment seg) {
        TcpHeader h = seg.header();
        Entry e = demux.get(tuple);
        if (e != null) {
            e.lastTuple = tuple;
            e.lastSegment = seg;
            try {
                e.conn.input(now, tuple, seg);
            } catch (TxFailure f) {
                throw f;
            } catch (RuntimeException ex) {
                fail(now, e, ex);
                return;
            }
            if (seg.length() > 0 || (h.flags() & (TcpHeader.FIN | TcpHeader.RST | TcpHeader.SYN)) != 0
                    || TcpOptionCodec.first(h.options(), MptcpOption.class) != null) {
                e.news = true; // MPTCP options may carry a DATA_FIN: the reader looks
            }
            touch(e);
            return;
        }
        boolean rst = h.has(TcpHeader.RST);
        if (h.has(TcpHeader.SYN) && !h.has(TcpHeader.ACK) && !rst) {
            Listener l = listeners.get(h.dstPort());
            if (l != null) {
                acceptSyn(now, l, tuple, seg);
                return;
            }
        } else if (!rst && !h.has(TcpHeader.SYN) && h.has(TcpHeader.ACK) && cookies != null
                && now - cookieSentAt <= SynCookies.LIFETIME_MICROS) {
            Listener l = listeners.get(h.dstPort());
            if (l != null && acceptCookie(now, l, tuple, seg)) {
                return;
            }
        }
        mib.inc(StackMib.NO_CONNECTION);
        if (!rst) {
            sendReset(tuple, seg);
        }
    }

    private void acceptSyn(long now, Listener l, FourTuple tuple, Segment syn) {
        if (l.acceptable() >= l.backlog) {
            mib.inc(StackMib.DROP_ACCEPT_QUEUE_FULL); // as Linux: drop, the peer retries the SYN
            return;
        }
        boolean join = TcpOptionCodec.first(syn.header().options(), MptcpOption.MpJoinSyn.class) != null;
        if (l.halfOpen.size() >= l.maxHalfOpen && !join) {
            if (sendCookie(now, tuple, syn)) {
                return;
            }
            evictOldestHalfOpen(now, l); // the factory makes no cookies
        }
        if (entries.size() >= maxConnections && !join) {
            if (l.halfOpen.isEmpty()) {
                mib.inc(StackMib.CONNECTION_LIMIT_REFUSED);
                sendReset(tuple, syn);
                return;
            }
            evictOldestHalfOpen(now, l);
        }
        ConnectionFactory.Accepted a;
        try {
            a = factory.accept(now, this, tuple, syn);
        } catch (TxFailure f) {
            throw f;
        } catch (RuntimeException ex) {
            Entry bound = demux.get(tuple);
            if (bound != null) {
                bound.lastTuple = tuple;
                bound.lastSegment = syn;
                fail(now, bound, ex);
            } else {
                mib.inc(StackMib.CONNECTION_ERRORS);
                LOG.warn("accepting a SYN for {} threw; answered with a RST: {}", tuple, ex.toString(), ex);
                sendReset(tuple, syn);
            }
            return;
        }
        if (a.connection() == null) {
            mib.inc(StackMib.ACCEPT_REFUSED);
            sendReset(tuple, syn);
            return;
        }
        Entry e = entryFor(a.connection());
        if (a.isNew()) {
            mib.inc(StackMib.CONNECTIONS_OPENED);
            e.listener = l;
            l.queue.add(e);
            l.halfOpen.add(e);
        }
        e.lastTuple = tuple;
        e.lastSegment = syn;
        try {
            a.connection().input(now, tuple, syn);
        } catch (TxFailure f) {
            throw f;
        } catch (RuntimeException ex) {
            fail(now, e, ex);
            return;
        }
        touch(e);
    }

    /**
     * A SYN beyond the half-open bound: answered with a SYN cookie's SYN,ACK, made by the
     * connection the factory would make for it, which is then dropped (no state is kept; RFC 4987
     * section 3.6). False if the factory makes no cookie for this SYN.
     */
    private boolean sendCookie(long now, FourTuple tuple, Segment syn) {
        if (cookies == null) {
            cookies = new SynCookies(random);
        }
        int cookie = cookies.cookie(tuple, syn, now);
        Connection c;
        try {
            c = factory.cookieSyn(now, this, tuple, syn, cookie, cookies.key(tuple, cookie));
        } catch (TxFailure f) {
            throw f;
        } catch (RuntimeException ex) {
            mib.inc(StackMib.CONNECTION_ERRORS);
            LOG.warn("making a SYN cookie for {} threw; the SYN is dropped: {}", tuple, ex.toString(), ex);
            drop(demux.get(tuple));
            return true;
        }
        if (c == null) {
            return false;
        }
        Entry e = entryFor(c);
        try {
            c.input(now, tuple, syn);
            c.poll(now, output);
            mib.inc(StackMib.SYN_COOKIES_SENT);
            cookieSentAt = now;
        } catch (TxFailure f) {
            throw f;
        } catch (RuntimeException ex) {
            mib.inc(StackMib.CONNECTION_ERRORS);
            LOG.warn("a SYN cookie's connection for {} threw; the SYN is dropped: {}", tuple, ex.toString(), ex);
        } finally {
            drop(e);
        }
        return true;
    }

    /**
     * Takes a connection out of the factory's, the demultiplexer's and the engine's tables, without
     * a word to the peer or the driver (a SYN cookie's connection, never served); null: nothing.
     */
    private void drop(Entry e) {
        if (e == null) {
            return;
        }
        e.forgotten = true;
        try {
            factory.forgotten(e.conn);
        } catch (RuntimeException ex) {
            LOG.warn("the connection factory failed to forget connection {}: {}", e.id, ex.toString(), ex);
        }
        for (FourTuple t : e.tuples) {
            demux.remove(t, e);
        }
        e.tuples.clear();
        entries.remove(e.conn);
    }

    /**
     * An ACK for a listener and no connection, while SYN cookies are out: if it brings back a
     * valid cookie (and, with MP_CAPABLE, echoes the cookie's key), the connection is made from
     * what the cookie kept and queued for accept, and the ACK fed to it. False if it is not a
     * cookie of ours (counted; the caller answers with a RST).
     */
    private boolean acceptCookie(long now, Listener l, FourTuple tuple, Segment ack) {
        TcpHeader h = ack.header();
        int cookie = h.ack() - 1;
        SynCookies.Syn kept = cookies.check(tuple, h.seq() - 1, cookie, now);
        long key = kept == null ? 0 : cookies.key(tuple, cookie);
        MptcpOption.MpCapable cap = SynCookies.capable(h);
        if (kept == null || cap != null && cap.receiverKey() != key) {
            mib.inc(StackMib.SYN_COOKIES_FAILED);
            return false;
        }
        if (l.acceptable() >= l.backlog) {
            mib.inc(StackMib.DROP_ACCEPT_QUEUE_FULL); // the peer sends again; the cookie holds for its lifetime
            return true;
        }
        if (entries.size() >= maxConnections) {
            if (l.halfOpen.isEmpty()) {
                mib.inc(StackMib.CONNECTION_LIMIT_REFUSED);
                return false;
            }
            evictOldestHalfOpen(now, l);
        }
        Segment syn = SynCookies.rebuildSyn(h, kept);
        Connection c;
        try {
            c = factory.cookieAck(now, this, tuple, syn, cookie, key);
        } catch (TxFailure f) {
            throw f;
        } catch (RuntimeException ex) {
            mib.inc(StackMib.CONNECTION_ERRORS);
            LOG.warn("making a connection from a SYN cookie for {} threw; answered with a RST: {}", tuple,
                    ex.toString(), ex);
            drop(demux.get(tuple));
            return false;
        }
        if (c == null) {
            mib.inc(StackMib.ACCEPT_REFUSED);
            return false;
        }
        mib.inc(StackMib.SYN_COOKIES_RECV);
        mib.inc(StackMib.CONNECTIONS_OPENED);
        Entry e = entryFor(c);
        e.listener = l;
        l.queue.add(e);
        l.halfOpen.add(e); // leaves it when the ACK has moved it past its handshake (service)
        e.lastTuple = tuple;
        e.lastSegment = ack;
        try {
            c.input(now, tuple, ack);
        } catch (TxFailure f) {
            throw f;
        } catch (RuntimeException ex) {
            fail(now, e, ex);
            return true;
        }
        e.news = true;
        touch(e);
        return true;
    }

    /**
     * Makes room for a SYN: the listener's oldest half-open connection is aborted (its RST goes
     * out with the next poll) and leaves the queue at once.
     */
    private void evictOldestHalfOpen(long now, Listener l) {
        var it = l.halfOpen.iterator();
        Entry old = it.next();
        it.remove();
        l.queue.remove(old);
        old.listener = null;
        mib.inc(StackMib.HALF_OPEN_EVICTED);
        try {
            old.conn.abort();
        } catch (TxFailure f) {
            throw f;
        } catch (RuntimeException ex) {
            fail(now, old, ex);
            return;
        }
        touch(old);
    }

    private void sendReset(FourTuple tuple, Segment seg) {
        mib.inc(StackMib.OUT_RSTS);
        output.emit(tuple, TcpConnection.resetFor(seg));
    }

    private void service(long now, Entry e) {
        if (e.forgotten) {
            return;
        }
        boolean finished;
        long at;
        Connection.State s;
        try {
            e.conn.poll(now, output);
            finished = e.conn.finished();
            at = finished ? TcpConnection.NEVER : e.conn.pollAt();
            s = e.conn.state();
        } catch (TxFailure f) {
            throw f;
        } catch (RuntimeException ex) {
            fail(now, e, ex);
            return;
        }
        boolean stateChanged = s != e.lastState;
        e.lastState = s;
        if (e.listener != null && s != Connection.State.CONNECTING) {
            e.listener.halfOpen.remove(e); // past its handshake (or failed): waits to be accepted
        }
        observer.serviced(e.conn, e.attachment, e.listener == null ? null : e.listener.attachment, e.news,
                stateChanged);
        e.news = false;
        if (finished) {
            forget(e);
            mib.inc(StackMib.CONNECTIONS_FINISHED);
            return;
        }
        schedule(e, at);
    }

    private void schedule(Entry e, long at) {
        if (at != e.scheduledAt) {
            e.scheduledAt = at;
            cancelTimer(e);
            if (at != TcpConnection.NEVER) {
                e.timer = new Timer(at, e);
                timers.add(e.timer);
            }
        }
    }

    /**
     * Detaches the entry's timer: it stays in the queue until its time (removing it would cost a
     * walk of the queue), but no longer holds the connection. Without that every rescheduling left
     * a timer holding the connection, the close timeout's for a minute after the connection was
     * forgotten.
     */
    private static void cancelTimer(Entry e) {
        if (e.timer != null) {
            e.timer.entry = null;
            e.timer = null;
        }
    }

    /**
     * A connection threw: abort it (RST or MP_FASTCLOSE), or if that throws as well send a plain
     * RST on each of its 4-tuples; drop it, count it, log it once.
     */
    private void fail(long now, Entry e, RuntimeException ex) {
        if (e.forgotten) {
            return;
        }
        mib.inc(StackMib.CONNECTION_ERRORS);
        List<FourTuple> tuples = List.copyOf(e.tuples);
        LOG.warn("connection {} on {} threw; it is reset, the others go on: {}", e.id, tuples, ex.toString(), ex);
        try {
            e.conn.abort();
            e.conn.poll(now, output);
        } catch (TxFailure f) {
            throw f;
        } catch (RuntimeException again) {
            LOG.debug("connection {}: the abort threw as well ({}); plain RSTs instead", e.id, again.toString());
            for (FourTuple t : tuples) {
                mib.inc(StackMib.OUT_RSTS);
                output.emit(t, plainReset(e, t));
            }
        }
        forget(e);
        observer.serviced(e.conn, e.attachment, null, true, true);
    }

    /**
     * A RST for a 4-tuple of a connection whose state cannot be trusted: in answer to the last
     * segment it got on that tuple (acceptable to the peer), else with sequence number 0 (the
     * peer's next segment then meets the closed port and gets an exact RST).
     */
    private static Segment plainReset(Entry e, FourTuple t) {
        if (t.equals(e.lastTuple) && e.lastSegment != null) {
            return TcpConnection.resetFor(e.lastSegment);
        }
        return Segment.of(new TcpHeader(t.localPort(), t.remotePort(), 0, 0, TcpHeader.RST, 0, 0, 0, List.of()));
    }

    private void forget(Entry e) {
        drop(e);
        e.scheduledAt = TcpConnection.NEVER;
        cancelTimer(e);
        e.lastSegment = null;
        if (e.listener != null) {
            e.listener.queue.remove(e);
            e.listener.halfOpen.remove(e);
            e.listener = null;
        }
        observer.forgotten(e.conn, e.attachment);
    }

    private Entry entryFor(Connection c) {
        Entry e = entries.get(c);
        if (e == null) {
            e = new Entry(c, nextId++);
            entries.put(c, e);
        }
        return e;
    }

    private void touch(Entry e) {
        if (!e.touched && !e.forgotten) {
            e.touched = true;
            touched.add(e);
        }
    }

    /** What the engine keeps per connection. */
    private static final class Entry {
        final Connection conn;
        final long id;
        final List<FourTuple> tuples = new ArrayList<>(1);
        Object attachment;
        long scheduledAt = TcpConnection.NEVER;
        /** The queued timer at scheduledAt, the only one that holds this entry; null if none. */
        Timer timer;
        boolean touched;
        boolean forgotten;
        Listener listener;
        /** Input since the last poll that a waiting reader may care about (data, FIN, RST, MPTCP options). */
        boolean news;
        Connection.State lastState;
        /** The last segment delivered and its tuple: the answer to it is a RST the peer accepts. */
        FourTuple lastTuple;
        Segment lastSegment;

        Entry(Connection conn, long id) {
            this.conn = conn;
            this.id = id;
        }
    }

    /** A wake-up for one connection; stale (entry null) once rescheduled, fired or forgotten. */
    private static final class Timer implements Comparable<Timer> {
        final long at;
        Entry entry;

        Timer(long at, Entry entry) {
            this.at = at;
            this.entry = entry;
        }

        @Override
        public int compareTo(Timer o) {
            return Long.compare(at, o.at);
        }
    }

    /** A failure of the driver's {@link Tx}: passed on, never blamed on a connection. */
    private static final class TxFailure extends RuntimeException {
        TxFailure(RuntimeException cause) {
            super(cause);
        }

        RuntimeException cause() {
            return (RuntimeException) getCause();
        }
    }

    /** Encodes emitted segments into the driver's {@link Tx} buffers. */
    private final class Output implements SegmentSink {
        private final int mtu;
        Tx tx;
        private FourTuple lastTuple;
        private IpPacketCodec.Ipv4Fields v4;
        private IpPacketCodec.Ipv6Fields v6;
        private byte[] lastArray;
        private ByteBuffer lastWrap;

        Output(int mtu) {
            this.mtu = mtu;
        }

        @Override
        public void emit(FourTuple tuple, Segment s) {
            TcpHeader h = s.header();
            boolean ipv6 = tuple.localAddress() instanceof Inet6Address;
            int size = (ipv6 ? 40 : 20) + TcpHeader.MIN_LENGTH + TcpOptionCodec.paddedLength(h.options())
                    + s.length();
            if (size > mtu) {
                LOG.warn("dropping a {}-byte packet larger than the MTU {}: {}", size, mtu, s);
                return;
            }
            ByteBuffer out;
            try {
                out = tx.next();
            } catch (RuntimeException ex) {
                throw new TxFailure(ex);
            }
            ByteBuffer payload = wrap(s.data());
            if (tuple != lastTuple) {
                lastTuple = tuple;
                v4 = null;
                v6 = null;
                if (ipv6) {
                    v6 = IpPacketCodec.Ipv6Fields.of((Inet6Address) tuple.localAddress(),
                            (Inet6Address) tuple.remoteAddress(), TTL);
                } else {
                    v4 = IpPacketCodec.Ipv4Fields.of((Inet4Address) tuple.localAddress(),
                            (Inet4Address) tuple.remoteAddress(), TTL);
                }
            }
            int n;
            if (v6 != null) {
                n = IpPacketCodec.emitIpv6(out, 0, v6, h, payload, s.offset(), s.length());
            } else {
                n = IpPacketCodec.emitIpv4(out, 0, v4, h, payload, s.offset(), s.length());
            }
            out.clear().limit(n);
            try {
                tx.commit(out);
            } catch (RuntimeException ex) {
                throw new TxFailure(ex);
            }
            mib.inc(StackMib.OUT_PACKETS);
        }

        private ByteBuffer wrap(byte[] data) {
            if (data != lastArray) {
                lastArray = data;
                lastWrap = ByteBuffer.wrap(data);
            }
            return lastWrap;
        }

        /** Lets go of the last payload (and of the driver's Tx). */
        void endRound() {
            lastArray = null;
            lastWrap = null;
            tx = null;
        }
    }
}
