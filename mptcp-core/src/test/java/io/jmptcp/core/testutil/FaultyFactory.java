package io.jmptcp.core.testutil;

import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.SegmentSink;
import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.IsnGenerator;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.MptcpOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A connection factory for failure-isolation tests: the {@code faultyIndex}th connection it
 * accepts (MP_JOINs not counted) is a {@link Faulty} around the real one, which throws on its
 * {@code throwAt}th inbound segment and, if told, again when it is aborted.
 */
public final class FaultyFactory implements ConnectionFactory {
    private final ConnectionFactory real;
    private final int faultyIndex;
    private final int throwAt;
    private final boolean abortThrows;
    private final Consumer<Faulty> made;
    private int accepted;

    public FaultyFactory(ConnectionFactory real, int faultyIndex, int throwAt, boolean abortThrows,
                         Consumer<Faulty> made) {
        this.real = real;
        this.faultyIndex = faultyIndex;
        this.throwAt = throwAt;
        this.abortThrows = abortThrows;
        this.made = made;
    }

    @Override
    public Connection connect(long nowMicros, StackContext ctx, InetSocketAddress remote) {
        return real.connect(nowMicros, ctx, remote);
    }

    @Override
    public void forgotten(Connection c) {
        real.forgotten(c instanceof Faulty f && f.inner != null ? f.inner : c);
    }

    @Override
    public Accepted accept(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn) {
        boolean join = syn.header().options().stream().anyMatch(o -> o instanceof MptcpOption.MpJoinSyn);
        if (join || ++accepted != faultyIndex) {
            return real.accept(nowMicros, ctx, tuple, syn);
        }
        Faulty f = new Faulty(throwAt, abortThrows);
        Accepted a = real.accept(nowMicros, new Redirect(ctx, f), tuple, syn);
        f.inner = a.connection();
        made.accept(f);
        return new Accepted(f, a.isNew());
    }

    /** The engine's context, but what the wrapped connection binds routes to its wrapper. */
    record Redirect(StackContext ctx, Faulty wrapper) implements StackContext {
        @Override
        public List<InetAddress> localAddresses() {
            return ctx.localAddresses();
        }

        @Override
        public List<io.jmptcp.core.pm.Endpoint> endpoints() {
            return ctx.endpoints();
        }

        @Override
        public int mtu() {
            return ctx.mtu();
        }

        @Override
        public int ephemeralPort(InetAddress local, InetAddress remote, int remotePort) {
            return ctx.ephemeralPort(local, remote, remotePort);
        }

        @Override
        public void bind(FourTuple tuple, Connection connection) {
            ctx.bind(tuple, wrapper.inner == null || connection == wrapper.inner ? wrapper : connection);
        }

        @Override
        public void unbind(FourTuple tuple) {
            ctx.unbind(tuple);
        }

        @Override
        public IsnGenerator isn() {
            return ctx.isn();
        }

        @Override
        public LongSupplier random() {
            return ctx.random();
        }

        @Override
        public Mib mib() {
            return ctx.mib();
        }
    }

    /** A real connection that throws on its {@code throwAt}th inbound segment (and on abort, if told). */
    public static final class Faulty implements Connection {
        private final int throwAt;
        private final boolean abortThrows;
        Connection inner;
        /** Inbound segments the engine handed over, the one that threw included. */
        public volatile int inputs;
        public volatile int abortsThrown;

        Faulty(int throwAt, boolean abortThrows) {
            this.throwAt = throwAt;
            this.abortThrows = abortThrows;
        }

        @Override
        public void input(long nowMicros, FourTuple tuple, Segment segment) {
            if (++inputs == throwAt) {
                throw new IllegalStateException("injected fault on input " + inputs);
            }
            inner.input(nowMicros, tuple, segment);
        }

        @Override
        public void poll(long nowMicros, SegmentSink out) {
            inner.poll(nowMicros, out);
        }

        @Override
        public long pollAt() {
            return inner.pollAt();
        }

        @Override
        public boolean finished() {
            return inner.finished();
        }

        @Override
        public int write(byte[] src, int off, int len) {
            return inner.write(src, off, len);
        }

        @Override
        public int read(byte[] dst, int off, int len) {
            return inner.read(dst, off, len);
        }

        @Override
        public long readable() {
            return inner.readable();
        }

        @Override
        public long writable() {
            return inner.writable();
        }

        @Override
        public void shutdownOutput() {
            inner.shutdownOutput();
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public void abort() {
            if (abortThrows) {
                abortsThrown++;
                throw new IllegalStateException("injected fault in abort");
            }
            inner.abort();
        }

        @Override
        public State state() {
            return inner.state();
        }

        @Override
        public Failure failure() {
            return inner.failure();
        }

        @Override
        public ConnectionInfo info() {
            return inner.info();
        }
    }
}
