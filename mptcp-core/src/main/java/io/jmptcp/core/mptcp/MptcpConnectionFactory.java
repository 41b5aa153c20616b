package io.jmptcp.core.mptcp;

import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.ConnectionOptions;
import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.sched.Scheduler;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import io.jmptcp.core.wire.TcpOptionCodec;
import java.net.InetSocketAddress;

/**
 * Makes MPTCP connections for one stack (Linux net/mptcp/subflow.c listener side and token.c):
 * an active open starts the MP_CAPABLE handshake from the first stack address; a SYN with a valid
 * MP_CAPABLE makes a new connection, one without makes a plain TCP connection (RFC 8684 section
 * 3.7), and an MP_JOIN SYN joins the connection its token names (section 3.2). The token table is
 * per stack: keep one factory per stack.
 */
public final class MptcpConnectionFactory implements ConnectionFactory {
    private final MptcpConfig cfg;
    private TokenTable<MptcpConnection> tokens;

    public MptcpConnectionFactory(MptcpConfig cfg) {
        this.cfg = cfg;
    }

    private TokenTable<MptcpConnection> tokens(StackContext ctx) {
        if (tokens == null) {
            tokens = new TokenTable<>(ctx.random());
        }
        return tokens;
    }

    /** Connections by token, for tests and status. */
    public MptcpConnection lookup(int token) {
        return tokens == null ? null : tokens.lookup(token);
    }

    /** Tokens in use (one per MPTCP connection not yet forgotten): bounded state, for tests and status. */
    public int tokenCount() {
        return tokens == null ? 0 : tokens.size();
    }

    @Override
    public Connection connect(long nowMicros, StackContext ctx, InetSocketAddress remote) {
        return MptcpConnection.connect(nowMicros, ctx, cfg, tokens(ctx), remote);
    }

    /** The stack's settings with this connection's scheduler, congestion control, subflow limit, checksum. */
    @Override
    public Connection connect(long nowMicros, StackContext ctx, InetSocketAddress remote,
                              ConnectionOptions options) {
        if (options.isDefault()) {
            return connect(nowMicros, ctx, remote);
        }
        MptcpConfig c = cfg.copy();
        if (options.scheduler() != null) {
            String name = options.scheduler();
            Scheduler.byName(name); // refuses an unknown name now, not at the first send
            c.scheduler(() -> Scheduler.byName(name));
        }
        if (options.congestionControl() != null) {
            c.congestionControl(options.congestionControl()); // refuses an unknown name now
        }
        if (options.maxSubflows() != null) {
            c.maxSubflows(options.maxSubflows());
        }
        if (options.checksum() != null) {
            c.checksum(options.checksum());
        }
        return MptcpConnection.connect(nowMicros, ctx, c, tokens(ctx), remote);
    }

    /** A dropped connection's token goes, so no join can reach it (its own finish does this too). */
    @Override
    public void forgotten(Connection c) {
        if (c instanceof MptcpConnection m) {
            m.forgotten();
        }
    }

    @Override
    public Accepted accept(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn) {
        TcpHeader h = syn.header();
        if (!h.has(TcpHeader.SYN) || h.has(TcpHeader.ACK) || h.has(TcpHeader.RST)) {
            return Accepted.REFUSED;
        }
        MptcpOption.MpCapable cap = null;
        MptcpOption.MpJoinSyn join = null;
        for (TcpOption o : h.options()) {
            if (o instanceof MptcpOption.MpCapable c) {
                cap = c;
            } else if (o instanceof MptcpOption.MpJoinSyn j) {
                join = j;
            }
        }
        if (join != null && cfg.enabled) {
            MptcpConnection c = tokens(ctx).lookup(join.token());
            if (c == null || !c.acceptsJoin(tuple)) {
                // Wire facts 3.4: an unknown token or a refused join gets a RST with MP_TCPRST.
                ctx.mib().inc(MptcpMib.MPJoinSynRejected);
                if (c == null) {
                    ctx.mib().inc(MptcpMib.MPJoinNoTokenFound);
                }
                ctx.mib().inc(MptcpMib.MPRstTx);
                int reason = c == null ? MptcpOption.MpTcpRst.REASON_MPTCP_ERROR
                        : MptcpOption.MpTcpRst.REASON_ADMIN_PROHIBITED;
                return new Accepted(new JoinRefusal(ctx, tuple, reason), false);
            }
            c.acceptJoin(nowMicros, tuple);
            return new Accepted(c, false);
        }
        return new Accepted(MptcpConnection.accept(nowMicros, ctx, cfg, tokens(ctx), tuple, capableSyn(ctx, cap)), true);
    }

    /** Section 3.1 and wire facts 1.2: a v1 SYN option of 4 bytes, version >= 1, H set, B clear. */
    private boolean capableSyn(StackContext ctx, MptcpOption.MpCapable cap) {
        boolean mptcp = cfg.enabled && cap != null && cap.form() == MptcpOption.CapableForm.SYN && cap.version() >= 1
                && (cap.flags() & 0x1F) == MptcpOption.CAP_H_HMAC_SHA256
                && (cap.flags() & MptcpOption.CAP_B_EXTENSIBILITY) == 0;
        if (!mptcp && cfg.enabled) {
            ctx.mib().inc(MptcpMib.MPCapableSYNRXPlain);
        }
        return mptcp;
    }

    /** A SYN cookie's connection: an MP_JOIN SYN takes none (it joins a connection already kept). */
    @Override
    public Connection cookieSyn(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn, int iss, long key) {
        TcpHeader h = syn.header();
        if (!h.has(TcpHeader.SYN) || h.has(TcpHeader.ACK) || h.has(TcpHeader.RST)
                || TcpOptionCodec.first(h.options(), MptcpOption.MpJoinSyn.class) != null) {
            return null;
        }
        MptcpOption.MpCapable cap = TcpOptionCodec.first(h.options(), MptcpOption.MpCapable.class);
        return MptcpConnection.accept(nowMicros, ctx, cfg, tokens(ctx), tuple, capableSyn(ctx, cap), iss, key);
    }

    @Override
    public Connection cookieAck(long nowMicros, StackContext ctx, FourTuple tuple, Segment syn, int iss, long key) {
        if (!(cookieSyn(nowMicros, ctx, tuple, syn, iss, key) instanceof MptcpConnection c)) {
            return null;
        }
        c.input(nowMicros, tuple, syn);
        c.poll(nowMicros, (t, s) -> { }); // the SYN,ACK again: the cookie's went out before
        c.synAckSentBefore();
        return c;
    }
}
