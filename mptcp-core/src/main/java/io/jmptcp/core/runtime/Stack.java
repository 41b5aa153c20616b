package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.conn.SegmentSink;
import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.IsnGenerator;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.wire.IpPacketCodec;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.PacketParse;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOptionCodec;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime: one event-loop thread that reads IP packets from a {@link PacketIo}, demultiplexes
 * them by 4-tuple to {@link Connection}s (or to a listener's factory for a new SYN), runs the
 * connections' timers and writes what they emit. It is the only place in the core that reads a
 * clock ({@link System#nanoTime()}), and it implements {@link StackContext} for the connections.
 *
 * <p>Threading: every connection is touched only while holding {@link #lock}; the loop holds it
 * while it processes a batch of packets and the due timers, and writes the packets after releasing
 * it. Application calls (the socket API) take the lock, act on the connection, mark it for the
 * loop to poll, and wake the loop only if it is waiting. Blocking calls wait on {@link #changed},
 * which the loop signals after each round.
 *
 * <p>Input checks, in order: parseable TCP in IPv4/IPv6 (else dropped and counted), IPv4 header and
 * TCP checksums, destination is a stack address. A segment for no connection and no listener gets
 * the RST of RFC 9293 section 3.10.7.1, unless it is itself a RST.
 */
public final class Stack implements StackContext, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Stack.class);
    private static final byte[] EMPTY = new byte[0];
    private static final int TTL = 64;
    private static final int BATCH = 64;
    private static final int SENDER_SLOTS = 4096;
    private static final int EPHEMERAL_LOW = 32768;
    private static final int EPHEMERAL_HIGH = 60999; // Linux ip_local_port_range

    /** Guards every connection and the tables below. */
    final ReentrantLock lock = new ReentrantLock();
    /** Signalled after each loop round and when the stack stops. */
    final Condition changed = lock.newCondition();

    private final PacketIo io;
    private final ConnectionFactory factory;
    private final List<InetAddress> addresses;
    private final Set<InetAddress> addressSet;
    private final IsnGenerator isn;
    private final LongSupplier random;
    private final Mib mib = new Mib();
    private final long[] counters = new long[StackCounter.values().length];
    private final long epochNanos = System.nanoTime();

    private final Map<FourTuple, Entry> demux = new HashMap<>();
    private final Map<Connection, Entry> entries = new IdentityHashMap<>();
    private final Map<Integer, Listener> listeners = new HashMap<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final ArrayDeque<Entry> touched = new ArrayDeque<>();
    private final ArrayList<Entry> due = new ArrayList<>();
    /** Readiness callbacks of the non-blocking API, run after each round (see {@link #service}). */
    private final ArrayList<Runnable> ready = new ArrayList<>();
    private long nextId = 1;

    private final PacketBatch batch;
    private final Sender sender;
    private final Output output;
    private final Thread thread;
    private volatile boolean running;
    private boolean waiting;
    private boolean stateChanges;
    private String stopReason;

    /**
     * @param io        packet I/O; the stack does not close it
     * @param factory   makes connections (plain TCP or MPTCP)
     * @param addresses the stack's own addresses; the first carries outgoing connections
     */
    public Stack(PacketIo io, ConnectionFactory factory, List<InetAddress> addresses) {
        this(io, factory, addresses, false);
    }

    /**
     * @param senderThread write packets from a second thread ({@link Sender}): faster on a TUN
     *                     device, whose writes carry the kernel's forwarding work; the I/O must
     *                     allow {@code send} concurrently with {@code receive}
     */
    public Stack(PacketIo io, ConnectionFactory factory, List<InetAddress> addresses, boolean senderThread) {
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("the stack needs at least one address");
        }
        this.io = io;
        this.factory = factory;
        this.addresses = List.copyOf(addresses);
        this.addressSet = new HashSet<>(addresses);
        SecureRandom sr = new SecureRandom();
        byte[] secret = new byte[32];
        sr.nextBytes(secret);
        this.isn = new IsnGenerator(secret);
        this.random = sr::nextLong;
        this.batch = new PacketBatch(BATCH, io.mtu(), true);
        this.sender = senderThread ? new Sender(io, SENDER_SLOTS, io.mtu()) : null;
        this.output = new Output(io.mtu());
        this.thread = new Thread(this::loop, "jmptcp-stack");
        this.thread.setDaemon(true);
    }

    /** Starts the event loop. */
    public Stack start() {
        running = true;
        if (sender != null) {
            sender.start();
        }
        thread.start();
        return this;
    }

    /** Stops the event loop and waits for it; blocked socket calls fail. Idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (stopReason == null) {
                stopReason = "the stack was closed";
            }
            running = false;
            changed.signalAll();
            for (Entry e : entries.values()) {
                e.signalAll();
            }
        } finally {
            lock.unlock();
        }
        io.wakeup();
        if (thread.isAlive() && Thread.currentThread() != thread) {
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (sender != null) {
            sender.stop();
        }
    }

    // =============================================================================================
    // StackContext (called by connections, on the loop or under the lock)
    // =============================================================================================

    @Override
    public List<InetAddress> localAddresses() {
        return addresses;
    }

    @Override
    public int mtu() {
        return io.mtu();
    }

    @Override
    public int ephemeralPort(InetAddress local, InetAddress remote, int remotePort) {
        int span = EPHEMERAL_HIGH - EPHEMERAL_LOW + 1;
        int start = ThreadLocalRandom.current().nextInt(span);
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
    // Observability
    // =============================================================================================

    /** A copy of the runtime's counters. */
    public Map<StackCounter, Long> counters() {
        lock.lock();
        try {
            Map<StackCounter, Long> m = new java.util.EnumMap<>(StackCounter.class);
            for (StackCounter c : StackCounter.values()) {
                m.put(c, counters[c.ordinal()]);
            }
            return m;
        } finally {
            lock.unlock();
        }
    }

    public long counter(StackCounter c) {
        lock.lock();
        try {
            return counters[c.ordinal()];
        } finally {
            lock.unlock();
        }
    }

    /** A copy of the TCP counters of every connection of this stack. */
    public String tcpCounters() {
        lock.lock();
        try {
            return mib.toString();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the event loop runs (false before start, after close or after it failed). */
    public boolean isRunning() {
        return running;
    }

    /** Snapshots of the live connections by connection id (ids count up from 1 per stack). */
    public java.util.SortedMap<Long, ConnectionInfo> connectionsById() {
        lock.lock();
        try {
            java.util.SortedMap<Long, ConnectionInfo> out = new java.util.TreeMap<>();
            for (Entry e : entries.values()) {
                out.put(e.id, e.conn.info());
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Snapshots of the live connections. */
    public List<ConnectionInfo> connections() {
        lock.lock();
        try {
            List<ConnectionInfo> out = new ArrayList<>();
            for (Entry e : entries.values()) {
                out.add(e.conn.info());
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    // =============================================================================================
    // Application side (package-private: the socket API)
    // =============================================================================================

    /** Current time in microseconds on the stack's clock. */
    long now() {
        return (System.nanoTime() - epochNanos) / 1000 + 1;
    }

    /** Fails unless the loop runs; caller holds the lock. */
    void checkRunning() throws ConnectionFailedException {
        if (!running) {
            throw new ConnectionFailedException(new Failure(Failure.Kind.STACK_STOPPED,
                    stopReason == null ? "the stack is not started" : stopReason));
        }
    }

    /** Opens a connection with per-connection settings; caller holds the lock. */
    Connection connect(InetSocketAddress remote, ConnectionOptions options) throws IOException {
        checkRunning();
        Connection c = factory.connect(now(), this, remote, options);
        counters[StackCounter.CONNECTIONS_OPENED.ordinal()]++;
        touch(entryFor(c));
        return c;
    }

    /** Starts listening on {@code port} on every stack address; caller holds the lock. */
    Listener listen(int port, int backlog) throws IOException {
        checkRunning();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        if (listeners.containsKey(port)) {
            throw new java.net.BindException("port " + port + " is already in use by a listener");
        }
        Listener l = new Listener(port, Math.max(1, backlog));
        listeners.put(port, l);
        return l;
    }

    /** Stops listening; connections not yet accepted are aborted. Caller holds the lock. */
    void unlisten(Listener l) {
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
        changed.signalAll();
    }

    /** The next accepted connection of {@code l}, or null if none is ready; caller holds the lock. */
    Connection pollAccepted(Listener l) {
        for (var it = l.queue.iterator(); it.hasNext(); ) {
            Entry e = it.next();
            Connection.State s = e.conn.state();
            if (s == Connection.State.FAILED) {
                it.remove();
                e.listener = null;
            } else if (s != Connection.State.CONNECTING) {
                it.remove();
                e.listener = null;
                return e.conn;
            }
        }
        return null;
    }

    /** Blocks until the loop reports news for a reader of {@code c}; caller holds the lock. */
    void awaitReadable(Connection c) throws InterruptedException {
        Entry e = entries.get(c);
        if (e == null) {
            return; // forgotten: its state is final, the caller sees it
        }
        if (e.readCond == null) {
            e.readCond = lock.newCondition();
        }
        e.readWaiters++;
        try {
            e.readCond.await();
        } finally {
            e.readWaiters--;
        }
    }

    /** Blocks until the loop reports send-buffer space (or a state change) for {@code c}; caller holds the lock. */
    void awaitWritable(Connection c) throws InterruptedException {
        Entry e = entries.get(c);
        if (e == null) {
            return;
        }
        if (e.writeCond == null) {
            e.writeCond = lock.newCondition();
        }
        e.writeWaiters++;
        try {
            e.writeCond.await();
        } finally {
            e.writeWaiters--;
        }
    }

    /** Wakes every thread blocked on {@code c} (after a local close or abort); caller holds the lock. */
    void wakeAll(Connection c) {
        Entry e = entries.get(c);
        if (e != null) {
            e.signalAll();
        }
        changed.signalAll();
    }

    /**
     * Registers (or, with null, removes) the readiness callback of a connection for the
     * non-blocking API: after every loop round in which the connection was serviced (a segment
     * arrived, a timer fired or an application call touched it) the loop runs {@code r} on its
     * thread, holding the lock; also once when the loop stops. Caller holds the lock.
     */
    void setReadiness(Connection c, Runnable r) {
        Entry e = entries.get(c);
        if (e != null) {
            e.readiness = r;
        }
    }

    /** The id of a live connection (0 once forgotten); caller holds the lock. */
    long idOf(Connection c) {
        Entry e = entries.get(c);
        return e == null ? 0 : e.id;
    }

    /** Like {@link #setReadiness} for a listener: runs when one of its queued connections changed. */
    void setAcceptReadiness(Listener l, Runnable r) {
        l.acceptReady = r;
    }

    /**
     * Marks a connection changed by an application call so the loop polls it, and wakes the loop
     * if it waits. Caller holds the lock.
     */
    void touch(Connection c) {
        Entry e = entries.get(c);
        if (e != null) {
            touch(e);
        }
    }

    private void touch(Entry e) {
        if (!e.touched) {
            e.touched = true;
            touched.add(e);
        }
        if (waiting && Thread.currentThread() != thread) {
            waiting = false;
            io.wakeup();
        }
    }

    // =============================================================================================
    // The event loop
    // =============================================================================================

    private void loop() {
        try {
            while (running) {
                long timeoutNanos;
                lock.lock();
                try {
                    timeoutNanos = touched.isEmpty() ? timeoutNanos() : 0;
                    waiting = timeoutNanos > 0;
                } finally {
                    lock.unlock();
                }
                io.receive(batch, timeoutNanos);
                lock.lock();
                try {
                    waiting = false;
                    if (!running) {
                        break;
                    }
                    stateChanges = false;
                    round();
                    counters[StackCounter.OUT_PACKETS.ordinal()] += output.pending();
                    if (stateChanges) {
                        changed.signalAll();
                    }
                    runReadiness();
                } finally {
                    lock.unlock();
                }
                output.flush(io);
            }
            // The stack is closing: like a host whose kernel drops its sockets, reset what is
            // still open (RST, or MP_FASTCLOSE for MPTCP, RFC 8684 section 3.5) instead of
            // leaving the peers to time out.
            lock.lock();
            try {
                abortOpenConnections();
                counters[StackCounter.OUT_PACKETS.ordinal()] += output.pending();
            } finally {
                lock.unlock();
            }
            output.flush(io);
        } catch (IOException | RuntimeException e) {
            if (sender != null) {
                sender.stop();
            }
            LOG.error("event loop stopped: {}", e.toString(), e);
            lock.lock();
            try {
                stopReason = "the stack stopped: " + e;
                running = false;
                changed.signalAll();
                for (Entry x : entries.values()) {
                    x.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }
        lock.lock();
        try { // tell the non-blocking users that the stack is gone
            for (Entry e : entries.values()) {
                if (e.readiness != null) {
                    ready.add(e.readiness);
                }
            }
            for (Listener l : listeners.values()) {
                if (l.acceptReady != null) {
                    ready.add(l.acceptReady);
                }
            }
            runReadiness();
        } finally {
            lock.unlock();
        }
    }

    /** Aborts every connection that is connecting or established and emits its last segments. */
    private void abortOpenConnections() {
        long now = now();
        for (Entry e : new ArrayList<>(entries.values())) {
            Connection.State st = e.conn.state();
            if (!e.forgotten && (st == Connection.State.CONNECTING || st == Connection.State.ESTABLISHED)) {
                e.conn.abort();
                e.conn.poll(now, output);
                counters[StackCounter.ABORTED_ON_CLOSE.ordinal()]++;
            }
        }
    }

    /** Runs the readiness callbacks collected in the round; a failing one is logged, not fatal. */
    private void runReadiness() {
        for (int i = 0; i < ready.size(); i++) {
            try {
                ready.get(i).run();
            } catch (RuntimeException ex) {
                LOG.warn("readiness callback failed: {}", ex.toString(), ex);
            }
        }
        ready.clear();
    }

    private long timeoutNanos() {
        Timer t;
        while ((t = timers.peek()) != null && t.entry.scheduledAt != t.at) {
            timers.poll(); // stale: rescheduled or forgotten since
        }
        if (t == null) {
            return 1_000_000_000L; // idle: look again in a second (stop requests also wake us)
        }
        long wait = t.at - now();
        return wait <= 0 ? 0 : Math.min(wait * 1000, 1_000_000_000L);
    }

    /** One round under the lock: the received packets, then the touched connections, then timers. */
    private void round() {
        long now = now();
        int n = batch.size();
        counters[StackCounter.IN_PACKETS.ordinal()] += n;
        for (int i = 0; i < n; i++) {
            handlePacket(now, batch.get(i));
        }
        batch.clear();
        Entry e;
        while ((e = touched.poll()) != null) {
            e.touched = false;
            service(now, e);
        }
        Timer t;
        while ((t = timers.peek()) != null && t.at <= now) {
            timers.poll();
            if (t.entry.scheduledAt == t.at) {
                t.entry.scheduledAt = TcpConnection.NEVER;
                due.add(t.entry);
            }
        }
        for (int i = 0; i < due.size(); i++) {
            service(now, due.get(i));
        }
        due.clear();
    }

    private void service(long now, Entry e) {
        if (e.forgotten) {
            return;
        }
        e.conn.poll(now, output);
        if (e.readiness != null) {
            ready.add(e.readiness);
        }
        if (e.listener != null && e.listener.acceptReady != null) {
            ready.add(e.listener.acceptReady);
        }
        if (e.conn.finished()) {
            forget(e);
            return;
        }
        wakeWaiters(e);
        long at = e.conn.pollAt();
        if (at != e.scheduledAt) {
            e.scheduledAt = at;
            if (at != TcpConnection.NEVER) {
                timers.add(new Timer(at, e));
            }
        }
    }

    /**
     * Wakes the threads blocked on this connection if what they wait for may have happened: a
     * reader on news or readable bytes, a writer on free send buffer, anyone on a state change
     * (waiters for connect, accept and close wait on {@link #changed}). Waking only then keeps a
     * blocked reader from spinning on every round of an upload.
     */
    private void wakeWaiters(Entry e) {
        Connection.State s = e.conn.state();
        boolean stateChanged = s != e.lastState;
        e.lastState = s;
        if (stateChanged) {
            stateChanges = true;
        }
        if (e.readWaiters > 0 && (e.news || stateChanged || e.conn.readable() > 0)) {
            e.readCond.signalAll();
        }
        if (e.writeWaiters > 0 && (stateChanged || e.conn.writable() > 0)) {
            e.writeCond.signalAll();
        }
        e.news = false;
    }

    private void forget(Entry e) {
        e.signalAll();
        stateChanges = true;
        e.forgotten = true;
        for (FourTuple t : e.tuples) {
            demux.remove(t, e);
        }
        e.tuples.clear();
        entries.remove(e.conn);
        e.scheduledAt = TcpConnection.NEVER;
        if (e.listener != null) {
            e.listener.queue.remove(e);
            e.listener = null;
        }
        counters[StackCounter.CONNECTIONS_FINISHED.ordinal()]++;
    }

    private Entry entryFor(Connection c) {
        Entry e = entries.get(c);
        if (e == null) {
            e = new Entry(c, nextId++);
            entries.put(c, e);
        }
        return e;
    }

    private void count(StackCounter c) {
        counters[c.ordinal()]++;
    }

    private void handlePacket(long now, ByteBuffer packet) {
        PacketParse parsed = IpPacketCodec.parse(packet, 0, packet.limit());
        if (!(parsed instanceof PacketParse.Tcp p)) {
            count(StackCounter.DROP_REJECTED);
            return;
        }
        if (!p.ipChecksumValid()) {
            count(StackCounter.DROP_BAD_IP_CHECKSUM);
            return;
        }
        if (!p.tcpChecksumValid()) {
            count(StackCounter.DROP_BAD_TCP_CHECKSUM);
            return;
        }
        if (!addressSet.contains(p.dst())) {
            count(StackCounter.DROP_NOT_LOCAL);
            return;
        }
        TcpHeader h = p.header();
        byte[] data = EMPTY;
        int len = p.payloadLength();
        if (len > 0) {
            data = new byte[len];
            packet.get(p.payloadOffset(), data, 0, len);
        }
        Segment seg = new Segment(h, data, 0, len);
        FourTuple tuple = new FourTuple(p.dst(), h.dstPort(), p.src(), h.srcPort());
        Entry e = demux.get(tuple);
        if (e != null) {
            e.conn.input(now, tuple, seg);
            if (len > 0 || (h.flags() & (TcpHeader.FIN | TcpHeader.RST | TcpHeader.SYN)) != 0
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
        }
        count(StackCounter.NO_CONNECTION);
        if (!rst) {
            sendReset(tuple, seg);
        }
    }

    private void acceptSyn(long now, Listener l, FourTuple tuple, Segment syn) {
        if (l.queue.size() >= l.backlog) {
            count(StackCounter.DROP_ACCEPT_QUEUE_FULL); // as Linux: drop, the peer retries the SYN
            return;
        }
        ConnectionFactory.Accepted a = factory.accept(now, this, tuple, syn);
        if (a.connection() == null) {
            count(StackCounter.ACCEPT_REFUSED);
            sendReset(tuple, syn);
            return;
        }
        Entry e = entryFor(a.connection());
        if (a.isNew()) {
            counters[StackCounter.CONNECTIONS_OPENED.ordinal()]++;
            e.listener = l;
            l.queue.add(e);
        }
        a.connection().input(now, tuple, syn);
        touch(e);
    }

    private void sendReset(FourTuple tuple, Segment seg) {
        count(StackCounter.OUT_RSTS);
        output.emit(tuple, TcpConnection.resetFor(seg));
    }

    // =============================================================================================
    // Internals
    // =============================================================================================

    /** What the runtime keeps per connection. */
    private static final class Entry {
        final Connection conn;
        final long id;
        final List<FourTuple> tuples = new ArrayList<>(1);
        Runnable readiness;
        long scheduledAt = TcpConnection.NEVER;
        boolean touched;
        boolean forgotten;
        Listener listener;
        /** Input this round that a waiting reader may care about (data, FIN, RST, MPTCP options). */
        boolean news;
        Connection.State lastState;
        Condition readCond;
        Condition writeCond;
        int readWaiters;
        int writeWaiters;

        Entry(Connection conn, long id) {
            this.conn = conn;
            this.id = id;
        }

        void signalAll() {
            if (readCond != null) {
                readCond.signalAll();
            }
            if (writeCond != null) {
                writeCond.signalAll();
            }
        }
    }

    /** A listening port: connections from SYNs, in arrival order, until the application accepts them. */
    static final class Listener {
        final int port;
        final int backlog;
        final ArrayDeque<Entry> queue = new ArrayDeque<>();
        boolean closed;
        Runnable acceptReady;

        Listener(int port, int backlog) {
            this.port = port;
            this.backlog = backlog;
        }
    }

    private record Timer(long at, Entry entry) implements Comparable<Timer> {
        @Override
        public int compareTo(Timer o) {
            return Long.compare(at, o.at);
        }
    }

    /**
     * Encodes emitted segments into a pool of direct buffers (reused round after round) and writes
     * them after the loop released the lock.
     */
    private final class Output implements SegmentSink {
        private final int mtu;
        private ByteBuffer[] pool = new ByteBuffer[0];
        private int count;
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
            if (sender == null && count == pool.length) {
                ByteBuffer[] bigger = java.util.Arrays.copyOf(pool, Math.max(64, pool.length * 2));
                for (int i = pool.length; i < bigger.length; i++) {
                    bigger[i] = ByteBuffer.allocateDirect(mtu);
                }
                pool = bigger;
            }
            ByteBuffer out;
            if (sender != null) {
                try {
                    out = sender.next();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            } else {
                out = pool[count].clear();
            }
            ByteBuffer payload = wrap(s.data());
            int n;
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
            if (v6 != null) {
                n = IpPacketCodec.emitIpv6(out, 0, v6, h, payload, s.offset(), s.length());
            } else {
                n = IpPacketCodec.emitIpv4(out, 0, v4, h, payload, s.offset(), s.length());
            }
            out.clear().limit(n);
            if (sender != null) {
                sender.commit();
            }
            count++;
        }

        private ByteBuffer wrap(byte[] data) {
            if (data != lastArray) {
                lastArray = data;
                lastWrap = ByteBuffer.wrap(data);
            }
            return lastWrap;
        }

        int pending() {
            return count;
        }

        /** Writes the encoded packets (loop thread, without the lock). */
        void flush(PacketIo io) throws IOException {
            if (sender != null) {
                sender.publish();
                sender.checkFailure();
            } else {
                for (int i = 0; i < count; i++) {
                    io.send(pool[i]);
                }
            }
            count = 0;
            lastArray = null;
            lastWrap = null;
        }
    }
}
