package io.jmptcp.core.runtime;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.engine.Engine;
import io.jmptcp.core.pm.Endpoint;
import io.jmptcp.core.pm.Endpoints;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.IsnGenerator;
import io.jmptcp.core.tcp.TcpConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime: one event-loop thread that reads IP packets from a {@link PacketIo}, hands them to
 * the sans-I/O {@link Engine} (demultiplexing, listeners, timers, encoding), and writes what it
 * emits. It is the only place in the core that reads a clock ({@link System#nanoTime()}).
 *
 * <p>Threading: the engine and every connection are touched only while holding {@link #lock}.
 * A loop round reads packets and decodes them (IP/TCP parsing, checksums, payload copy) without
 * the lock, takes it to deliver them, poll the connections and run the due timers, and releases
 * it before writing the packets. Application calls (the socket API) take the lock, act on the
 * connection, mark it for the loop to poll, and wake the loop only if it is waiting. Blocking
 * calls wait on {@link #changed}, which the loop signals after each round.
 */
public final class Stack implements StackContext, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Stack.class);
    private static final int BATCH = 64;
    private static final int SENDER_SLOTS = 4096;

    /** Guards the engine, every connection and the runtime's per-connection data. */
    final ReentrantLock lock = new ReentrantLock();
    /** Signalled after each loop round and when the stack stops. */
    final Condition changed = lock.newCondition();

    private final PacketIo io;
    private final Engine engine;
    private final long epochNanos = System.nanoTime();

    /** Readiness callbacks of the non-blocking API, run after each round (see {@link Events}). */
    private final ArrayList<Runnable> ready = new ArrayList<>();

    private final PacketBatch batch;
    /** One decoded packet per batch slot, reused round after round. */
    private final Engine.Inbound[] inbound = new Engine.Inbound[BATCH];
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
        this(io, factory, Endpoints.of(addresses, Endpoint.SUBFLOW), senderThread);
    }

    /**
     * @param endpoints the stack's own addresses with their path-manager flags (the first carries
     *                  outgoing connections)
     */
    public Stack(PacketIo io, ConnectionFactory factory, Endpoints endpoints, boolean senderThread) {
        if (endpoints.list().isEmpty()) {
            throw new IllegalArgumentException("the stack needs at least one address");
        }
        this.io = io;
        SecureRandom sr = new SecureRandom();
        byte[] secret = new byte[32];
        sr.nextBytes(secret);
        this.engine = new Engine(factory, endpoints, io.mtu(), new IsnGenerator(secret), sr::nextLong, new Events());
        for (int i = 0; i < BATCH; i++) {
            inbound[i] = new Engine.Inbound();
        }
        this.batch = new PacketBatch(BATCH, io.mtu(), true);
        this.sender = senderThread ? new Sender(io, SENDER_SLOTS, io.mtu()) : null;
        this.output = new Output(io.mtu());
        this.thread = new Thread(this::loop, "jmptcp-stack");
        this.thread.setDaemon(true);
    }

    /** Caps the connections the stack holds ({@link Engine#maxConnections(int)}); call before {@link #start()}. */
    public Stack maxConnections(int max) {
        engine.maxConnections(max);
        return this;
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
            signalEveryone();
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
    // StackContext (the engine's, for callers that hold the lock)
    // =============================================================================================

    @Override
    public List<InetAddress> localAddresses() {
        return engine.localAddresses();
    }

    /** The stack's endpoints: an immutable table, safe to read without the lock. */
    @Override
    public List<Endpoint> endpoints() {
        return engine.endpoints();
    }

    /**
     * Adds an address to the running stack with these {@link Endpoint} flags, or changes the
     * flags of one it has; the path managers of the live connections act on it (ADD_ADDR, new
     * subflows, MP_PRIO). The caller routes the address to the stack's device.
     */
    public Endpoint addAddress(InetAddress address, int flags) {
        lock.lock();
        try {
            Endpoint e = engine.setEndpoint(now(), address, flags);
            wakeLoop();
            return e;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes an address from the running stack: its subflows close and peers get REMOVE_ADDR.
     * Returns false if the stack does not have it.
     *
     * @throws IllegalArgumentException for the last address
     */
    public boolean removeAddress(InetAddress address) {
        lock.lock();
        try {
            boolean removed = engine.removeEndpoint(now(), address);
            wakeLoop();
            return removed;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int mtu() {
        return io.mtu();
    }

    @Override
    public int ephemeralPort(InetAddress local, InetAddress remote, int remotePort) {
        return engine.ephemeralPort(local, remote, remotePort);
    }

    @Override
    public void bind(FourTuple tuple, Connection connection) {
        engine.bind(tuple, connection);
    }

    @Override
    public void unbind(FourTuple tuple) {
        engine.unbind(tuple);
    }

    @Override
    public IsnGenerator isn() {
        return engine.isn();
    }

    @Override
    public LongSupplier random() {
        return engine.random();
    }

    @Override
    public Mib mib() {
        return engine.mib();
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
                m.put(c, engine.counter(c.mib()));
            }
            return m;
        } finally {
            lock.unlock();
        }
    }

    public long counter(StackCounter c) {
        lock.lock();
        try {
            return engine.counter(c.mib());
        } finally {
            lock.unlock();
        }
    }

    /** A copy of the TCP counters of every connection of this stack. */
    public String tcpCounters() {
        lock.lock();
        try {
            return engine.mib().toString();
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
            for (Connection c : engine.connections()) {
                out.put(engine.idOf(c), c.info());
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
            for (Connection c : engine.connections()) {
                out.add(c.info());
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
        Connection c = engine.connect(now(), remote, options);
        wakeLoop();
        return c;
    }

    /** Starts listening on {@code port} on every stack address; caller holds the lock. */
    Listener listen(int port, int backlog) throws IOException {
        checkRunning();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1..65535, got " + port);
        }
        if (engine.isListening(port)) {
            throw new java.net.BindException("port " + port + " is already in use by a listener");
        }
        Listener l = new Listener(engine.listen(port, backlog));
        l.inner.attach(l);
        return l;
    }

    /** Stops listening; connections not yet accepted are aborted. Caller holds the lock. */
    void unlisten(Listener l) {
        engine.unlisten(l.inner);
        l.closed = true;
        wakeLoop();
        changed.signalAll();
    }

    /** The next accepted connection of {@code l}, or null if none is ready; caller holds the lock. */
    Connection pollAccepted(Listener l) {
        return engine.pollAccepted(l.inner);
    }

    /** Blocks until the loop reports news for a reader of {@code c}; caller holds the lock. */
    void awaitReadable(Connection c) throws InterruptedException {
        Waiters w = waitersFor(c);
        if (w == null) {
            return; // forgotten: its state is final, the caller sees it
        }
        if (w.readCond == null) {
            w.readCond = lock.newCondition();
        }
        w.readWaiters++;
        try {
            w.readCond.await();
        } finally {
            w.readWaiters--;
        }
    }

    /** Blocks until the loop reports send-buffer space (or a state change) for {@code c}; caller holds the lock. */
    void awaitWritable(Connection c) throws InterruptedException {
        Waiters w = waitersFor(c);
        if (w == null) {
            return;
        }
        if (w.writeCond == null) {
            w.writeCond = lock.newCondition();
        }
        w.writeWaiters++;
        try {
            w.writeCond.await();
        } finally {
            w.writeWaiters--;
        }
    }

    /** Wakes every thread blocked on {@code c} (after a local close or abort); caller holds the lock. */
    void wakeAll(Connection c) {
        Object a = engine.attachment(c);
        if (a != null) {
            ((Waiters) a).signalAll();
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
        Waiters w = waitersFor(c);
        if (w != null) {
            w.readiness = r;
        }
    }

    /** The id of a live connection (0 once forgotten); caller holds the lock. */
    long idOf(Connection c) {
        return engine.idOf(c);
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
        engine.touch(c);
        wakeLoop();
    }

    private void wakeLoop() {
        if (waiting && Thread.currentThread() != thread) {
            waiting = false;
            io.wakeup();
        }
    }

    /** The runtime's data of a live connection, made on first use; null once forgotten. */
    private Waiters waitersFor(Connection c) {
        Object a = engine.attachment(c);
        if (a == null && engine.idOf(c) != 0) {
            a = new Waiters();
            engine.attach(c, a);
        }
        return (Waiters) a;
    }

    private void signalEveryone() {
        changed.signalAll();
        engine.forEachAttachment(a -> ((Waiters) a).signalAll());
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
                    timeoutNanos = timeoutNanos();
                    waiting = timeoutNanos > 0;
                } finally {
                    lock.unlock();
                }
                io.receive(batch, timeoutNanos);
                // Parsing, checksums and the payload copy need no shared state: outside the lock.
                int n = batch.size();
                for (int i = 0; i < n; i++) {
                    engine.decode(batch.get(i), inbound[i]);
                }
                batch.clear();
                lock.lock();
                try {
                    waiting = false;
                    if (!running) {
                        break;
                    }
                    stateChanges = false;
                    long now = now();
                    for (int i = 0; i < n; i++) {
                        engine.receive(now, inbound[i], output);
                        inbound[i].clear();
                    }
                    engine.poll(now, output);
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
                engine.abortOpen(now(), output);
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
                signalEveryone();
            } finally {
                lock.unlock();
            }
        }
        lock.lock();
        try { // tell the non-blocking users that the stack is gone
            engine.forEachAttachment(a -> {
                Runnable r = ((Waiters) a).readiness;
                if (r != null) {
                    ready.add(r);
                }
            });
            engine.forEachListener(l -> {
                Listener x = (Listener) l.attachment();
                if (x != null && x.acceptReady != null) {
                    ready.add(x.acceptReady);
                }
            });
            runReadiness();
        } finally {
            lock.unlock();
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
        long at = engine.pollAt();
        if (at == TcpConnection.NEVER) {
            return 1_000_000_000L; // idle: look again in a second (stop requests also wake us)
        }
        long wait = at - now();
        return wait <= 0 ? 0 : Math.min(wait * 1000, 1_000_000_000L);
    }

    // =============================================================================================
    // Internals
    // =============================================================================================

    /**
     * What the engine reports after each connection it drove (loop thread, lock held): queue the
     * readiness callbacks and wake the threads blocked on the connection if what they wait for may
     * have happened: a reader on news or readable bytes, a writer on free send buffer, anyone on a
     * state change (waiters for connect, accept and close wait on {@link #changed}). Waking only
     * then keeps a blocked reader from spinning on every round of an upload.
     */
    private final class Events implements Engine.Observer {
        @Override
        public void serviced(Connection c, Object attachment, Object listener, boolean news, boolean stateChanged) {
            Waiters w = (Waiters) attachment;
            if (w != null && w.readiness != null) {
                ready.add(w.readiness);
            }
            if (listener != null && ((Listener) listener).acceptReady != null) {
                ready.add(((Listener) listener).acceptReady);
            }
            if (stateChanged) {
                stateChanges = true;
            }
            if (w != null) {
                if (w.readWaiters > 0 && (news || stateChanged || c.readable() > 0)) {
                    w.readCond.signalAll();
                }
                if (w.writeWaiters > 0 && (stateChanged || c.writable() > 0)) {
                    w.writeCond.signalAll();
                }
            }
        }

        @Override
        public void forgotten(Connection c, Object attachment) {
            if (attachment != null) {
                ((Waiters) attachment).signalAll();
            }
            stateChanges = true;
        }
    }

    /** What the runtime keeps per connection (attached to the engine's entry): its waiting threads. */
    private static final class Waiters {
        Runnable readiness;
        Condition readCond;
        Condition writeCond;
        int readWaiters;
        int writeWaiters;

        void signalAll() {
            if (readCond != null) {
                readCond.signalAll();
            }
            if (writeCond != null) {
                writeCond.signalAll();
            }
        }
    }

    /** A listening port (the engine's), with what the socket API adds. */
    static final class Listener {
        final Engine.Listener inner;
        final int port;
        boolean closed;
        Runnable acceptReady;

        Listener(Engine.Listener inner) {
            this.inner = inner;
            this.port = inner.port();
        }
    }

    /**
     * The engine's packet buffers: a pool of direct buffers reused round after round, written
     * after the loop released the lock; or the {@link Sender}'s ring.
     */
    private final class Output implements Engine.Tx {
        private final int mtu;
        private ByteBuffer[] pool = new ByteBuffer[0];
        private int count;

        Output(int mtu) {
            this.mtu = mtu;
        }

        @Override
        public ByteBuffer next() {
            if (sender != null) {
                try {
                    return sender.next();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            if (count == pool.length) {
                ByteBuffer[] bigger = java.util.Arrays.copyOf(pool, Math.max(64, pool.length * 2));
                for (int i = pool.length; i < bigger.length; i++) {
                    bigger[i] = ByteBuffer.allocateDirect(mtu);
                }
                pool = bigger;
            }
            return pool[count].clear();
        }

        @Override
        public void commit(ByteBuffer packet) {
            if (sender != null) {
                sender.commit();
            }
            count++;
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
                io.flush();
            }
            count = 0;
        }
    }
}
