package io.jmptcp.core.mptcp;

import io.jmptcp.core.mib.MptcpMib;
import io.jmptcp.core.pm.PmSubflow;
import io.jmptcp.core.sched.SchedSubflow;
import java.net.InetAddress;
import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.InboundResult;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.tcp.RecvChunk;
import io.jmptcp.core.tcp.Segment;
import io.jmptcp.core.tcp.TcpConnection;
import io.jmptcp.core.tcp.TcpState;
import io.jmptcp.core.wire.Checksum;
import io.jmptcp.core.wire.DataSeq;
import io.jmptcp.core.wire.MptcpOption;
import io.jmptcp.core.wire.MptcpOption.CapableForm;
import io.jmptcp.core.wire.MptcpOption.Dss;
import io.jmptcp.core.wire.MptcpOption.MpCapable;
import io.jmptcp.core.wire.MptcpOption.MpJoinAck;
import io.jmptcp.core.wire.MptcpOption.MpJoinSyn;
import io.jmptcp.core.wire.MptcpOption.MpJoinSynAck;
import io.jmptcp.core.wire.MptcpOption.MpTcpRst;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One subflow of an MPTCP connection (Linux net/mptcp/subflow.c plus the per-segment half of
 * options.c): a {@link TcpConnection} with an option writer that emits exactly the MPTCP options
 * Linux emits, and an inbound observer that validates the options Linux validates, registers DSS
 * mappings and hands mapped bytes to the connection.
 */
public final class MptcpSubflow implements SchedSubflow, PmSubflow {
    /** Linux sends H and never B or D-G (wire facts 1.2); A is added when checksums are wanted. */
    static final int CAP_FLAGS = MptcpOption.CAP_H_HMAC_SHA256;
    /** Bytes the writer may need on a full data segment: DSS with 64-bit DATA_ACK, mapping, checksum. */
    static final int RESERVED_OPTION_BYTES = 28;

    /** The longest mapping a DSS can carry (its data-level length is 16 bits). */
    static final int MAX_MAPPING = 0xffff;

    /**
     * The tag of a chunk queued on the subflow: the DSN of its first byte, the relative subflow
     * sequence number of its first byte, and its bytes. The chunk is one DSS mapping, repeated on
     * every segment cut from it (as Linux maps a whole TSO skb), so the segments of a chunk carry
     * identical options and the TUN writer can join them into one super-segment.
     */
    static final class Chunk {
        private final long dsn;
        private final long ssn;
        private final byte[] data;
        /** The mapping's DSS checksum once computed (section 3.3.1: it covers the whole mapping). */
        private int checksum;
        private boolean checksumDone;

        Chunk(long dsn, long ssn, byte[] data) {
            if (data.length > MAX_MAPPING) {
                throw new IllegalArgumentException("a chunk is one mapping: at most " + MAX_MAPPING + " bytes");
            }
            this.dsn = dsn;
            this.ssn = ssn;
            this.data = data;
        }

        long dsn() {
            return dsn;
        }

        long ssn() {
            return ssn;
        }

        byte[] data() {
            return data;
        }

        long dsnEnd() {
            return dsn + data.length;
        }

        int checksum() {
            if (!checksumDone) {
                checksum = Checksum.dss(dsn, (int) ssn, data.length, ByteBuffer.wrap(data), 0, data.length);
                checksumDone = true;
            }
            return checksum;
        }
    }

    final MptcpConnection conn;
    final TcpConnection tcp;
    final FourTuple tuple;
    /** The MP_CAPABLE subflow (as opposed to an MP_JOIN one). */
    final boolean initial;
    /** We sent the SYN. */
    final boolean active;
    final int localId;
    int remoteId;
    /** We asked the peer not to send on this subflow (B flag on our join, our MP_PRIO). */
    boolean localBackup;
    /** The peer asked us not to send on it (B flag on its join, its MP_PRIO; section 3.3.8). */
    boolean remoteBackup;
    /** Our MP_PRIO is due on the next pure ACK. */
    boolean prioPending;
    /** Closed by the path manager (its address removed): not re-created. */
    boolean pmClosed;
    /** The connection has dealt with its end (reinjection, path manager). */
    boolean reaped;
    /** The path manager was told it works. */
    boolean pmEstablished;
    /** The reason of the peer's MP_TCPRST that closed the subflow, or -1. */
    int peerRstReason = -1;
    /** Opened again on a pair of addresses that lost a subflow to a reset or a timeout. */
    boolean recreation;
    final ReceiveMappings mappings = new ReceiveMappings();
    /** Chunks queued on this subflow whose data is not yet DATA_ACKed, in subflow order. */
    final ArrayDeque<Chunk> outstanding = new ArrayDeque<>();
    private long queuedBytes;
    /** Subflow bytes handed to the mappings (in order). */
    long subflowBytesDelivered;

    /**
     * Fully established (RFC 8684 sections 3.1 and 3.2): the peer has proven it holds the keys
     * (a DSS with DATA_ACK arrived, or for the listener the third ACK was valid).
     */
    boolean fullyEstablished;
    /** The peer sent 64-bit DSNs: answer with 64-bit DATA_ACKs, as Linux does. */
    private boolean dataAck64;
    private TcpState lastState;
    private int lastRtos;
    /** Timed out and its data reinjected elsewhere; not scheduled until it makes progress again. */
    boolean stale;
    private long staleProgress;
    /** MP_JOIN nonces (RFC 8684 section 3.2). */
    final int localNonce;
    int remoteNonce;
    /** The initiator retransmits its MP_JOIN third ACK until the fourth ACK arrives. */
    long joinAckDeadline = TcpConnection.NEVER;
    private int joinAckRetries;
    boolean closing;

    MptcpSubflow(MptcpConnection conn, TcpConnection tcp, boolean initial, boolean active, int localId,
                 int localNonce) {
        this.conn = conn;
        this.tcp = tcp;
        this.tuple = tcp.tuple();
        this.initial = initial;
        this.active = active;
        this.localId = localId;
        this.localNonce = localNonce;
        this.lastState = tcp.state();
        tcp.setOptionWriter(this::writeOptions, RESERVED_OPTION_BYTES);
        tcp.setInboundObserver(this::onSegment);
        tcp.setReceiveWindowProvider(conn::receiveWindow);
    }

    private Mib mib() {
        return conn.mib();
    }

    // ---- SchedSubflow ---------------------------------------------------------------------------

    @Override
    public boolean usable() {
        if (closing || stale || conn.isFallback() && !initial) {
            return false;
        }
        TcpState s = tcp.state();
        if (s != TcpState.ESTABLISHED && s != TcpState.CLOSE_WAIT) {
            return false;
        }
        // A join carries no data before the fourth ACK (RFC 8684 section 3.2); the MP_CAPABLE
        // subflow may, its first data segment carrying MP_CAPABLE (section 3.1).
        return initial || fullyEstablished;
    }

    /** Either end prefers not to use it (Linux: backup || request_bkup). */
    @Override
    public boolean backup() {
        return localBackup || remoteBackup;
    }

    // ---- PmSubflow -------------------------------------------------------------------------------

    @Override
    public InetAddress localAddress() {
        return tuple.localAddress();
    }

    /** The subflow's 4-tuple, as the engine demultiplexes it. */
    public FourTuple tuple() {
        return tuple;
    }

    @Override
    public int localId() {
        return localId;
    }

    @Override
    public InetAddress remoteAddress() {
        return tuple.remoteAddress();
    }

    @Override
    public int remotePort() {
        return tuple.remotePort();
    }

    @Override
    public int remoteId() {
        return remoteId;
    }

    @Override
    public boolean initial() {
        return initial;
    }

    @Override
    public boolean activeOpen() {
        return active;
    }

    @Override
    public boolean established() {
        return fullyEstablished && !closed() && !closing;
    }

    @Override
    public boolean localBackup() {
        return localBackup;
    }

    @Override
    public long srttMicros() {
        return Math.max(0, tcp.srttMicros());
    }

    @Override
    public long rttvarMicros() {
        return tcp.srttMicros() > 0 ? tcp.rttvarMicros() : 0;
    }

    @Override
    public long cwnd() {
        return tcp.cwnd();
    }

    @Override
    public long inFlight() {
        return tcp.pipe();
    }

    @Override
    public int mss() {
        return tcp.effectiveMss();
    }

    @Override
    public long sendSpace() {
        long space = Math.min(tcp.sendableBytes() - tcp.unsent(), tcp.sendBufferSpace());
        // Less than a full segment of room counts as none, so the scheduler looks elsewhere.
        return space < tcp.effectiveMss() ? 0 : space;
    }

    // ---- sending ---------------------------------------------------------------------------------

    /** Queues the data bytes {@code [dsn, dsn + data.length)} on this subflow as one mapping source. */
    void enqueue(long dsn, byte[] data) {
        Chunk c = new Chunk(dsn, 1 + queuedBytes, data);
        int n = tcp.sendChunk(data, c); // kept, not copied: nobody writes to a chunk's bytes
        if (n != data.length) {
            throw new IllegalStateException("subflow took " + n + " of " + data.length + " bytes");
        }
        queuedBytes += n;
        outstanding.addLast(c);
    }

    /** Bytes queued on this subflow so far. */
    long queued() {
        return queuedBytes;
    }

    /** Forgets chunks wholly DATA_ACKed. */
    void pruneOutstanding(long dataUna) {
        while (!outstanding.isEmpty() && DataSeq.le(outstanding.peekFirst().dsnEnd(), dataUna)) {
            outstanding.pollFirst();
        }
    }

    /** The TCP option hook: what Linux's mptcp_established_options / mptcp_syn_options emit. */
    private void writeOptions(int flags, long relSeq, int payload, Object tag, int budget, List<TcpOption> out) {
        if ((flags & TcpHeader.RST) != 0) {
            return; // a RST's options are given explicitly (MP_TCPRST, MP_FASTCLOSE: sections 3.5, 3.6)
        }
        if (conn.isFallback()) {
            // Section 3.7: after fallback no MPTCP option is sent, except the MP_FAIL and the
            // infinite mapping that carry the fallback itself.
            MptcpOption.MpFail mpFail = conn.takeMpFail(budget);
            if (mpFail != null) {
                out.add(mpFail);
                budget -= mpFail.length();
            }
            if (payload > 0 && tag instanceof Chunk c && budget >= 28 && conn.takeInfiniteMapping()) {
                long dsn = c.dsn() + (relSeq - c.ssn());
                out.add(new Dss(true, dataAck64, conn.dataAck(), true, true, dsn, (int) relSeq, 0, false,
                        conn.checksum(), 0));
                mib().inc(MptcpMib.InfiniteMapTx);
            }
            return;
        }
        int capFlags = CAP_FLAGS | (conn.checksumWanted() ? MptcpOption.CAP_A_CHECKSUM : 0);
        if ((flags & TcpHeader.SYN) != 0) {
            boolean synAck = (flags & TcpHeader.ACK) != 0;
            if (initial) {
                // Section 3.1: the v1 SYN carries no key; the SYN/ACK carries the listener's key.
                int c = synAck && conn.deniesInitialJoins() ? MptcpOption.CAP_C_NO_JOIN_TO_SOURCE : 0;
                out.add(synAck ? MpCapable.synAck(capFlags | c, conn.localKey()) : MpCapable.syn(capFlags));
                if (!synAck) {
                    mib().inc(MptcpMib.MPCapableSYNTX);
                }
            } else if (synAck) {
                long hmac = MptcpCrypto.joinSynAckHmac(conn.localKey(), conn.remoteKey(), localNonce, remoteNonce);
                out.add(new MpJoinSynAck(localBackup, localId, hmac, localNonce));
            } else {
                out.add(new MpJoinSyn(localBackup, localId, MptcpCrypto.token(conn.remoteKey()), localNonce));
            }
            return;
        }
        // Section 3.1: until the peer is known to hold our key, the MP_CAPABLE subflow repeats the
        // keys on every segment at ISN+1 (the third ACK, its repetitions, the first data segment).
        if (initial && active && !fullyEstablished && relSeq == 1 && !conn.dataFinPending()) {
            if (payload == 0) {
                out.add(MpCapable.ack(capFlags, conn.localKey(), conn.remoteKey()));
            } else {
                // The first chunk starts at relative SSN 1; its mapping is the whole chunk, as the
                // DSS on its later segments says (Linux maps its first skb the same way).
                Chunk c = (Chunk) tag;
                out.add(conn.checksum()
                        ? MpCapable.ackDataCsum(capFlags, conn.localKey(), conn.remoteKey(), c.data().length, c.checksum())
                        : MpCapable.ackData(capFlags, conn.localKey(), conn.remoteKey(), c.data().length));
            }
            return;
        }
        // Section 3.2: the initiator's third ACK carries its HMAC, repeated until the fourth ACK.
        if (!initial && active && !fullyEstablished && relSeq == 1 && payload == 0) {
            out.add(new MpJoinAck(MptcpCrypto.joinAckHmac(conn.localKey(), conn.remoteKey(), localNonce, remoteNonce)));
            return;
        }
        if (!conn.hasReceiveBuffer()) {
            return;
        }
        if (payload == 0 && (flags & TcpHeader.FIN) == 0) {
            // Section 3.4.1 / wire facts 5.1: ADD_ADDR rides a pure ACK of its own, without DSS.
            MptcpOption.AddAddr a = conn.takeAddressOption();
            if (a != null && a.length() <= budget) {
                out.add(a);
                return;
            }
        }
        Dss d = dss(payload, tag);
        out.add(d);
        if (payload == 0 && (flags & TcpHeader.FIN) == 0) {
            // REMOVE_ADDR and MP_PRIO ride a pure ACK next to its DSS, as Linux sends them.
            int left = budget - d.length();
            MptcpOption.RemoveAddr rm = conn.takeRemoveOption(left);
            if (rm != null) {
                out.add(rm);
                left -= rm.length() + 1;
            }
            if (prioPending && left >= 4) {
                prioPending = false;
                out.add(new MptcpOption.MpPrio(localBackup));
                mib().inc(MptcpMib.MPPrioTx);
            }
        }
    }

    /**
     * The DSS of one segment (section 3.3): DATA_ACK always, and on a data segment the mapping of
     * the chunk it was cut from (the same on each of them, retransmissions included).
     */
    private Dss dss(int payload, Object tag) {
        long dataAck = conn.dataAck();
        boolean csum = conn.checksum();
        if (payload > 0 && tag instanceof Chunk c) {
            return new Dss(true, dataAck64, dataAck, true, true, c.dsn(), (int) c.ssn(), c.data().length, false, csum,
                    csum ? c.checksum() : 0);
        }
        if (payload == 0 && conn.dataFinPending()) {
            // Section 3.3.3: a DATA_FIN without data has SSN 0 and DLL 1 (wire facts 4.3).
            long fin = conn.dataFinDsn();
            int sum = csum ? Checksum.finish(Checksum.dssPseudoHeader(fin, 0, 1)) : 0;
            return new Dss(true, dataAck64, dataAck, true, true, fin, 0, 1, true, csum, sum);
        }
        return new Dss(true, dataAck64, dataAck, false, false, 0, 0, 0, false, false, 0);
    }

    // ---- receiving -------------------------------------------------------------------------------

    /** The TCP inbound hook. */
    private void onSegment(Segment seg, InboundResult r) {
        TcpState prev = lastState;
        lastState = tcp.state();
        TcpHeader h = seg.header();
        MpCapable cap = null;
        MpJoinSyn joinSyn = null;
        MpJoinSynAck joinSynAck = null;
        MpJoinAck joinAck = null;
        Dss dss = null;
        MptcpOption.MpFail fail = null;
        MptcpOption.MpFastclose fastclose = null;
        MpTcpRst tcpRst = null;
        MptcpOption.AddAddr addAddr = null;
        MptcpOption.RemoveAddr removeAddr = null;
        MptcpOption.MpPrio prio = null;
        boolean anyMptcp = false;
        for (TcpOption o : h.options()) {
            if (!(o instanceof MptcpOption m)) {
                continue;
            }
            anyMptcp = true;
            if (m instanceof MpCapable x) {
                cap = x;
            } else if (m instanceof MpJoinSyn x) {
                joinSyn = x;
            } else if (m instanceof MpJoinSynAck x) {
                joinSynAck = x;
            } else if (m instanceof MpJoinAck x) {
                joinAck = x;
            } else if (m instanceof Dss x) {
                dss = x;
            } else if (m instanceof MptcpOption.MpFail x) {
                fail = x;
            } else if (m instanceof MptcpOption.MpFastclose x) {
                fastclose = x;
            } else if (m instanceof MpTcpRst x) {
                tcpRst = x;
            } else if (m instanceof MptcpOption.AddAddr x) {
                addAddr = x;
            } else if (m instanceof MptcpOption.RemoveAddr x) {
                removeAddr = x;
            } else if (m instanceof MptcpOption.MpPrio x) {
                prio = x;
            } else if (m instanceof MptcpOption.MptcpMalformed) {
                mib().inc(MptcpMib.OptionInvalid);
            }
        }
        if (h.has(TcpHeader.RST)) {
            if (r.verdict() == InboundResult.Verdict.RESET && tcpRst != null) {
                mib().inc(MptcpMib.MPRstRx);
                peerRstReason = tcpRst.reason();
            }
            // Section 3.5: MP_FASTCLOSE is authenticated by our 64-bit key, so it is honoured even
            // on a RST outside the window (the peer's data still in flight puts its RST ahead of us).
            if (fastclose != null) {
                conn.onFastclose(fastclose.receiverKey());
            }
            return;
        }
        if (r.verdict() != InboundResult.Verdict.ACCEPTED) {
            return;
        }
        if (fail != null) {
            mib().inc(MptcpMib.MPFailRx);
            conn.onMpFail(this, fail.dsn());
        }
        if (conn.isFallback()) {
            drain();
            return;
        }
        if (h.has(TcpHeader.SYN)) {
            onSyn(h, cap, joinSyn, joinSynAck);
            return;
        }
        boolean completing = prev == TcpState.SYN_RECEIVED && tcp.state() != TcpState.SYN_RECEIVED;
        if (completing && !onHandshakeCompleted(seg, cap, joinAck)) {
            return;
        }
        if (!completing && !active && joinAck != null && seg.length() == 0) {
            tcp.sendAck(); // a repeated third ACK: our fourth ACK was lost (wire facts 3.4)
        }
        if (!completing && initial && !active && cap != null && cap.form() != CapableForm.SYN
                && cap.form() != CapableForm.SYN_ACK && seg.length() > 0 && r.relativeSeq() == 1) {
            registerCapableData(cap, seg.length()); // a retransmitted MP_CAPABLE with data
        }
        if (addAddr != null) {
            conn.onAddAddr(this, addAddr);
        }
        if (removeAddr != null) {
            conn.onRemoveAddr(removeAddr.addressIds());
        }
        if (prio != null) {
            // Section 3.3.8: MP_PRIO applies to the subflow it arrives on.
            mib().inc(MptcpMib.MPPrioRx);
            remoteBackup = prio.backup();
            conn.changed();
        }
        if (fastclose != null) {
            conn.onFastclose(fastclose.receiverKey());
            return;
        }
        if (dss != null) {
            // The window this segment advertises, scaled (never a SYN here: DSS follows the handshake).
            long segWindow = (long) (seg.header().window() & 0xFFFF) << tcp.sendWindowScale();
            if (!onDss(dss, seg.length(), segWindow)) {
                return;
            }
        } else if (seg.length() > 0 && !mappings.covers(r.relativeSeq(), seg.length())
                && !(cap != null && r.relativeSeq() == 1)) {
            // Section 3.7: data without a mapping. Fall back if still allowed, else reset.
            mib().inc(MptcpMib.DSSNoMatchTCP);
            if (!conn.fallBackMidStream(this)) {
                reset(MpTcpRst.REASON_MPTCP_ERROR);
                return;
            }
        } else if (!anyMptcp && conn.hasReceiveBuffer() && seg.length() == 0) {
            // A segment with no MPTCP option at all after establishment: the peer fell back
            // (every Linux segment carries DSS or another MPTCP option). Follow if allowed.
            conn.fallBackMidStream(this);
        }
        drain();
    }

    private void onSyn(TcpHeader h, MpCapable cap, MpJoinSyn joinSyn, MpJoinSynAck joinSynAck) {
        if (!active) {
            // The listener's SYN: the factory has validated MP_CAPABLE / MP_JOIN already.
            if (initial) {
                conn.onCapableSyn(cap != null && (cap.flags() & MptcpOption.CAP_A_CHECKSUM) != 0);
            } else if (joinSyn != null) {
                remoteNonce = joinSyn.nonce();
                remoteId = joinSyn.addressId();
                remoteBackup = joinSyn.backup();
            }
            return;
        }
        if (!h.has(TcpHeader.ACK)) {
            return;
        }
        if (initial) {
            if (cap != null && cap.form() == CapableForm.SYN_ACK && validCapable(cap) && cap.senderKey() != 0) {
                mib().inc(MptcpMib.MPCapableSYNACKRX);
                conn.onCapableSynAck(cap.senderKey(), (cap.flags() & MptcpOption.CAP_A_CHECKSUM) != 0);
                conn.onPeerCapableFlags(cap.flags());
            } else {
                // Section 3.1 / wire facts 1.6: a SYN/ACK without a valid MP_CAPABLE means plain TCP.
                mib().inc(MptcpMib.MPCapableFallbackSYNACK);
                conn.fallBackAtHandshake();
            }
            return;
        }
        long expected = MptcpCrypto.joinSynAckHmac(conn.remoteKey(), conn.localKey(),
                joinSynAck == null ? 0 : joinSynAck.nonce(), localNonce);
        if (joinSynAck == null || joinSynAck.truncatedHmac() != expected) {
            // Section 3.2: a SYN/ACK without MP_JOIN or with a wrong HMAC gets a RST.
            mib().inc(MptcpMib.MPJoinSynAckHMacFailure);
            reset(MpTcpRst.REASON_MPTCP_ERROR);
            return;
        }
        mib().inc(MptcpMib.MPJoinSynAckRx);
        remoteNonce = joinSynAck.nonce();
        remoteId = joinSynAck.addressId();
        remoteBackup = joinSynAck.backup();
        joinAckDeadline = conn.now() + joinAckInterval();
    }

    long joinAckInterval() {
        long srtt = tcp.srttMicros();
        return srtt > 0 ? Math.max(2 * srtt, 20_000) : 1_000_000; // Linux: 2 SRTT or TCP_TIMEOUT_INIT
    }

    /** The initiator's join third ACK timer (wire facts 3.4). */
    void onTimer(long now) {
        if (joinAckDeadline <= now) {
            if (fullyEstablished || tcp.state() != TcpState.ESTABLISHED || ++joinAckRetries > 8) {
                joinAckDeadline = TcpConnection.NEVER;
                if (!fullyEstablished && joinAckRetries > 8) {
                    reset(MpTcpRst.REASON_MPTCP_ERROR);
                }
                return;
            }
            tcp.sendAck();
            joinAckDeadline = now + joinAckInterval() * (1L << Math.min(joinAckRetries, 6));
        }
    }

    /** The listener's handshake-completing ACK (or data). Returns false if the subflow is gone. */
    private boolean onHandshakeCompleted(Segment seg, MpCapable cap, MpJoinAck joinAck) {
        if (initial) {
            boolean ok = cap != null && (cap.form() == CapableForm.ACK || cap.form() == CapableForm.ACK_DATA
                    || cap.form() == CapableForm.ACK_DATA_CSUM) && validCapable(cap) && cap.senderKey() != 0
                    && cap.receiverKey() == conn.localKey();
            if (!ok) {
                // Wire facts 1.5: a completing ACK without MP_CAPABLE (lost, stripped, reordered)
                // makes the listener fall back to plain TCP.
                mib().inc(MptcpMib.MPCapableFallbackACK);
                conn.fallBackAtHandshake();
                drain();
                return false;
            }
            mib().inc(MptcpMib.MPCapableACKRX);
            boolean csum = (cap.flags() & MptcpOption.CAP_A_CHECKSUM) != 0 || cap.form() == CapableForm.ACK_DATA_CSUM;
            conn.onCapableAck(cap.senderKey(), csum);
            fullyEstablished = true;
            if (seg.length() > 0) {
                registerCapableData(cap, seg.length());
            }
            return true;
        }
        byte[] expected = MptcpCrypto.joinAckHmac(conn.remoteKey(), conn.localKey(), remoteNonce, localNonce);
        if (joinAck == null || !MptcpCrypto.hmacEquals(joinAck.hmac(), expected)) {
            mib().inc(MptcpMib.MPJoinAckHMacFailure);
            reset(MpTcpRst.REASON_MPTCP_ERROR);
            return false;
        }
        mib().inc(MptcpMib.MPJoinAckRx);
        fullyEstablished = true;
        tcp.sendAck(); // the fourth ACK, with DSS (wire facts 3.4)
        return true;
    }

    /** MP_CAPABLE with data implies DSN = peer IDSN + 1 at SSN 1 (wire facts 1.4). */
    private void registerCapableData(MpCapable cap, int segLen) {
        int dll = cap.dataLevelLength();
        if (dll <= 0) {
            dll = segLen;
        }
        boolean hasCsum = cap.form() == CapableForm.ACK_DATA_CSUM;
        mappings.add(conn.peerIdsn() + 1, 1, dll, false, hasCsum && conn.checksum(), cap.checksum());
    }

    /** Linux accepts MP_CAPABLE only with version 1, H set, B and D-G clear (wire facts 1.2). */
    static boolean validCapable(MpCapable cap) {
        return cap.version() == 1 && (cap.flags() & 0x1F) == MptcpOption.CAP_H_HMAC_SHA256
                && (cap.flags() & MptcpOption.CAP_B_EXTENSIBILITY) == 0;
    }

    /** Processes a DSS (section 3.3). Returns false if the subflow was reset or fell back. */
    private boolean onDss(Dss dss, int payload, long segWindow) {
        if (dss.hasDataAck()) {
            long ack = dss.dataAck64() ? dss.dataAck() : DataSeq.expand32(conn.dataUna(), (int) dss.dataAck());
            conn.onDataAck(ack, segWindow);
            if (!fullyEstablished) {
                fullyEstablished = true;
                if (!initial) {
                    mib().inc(MptcpMib.MPJoinFourthAckRx);
                    joinAckDeadline = TcpConnection.NEVER;
                }
            }
        }
        if (!dss.hasMapping()) {
            return true;
        }
        dataAck64 = dss.dsn64();
        long dsn = dss.dsn64() ? dss.dsn() : DataSeq.expand32(conn.dataAck(), (int) dss.dsn());
        int dll = dss.dataLevelLength();
        if (dll == 0) {
            // Section 3.7: the infinite mapping; the subflow carries the rest as plain TCP.
            mib().inc(MptcpMib.InfiniteMapRx);
            mappings.add(dsn, dss.ssn(), 0, false);
            conn.onInfiniteMapping(this);
            return true;
        }
        if (dss.dataFin() && dll == 1 && dss.ssn() == 0 && payload == 0) {
            conn.onDataFin(this, dsn);
            return true;
        }
        if (dss.hasChecksum() != conn.checksum()) {
            // Wire facts 6: a checksum present but not negotiated, or absent but negotiated, is an
            // invalid mapping.
            mib().inc(MptcpMib.DSSNotMatching);
            if (!conn.fallBackMidStream(this)) {
                reset(MpTcpRst.REASON_MPTCP_ERROR);
                return false;
            }
            return true;
        }
        if (!mappings.add(dsn, dss.ssn(), dll, dss.dataFin(), dss.hasChecksum(), dss.checksum())) {
            mib().inc(MptcpMib.DSSNotMatching);
            reset(MpTcpRst.REASON_MPTCP_ERROR);
            return false;
        }
        if (dss.dataFin() && !(dss.hasChecksum() && dll > 1)) {
            // with a checksum the mapping's bytes and its DATA_FIN count once it verifies (drain)
            conn.onDataFin(this, dsn + dll - 1);
        }
        return true;
    }

    /** Where this subflow's mapped bytes go: the connection, and a verified mapping's DATA_FIN. */
    private final ReceiveMappings.Sink toConnection = new ReceiveMappings.Sink() {
        @Override
        public void data(long dsn, byte[] data, int off, int len) {
            conn.onData(dsn, data, off, len);
        }

        @Override
        public void dataFin(long finDsn) {
            conn.onDataFin(MptcpSubflow.this, finDsn);
        }
    };

    /** Moves in-order subflow bytes to the connection, split by mapping. */
    void drain() {
        RecvChunk c;
        while ((c = tcp.readChunk(1 << 16)) != null) {
            subflowBytesDelivered += c.length();
            ReceiveMappings.Status st = mappings.deliver(c.data(), c.offset(), c.length(), toConnection);
            if (st == ReceiveMappings.Status.CHECKSUM_FAILED) {
                mib().inc(MptcpMib.DataCsumErr);
                if (!conn.onChecksumFailure(this, mappings.failedDsn(), mappings.failedBytes())) {
                    return;
                }
                continue;
            }
            if (st != ReceiveMappings.Status.OK) {
                mib().inc(MptcpMib.DSSNoMatchTCP);
                reset(MpTcpRst.REASON_MPTCP_ERROR);
                return;
            }
        }
        if (conn.isFallback() && tcp.isEof()) {
            conn.onFallbackFin();
        }
    }

    /** Resets this subflow with MP_TCPRST (section 3.6). */
    void reset(int reason) {
        if (tcp.state() == TcpState.CLOSED) {
            return;
        }
        mib().inc(MptcpMib.MPRstTx);
        tcp.abort(List.of(new MpTcpRst(0, reason)));
    }

    /** Notes a retransmission timeout (RFC 6182 section 5.2): returns true the first time per episode. */
    boolean newTimeout() {
        int rtos = tcp.consecutiveRtos();
        boolean fresh = rtos > lastRtos && rtos > 0;
        lastRtos = rtos;
        return fresh;
    }

    /** Takes the subflow out of scheduling until the peer acknowledges something new on it. */
    void markStale() {
        stale = true;
        staleProgress = tcp.lastProgressMicros();
    }

    /** A stale subflow whose path acknowledged new data since: usable again (returns true once). */
    boolean recovered() {
        if (stale && tcp.lastProgressMicros() != staleProgress) {
            stale = false;
            return true;
        }
        return false;
    }

    @Override
    public boolean closed() {
        return tcp.state() == TcpState.CLOSED;
    }

    @Override
    public String toString() {
        return "subflow[" + tuple.localAddress().getHostAddress() + ":" + tuple.localPort() + "->"
                + tuple.remoteAddress().getHostAddress() + ":" + tuple.remotePort() + " " + tcp.state()
                + (fullyEstablished ? " full" : "") + (stale ? " stale" : "") + (backup() ? " backup" : "") + "]";
    }
}
