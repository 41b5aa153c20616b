package io.jmptcp.core.mptcp;

import io.jmptcp.core.cc.CongestionControlGroup;
import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.pm.AddressSignals;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.conn.SegmentSink;
import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.sched.Scheduler;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConfig;
import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.tcp.TcpError;
import io.jmptcp.core.tcp.TcpState;
import io.jmptcp.core.wire.DataSeq;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.MptcpOption.MpTcpRst;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * One MPTCP connection (RFC 8684; Linux net/mptcp/protocol.c): the connection level above the
 * subflows. It owns the keys and token, the data sequence space (a send buffer freed only by
 * DATA_ACK, a receive buffer reassembled by DSN with one shared, never-shrinking window), the
 * scheduler, reinjection across subflows, DATA_FIN, fallback to plain TCP and MP_FASTCLOSE.
 *
 * <p>A connection created with MPTCP disabled, or that fell back, is plain TCP on its one subflow
 * with the same buffers; the application cannot tell (RFC 6182 section 6.1).
 */
public final class MptcpConnection implements Connection {
    private static final int MAX_CHUNK = 64 * 1024;

    private final StackContext ctx;
    private final MptcpConfig cfg;
    private final Mib mib;
    private final TokenTable<MptcpConnection> tokens;
    private final boolean active;
    private final InetSocketAddress remote;
    private final Scheduler scheduler;
    /** The subflows' congestion controllers (null for a plain TCP connection: its own TCP settings). */
    private final CongestionControlGroup cc;
    private final List<MptcpSubflow> subflows = new ArrayList<>();

    private long localKey;
    private long remoteKey;
    private boolean remoteKeyKnown;
    private boolean csumWanted;
    private boolean csum;
    private boolean mptcp;
    private boolean fallback;
    /** Fallback (section 3.7) is possible only while one subflow ever existed and nothing was reinjected. */
    private boolean fallbackAllowed = true;
    private boolean joinsCreated;
    private int subflowsEver;

    private final DataSendBuffer snd;
    private DataReceiveBuffer rcv;
    /** Next new DSN to schedule. */
    private long dataNxt;
    /** Right edge of the peer's connection-level window (section 3.3.4). */
    private long sndWndEnd;
    private final ArrayDeque<long[]> reinject = new ArrayDeque<>();
    private final AddressSignals signals = new AddressSignals(1_000_000);
    /** An MP_FAIL to send (section 3.7) and its DSN. */
    private boolean mpFailPending;
    private long mpFailDsn;
    private boolean infiniteMappingDue;
    private boolean announced;

    private boolean dataFinSent;
    private long dataFinDeadline = TcpConnection.NEVER;
    private int dataFinRetries;
    private boolean subflowsClosed;

    private State state = State.CONNECTING;
    private Failure failure;
    private long now;
    private boolean dirty = true;
    private long bytesSent;
    private long bytesReceived;
    private boolean tokenReleased;

    private MptcpConnection(StackContext ctx, MptcpConfig cfg, TokenTable<MptcpConnection> tokens, boolean active,
                            InetSocketAddress remote, long nowMicros) {
        this.ctx = ctx;
        this.cfg = cfg;
        this.mib = ctx.mib();
        this.tokens = tokens;
        this.active = active;
        this.remote = remote;
        this.now = nowMicros;
        this.scheduler = cfg.scheduler.get();
        this.cc = cfg.enabled ? CongestionControlGroup.forConnection(cfg.congestionControl) : null;
        this.csumWanted = cfg.checksum;
        // Section 3.1: a random non-zero key whose token is unique within the stack.
        this.localKey = cfg.enabled ? tokens.allocate(this) : 0;
        if (localKey == 0) {
            fallback = true; // MPTCP off, or no unique token (Linux TokenFallbackInit)
        }
        this.snd = new DataSendBuffer(localIdsn(), cfg.sendBuffer);
        if (fallback) {
            rcv = new DataReceiveBuffer(0, cfg.receiveBuffer);
        }
        this.dataNxt = snd.dataEnd();
        this.sndWndEnd = dataNxt;
    }

    /** Active open: the initial subflow leaves from the first stack address of the remote's family. */
    static MptcpConnection connect(long nowMicros, StackContext ctx, MptcpConfig cfg, TokenTable<MptcpConnection> tokens,
                                   InetSocketAddress remote) {
        MptcpConnection c = new MptcpConnection(ctx, cfg, tokens, true, remote, nowMicros);
        InetAddress local = c.firstLocal(remote.getAddress());
        int port = ctx.ephemeralPort(local, remote.getAddress(), remote.getPort());
        FourTuple t = new FourTuple(local, port, remote.getAddress(), remote.getPort());
        TcpConnection tcp = TcpConnection.connect(c.subflowConfig(t.remoteAddress()), t, ctx.isn(), c.mib, nowMicros);
        c.addSubflow(tcp, true, true, 0, 0);
        return c;
    }

    /** Passive open for a SYN with a valid MP_CAPABLE (mptcp true) or without one (plain TCP). */
    static MptcpConnection accept(long nowMicros, StackContext ctx, MptcpConfig cfg, TokenTable<MptcpConnection> tokens,
                                  FourTuple tuple, boolean mptcpSyn) {
        MptcpConfig c0 = mptcpSyn ? cfg : copyDisabled(cfg);
        MptcpConnection c = new MptcpConnection(ctx, c0, tokens, false,
                new InetSocketAddress(tuple.remoteAddress(), tuple.remotePort()), nowMicros);
        TcpConnection tcp = TcpConnection.listen(c.subflowConfig(tuple.remoteAddress()), tuple, ctx.isn(), c.mib, nowMicros);
        c.addSubflow(tcp, true, false, 0, 0);
        return c;
    }

    private static MptcpConfig copyDisabled(MptcpConfig cfg) {
        return new MptcpConfig().enabled(false).announce(cfg.announce).checksum(cfg.checksum).scheduler(cfg.scheduler).tcp(cfg.tcp)
                .maxSubflows(cfg.maxSubflows).sendBuffer(cfg.sendBuffer).receiveBuffer(cfg.receiveBuffer);
    }

    private TcpConfig subflowConfig(InetAddress peer) {
        // RFC 9293 3.7.1: the MSS is clamped to the stack's MTU for the subflow's family.
        TcpConfig t = cfg.tcp.copy().pathMtu(ctx.mtu(), !(peer instanceof Inet4Address));
        t.receiveBuffer = cfg.receiveBuffer;
        t.sendBuffer = Math.max(t.sendBuffer, cfg.sendBuffer);
        if (cc != null) {
            t.congestionControl = cc; // the subflow's controller joins the connection's group
        }
        return t;
    }

    private InetAddress firstLocal(InetAddress remoteAddr) {
        for (InetAddress a : ctx.localAddresses()) {
            if ((a instanceof Inet4Address) == (remoteAddr instanceof Inet4Address)) {
                return a;
            }
        }
        throw new IllegalArgumentException("no stack address of the family of " + remoteAddr.getHostAddress());
    }

    private MptcpSubflow addSubflow(TcpConnection tcp, boolean initial, boolean activeOpen, int localId, int nonce) {
        MptcpSubflow s = new MptcpSubflow(this, tcp, initial, activeOpen, localId, nonce);
        if (fallback) {
            s.mappings.fallback(0); // plain TCP: subflow byte k is data byte k
        }
        subflows.add(s);
        subflowsEver++;
        if (subflowsEver > 1) {
            fallbackAllowed = false;
        }
        ctx.bind(tcp.tuple(), this);
        dirty = true;
        return s;
    }

    // =============================================================================================
    // Accessors the subflows use
    // =============================================================================================

    Mib mib() {
        return mib;
    }

    long now() {
        return now;
    }

    long localKey() {
        return localKey;
    }

    long remoteKey() {
        return remoteKey;
    }

    int localToken() {
        return MptcpCrypto.token(localKey);
    }

    long localIdsn() {
        return localKey == 0 ? 0 : MptcpCrypto.idsn(localKey);
    }

    long peerIdsn() {
        return remoteKeyKnown ? MptcpCrypto.idsn(remoteKey) : 0;
    }

    boolean isFallback() {
        return fallback;
    }

    boolean checksumWanted() {
        return csumWanted;
    }

    boolean checksum() {
        return csum;
    }

    boolean hasReceiveBuffer() {
        return rcv != null;
    }

    /** The DATA_ACK we send: the next DSN expected (section 3.3.2). */
    long dataAck() {
        return rcv == null ? 0 : rcv.dataAck();
    }

    /** The oldest DSN not yet DATA_ACKed by the peer. */
    long dataUna() {
        return snd.dataUna();
    }

    /** Our DATA_FIN is sent and not yet acknowledged: every pure ACK repeats it. */
    boolean dataFinPending() {
        return dataFinSent && !snd.finAcked();
    }

    long dataFinDsn() {
        return snd.dataEnd();
    }

    /** The one connection-level window, relative to DATA_ACK, never shrinking (section 3.3.4). */
    long receiveWindow(long ownFreeSpace) {
        return rcv == null ? ownFreeSpace : rcv.window();
    }

    // =============================================================================================
    // Handshake events from subflows (section 3.1)
    // =============================================================================================

    void onCapableSyn(boolean peerWantsChecksum) {
        mib.inc(MptcpMib.MPCapableSYNRX);
        mptcp = true;
        // The listener answers with its own setting and decides with the third ACK (wire facts 1.2).
        csum = csumWanted;
    }

    void onCapableSynAck(long key, boolean peerChecksum) {
        mptcp = true;
        setRemoteKey(key);
        csum = csumWanted || peerChecksum;
        csumWanted = csum; // keep A on the third ACK so the listener enables checksums too
    }

    void onCapableAck(long key, boolean peerChecksum) {
        setRemoteKey(key);
        csum = csumWanted || peerChecksum;
    }

    private void setRemoteKey(long key) {
        remoteKey = key;
        remoteKeyKnown = true;
        rcv = new DataReceiveBuffer(MptcpCrypto.idsn(key), cfg.receiveBuffer);
    }

    /** The first subflow's handshake showed no MPTCP: plain TCP from the start (section 3.7). */
    void fallBackAtHandshake() {
        enterFallback();
    }

    /**
     * Data or a segment without DSS on an MPTCP connection (section 3.7): fall back to TCP if this
     * is the only subflow ever and nothing was reinjected; otherwise the caller resets the subflow.
     */
    boolean fallBackMidStream(MptcpSubflow s) {
        if (fallback) {
            return true;
        }
        if (!fallbackAllowed || !s.initial || subflows.size() != 1) {
            return false;
        }
        mib.inc(MptcpMib.DSSFallback);
        enterFallback();
        return true;
    }

    void onInfiniteMapping(MptcpSubflow s) {
        if (!fallBackMidStream(s)) {
            s.reset(MpTcpRst.REASON_MPTCP_ERROR);
        }
    }

    private void enterFallback() {
        if (fallback) {
            return;
        }
        fallback = true;
        if (rcv == null) {
            rcv = new DataReceiveBuffer(0, cfg.receiveBuffer);
        }
        MptcpSubflow s = subflows.get(0);
        // Bytes keep the DSN they had: the subflow's relation between SSN and DSN (infinite mapping).
        s.mappings.fallback(peerIdsn()); // the peer's first byte, SSN 1, has DSN IDSN + 1
        s.fullyEstablished = true;
        releaseToken();
        dirty = true;
    }

    // =============================================================================================
    // Data events from subflows (section 3.3)
    // =============================================================================================

    /**
     * A DATA_ACK and the receive window advertised in the same segment. The receiver computed that
     * window relative to this DATA_ACK (section 3.3.4), so the right edge is their sum; pairing the
     * DATA_ACK with a window the subflow kept from another segment could overshoot the peer's edge,
     * and Linux drops what lies past it even though its subflow acknowledged it.
     */
    void onDataAck(long ack, long segWindow) {
        long limit = dataNxt + (dataFinSent ? 1 : 0);
        if (DataSeq.lt(limit, ack)) {
            return; // DATA_ACK for data never sent: ignored (wire facts 4.1)
        }
        long freed = snd.ack(ack);
        if (freed > 0 || snd.finAcked()) {
            for (MptcpSubflow x : subflows) {
                x.pruneOutstanding(snd.dataUna());
            }
            dirty = true;
        }
        if (DataSeq.le(snd.dataUna(), ack)) {
            long edge = ack + segWindow;
            if (DataSeq.lt(sndWndEnd, edge)) {
                sndWndEnd = edge;
                dirty = true;
            }
        }
    }

    void onData(long dsn, byte[] data, int off, int len) {
        if (rcv == null) {
            return;
        }
        long ack = rcv.dataAck();
        long dupBefore = rcv.duplicateBytes();
        long beyondBefore = rcv.beyondWindowBytes();
        long pastBefore = rcv.pastEdgeBytes();
        if (DataSeq.lt(ack, dsn)) {
            mib.inc(MptcpMib.OFOQueue);
        }
        rcv.receive(dsn, data, off, len);
        mib.add(MptcpMib.DuplicateData, rcv.duplicateBytes() - dupBefore);
        if (rcv.beyondWindowBytes() > beyondBefore) {
            mib.inc(MptcpMib.NoDSSInWindow);
        }
        if (rcv.pastEdgeBytes() > pastBefore) {
            mib.inc(MptcpMib.PastWindowEdge);
        }
        bytesReceived += len;
        dirty = true;
    }

    void onDataFin(MptcpSubflow s, long finDsn) {
        if (rcv == null) {
            return;
        }
        boolean had = rcv.finReceived();
        rcv.receiveDataFin(finDsn);
        if (!had) {
            s.tcp.sendAck(); // acknowledge the DATA_FIN at once (section 3.3.3)
        }
        dirty = true;
    }

    /** Plain TCP after fallback: the subflow FIN is the end of the stream. */
    void onFallbackFin() {
        if (rcv != null && !rcv.finReceived()) {
            rcv.receiveDataFin(rcv.dataAck());
            dirty = true;
        }
    }

    /**
     * A DSS checksum failed (section 3.7). With other subflows the subflow is reset (reason 0x06)
     * and the sender reinjects the data elsewhere. On the only subflow, when fallback is still
     * possible, the bytes are taken as TCP delivered them (a middlebox rewrote them), MP_FAIL
     * names the mapping, and the connection falls back to TCP. Returns whether the subflow goes on.
     */
    boolean onChecksumFailure(MptcpSubflow s, long dsn, byte[] bytes) {
        if (!fallbackAllowed || !s.initial || subflows.size() != 1 || fallback) {
            s.reset(MpTcpRst.REASON_MIDDLEBOX_INTERFERENCE);
            return false;
        }
        onData(dsn, bytes, 0, bytes.length);
        mpFailPending = true;
        mpFailDsn = dsn;
        mib.inc(MptcpMib.MPFailTx);
        enterFallback();
        s.tcp.sendAck();
        return true;
    }

    /**
     * MP_FAIL received (section 3.7). If we sent none, the peer's receiver found a bad checksum:
     * answer with MP_FAIL, put the infinite mapping on the next data segment and fall back. If we
     * sent one, this is the answer. Where fallback is impossible the subflow is reset.
     */
    void onMpFail(MptcpSubflow s, long dsn) {
        if (fallback) {
            return;
        }
        if (!fallbackAllowed || !s.initial || subflows.size() != 1) {
            s.reset(MpTcpRst.REASON_MIDDLEBOX_INTERFERENCE);
            return;
        }
        mpFailPending = true;
        mpFailDsn = dsn;
        mib.inc(MptcpMib.MPFailTx);
        infiniteMappingDue = true;
        enterFallback();
        s.tcp.sendAck();
    }

    /** The MP_FAIL the next segment carries (once), or null. */
    MptcpOption.MpFail takeMpFail(int budget) {
        if (!mpFailPending || budget < 12) {
            return null;
        }
        mpFailPending = false;
        return new MptcpOption.MpFail(mpFailDsn);
    }

    /** Whether the next data segment carries the infinite mapping (once). */
    boolean takeInfiniteMapping() {
        boolean due = infiniteMappingDue;
        infiniteMappingDue = false;
        return due;
    }

    /** MP_FASTCLOSE (section 3.5): accepted only with our own key. */
    void onFastclose(long receiverKey) {
        if (receiverKey != localKey || localKey == 0) {
            mib.inc(MptcpMib.OptionInvalid);
            return;
        }
        mib.inc(MptcpMib.MPFastcloseRx);
        for (MptcpSubflow s : subflows) {
            if (!s.closed()) {
                s.tcp.abort();
            }
        }
        fail(new Failure(Failure.Kind.FASTCLOSE, "connection reset by peer (MP_FASTCLOSE)"));
    }

    // =============================================================================================
    // MP_JOIN (section 3.2)
    // =============================================================================================

    /** Whether this connection takes a new MP_JOIN subflow now (wire facts 3.4). */
    boolean acceptsJoin() {
        return !fallback && mptcp && remoteKeyKnown && subflows.get(0).fullyEstablished && state == State.ESTABLISHED
                && (rcv == null || !rcv.finReceived()) && liveSubflows() < cfg.maxSubflows;
    }

    private int liveSubflows() {
        int n = 0;
        for (MptcpSubflow s : subflows) {
            if (!s.closed()) {
                n++;
            }
        }
        return n;
    }

    /** A listener-side MP_JOIN subflow for this SYN's 4-tuple. */
    void acceptJoin(long nowMicros, FourTuple tuple) {
        this.now = nowMicros;
        mib.inc(MptcpMib.MPJoinSynRx);
        TcpConnection tcp = TcpConnection.listen(subflowConfig(tuple.remoteAddress()), tuple, ctx.isn(), mib, nowMicros);
        addSubflow(tcp, false, false, localId(tuple.localAddress()), nonce());
    }

    private int nonce() {
        int n;
        do {
            n = (int) ctx.random().getAsLong();
        } while (n == 0);
        return n;
    }

    private int localId(InetAddress a) {
        if (a.equals(subflows.get(0).tuple.localAddress())) {
            return 0;
        }
        return ctx.localAddresses().indexOf(a) + 1;
    }

    /**
     * The path manager's part for now: once the connection is fully established, the client joins
     * from every other stack address of the peer's family to the peer's address, up to the limit.
     */
    private void createJoins() {
        if (joinsCreated || !active || fallback || !mptcp || !subflows.get(0).fullyEstablished
                || state != State.ESTABLISHED || snd.finQueued()) {
            return;
        }
        joinsCreated = true;
        InetAddress first = subflows.get(0).tuple.localAddress();
        for (InetAddress a : ctx.localAddresses()) {
            if (liveSubflows() >= cfg.maxSubflows) {
                break;
            }
            if (a.equals(first) || (a instanceof Inet4Address) != (remote.getAddress() instanceof Inet4Address)) {
                continue;
            }
            int port = ctx.ephemeralPort(a, remote.getAddress(), remote.getPort());
            FourTuple t = new FourTuple(a, port, remote.getAddress(), remote.getPort());
            TcpConnection tcp = TcpConnection.connect(subflowConfig(t.remoteAddress()), t, ctx.isn(), mib, now);
            addSubflow(tcp, false, true, localId(a), nonce());
        }
    }

    // =============================================================================================
    // ADD_ADDR (section 3.4.1)
    // =============================================================================================

    /** With {@code --announce}: ADD_ADDR for every stack address but the initial one, once. */
    private void announceAddresses() {
        if (announced || !cfg.announce || fallback || !mptcp || !remoteKeyKnown || !subflows.get(0).fullyEstablished) {
            return;
        }
        announced = true;
        InetAddress first = subflows.get(0).tuple.localAddress();
        for (InetAddress a : ctx.localAddresses()) {
            if (!a.equals(first)) {
                int id = localId(a);
                long hmac = MptcpCrypto.addAddrHmac(localKey, remoteKey, id, a, -1);
                signals.announce(new MptcpOption.AddAddr(false, id, a, -1, hmac), now);
            }
        }
    }

    /** The ADD_ADDR (or echo) the next pure ACK carries instead of DSS, or null. */
    MptcpOption.AddAddr takeAddressOption() {
        return fallback ? null : signals.next(now);
    }

    /**
     * A received ADD_ADDR: an echo stops our repetitions; an announcement with a valid HMAC is
     * echoed, and the client opens a subflow to it when it has no subflow of that address family
     * yet (so a connection gains a path of the other family, RFC 6182 section 2.2.2). Joining every
     * announced address is the path manager's, not done here.
     */
    void onAddAddr(MptcpSubflow s, MptcpOption.AddAddr a) {
        if (a.echo()) {
            if (signals.echoed(a)) {
                mib.inc(MptcpMib.Echo);
            }
            return;
        }
        long expected = MptcpCrypto.addAddrHmac(remoteKey, localKey, a.addressId(), a.address(), a.port());
        if (!remoteKeyKnown || a.truncatedHmac() != expected) {
            mib.inc(MptcpMib.OptionInvalid);
            return;
        }
        mib.inc(MptcpMib.AddAddr);
        signals.echo(a);
        s.tcp.sendAck();
        if (!active || fallback || state != State.ESTABLISHED || snd.finQueued() || liveSubflows() >= cfg.maxSubflows) {
            return;
        }
        boolean v4 = a.address() instanceof Inet4Address;
        for (MptcpSubflow x : subflows) {
            if (!x.closed() && (x.tuple.remoteAddress() instanceof Inet4Address) == v4) {
                return;
            }
        }
        for (InetAddress local : ctx.localAddresses()) {
            if ((local instanceof Inet4Address) == v4) {
                int port = a.hasPort() ? a.port() : remote.getPort();
                FourTuple t = new FourTuple(local, ctx.ephemeralPort(local, a.address(), port), a.address(), port);
                TcpConnection tcp = TcpConnection.connect(subflowConfig(a.address()), t, ctx.isn(), mib, now);
                MptcpSubflow j = addSubflow(tcp, false, true, localId(local), nonce());
                j.remoteId = a.addressId();
                return;
            }
        }
    }

    // =============================================================================================
    // Network side
    // =============================================================================================

    @Override
    public void input(long nowMicros, FourTuple tuple, Segment segment) {
        this.now = nowMicros;
        for (MptcpSubflow s : subflows) {
            if (s.tuple.equals(tuple)) {
                s.tcp.input(nowMicros, segment);
                afterEvent();
                return;
            }
        }
    }

    private void afterEvent() {
        MptcpSubflow first = subflows.isEmpty() ? null : subflows.get(0);
        if (state == State.CONNECTING && first != null && first.tcp.state().synchronised()
                && first.tcp.state() != TcpState.SYN_RECEIVED) {
            state = State.ESTABLISHED;
            long edge = snd.dataUna() + first.tcp.sendWindow(); // until the first DATA_ACK
            if (DataSeq.lt(sndWndEnd, edge)) {
                sndWndEnd = edge;
            }
        }
        if (state == State.CONNECTING && first != null && first.closed()) {
            fail(subflowFailure(first.tcp.error(), true));
        }
        dirty = true;
    }

    @Override
    public void poll(long nowMicros, SegmentSink out) {
        this.now = nowMicros;
        dirty = false;
        afterEvent();
        dirty = false;
        checkTimeouts();
        createJoins();
        announceAddresses();
        if (signals.pending(now)) {
            MptcpSubflow s = anyUsable();
            if (s != null) {
                s.tcp.sendAck();
            }
        }
        pushData();
        checkClose();
        for (MptcpSubflow s : subflows) {
            s.onTimer(nowMicros);
            s.tcp.poll(nowMicros, seg -> out.emit(s.tuple, seg));
        }
        reapSubflows();
    }

    /** RFC 6182 section 5.2: data outstanding on a subflow that timed out goes out on another one. */
    private void checkTimeouts() {
        for (MptcpSubflow s : subflows) {
            if (s.newTimeout() && !fallback && s.tcp.consecutiveRtos() >= 1) {
                boolean other = false;
                for (MptcpSubflow o : subflows) {
                    other |= o != s && o.usable();
                }
                if (!other) {
                    continue;
                }
                s.stale = true;
                s.pruneOutstanding(snd.dataUna());
                for (MptcpSubflow.Chunk c : s.outstanding) {
                    long from = DataSeq.lt(c.dsn(), snd.dataUna()) ? snd.dataUna() : c.dsn();
                    reinject.add(new long[] {from, c.dsnEnd() - from});
                }
                if (!s.outstanding.isEmpty()) {
                    fallbackAllowed = false;
                    mib.inc(MptcpMib.Reinjection);
                }
            }
        }
        if (dataFinSent && !snd.finAcked() && dataFinDeadline <= now) {
            MptcpSubflow s = anyUsable();
            if (s != null) {
                s.tcp.sendAck();
            }
            dataFinRetries++;
            dataFinDeadline = now + dataFinInterval() * (1L << Math.min(dataFinRetries, 6));
        }
    }

    private long dataFinInterval() {
        long rto = 200_000;
        for (MptcpSubflow s : subflows) {
            rto = Math.max(rto, s.tcp.rtoMicros());
        }
        return rto;
    }

    private MptcpSubflow anyUsable() {
        for (MptcpSubflow s : subflows) {
            if (s.usable()) {
                return s;
            }
        }
        for (MptcpSubflow s : subflows) {
            if (s.tcp.state().synchronised() && !s.closed()) {
                return s;
            }
        }
        return null;
    }

    /** Moves data from the connection-level send buffer to subflows, per the scheduler. */
    private void pushData() {
        if (state != State.ESTABLISHED) {
            return;
        }
        if (fallback) {
            pushFallback();
            return;
        }
        // Reinjected ranges first (RFC 6182 section 5.2), then new data.
        while (!reinject.isEmpty()) {
            long[] r = reinject.peekFirst();
            if (!DataSeq.lt(snd.dataUna(), r[0] + r[1])) {
                reinject.pollFirst();
                continue;
            }
            if (DataSeq.lt(r[0], snd.dataUna())) {
                r[1] -= snd.dataUna() - r[0];
                r[0] = snd.dataUna();
            }
            int i = scheduler.pick(subflows);
            if (i < 0) {
                break;
            }
            MptcpSubflow s = subflows.get(i);
            int len = (int) Math.min(Math.min(r[1], MAX_CHUNK), s.sendSpace());
            if (len <= 0) {
                break;
            }
            s.enqueue(r[0], copy(r[0], len));
            r[0] += len;
            r[1] -= len;
            if (r[1] <= 0) {
                reinject.pollFirst();
            }
        }
        while (DataSeq.lt(dataNxt, snd.dataEnd())) {
            int i = scheduler.pick(subflows);
            if (i < 0) {
                break;
            }
            MptcpSubflow s = subflows.get(i);
            long space = s.sendSpace();
            long avail = snd.dataEnd() - dataNxt;
            long wnd = sndWndEnd - dataNxt;
            int mss = s.tcp.effectiveMss();
            long len = Math.min(Math.min(space, avail), Math.min(wnd, MAX_CHUNK));
            if (len < avail && len < wnd && len >= mss) {
                len -= len % mss; // full segments unless it is the end of what may be sent
            }
            if (len <= 0 || len < mss && len < avail && len < wnd) {
                break;
            }
            s.enqueue(dataNxt, copy(dataNxt, (int) len));
            dataNxt += len;
            bytesSent += len;
        }
        if (snd.finQueued() && dataNxt == snd.dataEnd() && !dataFinSent) {
            // Section 3.3.3: the DATA_FIN rides on a pure ACK (DSN = next DSN, SSN 0, DLL 1).
            MptcpSubflow s = anyUsable();
            if (s != null) {
                dataFinSent = true;
                s.tcp.sendAck();
                dataFinDeadline = now + dataFinInterval();
            }
        }
    }

    private void pushFallback() {
        MptcpSubflow s = subflows.isEmpty() ? null : subflows.get(0);
        if (s == null || s.closed()) {
            return;
        }
        while (DataSeq.lt(dataNxt, snd.dataEnd())) {
            long len = Math.min(Math.min(snd.dataEnd() - dataNxt, MAX_CHUNK), s.tcp.sendBufferSpace());
            if (len <= 0) {
                break;
            }
            s.enqueue(dataNxt, copy(dataNxt, (int) len));
            dataNxt += len;
            bytesSent += len;
        }
        if (snd.finQueued() && dataNxt == snd.dataEnd() && !dataFinSent) {
            dataFinSent = true;
            s.tcp.close(); // the subflow FIN is the end of the stream
        }
        // Plain TCP frees the buffer on the subflow's ACK: DSN and SSN keep their relation.
        // The subflow's first byte (SSN 1) is DSN IDSN + 1: one subflow, nothing reinjected.
        long una = s.tcp.sndUnaRelative();
        if (una > 1) {
            long ack = localIdsn() + Math.min(una, s.queued() + 1);
            if (dataFinSent && una - 1 > s.queued()) {
                ack++;
            }
            snd.ack(ack);
        }
    }

    private byte[] copy(long dsn, int len) {
        byte[] b = new byte[len];
        snd.copy(dsn, b, 0, len);
        return b;
    }

    /** When both DATA_FINs are done the subflows close (section 3.3.3). */
    private void checkClose() {
        if (subflowsClosed) {
            return;
        }
        boolean ourDone = snd.finAcked();
        boolean theirDone = rcv != null && rcv.finReceived();
        if (fallback) {
            MptcpSubflow s = subflows.isEmpty() ? null : subflows.get(0);
            if (ourDone && theirDone && s != null && (s.tcp.state() == TcpState.TIME_WAIT || s.closed())) {
                subflowsClosed = true;
                if (state == State.ESTABLISHED) {
                    state = State.CLOSED;
                }
            }
            return;
        }
        if (ourDone && theirDone) {
            subflowsClosed = true;
            for (MptcpSubflow s : subflows) {
                if (s.closed()) {
                    continue;
                }
                s.closing = true;
                if (s.tcp.unacknowledged() > 0 && s.stale) {
                    s.reset(MpTcpRst.REASON_UNSPECIFIED);
                } else {
                    s.tcp.close();
                }
            }
            if (state == State.ESTABLISHED) {
                state = State.CLOSED;
            }
        }
    }

    private void reapSubflows() {
        boolean anyLive = false;
        for (int i = 0; i < subflows.size(); i++) {
            MptcpSubflow s = subflows.get(i);
            if (!s.closed()) {
                anyLive = true;
                continue;
            }
            if (cc != null) {
                cc.unregister(s.tcp.congestionControl());
            }
            if (!s.outstanding.isEmpty() && !fallback && state == State.ESTABLISHED) {
                // The subflow died with data in flight: send it again elsewhere (section 3.3.1).
                s.pruneOutstanding(snd.dataUna());
                for (MptcpSubflow.Chunk c : s.outstanding) {
                    long from = DataSeq.lt(c.dsn(), snd.dataUna()) ? snd.dataUna() : c.dsn();
                    reinject.add(new long[] {from, c.dsnEnd() - from});
                }
                s.outstanding.clear();
                mib.inc(MptcpMib.Reinjection);
            }
            if (i == 0 && subflows.size() == 1 && state != State.CLOSED && state != State.FAILED
                    && !subflowsClosed) {
                fail(subflowFailure(s.tcp.error(), false));
            }
        }
        if (!anyLive && state == State.ESTABLISHED && !subflows.isEmpty() && !subflowsClosed) {
            fail(new Failure(Failure.Kind.RESET, "connection reset"));
        }
    }

    /**
     * What the end of the only subflow means for the connection. An application abort fails the
     * connection first, so a subflow aborted while the connection still lives was reset by this
     * stack for an MPTCP protocol error (MP_TCPRST, section 3.6).
     */
    private static Failure subflowFailure(TcpError e, boolean connecting) {
        if (e == null) {
            // Without an error a subflow ends by a local close() while connecting, or by a clean
            // subflow close that came without DATA_FIN.
            return connecting ? new Failure(Failure.Kind.ABORTED, "connection closed before it was established")
                    : new Failure(Failure.Kind.RESET, "connection reset");
        }
        if (e == TcpError.ABORTED) {
            return new Failure(Failure.Kind.PROTOCOL_ERROR, "connection reset: MPTCP protocol error on the only subflow");
        }
        return Failure.of(e);
    }

    private void fail(Failure why) {
        if (state == State.FAILED) {
            return;
        }
        state = State.FAILED;
        failure = why;
        releaseToken();
    }

    private void releaseToken() {
        if (!tokenReleased && localKey != 0) {
            tokens.release(localKey);
            tokenReleased = true;
        }
    }

    @Override
    public long pollAt() {
        if (dirty) {
            return now;
        }
        long t = TcpConnection.NEVER;
        for (MptcpSubflow s : subflows) {
            t = Math.min(t, s.tcp.pollAt());
            t = Math.min(t, s.joinAckDeadline);
        }
        if (dataFinSent && !snd.finAcked()) {
            t = Math.min(t, dataFinDeadline);
        }
        if (anyUsable() != null) {
            t = Math.min(t, Math.max(signals.nextDeadline(), now + 1));
        }
        return t;
    }

    @Override
    public boolean finished() {
        if (state != State.CLOSED && state != State.FAILED) {
            return false;
        }
        for (MptcpSubflow s : subflows) {
            if (!s.closed()) {
                return false;
            }
        }
        for (MptcpSubflow s : subflows) {
            ctx.unbind(s.tuple);
        }
        releaseToken();
        if (cc != null) {
            cc.release();
        }
        return true;
    }

    // =============================================================================================
    // Application side
    // =============================================================================================

    @Override
    public int write(byte[] src, int off, int len) {
        if (snd.finQueued() || state == State.FAILED || state == State.CLOSED) {
            return -1;
        }
        int n = snd.write(src, off, len);
        if (n > 0) {
            dirty = true;
        }
        return n;
    }

    @Override
    public int read(byte[] dst, int off, int len) {
        if (rcv == null) {
            return state == State.FAILED ? -1 : 0;
        }
        if (rcv.atEof()) {
            return -1;
        }
        long before = rcv.readable();
        int n = rcv.read(dst, off, len);
        if (n > 0 && before >= cfg.receiveBuffer / 2 && rcv.readable() < cfg.receiveBuffer / 2) {
            // The shared window opened a lot: tell the peer on every subflow (section 3.3.4).
            for (MptcpSubflow s : subflows) {
                if (s.usable() || s.tcp.state().synchronised()) {
                    s.tcp.sendAck();
                }
            }
            dirty = true;
        }
        if (n == 0 && state == State.FAILED) {
            return -1;
        }
        return n;
    }

    @Override
    public long readable() {
        return rcv == null ? 0 : rcv.readable();
    }

    @Override
    public long writable() {
        return snd.finQueued() ? 0 : snd.free();
    }

    @Override
    public void shutdownOutput() {
        if (!snd.finQueued()) {
            snd.close();
            dirty = true;
        }
    }

    @Override
    public void close() {
        shutdownOutput(); // the DATA_FIN; the subflows close once the peer's DATA_FIN is in too
    }

    /** Abort: MP_FASTCLOSE with MP_TCPRST on a RST on every subflow (section 3.5, Linux 6.x). */
    @Override
    public void abort() {
        boolean fast = mptcp && !fallback && remoteKeyKnown;
        for (MptcpSubflow s : subflows) {
            if (s.closed()) {
                continue;
            }
            if (fast) {
                mib.inc(MptcpMib.MPFastcloseTx);
                mib.inc(MptcpMib.MPRstTx);
                s.tcp.abort(List.of(new MptcpOption.MpFastclose(remoteKey),
                        new MpTcpRst(0, MpTcpRst.REASON_UNSPECIFIED)));
            } else {
                s.tcp.abort();
            }
        }
        fail(new Failure(Failure.Kind.ABORTED, "aborted"));
        dirty = true;
    }

    @Override
    public State state() {
        return state;
    }

    @Override
    public Failure failure() {
        return failure;
    }

    /** Whether MPTCP was negotiated (and not fallen back from). */
    public boolean isMptcp() {
        return mptcp && !fallback;
    }

    /** MPTCP was tried or negotiated, then the connection fell back to plain TCP. */
    public boolean fellBack() {
        return fallback && (mptcp || cfg.enabled);
    }

    /** Whether DSS checksums are in use (negotiated with the MP_CAPABLE A flag). */
    public boolean checksumsInUse() {
        return csum && !fallback;
    }

    /** The congestion-control group of the subflows, or null for a connection that was plain TCP from its SYN. */
    public CongestionControlGroup congestionControl() {
        return cc;
    }

    /** A snapshot of the subflows: bytes each one carried, for tests and status. */
    public List<MptcpSubflow> subflows() {
        return List.copyOf(subflows);
    }

    @Override
    public ConnectionInfo info() {
        List<ConnectionInfo.Subflow> list = new ArrayList<>();
        for (MptcpSubflow s : subflows) {
            list.add(new ConnectionInfo.Subflow(addr(s.tuple.localAddress(), s.tuple.localPort()),
                    addr(s.tuple.remoteAddress(), s.tuple.remotePort()), s.tcp.state().name(), s.backup,
                    Math.max(0, s.tcp.srttMicros()), s.tcp.cwnd(), s.queued(), s.subflowBytesDelivered,
                    s.tcp.retransmittedSegments()));
        }
        FourTuple t = subflows.get(0).tuple;
        return new ConnectionInfo(addr(t.localAddress(), t.localPort()), addr(t.remoteAddress(), t.remotePort()), state,
                isMptcp(), fellBack(), bytesSent, bytesReceived, fallback ? "-" : scheduler.name(),
                cc != null ? cc.name() : subflows.get(0).tcp.congestionControl().name(), list);
    }

    private static String addr(InetAddress a, int port) {
        String h = a.getHostAddress();
        return (a instanceof Inet4Address ? h : "[" + h + "]") + ":" + port;
    }

    @Override
    public String toString() {
        return "MptcpConnection[" + state + (fallback ? " fallback" : "") + " token=" + Integer.toHexString(localToken())
                + " dataUna=" + Long.toUnsignedString(snd.dataUna()) + " dataNxt=" + Long.toUnsignedString(dataNxt)
                + " wndEnd=" + Long.toUnsignedString(sndWndEnd) + " ack=" + Long.toUnsignedString(dataAck())
                + " " + subflows + "]";
    }
}
