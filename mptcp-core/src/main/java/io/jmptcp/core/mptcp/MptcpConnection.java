package io.jmptcp.core.mptcp;

import io.jmptcp.core.cc.CongestionControlGroup;
import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.pm.AddressSignals;
import io.jmptcp.core.pm.CloseReason;
import io.jmptcp.core.pm.Endpoint;
import io.jmptcp.core.pm.PathManager;
import io.jmptcp.core.pm.PmConnection;
import io.jmptcp.core.pm.PmSubflow;
import io.jmptcp.core.conn.Connection;
import io.jmptcp.core.conn.ConnectionInfo;
import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.conn.SegmentSink;
import io.jmptcp.core.conn.StackContext;
import io.jmptcp.core.sched.Decision;
import io.jmptcp.core.sched.SchedConnection;
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
    /** The most bytes queued as one chunk: one DSS mapping. */
    private static final int MAX_CHUNK = MptcpSubflow.MAX_MAPPING;

    private final StackContext ctx;
    private final MptcpConfig cfg;
    private final Mib mib;
    private final TokenTable<MptcpConnection> tokens;
    private final boolean active;
    private final InetSocketAddress remote;
    private final Scheduler scheduler;
    /** The subflows' congestion controllers (null for a plain TCP connection: its own TCP settings). */
    private final CongestionControlGroup cc;
    /** The live subflows (closed ones leave once dealt with, except on a plain TCP connection). */
    private final List<MptcpSubflow> subflows = new ArrayList<>();
    private final PathManager pm;
    private final PmView pmView = new PmView();
    /** The initial subflow's 4-tuple: its local address is address id 0 on this connection. */
    private FourTuple initialTuple;
    /** The initial subflow became fully established (keys proven both ways). */
    private boolean fullyEstablished;
    private boolean pmStarted;
    /** With no subflow left: when the connection gives up (break before make), or NEVER. */
    private long orphanDeadline = TcpConnection.NEVER;
    /** What the loss of the last subflow means, reported if no subflow comes back. */
    private Failure orphanFailure;
    /** Connection-level retransmission (Linux mptcp_retransmit_timer): DATA_ACK progress. */
    private long rtxUna;
    private long rtxDeadline = TcpConnection.NEVER;
    private int rtxBackoff;
    /** Address pairs that lost a subflow to a reset or timeout: a join on one is a re-creation. */
    private final java.util.Set<List<Object>> lostPaths = new java.util.HashSet<>();

    private long localKey;
    private long remoteKey;
    private boolean remoteKeyKnown;
    private boolean csumWanted;
    /** The peer's MP_CAPABLE had C: it takes no join to its initial address and port. */
    private boolean peerDeniesInitialJoins;
    private boolean csum;
    private boolean mptcp;
    private boolean fallback;
    /** Fallback (section 3.7) is possible only while one subflow ever existed and nothing was reinjected. */
    private boolean fallbackAllowed = true;
    private int subflowsEver;

    private final DataSendBuffer snd;
    private DataReceiveBuffer rcv;
    private final ReceiveBufferTuner rcvTuner;
    /** Next new DSN to schedule. */
    private long dataNxt;
    /** Right edge of the peer's connection-level window (section 3.3.4). */
    private long sndWndEnd;
    /** The subflow probing a closed connection-level window, or null. */
    private MptcpSubflow windowProber;
    private final ArrayDeque<long[]> reinject = new ArrayDeque<>();
    private final SchedView schedView = new SchedView();
    /** Opportunistic retransmission: the data from DATA_ACK up to here went again once already. */
    private long oppNxt;
    private final AddressSignals signals;
    /** An MP_FAIL to send (section 3.7) and its DSN. */
    private boolean mpFailPending;
    private long mpFailDsn;
    private boolean infiniteMappingDue;

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
        this(ctx, cfg, tokens, active, remote, nowMicros, 0);
    }

    /** {@code key}: the local key to claim, or 0 to draw one. */
    private MptcpConnection(StackContext ctx, MptcpConfig cfg, TokenTable<MptcpConnection> tokens, boolean active,
                            InetSocketAddress remote, long nowMicros, long key) {
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
        this.pm = cfg.pathManager.apply(cfg.pm);
        this.signals = new AddressSignals(cfg.pm.addAddrTimeoutMicros, cfg.pm.addAddrRetransmits);
        // Section 3.1: a random non-zero key whose token is unique within the stack.
        this.localKey = !cfg.enabled ? 0 : key == 0 ? tokens.allocate(this) : tokens.claim(key, this) ? key : 0;
        if (localKey == 0) {
            fallback = true; // MPTCP off, or no unique token (Linux TokenFallbackInit)
        }
        this.snd = new DataSendBuffer(localIdsn(), cfg.sendBuffer);
        this.rcvTuner = new ReceiveBufferTuner(cfg.receiveBufferInitial > 0
                ? Math.min(cfg.receiveBufferInitial, cfg.receiveBuffer) : cfg.receiveBuffer, cfg.receiveBuffer);
        if (fallback) {
            rcv = new DataReceiveBuffer(0, rcvTuner.capacity(), cfg.maxOutOfOrder);
        }
        this.dataNxt = snd.dataEnd();
        this.sndWndEnd = dataNxt;
        this.oppNxt = dataNxt;
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
        return accept(nowMicros, ctx, cfg, tokens, tuple, mptcpSyn, ctx.isn().isn(tuple, nowMicros), 0);
    }

    /**
     * A passive open with a given ISN and, unless {@code key} is 0, a given local key (a SYN
     * cookie's). Null if that key's token is in use.
     */
    static MptcpConnection accept(long nowMicros, StackContext ctx, MptcpConfig cfg, TokenTable<MptcpConnection> tokens,
                                  FourTuple tuple, boolean mptcpSyn, int iss, long key) {
        MptcpConfig c0 = mptcpSyn ? cfg : copyDisabled(cfg);
        MptcpConnection c = new MptcpConnection(ctx, c0, tokens, false,
                new InetSocketAddress(tuple.remoteAddress(), tuple.remotePort()), nowMicros, mptcpSyn ? key : 0);
        if (mptcpSyn && key != 0 && c.localKey != key) {
            return null;
        }
        TcpConnection tcp = TcpConnection.listen(c.subflowConfig(tuple.remoteAddress()), tuple, iss,
                ctx.isn().timestampOffset(tuple), c.mib);
        c.addSubflow(tcp, true, false, 0, 0);
        return c;
    }

    /** SYN cookies: the initial subflow's SYN,ACK went out before (see {@link TcpConnection#synAckSentBefore}). */
    void synAckSentBefore() {
        subflows.get(0).tcp.synAckSentBefore();
    }

    private static MptcpConfig copyDisabled(MptcpConfig cfg) {
        MptcpConfig c = cfg.copy().enabled(false);
        c.tcp = cfg.tcp; // the listener's settings, shared as before
        return c;
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
        if (initial) {
            initialTuple = tcp.tuple();
        }
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

    /** Bytes the connection-level send buffer has allocated now (0 once everything written is DATA_ACKed). */
    int sendBufferAllocated() {
        return snd.allocated();
    }

    /** The largest smoothed RTT among the subflows, microseconds; 0 before any sample. */
    private long maxSrtt() {
        long m = 0;
        for (MptcpSubflow s : subflows) {
            m = Math.max(m, s.srttMicros());
        }
        return m;
    }

    /** The connection-level receive buffer now (auto-tuned, or fixed), bytes. */
    public int receiveBufferSize() {
        return rcv != null ? rcv.capacity() : rcvTuner.capacity();
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

    /** We, the listener, put C on our SYN/ACK: no joins to our initial address and port. */
    boolean deniesInitialJoins() {
        return !cfg.joinInitialAddress;
    }

    /** The peer's MP_CAPABLE flags: C says it takes no join to its initial address and port. */
    void onPeerCapableFlags(int flags) {
        if ((flags & MptcpOption.CAP_C_NO_JOIN_TO_SOURCE) != 0) {
            peerDeniesInitialJoins = true;
        }
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
        rcv = new DataReceiveBuffer(MptcpCrypto.idsn(key), rcvTuner.capacity(), cfg.maxOutOfOrder);
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
            rcv = new DataReceiveBuffer(0, rcvTuner.capacity(), cfg.maxOutOfOrder);
        }
        MptcpSubflow s = subflows.get(0);
        s.tcp.unshareSendWindow(); // plain TCP: the peer's window on this subflow is the window
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
        long finBefore = rcv.finConflicts();
        long ofoBefore = rcv.outOfOrderDropped();
        rcv.receive(dsn, data, off, len);
        mib.add(MptcpMib.DataFinConflict, rcv.finConflicts() - finBefore);
        if (rcv.outOfOrderDropped() > ofoBefore) {
            mib.inc(MptcpMib.OFODrop);
        }
        mib.add(MptcpMib.DuplicateData, rcv.duplicateBytes() - dupBefore);
        rcvTuner.onReceived(Math.max(0, len - (rcv.duplicateBytes() - dupBefore)));
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
        if (!rcv.receiveDataFin(finDsn)) {
            mib.inc(MptcpMib.DataFinConflict);
            return;
        }
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

    /**
     * Whether this connection takes a new MP_JOIN subflow now (wire facts 3.4): fully
     * established, under the limit, and with data still to move one way or the other. Linux
     * takes joins only while neither side has sent DATA_FIN; this stack takes them until both
     * DATA_FINs are acknowledged, so a half-closed connection can still regain a path.
     */
    boolean acceptsJoin(FourTuple t) {
        if (!cfg.joinInitialAddress && t.localAddress().equals(initialTuple.localAddress())
                && t.localPort() == initialTuple.localPort()) {
            return false; // we sent C (section 3.1)
        }
        return !fallback && mptcp && remoteKeyKnown && fullyEstablished && state == State.ESTABLISHED
                && !bothFinsDone() && liveSubflows() < cfg.maxSubflows;
    }

    private boolean bothFinsDone() {
        return subflowsClosed || snd.finAcked() && rcv != null && rcv.finReceived();
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
        MptcpSubflow s = addSubflow(tcp, false, false, localId(tuple.localAddress()), nonce());
        Endpoint e = endpoint(tuple.localAddress());
        s.localBackup = e != null && e.backup();
    }

    private int nonce() {
        int n;
        do {
            n = (int) ctx.random().getAsLong();
        } while (n == 0);
        return n;
    }

    /** Address id 0 is the initial subflow's local address; the others are the endpoints' ids. */
    private int localId(InetAddress a) {
        if (a.equals(initialTuple.localAddress())) {
            return 0;
        }
        Endpoint e = endpoint(a);
        return e == null ? 0 : e.id();
    }

    private Endpoint endpoint(InetAddress a) {
        for (Endpoint e : ctx.endpoints()) {
            if (e.address().equals(a)) {
                return e;
            }
        }
        return null;
    }

    /** The one place a subflow is opened from this side after the initial one (section 3.2). */
    private MptcpSubflow openJoin(InetAddress local, int localId, InetAddress remoteAddr, int port, int remoteId,
                                  boolean backup) {
        if (!pmView.canOpenSubflows() || liveSubflows() >= cfg.maxSubflows || endpoint(local) == null) {
            return null;
        }
        FourTuple t = new FourTuple(local, ctx.ephemeralPort(local, remoteAddr, port), remoteAddr, port);
        TcpConnection tcp = TcpConnection.connect(subflowConfig(remoteAddr), t, ctx.isn(), mib, now);
        MptcpSubflow s = addSubflow(tcp, false, true, localId, nonce());
        s.remoteId = remoteId;
        s.localBackup = backup;
        s.recreation = lostPaths.contains(List.of(local, remoteAddr, port));
        return s;
    }

    // =============================================================================================
    // ADD_ADDR (section 3.4.1)
    // =============================================================================================

    /** The ADD_ADDR (or echo) the next pure ACK carries instead of DSS, or null. */
    MptcpOption.AddAddr takeAddressOption() {
        MptcpOption.AddAddr a = fallback ? null : signals.next(now);
        if (a != null) {
            mib.inc(a.echo() ? MptcpMib.EchoAddTx : MptcpMib.AddAddrTx);
        }
        return a;
    }

    /** The REMOVE_ADDR the next pure ACK carries next to its DSS, or null. */
    MptcpOption.RemoveAddr takeRemoveOption(int budget) {
        if (fallback || budget < 8) {
            return null;
        }
        MptcpOption.RemoveAddr r = signals.nextRemove();
        if (r != null) {
            mib.add(MptcpMib.RmAddrTx, r.addressIds().size());
        }
        return r;
    }

    /** REMOVE_ADDR received (section 3.4.2): the path manager closes the subflows to those ids. */
    void onRemoveAddr(List<Integer> ids) {
        if (fallback) {
            return;
        }
        for (int id : ids) {
            mib.inc(MptcpMib.RmAddr);
            pm.onRemoveAddr(now, pmView, id);
        }
        dirty = true;
    }

    /** Something a subflow learnt changes scheduling (MP_PRIO). */
    void changed() {
        dirty = true;
    }

    /**
     * A received ADD_ADDR: an echo stops our repetitions; an announcement with a valid HMAC is
     * echoed and handed to the path manager, which joins it per its limits.
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
            mib.inc(MptcpMib.AddAddrDrop);
            return;
        }
        mib.inc(MptcpMib.AddAddr);
        signals.echo(a);
        s.tcp.sendAck();
        if (!fallback && state == State.ESTABLISHED) {
            pm.onAddAddr(now, pmView, a.addressId(), a.address(), a.hasPort() ? a.port() : -1);
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
        if (!fullyEstablished && first != null && first.initial && first.fullyEstablished && remoteKeyKnown) {
            fullyEstablished = true;
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
        runPathManager();
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
            boolean timedOut = s.newTimeout();
            if (fallback) {
                continue;
            }
            if (s.recovered()) {
                mib.inc(MptcpMib.SubflowRecover);
                dirty = true;
            }
            boolean rto = timedOut && s.tcp.consecutiveRtos() >= 1;
            if (s.stale || !(rto && anotherUsable(s) || silent(s) && anotherAcked(s))) {
                continue;
            }
            // Out of scheduling at once, its data reinjected elsewhere; its own retransmissions
            // probe the path, and the first new acknowledgement makes it usable again (Linux
            // SubflowStale / SubflowRecover, though Linux waits for retransmission timeouts).
            s.markStale();
            mib.inc(MptcpMib.SubflowStale);
            reinjectOutstanding(s);
            dirty = true;
        }
        connectionRetransmit();
        if (dataFinSent && !snd.finAcked() && dataFinDeadline <= now) {
            sendDataFin();
            dataFinRetries++;
            dataFinDeadline = now + dataFinInterval() * (1L << Math.min(dataFinRetries, 6));
        }
    }

    /**
     * How long a subflow with data in flight may go without an acknowledgement before it counts
     * as failed while another subflow is acknowledged: sixteen of its expected ACK intervals
     * (one ACK per two segments of the flight over an RTT), at least 60 ms, at most three RTTs.
     * A busy path acknowledges every few milliseconds whatever its queueing delay (the testbed's
     * 10 ms path measured 60 to 140 ms RTT under load), so 60 ms of silence there means it broke;
     * a flight of one segment waits three RTTs, past any delayed ACK. The kernel waits for the
     * 200 ms minimum RTO, more under load. A wrong guess costs only duplicate data: the subflow
     * recovers at its next ACK.
     */
    static long silenceLimit(long srttMicros, long inflight, int mss) {
        long flightSegments = Math.max(1, inflight / Math.max(1, mss));
        long ackGap = srttMicros * 2 / Math.max(2, flightSegments);
        return Math.max(60_000, Math.min(3 * srttMicros, 16 * ackGap));
    }

    /**
     * The silence must also be overdue: the oldest segment in flight went out more than an RTT
     * and a margin (four RTT variations, at least 30 ms) ago. A window-limited subflow sends its
     * flight in a burst and then hears nothing for an RTT; that is not a broken path. On a path
     * that breaks mid-flight the oldest segment is already about an RTT old, so this adds little.
     */
    static long overdueAfter(long srttMicros, long rttvarMicros) {
        return srttMicros + Math.max(4 * rttvarMicros, 30_000);
    }

    private boolean silent(MptcpSubflow s) {
        return s.usable() && s.tcp.unacknowledged() > 0 && now >= silentAt(s);
    }

    /** When the subflow will count as silent if nothing is acknowledged before. */
    private static long silentAt(MptcpSubflow s) {
        long oldest = s.tcp.oldestUnackedSentMicros();
        if (oldest == TcpConnection.NEVER) {
            return TcpConnection.NEVER;
        }
        long quiet = s.tcp.lastProgressMicros()
                + silenceLimit(s.srttMicros(), s.tcp.unacknowledged(), s.tcp.effectiveMss());
        return Math.max(quiet, oldest + overdueAfter(s.srttMicros(), s.tcp.rttvarMicros()));
    }

    private boolean anotherUsable(MptcpSubflow s) {
        for (MptcpSubflow o : subflows) {
            if (o != s && o.usable()) {
                return true;
            }
        }
        return false;
    }

    /**
     * Another usable subflow got new data acknowledged while this one was silent: the peer is
     * alive and this path is what broke (an idle path, or a pause of the peer, does not count).
     */
    private boolean anotherAcked(MptcpSubflow s) {
        for (MptcpSubflow o : subflows) {
            if (o != s && o.usable() && o.tcp.lastProgressMicros() > s.tcp.lastProgressMicros()) {
                return true;
            }
        }
        return false;
    }

    /**
     * When the next subflow would have been silent too long (for {@link #pollAt}). A subflow that
     * is silent already waits for another one's acknowledgement, which arrives as a segment and
     * polls the connection by itself: its past deadline is no timer. (Counting it made the loop
     * poll every microsecond while every path was silent: 17.7 million simulator events in the
     * 11 s of virtual time it took to give up on a peer that vanished mid-transfer, and a daemon
     * would burn a core through any outage of all its paths; VanishedPeerSimTest.)
     */
    private long nextSilenceCheck() {
        long t = TcpConnection.NEVER;
        if (fallback || subflows.size() < 2) {
            return t;
        }
        for (MptcpSubflow s : subflows) {
            if (!s.stale && s.usable() && s.tcp.unacknowledged() > 0) {
                long at = silentAt(s);
                if (at > now) {
                    t = Math.min(t, at);
                }
            }
        }
        return t;
    }

    /**
     * The connection-level retransmission timer (Linux mptcp_retransmit_timer): when the DATA_ACK
     * has not moved for a connection RTO although data is outstanding, the oldest unacknowledged
     * chunk goes out again on whichever subflow the scheduler picks, with exponential backoff. It
     * recovers data a subflow acknowledged but the peer never got at the data level, and data
     * stuck behind a subflow that stopped without timing out. Not before the connection is fully
     * established: there is one subflow then, TCP retransmits on it, and data sent again at the
     * data level would rule out the fallback the peer may still choose (MptcpFallbackSimTest
     * aPathLostAfterTheSynAckEndsInFallbackNotInAReset).
     */
    private void connectionRetransmit() {
        if (fallback || !fullyEstablished || state != State.ESTABLISHED || !DataSeq.lt(snd.dataUna(), dataNxt)) {
            rtxDeadline = TcpConnection.NEVER;
            return;
        }
        if (snd.dataUna() != rtxUna || rtxDeadline == TcpConnection.NEVER) {
            rtxUna = snd.dataUna();
            rtxBackoff = 0;
            rtxDeadline = now + dataFinInterval();
            return;
        }
        if (rtxDeadline > now) {
            return;
        }
        long len = Math.min(dataNxt - rtxUna, MAX_CHUNK);
        reinject.addFirst(new long[] {rtxUna, len});
        fallbackAllowed = false;
        mib.inc(MptcpMib.MPTCPRetrans);
        rtxBackoff = Math.min(rtxBackoff + 1, 6);
        rtxDeadline = now + (dataFinInterval() << rtxBackoff);
        dirty = true;
    }

    /** The connection's RTO: the largest of the subflows that work (a dead one's backoff excluded). */
    private long dataFinInterval() {
        long rto = 200_000;
        for (MptcpSubflow s : subflows) {
            if (s.usable()) {
                rto = Math.max(rto, s.tcp.rtoMicros());
            }
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
        schedView.choices = subflows;
        shareWindow();
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
            int len = (int) place(scheduler.retransmit(schedView, r[1]), r[0], Math.min(r[1], MAX_CHUNK));
            if (len <= 0) {
                break;
            }
            r[0] += len;
            r[1] -= len;
            if (r[1] <= 0) {
                reinject.pollFirst();
            }
        }
        while (DataSeq.lt(dataNxt, snd.dataEnd())) {
            long limit = Math.min(Math.min(snd.dataEnd() - dataNxt, sndWndEnd - dataNxt), MAX_CHUNK);
            long len = place(scheduler.send(schedView), dataNxt, limit);
            if (len <= 0) {
                break;
            }
            dataNxt += len;
            bytesSent += len;
        }
        if (cfg.opportunisticRetransmission && DataSeq.lt(dataNxt, snd.dataEnd())) {
            opportunisticRetransmit();
        }
        probeWindow();
        if (snd.finQueued() && dataNxt == snd.dataEnd() && !dataFinSent) {
            // Section 3.3.3: the DATA_FIN rides on a pure ACK (DSN = next DSN, SSN 0, DLL 1).
            if (sendDataFin()) {
                dataFinSent = true;
                dataFinDeadline = now + dataFinInterval();
            }
        }
    }

    /**
     * Section 3.3.4: the window is the connection's, whichever subflow last told it. Each subflow
     * may send what it has queued plus what the connection-level window has left, even where the
     * window field it last received says less (a window update the peer sent on another subflow
     * only would otherwise leave it at zero with nothing queued, never probing, and a scheduler
     * that prefers it, ECF or BLEST, waiting for it for ever).
     */
    private void shareWindow() {
        long room = sndWndEnd - dataNxt;
        for (MptcpSubflow s : subflows) {
            if (!s.closed() && s.tcp.shareSendWindow(room)) {
                mib.inc(MptcpMib.SndWndShared);
            }
        }
    }

    /**
     * The connection-level window closed with data waiting and nothing outstanding: no subflow
     * has anything to send, so none would probe, and a lost window update would stall the
     * connection for good. One usable subflow probes it with its persist timer (Linux sends a
     * one-byte zero-window probe at the data level instead).
     */
    private void probeWindow() {
        MptcpSubflow prober = null;
        if (DataSeq.lt(dataNxt, snd.dataEnd()) && snd.dataUna() == dataNxt) {
            MptcpSubflow s = anyUsable();
            if (s != null && sndWndEnd - dataNxt < Math.min(snd.dataEnd() - dataNxt, s.tcp.effectiveMss())) {
                prober = s; // less than a segment of window: sendSpace() counts that as none
            }
        }
        if (prober != null && prober != windowProber) {
            mib.inc(MptcpMib.WindowProbeArmed);
        }
        windowProber = prober;
        for (MptcpSubflow s : subflows) {
            s.tcp.probeSharedWindow(s == prober);
        }
    }

    /**
     * Queues the bytes from {@code dsn} on every subflow of a scheduler decision (indexes into
     * {@code schedView.choices}): as many as the decision says, at most {@code limit} and what each
     * chosen subflow has room for. Returns the bytes queued (on each), 0 for a wait.
     */
    private long place(Decision d, long dsn, long limit) {
        long len = Math.min(d.bytes(), limit);
        int mss = Integer.MAX_VALUE;
        for (int i : d.subflows()) {
            MptcpSubflow s = schedView.choices.get(i);
            len = Math.min(len, s.sendSpace());
            mss = Math.min(mss, s.tcp.effectiveMss());
        }
        if (len <= 0) {
            return 0;
        }
        if (len > mss) {
            // Whole segments only, so every segment of the chunk is full but its last one when
            // the data ends there, and the chunk's segments join into one super-segment.
            len -= len % mss;
        }
        byte[] data = copy(dsn, (int) len);
        for (int i : d.subflows()) {
            schedView.choices.get(i).enqueue(dsn, data);
        }
        return len;
    }

    /**
     * Opportunistic retransmission and penalisation (Raiciu et al., NSDI 2012, section 4.2; the
     * out-of-tree kernel's mptcp_rcv_buf_optimization). New data waits for the peer's
     * connection-level window, which cannot move past DATA_ACK: when the bytes there are still
     * unacknowledged on a subflow slower than one that has room, they go again on the faster one
     * (the scheduler's retransmit decision among the faster subflows) and the slow subflow's
     * window is halved, at most once per its RTT, so that it holds less of the window next time.
     * Each byte is sent this way at most once per DATA_ACK value ({@code oppNxt}).
     */
    private void opportunisticRetransmit() {
        // The new-data loop fills the window to its edge when a subflow has room: window left
        // means the subflows are full, not that the window blocks.
        if (sndWndEnd - dataNxt > 0 || !DataSeq.lt(snd.dataUna(), dataNxt)) {
            return; // not blocked by the window, or nothing outstanding to block it
        }
        if (DataSeq.lt(oppNxt, snd.dataUna())) {
            oppNxt = snd.dataUna();
        }
        for (int round = 0; round < 4 && DataSeq.lt(oppNxt, dataNxt); round++) {
            MptcpSubflow holder = null;
            long end = 0;
            for (MptcpSubflow s : subflows) {
                for (MptcpSubflow.Chunk c : s.outstanding) {
                    if (DataSeq.le(c.dsn(), oppNxt) && DataSeq.lt(oppNxt, c.dsnEnd())) {
                        if (c.ssn() + (oppNxt - c.dsn()) < s.tcp.sndUnaRelative()) {
                            return; // delivered on that subflow: its DATA_ACK is on the way
                        }
                        if (holder == null || s.srttMicros() < holder.srttMicros()) {
                            holder = s;
                            end = c.dsnEnd();
                        }
                    }
                }
            }
            if (holder == null || holder.srttMicros() <= 0) {
                return;
            }
            List<MptcpSubflow> faster = new ArrayList<>();
            for (MptcpSubflow s : subflows) {
                if (s != holder && s.srttMicros() > 0 && s.srttMicros() < holder.srttMicros()
                        && !carries(s, oppNxt)) {
                    faster.add(s);
                }
            }
            if (faster.isEmpty()) {
                return;
            }
            schedView.choices = faster;
            long want = Math.min(end - oppNxt, MAX_CHUNK);
            long len = place(scheduler.retransmit(schedView, want), oppNxt, want);
            schedView.choices = subflows;
            if (len <= 0) {
                return;
            }
            mib.inc(MptcpMib.OpportunisticRetrans);
            fallbackAllowed = false;
            oppNxt += len;
            if (holder.tcp.penaliseCwnd(now)) {
                mib.inc(MptcpMib.Penalisation);
            }
        }
    }

    /** Whether {@code s} has the byte at {@code dsn} queued and not yet DATA_ACKed. */
    private static boolean carries(MptcpSubflow s, long dsn) {
        for (MptcpSubflow.Chunk c : s.outstanding) {
            if (DataSeq.le(c.dsn(), dsn) && DataSeq.lt(dsn, c.dsnEnd())) {
                return true;
            }
        }
        return false;
    }

    /** The connection as the scheduler sees it (RFC 6182 section 4: its own narrow view). */
    private final class SchedView implements SchedConnection {
        /** The subflows a decision chooses among (all of them, or the faster ones). */
        List<MptcpSubflow> choices = subflows;

        @Override
        public List<MptcpSubflow> subflows() {
            return choices;
        }

        @Override
        public long windowLeft() {
            return sndWndEnd - dataNxt;
        }

        @Override
        public long sendWindow() {
            return sndWndEnd - snd.dataUna();
        }

        @Override
        public long unsent() {
            return snd.dataEnd() - dataNxt;
        }
    }

    /**
     * Puts the DATA_FIN on a pure ACK of every subflow that may carry it, as Linux's
     * mptcp_send_ack does: a subflow whose path died without a sign (it has nothing in flight to
     * time out) must not hold the connection's end. Returns whether any subflow took it.
     */
    private boolean sendDataFin() {
        boolean sent = false;
        for (MptcpSubflow s : subflows) {
            if (s.usable()) {
                s.tcp.sendAck();
                sent = true;
            }
        }
        if (!sent) {
            MptcpSubflow s = anyUsable();
            if (s != null) {
                s.tcp.sendAck();
                sent = true;
            }
        }
        return sent;
    }

    private void pushFallback() {
        MptcpSubflow s = subflows.isEmpty() ? null : subflows.get(0);
        if (s == null) {
            return;
        }
        if (s.closed()) {
            // The ACK of our FIN can close the subflow at once (LAST_ACK to CLOSED): credit it,
            // or the connection would wait forever for a DATA_FIN acknowledgement.
            if (s.tcp.error() == null) {
                creditFallbackAck(s);
            }
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
        creditFallbackAck(s);
    }

    private void creditFallbackAck(MptcpSubflow s) {
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
                    // Both DATA_FINs are in: the subflow's own FIN from the peer is a formality,
                    // and one lost with its path must not hold the connection (Linux orphans
                    // the subflow socket in mptcp_close_ssk; tcp_fin_timeout bounds it).
                    s.tcp.close();
                    s.tcp.orphan();
                }
            }
            if (state == State.ESTABLISHED) {
                state = State.CLOSED;
            }
        }
    }

    /**
     * Deals with subflows that ended: their data in flight goes out again elsewhere (section
     * 3.3.1), the path manager hears why, and they leave the list. With none left an MPTCP
     * connection waits up to the close timeout for a path to work again (break before make, RFC
     * 6182 section 2.2.1); plain TCP, or MPTCP before it is fully established, fails at once.
     */
    private void reapSubflows() {
        List<MptcpSubflow> ended = null;
        for (MptcpSubflow s : subflows) {
            if (!s.closed() || s.reaped) {
                continue;
            }
            s.reaped = true;
            if (cc != null) {
                cc.unregister(s.tcp.congestionControl());
            }
            if (!s.outstanding.isEmpty() && !fallback && state == State.ESTABLISHED) {
                reinjectOutstanding(s);
                s.outstanding.clear();
            }
            if (ended == null) {
                ended = new ArrayList<>();
            }
            ended.add(s);
        }
        if (ended == null) {
            return;
        }
        boolean multipath = isMptcp() && fullyEstablished && state == State.ESTABLISHED && !subflowsClosed;
        int leftQuietly = 0;
        for (MptcpSubflow s : ended) {
            if (!multipath) {
                // Ending, failing or not yet fully established: the path manager is not told, but a
                // joined subflow still leaves (its late segments get the engine's no-connection RST).
                // The initial one stays: fallback, plain TCP and the failure below read it.
                if (!s.initial && isMptcp() && !fallback) {
                    subflows.remove(s);
                    ctx.unbind(s.tuple);
                    leftQuietly++;
                }
                continue;
            }
            subflows.remove(s);
            ctx.unbind(s.tuple);
            if (liveSubflows() == 0) {
                orphanFailure = subflowFailure(s.tcp.error(), false);
            }
            CloseReason why = closeReason(s);
            if (why == CloseReason.RESET || why == CloseReason.TIMEOUT) {
                lostPaths.add(List.of(s.localAddress(), s.remoteAddress(), s.remotePort()));
            }
            pm.onSubflowClosed(now, pmView, s, why);
        }
        if (state == State.CONNECTING && liveSubflows() == 0) {
            fail(subflowFailure(ended.get(0).tcp.error(), true));
            return;
        }
        if (liveSubflows() > 0 || state != State.ESTABLISHED || subflowsClosed) {
            return;
        }
        if (multipath && cfg.pm.closeTimeoutMicros > 0) {
            if (orphanDeadline == TcpConnection.NEVER) {
                orphanDeadline = now + cfg.pm.closeTimeoutMicros;
            }
            return;
        }
        MptcpSubflow last = ended.get(ended.size() - 1);
        fail(orphanFailure != null ? orphanFailure
                : subflows.size() + leftQuietly <= 1 ? subflowFailure(last.tcp.error(), false)
                : new Failure(Failure.Kind.RESET, "connection reset"));
    }

    private static CloseReason closeReason(MptcpSubflow s) {
        if (s.pmClosed) {
            return CloseReason.REMOVED;
        }
        if (s.peerRstReason == MpTcpRst.REASON_ADMIN_PROHIBITED) {
            return CloseReason.REFUSED; // the peer's policy (a limit, the C flag): asked again only rarely
        }
        TcpError e = s.tcp.error();
        if (e == null) {
            return CloseReason.CLOSED;
        }
        return switch (e) {
            case CONNECTION_REFUSED, CONNECTION_RESET -> CloseReason.RESET;
            case SYN_RETRIES_EXCEEDED, RETRANSMISSION_TIMEOUT, KEEPALIVE_TIMEOUT -> CloseReason.TIMEOUT;
            case ABORTED -> CloseReason.PROTOCOL_ERROR;
        };
    }

    private void reinjectOutstanding(MptcpSubflow s) {
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

    /** Path-manager events this poll: full establishment, subflows that started working, timers. */
    private void runPathManager() {
        if (!isMptcp() || state != State.ESTABLISHED) {
            return;
        }
        if (!pmStarted && fullyEstablished) {
            pmStarted = true;
            pm.onEstablished(now, pmView);
        }
        if (!pmStarted) {
            return;
        }
        for (int i = 0; i < subflows.size(); i++) {
            MptcpSubflow s = subflows.get(i);
            if (!s.pmEstablished && s.established()) {
                s.pmEstablished = true;
                if (s.recreation) {
                    mib.inc(MptcpMib.SubflowRecreated); // counted once it works, not per attempt
                }
                orphanDeadline = TcpConnection.NEVER;
                orphanFailure = null;
                pm.onSubflowEstablished(now, pmView, s);
            }
        }
        if (pm.nextTimer() <= now) {
            pm.onTimer(now, pmView);
        }
        if (orphanDeadline <= now) {
            // Every subflow that works cleared the deadline, so what is left are attempts still in
            // their handshake: they are abandoned with the connection. (Waiting for them left the
            // overdue deadline in pollAt, and the loop spun until their SYNs ran out: 500,000 polls
            // in 0.7 s of virtual time in VanishedPeerSimTest.)
            for (MptcpSubflow s : subflows) {
                if (!s.closed()) {
                    s.tcp.abort();
                }
            }
            mib.inc(MptcpMib.CloseTimeout);
            Failure f = orphanFailure != null ? orphanFailure : new Failure(Failure.Kind.RESET, "connection reset");
            fail(new Failure(f.kind(), f.detail() + "; no subflow came back within the close timeout"));
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

    /** The runtime dropped this connection: no join may reach it. */
    void forgotten() {
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
        t = Math.min(t, rtxDeadline);
        t = Math.min(t, Math.max(nextSilenceCheck(), now + 1));
        if (pmStarted && state == State.ESTABLISHED) {
            t = Math.min(t, Math.max(pm.nextTimer(), now + 1));
            t = Math.min(t, orphanDeadline);
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
        int half = rcv.capacity() / 2;
        boolean grew = n > 0 && rcvTuner.onRead(now, n, maxSrtt());
        if (grew) {
            rcv.grow(rcvTuner.capacity());
            mib.inc(MptcpMib.RcvBufGrow);
        }
        if (n > 0 && (grew || before >= half && rcv.readable() < half)) {
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
                    addr(s.tuple.remoteAddress(), s.tuple.remotePort()), s.tcp.state().name(), s.backup(),
                    Math.max(0, s.tcp.srttMicros()), s.tcp.cwnd(), s.tcp.congestionControl().ssthresh(),
                    s.tcp.pipe(), s.queued(), s.subflowBytesDelivered,
                    s.tcp.retransmittedSegments()));
        }
        FourTuple t = initialTuple;
        return new ConnectionInfo(addr(t.localAddress(), t.localPort()), addr(t.remoteAddress(), t.remotePort()), state,
                isMptcp(), fellBack(), bytesSent, bytesReceived, fallback ? "-" : scheduler.name(),
                cc != null ? cc.name() : subflows.isEmpty() ? "-" : subflows.get(0).tcp.congestionControl().name(),
                fallback ? (subflows.isEmpty() ? -1 : subflows.get(0).tcp.sendWindowLeft()) : sndWndEnd - dataNxt, list);
    }

    // =============================================================================================
    // Path manager (section 3.4): the stack's endpoint changes in, its actions out
    // =============================================================================================

    @Override
    public void endpointChanged(long nowMicros, Endpoint before, Endpoint after) {
        this.now = nowMicros;
        if (pmStarted && isMptcp() && state == State.ESTABLISHED) {
            pm.onEndpointChanged(nowMicros, pmView, before, after);
            dirty = true;
        }
    }

    @Override
    public void endpointRemoved(long nowMicros, Endpoint e) {
        this.now = nowMicros;
        if (pmStarted && isMptcp() && state == State.ESTABLISHED) {
            pm.onEndpointRemoved(nowMicros, pmView, e);
            dirty = true;
        }
    }

    /** The connection as its path manager sees it, and the actions it may take. */
    private final class PmView implements PmConnection {
        @Override
        public boolean activeOpen() {
            return active;
        }

        @Override
        public void remoteAddressDropped(InetAddress address) {
            mib.inc(MptcpMib.AddAddrDrop); // as Linux counts an ADD_ADDR it cannot take
        }

        @Override
        public InetAddress remoteAddress() {
            return remote.getAddress();
        }

        @Override
        public int remotePort() {
            return remote.getPort();
        }

        @Override
        public InetAddress initialLocalAddress() {
            return initialTuple.localAddress();
        }

        /** The stack's endpoints; with {@code announce} every one but the initial address signals. */
        @Override
        public List<Endpoint> endpoints() {
            if (!cfg.announce) {
                return ctx.endpoints();
            }
            List<Endpoint> l = new ArrayList<>();
            for (Endpoint e : ctx.endpoints()) {
                boolean signal = !e.fullmesh() && !e.address().equals(initialTuple.localAddress());
                l.add(signal ? e.withFlags(e.flags() | Endpoint.SIGNAL) : e);
            }
            return l;
        }

        @Override
        public List<? extends PmSubflow> subflows() {
            List<MptcpSubflow> live = new ArrayList<>();
            for (MptcpSubflow s : subflows) {
                if (!s.closed()) {
                    live.add(s);
                }
            }
            return live;
        }

        @Override
        public boolean peerDeniesInitialJoins() {
            return peerDeniesInitialJoins;
        }

        @Override
        public int subflowLimit() {
            return cfg.maxSubflows;
        }

        /** MPTCP, fully established, not fallen back, and data still to move (see acceptsJoin). */
        @Override
        public boolean canOpenSubflows() {
            return isMptcp() && remoteKeyKnown && fullyEstablished && state == State.ESTABLISHED && !bothFinsDone();
        }

        @Override
        public PmSubflow openSubflow(InetAddress local, int localId, InetAddress remoteAddr, int port, int remoteId,
                                     boolean backup) {
            return openJoin(local, localId, remoteAddr, port, remoteId, backup);
        }

        @Override
        public void closeSubflow(PmSubflow p) {
            MptcpSubflow s = (MptcpSubflow) p;
            if (!s.closed()) {
                s.pmClosed = true;
                mib.inc(MptcpMib.RmSubflow);
                s.reset(MpTcpRst.REASON_UNSPECIFIED);
                dirty = true;
            }
        }

        @Override
        public void announce(Endpoint e) {
            int port = -1;
            long hmac = MptcpCrypto.addAddrHmac(localKey, remoteKey, e.id(), e.address(), port);
            signals.announce(new MptcpOption.AddAddr(false, e.id(), e.address(), port, hmac), now);
            dirty = true;
        }

        @Override
        public void withdraw(int localId) {
            signals.withdraw(localId);
            dirty = true;
        }

        @Override
        public void setBackup(PmSubflow p, boolean backup) {
            MptcpSubflow s = (MptcpSubflow) p;
            if (s.localBackup != backup) {
                s.localBackup = backup;
                s.prioPending = true;
                s.tcp.sendAck();
                dirty = true;
            }
        }
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
