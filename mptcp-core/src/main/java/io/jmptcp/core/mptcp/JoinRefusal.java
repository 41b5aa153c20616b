package io.jmptcp.core.mptcp;

import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.conn.SegmentSink;
import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import java.util.List;

/**
 * Answers one refused MP_JOIN SYN with a RST carrying MP_TCPRST and the reason (RFC 8684 section
 * 3.6; Linux answers an unknown token with reason 0x01), then is finished. It never becomes an
 * application connection.
 */
final class JoinRefusal implements Connection {
    private static final Failure REFUSED = new Failure(Failure.Kind.REFUSED, "MP_JOIN refused");
    private final StackContext ctx;
    private final FourTuple tuple;
    private final int reason;
    private Segment pending;
    private boolean done;
    private long now;

    JoinRefusal(StackContext ctx, FourTuple tuple, int reason) {
        this.ctx = ctx;
        this.tuple = tuple;
        this.reason = reason;
        ctx.bind(tuple, this);
    }

    @Override
    public void input(long nowMicros, FourTuple t, Segment syn) {
        now = nowMicros;
        if (pending != null || done) {
            return;
        }
        TcpHeader h = syn.header();
        TcpHeader r = new TcpHeader(h.dstPort(), h.srcPort(), 0, h.seq() + syn.seqLength(),
                TcpHeader.RST | TcpHeader.ACK, 0, 0, 0, List.of(new MptcpOption.MpTcpRst(0, reason)));
        pending = Segment.of(r);
    }

    @Override
    public void poll(long nowMicros, SegmentSink out) {
        now = nowMicros;
        if (pending != null) {
            out.emit(tuple, pending);
            pending = null;
            done = true;
        }
    }

    @Override
    public long pollAt() {
        return pending != null ? now : TcpConnection.NEVER;
    }

    @Override
    public boolean finished() {
        if (done) {
            ctx.unbind(tuple);
        }
        return done;
    }

    @Override
    public int write(byte[] src, int off, int len) {
        return -1;
    }

    @Override
    public int read(byte[] dst, int off, int len) {
        return -1;
    }

    @Override
    public long readable() {
        return 0;
    }

    @Override
    public long writable() {
        return 0;
    }

    @Override
    public void shutdownOutput() {
    }

    @Override
    public void close() {
    }

    @Override
    public void abort() {
    }

    @Override
    public State state() {
        return done ? State.FAILED : State.CONNECTING;
    }

    @Override
    public Failure failure() {
        return done ? REFUSED : null;
    }

    @Override
    public ConnectionInfo info() {
        return new ConnectionInfo(tuple.localAddress().getHostAddress() + ":" + tuple.localPort(),
                tuple.remoteAddress().getHostAddress() + ":" + tuple.remotePort(), state(), false, false, 0, 0, "-",
                "-", -1, List.of());
    }
}
