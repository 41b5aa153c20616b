package io.jmptcp.core.tcp;

import io.jmptcp.core.mib.TcpMib;
import io.jmptcp.core.mib.Mib;
import io.jmptcp.core.cc.CongestionControl;
import io.jmptcp.core.wire.TcpHeader;
import io.jmptcp.core.wire.TcpOption;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * One TCP connection as a sans-I/O state machine (RFC 9293), after smoltcp's
 * {@code poll(timestamp)} / {@code poll_at()}: the caller feeds inbound segments with
 * {@link #input}, calls {@link #poll} to collect segments to send, and calls it again no later than
 * {@link #pollAt}. The engine reads no clock, starts no thread and owns no socket; every method that
 * needs time takes {@code nowMicros}. Not thread-safe: one event loop owns it.
 *
 * <p>Sequence numbers are kept internally as 64-bit offsets from the ISNs (the SYN is 0, the first
 * data byte 1), so nothing inside wraps; the 32-bit wire values are made only at the edge.
 *
 * <p>Inbound processing follows RFC 9293 section 3.10.7 with RFC 5961 (blind RST/SYN/data), RFC 7323
 * (window scale, timestamps, PAWS) and RFC 2018/2883 (SACK, D-SACK). Sending, timers and loss
 * recovery (RFC 6298, RFC 8985 RACK-TLP, RFC 6582 NewReno, RFC 6937 PRR, RFC 3522/4015 Eifel) are in
 * the same class but separate sections below; RACK, PRR, the scoreboard and option building have
 * their own files.
 *
 * <p>Received payload is delivered by reference to the inbound segment's array (no copy): the
 * runtime must not reuse an array it passed to {@link #input} while the bytes may still be unread.
 */
public final class TcpConnection {
    /** "No deadline" for {@link #pollAt}. */
    public static final long NEVER = Long.MAX_VALUE;
    private static final long PAWS_IDLE_MICROS = 24L * 24 * 3600 * 1_000_000;
    private static final int DEFAULT_PEER_MSS = 536; // RFC 9293 3.7.1
    private static final long MAX_PROBE_INTERVAL = 60_000_000L;

    private final TcpConfig cfg;
    private final FourTuple tuple;
    private final Mib mib;
    private final int iss;
    private final int tsOffset;
    private final RttEstimator rtt;
    private CongestionControl cc;

    private TcpHooks.OptionWriter optionWriter;
    private int reservedOptionBytes;
    private TcpHooks.InboundObserver inboundObserver;
    private TcpHooks.ReceiveWindowProvider windowProvider;

    private TcpState state;
    private TcpError error;
    private long now;
    private boolean dirty;
    private final ArrayDeque<Segment> control = new ArrayDeque<>(2); // small while idle (issue 12)

    // ---- send sequence space (RFC 9293 3.3.1), 64-bit offsets from ISS ----
    private long sndUna;
    private long sndNxt;
    private long sndWnd;
    private long sndWl1 = -1;
    private long sndWl2;
    private long maxSndWnd;
    /** The right edge MPTCP's connection-level window allows this subflow (see shareSendWindow). */
    private long sharedWndEdge;
    /** MPTCP's connection-level window is closed with nothing outstanding: probe it here. */
    private boolean probeSharedWindow;
    private int sndWscale;
    private int rcvWscale;
    private int sndMss;
    private boolean tsOk;
    private boolean sackOk;
    private final SendQueue sendQ = new SendQueue();
    private final RtxQueue rtxq = new RtxQueue();
    private boolean closeRequested;
    private boolean finSent;
    private boolean synResendNow;
    private boolean peerOfferedWs;

    // ---- receive sequence space, 64-bit offsets from IRS ----
    private int irs;
    private boolean irsValid;
    private final ReceiveBuffer rcv = new ReceiveBuffer();
    private long rcvAdvEdge;
    private long peerFinSeq = -1;
    private boolean finReceived;
    private long lastAckSent;
    /** When SND.UNA last moved forward, or data left with nothing outstanding before it. */
    private long lastProgress;
    private int tsRecent;
    private boolean tsRecentValid;
    private long tsRecentStamp;
    private long lastRecvTime;

    // ---- ACK generation (RFC 9293 3.8.6.3, RFC 5681 4.2) ----
    private boolean ackNow;
    private int segsUnacked;

    // ---- timers ----
    private long rtoDeadline = NEVER;
    private long delackDeadline = NEVER;
    private long persistDeadline = NEVER;
    private long timeWaitDeadline = NEVER;
    /** Nobody will read or write again (see {@link #orphan}); then FIN-WAIT-2 is bounded. */
    private boolean orphaned;
    private long finWait2Deadline = NEVER;
    private long rackDeadline = NEVER;
    private long tlpDeadline = NEVER;
    private int persistBackoff;
    private int consecutiveRtos;
    private int keepaliveSent;
    private long challengeWindowStart = Long.MIN_VALUE / 2;
    private int challengeCount;
    private long lastOowAck = Long.MIN_VALUE / 2;

    // ---- loss recovery ----
    private boolean inRecovery;     // fast recovery (RACK or three duplicate ACKs)
    private boolean inLoss;         // after an RTO
    private long lastPenaltyMicros = NEVER; // the last penaliseCwnd that cut the window
    private long recoveryPoint;
    private int dupAcks;
    private long renoSacked;        // bytes of duplicate ACKs counted as SACKed without SACK (RFC 6675 pipe)
    private final Prr prr = new Prr();
    private boolean tlpOutstanding;
    // Eifel detection of spurious timeouts (RFC 3522, response RFC 4015)
    private boolean eifelPending;
    private int eifelTsVal;
    private long eifelCwnd;
    private long eifelSsthresh;
    private long tlpHighSeq = -1;   // SND.NXT when a probe retransmitted the last segment
    private boolean tlpDsacked;
    private final Rack rack = new Rack();

    /** Segments sent again, for introspection (ConnectionInfo). */
    private long retransmittedSegments;

    // ---- per-input scratch for the observer ----
    private long deliveredNow;
    private long ackedNow;
    private final long[] sackScratch = new long[8];

    private TcpConnection(TcpConfig cfg, FourTuple tuple, int iss, int tsOffset, Mib mib, TcpState initial) {
        this.cfg = cfg.copy();
        this.tuple = tuple;
        this.iss = iss;
        this.tsOffset = tsOffset;
        this.mib = mib == null ? new Mib() : mib;
        this.rtt = new RttEstimator(cfg.initialRtoMicros, cfg.minRtoMicros, cfg.maxRtoMicros);
        this.state = initial;
        this.sndMss = Math.max(64, cfg.mss);
        int ws = 0;
        if (cfg.windowScaling) {
            while (ws < 14 && ((long) cfg.receiveBuffer >> ws) > 65535) {
                ws++;
            }
        }
        this.rcvWscale = ws;
        this.cc = cfg.congestionControl.create(effectiveMss(), cfg.initialCwndSegments);
    }

    /** Active open (RFC 9293 3.10.1): the SYN is sent by the first {@link #poll}. */
    public static TcpConnection connect(TcpConfig cfg, FourTuple tuple, int iss, int tsOffset, Mib mib,
                                        long nowMicros) {
        TcpConnection c = new TcpConnection(cfg, tuple, iss, tsOffset, mib, TcpState.SYN_SENT);
        c.now = nowMicros;
        c.lastRecvTime = nowMicros;
        RtxQueue.Entry syn = new RtxQueue.Entry();
        syn.seq = 0;
        syn.syn = true;
        c.rtxq.add(syn);
        c.sndNxt = 1;
        c.dirty = true;
        return c;
    }

    /** Active open with the ISN and timestamp offset of RFC 6528 / RFC 7323 from a generator. */
    public static TcpConnection connect(TcpConfig cfg, FourTuple tuple, IsnGenerator isn, Mib mib, long nowMicros) {
        return connect(cfg, tuple, isn.isn(tuple, nowMicros), isn.timestampOffset(tuple), mib, nowMicros);
    }

    /**
     * Passive open (RFC 9293 3.10.1): a connection in LISTEN for one 4-tuple. The runtime creates it
     * when a SYN arrives for a listening port and feeds it that SYN.
     */
    public static TcpConnection listen(TcpConfig cfg, FourTuple tuple, int iss, int tsOffset, Mib mib) {
        return new TcpConnection(cfg, tuple, iss, tsOffset, mib, TcpState.LISTEN);
    }

    public static TcpConnection listen(TcpConfig cfg, FourTuple tuple, IsnGenerator isn, Mib mib, long nowMicros) {
        return listen(cfg, tuple, isn.isn(tuple, nowMicros), isn.timestampOffset(tuple), mib);
    }

    /**
     * SYN cookies: this passive open's SYN,ACK went out from a connection the stack did not keep,
     * and the one a {@link #poll} just made again was not sent. Its ACK gives no RTT sample (RFC
     * 6298 section 3: when the SYN,ACK went is not known).
     */
    public void synAckSentBefore() {
        RtxQueue.Entry e = rtxq.first();
        if (state != TcpState.SYN_RECEIVED || e == null || !e.syn || e.xmits != 1) {
            throw new IllegalStateException("no SYN,ACK was just made, in " + state);
        }
        e.xmits = 2; // as if sent again: ackSyn samples only a SYN sent once (Karn)
    }

    // =============================================================================================
    // Hooks and accessors
    // =============================================================================================

    /** Installs the outgoing-options hook; {@code reservedBytes} are kept free on full data segments. */
    public void setOptionWriter(TcpHooks.OptionWriter w, int reservedBytes) {
        if (reservedBytes < 0 || reservedBytes > 28) {
            throw new IllegalArgumentException("reserved option bytes must be 0..28");
        }
        this.optionWriter = w;
        this.reservedOptionBytes = (reservedBytes + 3) & ~3;
    }

    public void setInboundObserver(TcpHooks.InboundObserver o) {
        this.inboundObserver = o;
    }

    public void setReceiveWindowProvider(TcpHooks.ReceiveWindowProvider p) {
        this.windowProvider = p;
    }

    public TcpState state() {
        return state;
    }

    /** Why the connection failed, or null. */
    public TcpError error() {
        return error;
    }

    public FourTuple tuple() {
        return tuple;
    }

    public Mib mib() {
        return mib;
    }

    public int iss() {
        return iss;
    }

    public int irs() {
        return irs;
    }

    public CongestionControl congestionControl() {
        return cc;
    }

    public long srttMicros() {
        return rtt.srtt();
    }

    /** RTT variation (RFC 6298 RTTVAR) in microseconds; 0 before the first sample. */
    public long rttvarMicros() {
        return rtt.rttvar();
    }

    public long rtoMicros() {
        return rtt.rto();
    }

    /** The MSS we send with: the peer's MSS clamped to ours (RFC 9293 3.7.1). */
    public int sendMss() {
        return sndMss;
    }

    /** Payload of a full data segment: the MSS minus timestamps and reserved option space (RFC 6691). */
    public int effectiveMss() {
        return Math.max(1, sndMss - (tsOk ? 12 : 0) - reservedOptionBytes);
    }

    public boolean timestampsEnabled() {
        return tsOk;
    }

    public boolean sackEnabled() {
        return sackOk;
    }

    public int sendWindowScale() {
        return sndWscale;
    }

    public int receiveWindowScale() {
        return rcvWscale;
    }

    /** The peer's current send window (bytes, scaled). */
    public long sendWindow() {
        return sndWnd;
    }

    /** Bytes of the peer's window not yet used: SND.UNA + SND.WND - SND.NXT (0 at the least). */
    public long sendWindowLeft() {
        return Math.max(0, sndUna + sndWnd - sndNxt);
    }

    /** The right edge new data may reach: the peer's window, or MPTCP's shared one if further. */
    private long sendEdge() {
        return Math.max(sndUna + sndWnd, sharedWndEdge);
    }

    /**
     * MPTCP (RFC 8684 section 3.3.4): the peer's receive window belongs to the connection, so a
     * subflow may send what the connection-level window allows even where the last window this
     * subflow was told is smaller (that update may have gone out on another subflow only). Lets
     * the subflow send everything it has queued plus {@code room} more bytes; the edge only ever
     * grows, as the connection-level edge does. Linux raises the subflow's snd_wnd the same way
     * (MIB SndWndShared). Returns whether the edge moved past the peer's own for this subflow.
     */
    public boolean shareSendWindow(long room) {
        if (!state.synchronised() || room < 0) {
            return false;
        }
        long edge = sndNxt + sendQ.unsent() + room;
        if (edge <= sharedWndEdge) {
            return false;
        }
        sharedWndEdge = edge;
        dirty = true;
        return edge > sndUna + sndWnd;
    }

    /** Plain TCP again (MPTCP fell back): only the peer's own window counts. */
    public void unshareSendWindow() {
        sharedWndEdge = 0;
        probeSharedWindow = false;
    }

    /**
     * MPTCP's connection-level window is closed with data waiting and none outstanding: this
     * subflow's persist timer probes it (a pure ACK the peer answers with its current DATA_ACK and
     * window, RFC 9293 3.8.6.1), so a lost window update cannot stall the connection for ever.
     */
    public void probeSharedWindow(boolean on) {
        if (probeSharedWindow != on) {
            probeSharedWindow = on;
            dirty = true;
        }
    }

    /**
     * When the peer last acknowledged new data, or (if nothing was outstanding then) when the
     * data now outstanding started to leave: with {@link #unacknowledged()} above 0, how long
     * the path has been silent.
     */
    public long lastProgressMicros() {
        return lastProgress;
    }

    /**
     * Linux's tcp_disordered_ack: a pure duplicate ACK at RCV.NXT that does not grow the window and is
     * stamped less than an RTO before TS.Recent is let through PAWS. Linux sends such ACKs with
     * a cached, older timestamp from outside its receive path, for one when its path manager
     * signals REMOVE_ADDR or ADD_ADDR; dropping them loses the option.
     */
    private boolean disorderedAck(Segment seg, TcpOption.Timestamps ts) {
        TcpHeader h = seg.header();
        if (!h.has(TcpHeader.ACK) || h.has(TcpHeader.SYN) || h.has(TcpHeader.FIN) || seg.length() != 0
                || !state.synchronised()) {
            return false;
        }
        long window = (long) (h.window() & 0xFFFF) << sndWscale;
        long behindMs = (tsRecent - ts.tsVal()) & 0xFFFFFFFFL;
        // Linux's "does not update the window": a duplicate ACK may only grow it.
        return toRcv64(h.seq()) == rcvNxt() && toSnd64(h.ack()) == sndUna && window <= sndWnd
                && behindMs <= Math.max(1, rtt.rto() / 1000);
    }

    /** When the oldest unacknowledged segment was last sent, or {@link #NEVER} with none. */
    public long oldestUnackedSentMicros() {
        return rtxq.size() == 0 ? NEVER : rtxq.get(0).xmitTime;
    }

    /** Bytes sent and not yet acknowledged. */
    public long unacknowledged() {
        return sndNxt - sndUna;
    }

    /** RFC 6675 "pipe": bytes believed to be in the network. */
    public long pipe() {
        return (sndNxt - sndUna) - rtxq.sackedOut - renoSacked - rtxq.lostOut + rtxq.retransOut;
    }

    /** Segments this connection sent again (the stack-wide count is {@link TcpMib#RETRANS_SEGS}). */
    public long retransmittedSegments() {
        return retransmittedSegments;
    }

    /** The congestion window in force (PRR during fast recovery). */
    public long cwnd() {
        return inRecovery ? prr.cwnd() : cc.cwnd();
    }

    /**
     * The penalty of opportunistic retransmission (Raiciu et al., "How hard can it be? Designing
     * and implementing a deployable Multipath TCP", NSDI 2012, section 4.2): an MPTCP subflow that
     * holds up the connection-level window has its congestion window halved, at most once per
     * smoothed RTT and never below two segments. In congestion avoidance ssthresh becomes the new
     * window, so that it does not slow-start straight back; in slow start ssthresh is kept (as the
     * out-of-tree kernel's mptcp_rcv_buf_optimization does), so the subflow goes on growing: at the
     * start of a connection the peer's window is small and a slow path would otherwise leave slow
     * start at a few segments, where a coupled controller's increase is slower than Reno's (measured:
     * 20 Mbit/s at 50 ms RTT beside 5 Mbit/s at 2 ms stuck at 11 segments). Nothing happens during
     * loss recovery, which is reducing the window already. Returns whether the window was cut.
     */
    public boolean penaliseCwnd(long nowMicros) {
        if (inRecovery || inLoss || !state.synchronised()) {
            return false;
        }
        long srtt = Math.max(1, rtt.srtt());
        if (lastPenaltyMicros != NEVER && nowMicros - lastPenaltyMicros < srtt) {
            return false;
        }
        long w = Math.max(cc.cwnd() / 2, 2L * effectiveMss());
        if (w >= cc.cwnd()) {
            return false;
        }
        boolean slowStart = cc.cwnd() < cc.ssthresh();
        cc.restore(w, slowStart ? cc.ssthresh() : w);
        lastPenaltyMicros = nowMicros;
        return true;
    }

    /**
     * How many new bytes this subflow could send now: the smaller of the congestion window space
     * and the peer's window space (for an MPTCP scheduler choosing a subflow).
     */
    public long sendableBytes() {
        if (!canSendData()) {
            return 0;
        }
        long cwndSpace = cwnd() - pipe();
        long wndSpace = sendEdge() - sndNxt;
        return Math.max(0, Math.min(cwndSpace, wndSpace));
    }

    /** Free space in the send buffer. */
    public long sendBufferSpace() {
        return Math.max(0, cfg.sendBuffer - sendQ.unsent() - (sndNxt - sndUna));
    }

    /** Bytes written and not yet sent. */
    public long unsent() {
        return sendQ.unsent();
    }

    /** In-order bytes ready for {@link #read}. */
    public long readable() {
        return rcv.readyBytes();
    }

    /** Whether the peer's FIN arrived and every byte before it has been read. */
    public boolean isEof() {
        return finReceived && rcv.readyBytes() == 0;
    }

    // =============================================================================================
    // Application interface
    // =============================================================================================

    /** Queues bytes for sending; returns how many were taken (limited by the send buffer), -1 if closed. */
    public int send(ByteBuffer src) {
        if (!writable()) {
            return -1;
        }
        int n = sendQ.write(src, (int) Math.min(Integer.MAX_VALUE, sendBufferSpace()));
        if (n > 0) {
            dirty = true;
        }
        return n;
    }

    /**
     * Queues one chunk that segments never straddle, with a tag given back to the option hook for
     * each segment carrying part of it; takes up to {@link #sendBufferSpace()} bytes. The array is
     * kept rather than copied when all of it fits: the caller must not change it afterwards (MPTCP
     * hands each chunk over this way, one copy fewer per byte sent).
     */
    public int sendChunk(byte[] chunk, Object tag) {
        if (!writable()) {
            return -1;
        }
        int n = sendQ.append(chunk, (int) Math.min(Integer.MAX_VALUE, sendBufferSpace()), tag);
        if (n > 0) {
            dirty = true;
        }
        return n;
    }

    private boolean writable() {
        if (closeRequested) {
            throw new IllegalStateException("send after close");
        }
        return state != TcpState.CLOSED && state != TcpState.LISTEN && error == null;
    }

    /** Copies in-order bytes; returns the count, or -1 at end of stream. */
    public int read(byte[] dst, int off, int len) {
        if (len == 0) {
            return 0;
        }
        int n = rcv.read(dst, off, len);
        if (n == 0 && isEof()) {
            return -1;
        }
        afterRead();
        return n;
    }

    /** The next in-order chunk (at most {@code max} bytes) with its relative sequence number, or null. */
    public RecvChunk readChunk(int max) {
        RecvChunk c = rcv.poll(max);
        if (c != null) {
            afterRead();
        }
        return c;
    }

    private void afterRead() {
        // Window update (RFC 9293 3.8.6.2.2): announce when the window grows by at least an MSS and
        // the new window is at least double what the peer currently sees.
        if (!state.synchronised() || finReceived) {
            return;
        }
        long free = freeSpace();
        long cur = rcvAdvEdge - rcvNxt();
        if (free - cur >= Math.min(cfg.receiveBuffer / 2, sndMss) && free >= 2 * cur) {
            ackNow = true;
            dirty = true;
        }
    }

    /**
     * Asks for a pure ACK at the next {@link #poll}, for the connection level (e.g. an MPTCP
     * DATA_ACK or window update with no subflow data to carry it). Ignored unless synchronised.
     */
    public void requestAck() {
        if (state.synchronised()) {
            ackNow = true;
            dirty = true;
        }
    }

    /** Half-close (RFC 9293 3.10.4): a FIN follows the queued data. */
    public void close() {
        switch (state) {
            case LISTEN, SYN_SENT -> {
                state = TcpState.CLOSED;
                clearTimers();
            }
            // SYN-RECEIVED: the FIN waits for the handshake; the state changes when it completes.
            case SYN_RECEIVED -> closeRequested = true;
            case ESTABLISHED -> {
                closeRequested = true;
                state = TcpState.FIN_WAIT_1;
            }
            case CLOSE_WAIT -> {
                closeRequested = true;
                state = TcpState.LAST_ACK;
            }
            default -> closeRequested = true;
        }
        dirty = true;
    }

    /**
     * Nobody will read from or write to this connection again (its owner closed it for good, as
     * close(2) orphans a Linux socket): in FIN-WAIT-2 it waits at most {@link TcpConfig#finTimeoutMicros}
     * for the peer's FIN, then is forgotten. Without this a peer whose FIN never comes (lost with
     * a path, or a peer that went away after acknowledging ours) held the connection forever.
     */
    public void orphan() {
        orphaned = true;
        armFinWait2();
    }

    private void armFinWait2() {
        if (orphaned && state == TcpState.FIN_WAIT_2 && finWait2Deadline == NEVER) {
            finWait2Deadline = now + cfg.finTimeoutMicros;
        }
    }

    /** Abort (RFC 9293 3.10.5): sends a RST and forgets the connection. */
    public void abort() {
        abort(List.of());
    }

    /**
     * Abort with options on the RST (MPTCP puts MP_TCPRST and MP_FASTCLOSE there, RFC 8684
     * sections 3.5 and 3.6). Without explicit options the option writer may add some.
     */
    public void abort(List<TcpOption> rstOptions) {
        if (state.synchronised() || state == TcpState.SYN_RECEIVED) {
            // Explicit options win (MPTCP's MP_TCPRST and MP_FASTCLOSE); otherwise the hook may
            // add its own to the RST (RFC 8684 3.6).
            List<TcpOption> opts = new ArrayList<>(rstOptions);
            if (opts.isEmpty() && optionWriter != null) {
                TcpOptions.runHook(optionWriter, TcpHeader.RST | TcpHeader.ACK, sndNxt, 0, null, TcpOptions.MAX, opts);
            }
            control.add(makeSegment(TcpHeader.RST | TcpHeader.ACK, sndNxt, opts));
            mib.inc(TcpMib.OUT_RSTS);
        }
        fail(TcpError.ABORTED);
    }

    /**
     * Sends a pure ACK at the next {@link #poll} even if TCP has no reason to (MPTCP needs one for
     * the MP_JOIN fourth ACK, DATA_ACKs of data that arrived on other subflows, window updates of
     * the shared window and retransmitted third ACKs). Ignored unless synchronised.
     */
    public void sendAck() {
        if (state.synchronised()) {
            ackNow = true;
            dirty = true;
        }
    }

    /** Retransmission timeouts in a row without progress (0 once an ACK of new data arrives). */
    public int consecutiveRtos() {
        return consecutiveRtos;
    }

    /** SND.UNA relative to the ISS (1 once the SYN is acknowledged). */
    public long sndUnaRelative() {
        return sndUna;
    }

    /** SND.NXT relative to the ISS. */
    public long sndNxtRelative() {
        return sndNxt;
    }

    // =============================================================================================
    // Input (RFC 9293 section 3.10.7)
    // =============================================================================================

    /** Processes one inbound segment. Never throws for bad input: it is dropped and counted. */
    public void input(long nowMicros, Segment seg) {
        now = nowMicros;
        mib.inc(TcpMib.IN_SEGS);
        deliveredNow = 0;
        ackedNow = 0;
        dirty = true;
        InboundResult.Verdict v = process(seg);
        if (inboundObserver != null) {
            long rel = irsValid ? toRcv64(seg.header().seq()) : 0;
            inboundObserver.onSegment(seg, new InboundResult(v, rel, seg.length(), deliveredNow, ackedNow, state));
        }
    }

    private InboundResult.Verdict drop(TcpMib reason) {
        mib.inc(reason);
        return InboundResult.Verdict.DROPPED;
    }

    private InboundResult.Verdict process(Segment seg) {
        TcpHeader h = seg.header();
        boolean rst = h.has(TcpHeader.RST);
        boolean syn = h.has(TcpHeader.SYN);
        boolean ack = h.has(TcpHeader.ACK);
        switch (state) {
            case CLOSED -> {
                if (!rst) {
                    control.add(resetFor(seg));
                    mib.inc(TcpMib.OUT_RSTS);
                }
                return drop(TcpMib.DROP_BAD_STATE);
            }
            case LISTEN -> {
                if (rst) {
                    return drop(TcpMib.DROP_BAD_STATE);
                }
                if (ack) {
                    control.add(resetFor(seg));
                    mib.inc(TcpMib.OUT_RSTS);
                    return drop(TcpMib.DROP_BAD_ACK);
                }
                if (!syn) {
                    return drop(TcpMib.DROP_BAD_STATE);
                }
                passiveOpen(seg);
                return InboundResult.Verdict.ACCEPTED;
            }
            case SYN_SENT -> {
                return synSent(seg);
            }
            default -> {
                return synchronisedInput(seg);
            }
        }
    }

    private void passiveOpen(Segment seg) {
        TcpHeader h = seg.header();
        irs = h.seq();
        irsValid = true;
        rcv.nxt = 1;
        lastRecvTime = now;
        readSynOptions(h, true);
        sndWnd = h.window(); // never scaled in a SYN (RFC 7323 2.2)
        maxSndWnd = sndWnd;
        state = TcpState.SYN_RECEIVED;
        RtxQueue.Entry e = new RtxQueue.Entry();
        e.seq = 0;
        e.syn = true;
        rtxq.add(e);
        sndNxt = 1;
    }

    /** RFC 9293 3.10.7.3. */
    private InboundResult.Verdict synSent(Segment seg) {
        TcpHeader h = seg.header();
        boolean rst = h.has(TcpHeader.RST);
        boolean ack = h.has(TcpHeader.ACK);
        if (ack && h.ack() != iss + 1) {
            if (!rst) {
                control.add(resetFor(seg));
                mib.inc(TcpMib.OUT_RSTS);
            }
            return drop(TcpMib.DROP_BAD_ACK);
        }
        if (rst) {
            if (ack) {
                mib.inc(TcpMib.RESETS_RECEIVED);
                fail(TcpError.CONNECTION_REFUSED);
                return InboundResult.Verdict.RESET;
            }
            return drop(TcpMib.DROP_BAD_STATE);
        }
        if (!h.has(TcpHeader.SYN)) {
            return drop(TcpMib.DROP_BAD_STATE);
        }
        irs = h.seq();
        irsValid = true;
        rcv.nxt = 1;
        lastRecvTime = now;
        readSynOptions(h, false);
        sndWnd = h.window();
        maxSndWnd = sndWnd;
        if (ack) {
            sndWl1 = 0;
            sndWl2 = 1;
            ackSyn();
            state = TcpState.ESTABLISHED;
            ackNow = true;
        } else {
            // Simultaneous open (RFC 9293 figure 8): answer with SYN,ACK from SYN-RECEIVED.
            state = TcpState.SYN_RECEIVED;
            synResendNow = true;
        }
        return InboundResult.Verdict.ACCEPTED;
    }

    /** Our SYN was acknowledged: drop it from the queue, take an RTT sample (Karn), size windows. */
    private void ackSyn() {
        RtxQueue.Entry e = rtxq.first();
        if (e != null && e.syn) {
            rtxq.pollFirst();
            if (e.xmits == 1) {
                rtt.sample(now - e.xmitTime);
            }
        }
        sndUna = 1;
        consecutiveRtos = 0;
        // The SYN is in the sequence space: its ACK is progress. (Without it an MPTCP join whose
        // SYN was lost once stayed stale, unscheduled, for good: LostJoinSynSimTest.)
        lastProgress = now;
        rtt.resetBackoff();
        rtoDeadline = rtxq.isEmpty() ? NEVER : now + rtt.rto();
        cc.setMss(effectiveMss());
        sendQ.setUntaggedChunkSize(effectiveMss() * 44);
        if (closeRequested && state == TcpState.SYN_RECEIVED) {
            state = TcpState.FIN_WAIT_1;
        }
    }

    private void readSynOptions(TcpHeader h, boolean passive) {
        boolean peerWs = false;
        int peerShift = 0;
        boolean peerSack = false;
        TcpOption.Timestamps ts = null;
        int mss = DEFAULT_PEER_MSS;
        for (TcpOption o : h.options()) {
            if (o instanceof TcpOption.Mss m) {
                mss = m.mss();
            } else if (o instanceof TcpOption.WindowScale w) {
                peerWs = true;
                peerShift = Math.min(14, w.shift()); // RFC 7323 2.3: clamp to 14
            } else if (o instanceof TcpOption.SackPermitted) {
                peerSack = true;
            } else if (o instanceof TcpOption.Timestamps t) {
                ts = t;
            }
        }
        peerOfferedWs = peerWs;
        sndMss = Math.max(64, Math.min(mss, cfg.mss));
        if (cfg.windowScaling && peerWs) {
            sndWscale = peerShift;
        } else {
            sndWscale = 0;
            rcvWscale = 0;
        }
        sackOk = cfg.sack && peerSack;
        tsOk = cfg.timestamps && ts != null;
        if (tsOk) {
            tsRecent = ts.tsVal();
            tsRecentValid = true;
            tsRecentStamp = now;
        }
        if (!passive) {
            cc.setMss(effectiveMss());
        }
    }

    private long rcvNxt() {
        return finReceived ? rcv.nxt + 1 : rcv.nxt;
    }

    private long toRcv64(int wire) {
        long nxt = rcvNxt();
        return nxt + (wire - (irs + (int) nxt));
    }

    private long toSnd64(int wire) {
        return sndUna + (wire - (iss + (int) sndUna));
    }

    private InboundResult.Verdict synchronisedInput(Segment seg) {
        TcpHeader h = seg.header();
        boolean rst = h.has(TcpHeader.RST);
        boolean syn = h.has(TcpHeader.SYN);
        boolean fin = h.has(TcpHeader.FIN);
        TcpOption.Timestamps ts = null;
        TcpOption.Sack sack = null;
        for (TcpOption o : h.options()) {
            if (o instanceof TcpOption.Timestamps t) {
                ts = t;
            } else if (o instanceof TcpOption.Sack s) {
                sack = s;
            }
        }
        // RFC 7323 5.3 R1: PAWS.
        if (tsOk && ts != null && !rst && tsRecentValid && SeqNumLt(ts.tsVal(), tsRecent) && !disorderedAck(seg, ts)) {
            if (now - tsRecentStamp > PAWS_IDLE_MICROS) {
                tsRecentValid = false; // RFC 7323 5.5: TS.Recent is too old to trust
            } else {
                // As Linux tcp_send_dupack: an old duplicate is reported with D-SACK (RFC 2883), so
                // the sender learns its retransmission was spurious.
                long dseq = toRcv64(h.seq());
                if (seg.length() > 0 && dseq + seg.length() <= rcvNxt() && sackOk) {
                    rcv.dsackLeft = dseq;
                    rcv.dsackRight = dseq + seg.length();
                }
                oowAck(seg.length(), h.has(TcpHeader.SYN));
                return drop(TcpMib.DROP_PAWS);
            }
        }
        long seq = toRcv64(h.seq());
        int len = seg.length();
        if (syn && state == TcpState.SYN_RECEIVED && h.seq() == irs) {
            if (h.has(TcpHeader.ACK) && toSnd64(h.ack()) == sndNxt && !rst) {
                // Simultaneous open: the peer's SYN,ACK completes our handshake; skip its SYN.
                syn = false;
                seq += 1;
                ackNow = true; // RFC 9293 figure 8, line 7: the final ACK of a simultaneous open
            } else if (!rst) {
                synResendNow = true; // a retransmitted SYN: our SYN,ACK was lost
                return drop(TcpMib.DROP_OUT_OF_WINDOW);
            }
        }
        int segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0);
        long nxt = rcvNxt();
        long wnd = Math.max(0, rcvAdvEdge - nxt);
        // RFC 9293 3.10.7.4 first: sequence number acceptability.
        boolean acceptable;
        if (segLen == 0) {
            // RFC 9293 says SEG.SEQ < RCV.NXT + RCV.WND; like Linux (tcp_sequence) we also accept a
            // bare ACK at the right edge, which is where a sender that filled our window stands.
            acceptable = wnd == 0 ? seq == nxt : seq >= nxt && seq <= nxt + wnd;
        } else if (wnd == 0) {
            acceptable = false;
        } else {
            acceptable = seq >= nxt && seq < nxt + wnd || seq + segLen - 1 >= nxt && seq + segLen - 1 < nxt + wnd;
        }
        boolean zeroWindowProbe = !acceptable && wnd == 0 && seq == nxt && !rst && !syn;
        if (!acceptable && !zeroWindowProbe) {
            if (rst) {
                return drop(TcpMib.DROP_RST_OUT_OF_WINDOW);
            }
            if (len > 0 && seq + len <= nxt) {
                rcv.dsackLeft = seq;
                rcv.dsackRight = seq + len;
                mib.inc(TcpMib.DUP_DATA_RECEIVED);
            }
            oowAck(len, syn);
            if (state == TcpState.TIME_WAIT && fin) {
                timeWaitDeadline = now + cfg.timeWaitMicros; // RFC 9293: restart the 2 MSL timeout
            }
            return drop(TcpMib.DROP_OUT_OF_WINDOW);
        }
        // Second: RST (RFC 5961 section 3.2).
        if (rst) {
            if (seq == nxt) {
                mib.inc(TcpMib.RESETS_RECEIVED);
                if (state == TcpState.TIME_WAIT || state == TcpState.CLOSING || state == TcpState.LAST_ACK) {
                    state = TcpState.CLOSED;
                    clearTimers();
                } else {
                    fail(TcpError.CONNECTION_RESET);
                }
                return InboundResult.Verdict.RESET;
            }
            challengeAck();
            return InboundResult.Verdict.DROPPED;
        }
        // Fourth: SYN in a synchronised state (RFC 5961 section 4.2): challenge ACK.
        if (syn) {
            challengeAck();
            return InboundResult.Verdict.DROPPED;
        }
        // TS.Recent update (RFC 7323 4.3).
        if (tsOk && ts != null && seq <= lastAckSent && (!tsRecentValid || !SeqNumLt(ts.tsVal(), tsRecent))) {
            tsRecent = ts.tsVal();
            tsRecentValid = true;
            tsRecentStamp = now;
        }
        lastRecvTime = now;
        keepaliveSent = 0;
        // Fifth: the ACK field.
        if (!h.has(TcpHeader.ACK)) {
            return drop(TcpMib.DROP_NO_ACK);
        }
        long ack = toSnd64(h.ack());
        if (state == TcpState.SYN_RECEIVED) {
            if (ack > sndUna && ack <= sndNxt) {
                state = closeRequested ? TcpState.FIN_WAIT_1 : TcpState.ESTABLISHED;
                sndWnd = (long) h.window() << sndWscale;
                maxSndWnd = Math.max(maxSndWnd, sndWnd);
                sndWl1 = seq;
                sndWl2 = ack;
                ackSyn();
            } else {
                control.add(resetFor(seg));
                mib.inc(TcpMib.OUT_RSTS);
                return drop(TcpMib.DROP_BAD_ACK);
            }
        }
        // RFC 5961 section 5.2: ACK acceptability.
        if (ack > sndNxt) {
            challengeAck();
            return drop(TcpMib.DROP_BAD_ACK);
        }
        if (ack < sndUna - maxSndWnd) {
            challengeAck();
            return drop(TcpMib.DROP_BAD_ACK);
        }
        processAck(h, seq, ack, len, fin, ts, sack);
        if (state == TcpState.CLOSED) {
            return InboundResult.Verdict.ACCEPTED;
        }
        // Seventh: segment text.
        if (len > 0 && (state == TcpState.ESTABLISHED || state == TcpState.FIN_WAIT_1
                || state == TcpState.FIN_WAIT_2)) {
            receiveData(seq, seg);
        }
        // Eighth: FIN.
        if (fin && acceptable) {
            long finSeq = seq + len;
            if (finSeq <= rcvAdvEdge || finSeq == rcv.nxt) {
                if (peerFinSeq < 0) {
                    peerFinSeq = finSeq;
                }
            }
            if (state == TcpState.TIME_WAIT) {
                ackNow = true;
                timeWaitDeadline = now + cfg.timeWaitMicros;
            }
        }
        checkFin();
        return InboundResult.Verdict.ACCEPTED;
    }

    private static boolean SeqNumLt(int a, int b) {
        return a - b < 0;
    }

    /** The peer's FIN is in order: consume it and change state (RFC 9293 3.10.7.4 eighth). */
    private void checkFin() {
        if (finReceived || peerFinSeq < 0 || rcv.nxt != peerFinSeq) {
            return;
        }
        finReceived = true;
        ackNow = true;
        switch (state) {
            case SYN_RECEIVED, ESTABLISHED -> state = TcpState.CLOSE_WAIT;
            case FIN_WAIT_1 -> {
                if (finSent && sndUna == sndNxt) {
                    enterTimeWait();
                } else {
                    state = TcpState.CLOSING;
                }
            }
            case FIN_WAIT_2 -> enterTimeWait();
            default -> {
            }
        }
    }

    private void enterTimeWait() {
        state = TcpState.TIME_WAIT;
        clearTimers();
        timeWaitDeadline = now + cfg.timeWaitMicros;
    }

    /**
     * The duplicate ACK answering an unacceptable segment. As Linux (tcp_oow_rate_limited), those
     * answering segments without data are rate-limited, so two ends that disagree cannot ping-pong.
     */
    private void oowAck(int payload, boolean syn) {
        if (payload > 0 && !syn) {
            ackNow = true;
        } else if (now - lastOowAck >= cfg.invalidAckIntervalMicros) {
            lastOowAck = now;
            ackNow = true;
        } else {
            mib.inc(TcpMib.OOW_ACK_LIMITED);
        }
    }

    /** RFC 5961 section 7: challenge ACKs, rate-limited per second. */
    private void challengeAck() {
        if (now - challengeWindowStart >= 1_000_000) {
            challengeWindowStart = now;
            challengeCount = 0;
        }
        if (challengeCount < cfg.challengeAckLimit) {
            challengeCount++;
            mib.inc(TcpMib.CHALLENGE_ACKS);
            control.add(makeAck());
        } else {
            mib.inc(TcpMib.CHALLENGE_ACK_LIMITED);
        }
    }

    private void receiveData(long seq, Segment seg) {
        int off = seg.offset();
        int len = seg.length();
        long end = seq + len;
        if (end > rcvAdvEdge) {
            // Beyond the window: keep what fits (RFC 9293 3.10.7.4 seventh, trimming).
            mib.inc(TcpMib.TRIMMED_BEYOND_WINDOW);
            len = (int) Math.max(0, rcvAdvEdge - seq);
            end = seq + len;
            if (len == 0) {
                ackNow = true;
                return;
            }
        }
        boolean hadOoo = rcv.hasOutOfOrder();
        long before = rcv.nxt;
        long delivered = rcv.accept(seq, seg.data(), off, len);
        deliveredNow += delivered;
        if (rcv.hasDsack()) {
            mib.inc(TcpMib.DUP_DATA_RECEIVED);
        }
        if (seq > before) {
            mib.inc(TcpMib.OFO_QUEUED);
        }
        // RFC 5681 4.2 / RFC 9293 3.8.6.3: ACK out-of-order segments and gap fills at once; delay
        // in-order ones, but ACK at least every second full segment.
        if (seq != before || hadOoo || rcv.hasDsack()) {
            ackNow = true;
        } else if (++segsUnacked >= cfg.ackEvery) {
            ackNow = true;
        } else if (delackDeadline == NEVER) {
            delackDeadline = now + cfg.delayedAckMicros;
        }
    }

    // =============================================================================================
    // ACK processing, SACK scoreboard and loss detection
    // =============================================================================================

    private void processAck(TcpHeader h, long seq, long ack, int len, boolean fin,
                            TcpOption.Timestamps ts, TcpOption.Sack sack) {
        long flightBefore = pipe();
        long cwndBefore = cwnd();
        // Window update (RFC 9293 3.10.7.4, SND.WL1/SND.WL2 rule).
        long newWnd = (long) h.window() << sndWscale;
        boolean windowChanged = newWnd != sndWnd;
        if (ack >= sndUna && (sndWl1 < seq || sndWl1 == seq && sndWl2 <= ack)) { // SND.UNA =< SEG.ACK
            if (newWnd > sndWnd) {
                persistBackoff = 0;
            }
            sndWnd = newWnd;
            sndWl1 = seq;
            sndWl2 = ack;
            maxSndWnd = Math.max(maxSndWnd, sndWnd);
        }
        long newlySacked = 0;
        if (sackOk && sack != null) {
            newlySacked = processSack(sack, ack);
        }
        long acked = 0;
        long rttSample = -1;
        if (ack > sndUna) {
            while (!rtxq.isEmpty() && rtxq.first().end() <= ack) {
                RtxQueue.Entry e = rtxq.first();
                if (!e.sacked) {
                    rackUpdate(e);
                }
                if (e.xmits == 1) {
                    rttSample = now - e.xmitTime; // Karn (RFC 6298 3): only never-retransmitted
                }
                rtxq.pollFirst();
            }
            if (!rtxq.isEmpty() && rtxq.first().seq < ack) {
                rtxq.trimHead(ack);
            }
            if (eifelPending && inLoss && ts != null && SeqNumLt(ts.tsEcr(), eifelTsVal)) {
                // RFC 3522: the ACK echoes a timestamp older than the retransmission, so the
                // original was delivered and the timeout was spurious. RFC 4015: restore the window
                // and stop retransmitting what was not yet resent.
                mib.inc(TcpMib.SPURIOUS_RTO);
                cc.restore(eifelCwnd, eifelSsthresh);
                inLoss = false;
                rtxq.unmarkUnretransmittedLost();
            }
            eifelPending = false;
            acked = ack - sndUna;
            sndUna = ack;
            lastProgress = now;
            ackedNow = acked;
            if (rttSample < 0 && tsOk && ts != null && ts.tsEcr() != 0) {
                // RFC 7323 section 4: timestamps give samples even for retransmissions.
                long ms = (tsClock() - ts.tsEcr()) & 0xFFFFFFFFL;
                if (ms < 600_000) {
                    rttSample = ms * 1000;
                }
            }
            if (rttSample >= 0) {
                rtt.sample(rttSample);
            }
            consecutiveRtos = 0;
            // RFC 6298 5.3: restart the timer on an ACK of new data.
            rtoDeadline = rtxq.isEmpty() ? NEVER : now + rtt.rto();
            dupAcks = 0;
            renoSacked = 0;
            tlpOutstanding = false;
            if (tlpHighSeq >= 0 && ack >= tlpHighSeq) {
                // RFC 8985 7.4: the probe's episode is over. Without a D-SACK for it, the probe
                // repaired a real loss, which the window must answer as a congestion event.
                if (!tlpDsacked && !inRecovery && !inLoss) {
                    cc.onCongestionEvent(sndNxt - sndUna + acked, now);
                    cc.onRecoveryExit(now);
                }
                tlpHighSeq = -1;
            }
            if (finSent && sndUna == sndNxt) {
                ourFinAcked();
            }
        } else if (ack == sndUna && len == 0 && !fin && !windowChanged && sndNxt > sndUna) {
            dupAcks++;
            if (!sackOk) {
                long room = (sndNxt - sndUna) - (rtxq.isEmpty() ? 0 : rtxq.first().seqLen());
                renoSacked = Math.min(room, renoSacked + effectiveMss());
            }
        }
        if (sndNxt == sndUna) {
            tlpDeadline = NEVER;
        }
        // Loss detection.
        if (sackOk) {
            if (acked > 0 || newlySacked > 0) {
                rackDetectLoss();
            }
        } else {
            newRenoDetect(ack, acked);
        }
        long delivered = acked + newlySacked;
        // Recovery bookkeeping.
        if (inRecovery) {
            if (sndUna >= recoveryPoint) {
                inRecovery = false;
                cc.onRecoveryExit(now);
                rack.onRecoveryExit();
            } else {
                prrUpdate(delivered);
            }
        } else if (inLoss && sndUna >= recoveryPoint) {
            inLoss = false;
        }
        if (!inRecovery && !inLoss && rtxq.lostOut > 0 && state.synchronised()) {
            enterRecovery();
            prrUpdate(delivered);
        }
        if (!inRecovery && acked > 0) {
            boolean cwndLimited = flightBefore + effectiveMss() >= cwndBefore
                    || cc.cwnd() < cc.ssthresh() && cwndBefore < 2 * flightBefore;
            cc.onAck(acked, rttSample, rtt.srtt(), cwndLimited, now);
        }
        if (acked > 0 && cfg.tailLossProbe && sackOk && sndNxt > sndUna && !inRecovery && !inLoss) {
            armTlp();
        }
    }

    private void ourFinAcked() {
        switch (state) {
            case FIN_WAIT_1 -> {
                state = TcpState.FIN_WAIT_2;
                armFinWait2();
            }
            case CLOSING -> enterTimeWait();
            case LAST_ACK -> {
                state = TcpState.CLOSED;
                clearTimers();
            }
            default -> {
            }
        }
    }

    /** Marks SACKed entries (RFC 2018, RFC 6675 section 4); detects D-SACK (RFC 2883 section 4). */
    private long processSack(TcpOption.Sack sack, long ack) {
        long newly = 0;
        List<TcpOption.SackBlock> blocks = sack.blocks();
        for (int b = 0; b < blocks.size(); b++) {
            TcpOption.SackBlock blk = blocks.get(b);
            long l = toSnd64(blk.left());
            long r = toSnd64(blk.right());
            if (r <= l || r > sndNxt || l < sndUna - maxSndWnd) {
                continue; // invalid block: ignore
            }
            boolean dsack = b == 0 && (r <= ack || blocks.size() > 1
                    && l >= toSnd64(blocks.get(1).left()) && r <= toSnd64(blocks.get(1).right()));
            if (dsack) {
                onDsack();
                continue;
            }
            for (int i = rtxq.indexAfter(l); i < rtxq.size(); i++) {
                RtxQueue.Entry e = rtxq.get(i);
                if (e.seq >= r) {
                    break;
                }
                if (!e.sacked && e.seq >= l && e.end() <= r) {
                    rtxq.markSacked(e);
                    newly += e.seqLen();
                    rackUpdate(e);
                }
            }
        }
        return newly;
    }

    private void onDsack() {
        mib.inc(TcpMib.DSACKS_RECEIVED);
        if (tlpHighSeq >= 0) {
            tlpDsacked = true; // the probe was a duplicate: no loss (RFC 8985 7.4)
        }
        rack.onDsack(sndUna, sndNxt);
    }

    private void rackUpdate(RtxQueue.Entry e) {
        rack.onDelivered(e, now, rtt.minRtt());
    }

    private void rackDetectLoss() {
        long reo = rack.reoWnd(inRecovery || inLoss, dupAcks, rtt.minRtt(), rtt.srtt());
        rackDeadline = rack.detectLoss(rtxq, now, reo);
    }

    /** Three duplicate ACKs and partial ACKs for peers without SACK (RFC 5681 3.2, RFC 6582). */
    private void newRenoDetect(long ack, long acked) {
        if (rtxq.isEmpty()) {
            return;
        }
        if (!inRecovery && !inLoss && dupAcks >= 3 && ack > recoveryPoint - 1) {
            rtxq.markLost(0, rtxq.first());
            mib.inc(TcpMib.NEWRENO_RECOVERY);
        } else if (inRecovery && acked > 0 && ack < recoveryPoint) {
            // RFC 6582 3.2 step 3: a partial ACK; retransmit the next unacknowledged segment.
            rtxq.markLost(0, rtxq.first());
        }
    }

    private void enterRecovery() {
        inRecovery = true;
        recoveryPoint = sndNxt;
        long flight = (sndNxt - sndUna);
        cc.onCongestionEvent(flight, now);
        if (sackOk) {
            mib.inc(TcpMib.SACK_RECOVERY);
        }
        prr.start(pipe(), cc.ssthresh(), effectiveMss());
        tlpDeadline = NEVER;
    }

    /** Proportional Rate Reduction (RFC 6937): the window during fast recovery. */
    private void prrUpdate(long delivered) {
        prr.update(delivered, pipe(), cc.ssthresh(), rtxq.lostOut, effectiveMss());
    }

    // =============================================================================================
    // Timers
    // =============================================================================================

    /** The next time {@link #poll} must run: now if output is pending, {@link #NEVER} if nothing. */
    public long pollAt() {
        if (dirty || ackNow || !control.isEmpty() || synResendNow) {
            return now;
        }
        long t = Math.min(rtoDeadline, delackDeadline);
        t = Math.min(t, Math.min(persistDeadline, timeWaitDeadline));
        t = Math.min(t, Math.min(rackDeadline, tlpDeadline));
        t = Math.min(t, finWait2Deadline);
        return Math.min(t, keepaliveDeadline());
    }

    private long keepaliveDeadline() {
        if (!cfg.keepalive || (state != TcpState.ESTABLISHED && state != TcpState.CLOSE_WAIT)
                || sndNxt != sndUna || sendQ.unsent() > 0) {
            return NEVER;
        }
        return lastRecvTime + cfg.keepaliveIdleMicros + (long) keepaliveSent * cfg.keepaliveIntervalMicros;
    }

    private void clearTimers() {
        rtoDeadline = delackDeadline = persistDeadline = rackDeadline = tlpDeadline = NEVER;
        timeWaitDeadline = finWait2Deadline = NEVER;
    }

    private void fail(TcpError e) {
        error = e;
        state = TcpState.CLOSED;
        clearTimers();
    }

    private void armTlp() {
        if (tlpOutstanding || rtt.srtt() < 0) {
            return;
        }
        // RFC 8985 7.2: PTO = 2 SRTT, plus the peer's delayed-ACK allowance if one segment is out.
        long pto = 2 * rtt.srtt();
        if (sndNxt - sndUna <= effectiveMss()) {
            pto += cfg.delayedAckMicros;
        }
        long t = now + pto;
        if (rtoDeadline != NEVER) {
            t = Math.min(t, rtoDeadline);
        }
        tlpDeadline = t;
    }

    private void onRto() {
        rtoDeadline = NEVER;
        if (rtxq.isEmpty()) {
            return;
        }
        RtxQueue.Entry head = rtxq.first();
        if (head.syn) {
            if (head.xmits > cfg.synRetries) {
                fail(TcpError.SYN_RETRIES_EXCEEDED);
                return;
            }
        } else if (consecutiveRtos >= cfg.maxRetries) {
            fail(TcpError.RETRANSMISSION_TIMEOUT);
            return;
        }
        mib.inc(TcpMib.RTO_EXPIRED);
        if (state.synchronised()) {
            if (consecutiveRtos == 0) {
                // RFC 3522 section 3.2: remember the retransmission's TSval to test the first ACK.
                eifelPending = tsOk;
                eifelTsVal = tsClock();
                eifelCwnd = cwnd();
                eifelSsthresh = cc.ssthresh();
                cc.onRto(sndNxt - sndUna, now); // RFC 5681 (4): only on the first timeout
            } else {
                eifelPending = false; // the retransmission was lost as well: a real timeout
            }
            inRecovery = false;
            inLoss = true;
            recoveryPoint = sndNxt;
            // RFC 6675 5.1 / Linux tcp_enter_loss: everything not SACKed is presumed lost.
            for (int i = 0; i < rtxq.size(); i++) {
                RtxQueue.Entry e = rtxq.get(i);
                rtxq.markLost(i, e);
            }
            renoSacked = 0;
            dupAcks = 0;
        } else {
            rtxq.markLost(0, head);
        }
        consecutiveRtos++;
        rtt.backOff(); // RFC 6298 5.5
        tlpDeadline = NEVER;
        tlpOutstanding = false;
        rackDeadline = NEVER;
    }

    // =============================================================================================
    // Output
    // =============================================================================================

    /** Runs expired timers and emits every segment that may be sent now. */
    public void poll(long nowMicros, Consumer<Segment> out) {
        now = nowMicros;
        dirty = false;
        while (!control.isEmpty()) {
            emit(control.poll(), out);
        }
        if (timeWaitDeadline <= now) {
            state = TcpState.CLOSED;
            clearTimers();
            return;
        }
        if (state == TcpState.CLOSED || state == TcpState.LISTEN) {
            return;
        }
        if (finWait2Deadline <= now) {
            mib.inc(TcpMib.FIN_WAIT2_TIMEOUT);
            state = TcpState.CLOSED;
            clearTimers();
            return;
        }
        if (rtoDeadline <= now) {
            onRto();
            if (state == TcpState.CLOSED) {
                return;
            }
        }
        if (rackDeadline <= now) {
            rackDetectLoss();
            if (!inRecovery && !inLoss && rtxq.lostOut > 0) {
                enterRecovery();
                prrUpdate(0);
            }
        }
        if (delackDeadline <= now) {
            ackNow = true;
        }
        if (keepaliveDeadline() <= now) {
            if (keepaliveSent >= cfg.keepaliveProbes) {
                fail(TcpError.KEEPALIVE_TIMEOUT);
                return;
            }
            keepaliveSent++;
            mib.inc(TcpMib.KEEPALIVE_PROBES);
            emit(makeSegment(TcpHeader.ACK, sndUna - 1, null), out);
        }
        transmit(out);
        if (rtoDeadline == NEVER && !rtxq.isEmpty()) {
            rtoDeadline = now + rtt.rto(); // RFC 6298 5.1: data outstanding means a running timer
        }
        if (tlpDeadline <= now) {
            tlpDeadline = NEVER;
            sendTailLossProbe(out);
        }
        if (persistDeadline <= now) {
            // Zero-window probe (RFC 9293 3.8.6.1), as Linux: an ACK with an old sequence number
            // that makes the receiver answer with its current window.
            mib.inc(TcpMib.WINDOW_PROBES);
            emit(makeSegment(TcpHeader.ACK, sndUna - 1, null), out);
            persistBackoff++;
            persistDeadline = NEVER;
        }
        if (ackNow) {
            emit(makeAck(), out);
        }
        updatePersist();
    }

    private void updatePersist() {
        boolean blocked = state.synchronised() && rtxq.isEmpty() && !finSent
                && (sendQ.unsent() > 0 && sendEdge() - sndNxt < Math.min(effectiveMss(), sendQ.unsent())
                    || probeSharedWindow && sendQ.unsent() == 0);
        if (!blocked) {
            persistDeadline = NEVER;
            persistBackoff = 0;
        } else if (persistDeadline == NEVER) {
            long t = rtt.rto();
            for (int i = 0; i < persistBackoff && t < MAX_PROBE_INTERVAL; i++) {
                t <<= 1;
            }
            persistDeadline = now + Math.min(t, MAX_PROBE_INTERVAL);
        }
    }

    private boolean canSendData() {
        // CLOSING: the peer's FIN crossed ours before ours was sent; queued data still goes first.
        return !finSent && (state == TcpState.ESTABLISHED || state == TcpState.CLOSE_WAIT
                || state == TcpState.FIN_WAIT_1 || state == TcpState.LAST_ACK || state == TcpState.CLOSING);
    }

    /** Sends retransmissions, new data and FIN as windows allow; returns whether anything went out. */
    private boolean transmit(Consumer<Segment> out) {
        boolean sent = false;
        if (state == TcpState.SYN_SENT || state == TcpState.SYN_RECEIVED) {
            RtxQueue.Entry syn = rtxq.first();
            // A lost SYN is sent again once: after that it is lost and retransmitted until the
            // next timeout marks it again. (It was sent again at every poll, so after one SYN
            // timeout each segment that reached the connection, a bare RST among them, drew
            // another SYN: a router answering each with a RST at once made a loop in the
            // simulator. StateMachineScriptTest.aSegmentInSynSentAfterATimeoutDrawsNoSecondSyn.)
            if (syn != null && syn.syn && (syn.xmits == 0 || syn.lost && !syn.retrans || synResendNow)) {
                sendEntry(syn, 0, out);
                synResendNow = false;
                return true;
            }
            synResendNow = false;
            return false;
        }
        // 1. Retransmit what is marked lost (RFC 6675 NextSeg rule 1), within cwnd.
        while (pipe() < cwnd()) {
            int i = rtxq.nextLost();
            if (i < 0) {
                break;
            }
            RtxQueue.Entry e = rtxq.get(i);
            if (!inLoss) {
                mib.inc(TcpMib.FAST_RETRANS);
            }
            sendEntry(e, i, out);
            sent = true;
        }
        // 2. New data (RFC 6675 rule 2), within cwnd and the peer's window.
        while (canSendData() && pipe() < cwnd()) {
            SendQueue.Chunk c = sendQ.head();
            if (c == null) {
                break;
            }
            boolean sack = sackOk && (rcv.hasOutOfOrder() || rcv.hasDsack());
            int mss = effectiveMss() - (sack ? 12 : 0);
            int avail = c.limit - c.sent;
            int len = Math.min(mss, avail);
            long wndSpace = sendEdge() - sndNxt;
            if (len > wndSpace) {
                // Sender SWS avoidance (RFC 9293 3.8.6.2.1): send a partial segment only if it is
                // at least half the largest window the peer offered.
                if (wndSpace <= 0 || wndSpace < maxSndWnd / 2) {
                    break;
                }
                len = (int) wndSpace;
            }
            boolean last = len == avail && !sendQ.moreAfterHead();
            if (len < mss && last && cfg.nagle && sndNxt > sndUna && !closeRequested) {
                break; // Nagle (RFC 9293 3.7.4): hold a small segment while data is unacknowledged
            }
            RtxQueue.Entry e = newDataEntry(c, len);
            sendEntry(e, rtxq.size() - 1, out);
            sent = true;
            if (cfg.tailLossProbe && sackOk && !inRecovery && !inLoss && tlpDeadline == NEVER) {
                armTlp();
            }
        }
        // 3. A bare FIN once everything is sent (RFC 9293 3.10.4).
        if (closeRequested && !finSent && sendQ.unsent() == 0 && state.synchronised()
                && (state == TcpState.FIN_WAIT_1 || state == TcpState.LAST_ACK || state == TcpState.CLOSING)) {
            RtxQueue.Entry e = new RtxQueue.Entry();
            e.seq = sndNxt;
            e.fin = true;
            rtxq.add(e);
            sndNxt = e.end();
            finSent = true;
            sendEntry(e, rtxq.size() - 1, out);
            sent = true;
        }
        return sent;
    }

    /** Moves {@code len} bytes of the head chunk into a new retransmission-queue entry. */
    private RtxQueue.Entry newDataEntry(SendQueue.Chunk c, int len) {
        if (sndNxt == sndUna) {
            lastProgress = now; // the silence of this flight is counted from here
        }
        RtxQueue.Entry e = new RtxQueue.Entry();
        e.seq = sndNxt;
        e.len = len;
        e.data = c.data;
        e.off = c.sent;
        e.tag = c.tag;
        sendQ.consume(len);
        e.fin = closeRequested && sendQ.unsent() == 0; // the FIN rides on the last data segment
        rtxq.add(e);
        sndNxt = e.end();
        if (e.fin) {
            finSent = true;
        }
        return e;
    }

    /** RFC 8985 section 7.3: send new data if possible, else retransmit the last segment. */
    private void sendTailLossProbe(Consumer<Segment> out) {
        if (rtxq.isEmpty() || inRecovery || inLoss) {
            return;
        }
        mib.inc(TcpMib.TLP_PROBES);
        tlpOutstanding = true;
        long before = sndNxt;
        if (canSendData() && sendQ.head() != null && sendEdge() - sndNxt >= effectiveMss()) {
            SendQueue.Chunk c = sendQ.head();
            sendEntry(newDataEntry(c, Math.min(effectiveMss(), c.limit - c.sent)), rtxq.size() - 1, out);
        }
        if (sndNxt == before) {
            RtxQueue.Entry last = rtxq.last();
            tlpHighSeq = sndNxt;
            tlpDsacked = false;
            sendEntry(last, rtxq.size() - 1, out);
        }
    }

    private void sendEntry(RtxQueue.Entry e, int index, Consumer<Segment> out) {
        boolean retrans = e.xmits > 0;
        if (retrans) {
            mib.inc(TcpMib.RETRANS_SEGS);
            retransmittedSegments++;
            rtxq.markRetransmitted(e);
        }
        e.xmits++;
        e.xmitTime = now;
        if (inRecovery) {
            prr.onSent(e.seqLen());
        }
        int flags;
        if (e.syn) {
            flags = state == TcpState.SYN_SENT ? TcpHeader.SYN : TcpHeader.SYN | TcpHeader.ACK;
        } else {
            flags = TcpHeader.ACK;
            if (e.len > 0 && e == rtxq.last() && sendQ.unsent() == 0) {
                // PSH on the segment that empties the send queue (RFC 9293 3.9.1.2).
                flags |= TcpHeader.PSH;
            }
        }
        if (e.fin) {
            flags |= TcpHeader.FIN;
        }
        List<TcpOption> opts = e.syn ? synOptions(flags) : dataOptions(flags, e.seq, e.len, e.tag);
        emit(buildSegment(flags, e.seq, opts, e.data == null ? EMPTY : e.data, e.off, e.len), out);
        if (rtoDeadline == NEVER) {
            rtoDeadline = now + rtt.rto();
        }
    }

    private static final byte[] EMPTY = new byte[0];

    private List<TcpOption> synOptions(int flags) {
        boolean synAck = (flags & TcpHeader.ACK) != 0;
        // In a SYN,ACK only what the peer offered (RFC 7323 2.2 and 3.2, RFC 2018 section 2).
        List<TcpOption> o = TcpOptions.syn(cfg.mss, synAck ? sackOk : cfg.sack, synAck ? tsOk : cfg.timestamps,
                tsClock(), synAck ? tsRecent : 0, synAck ? cfg.windowScaling && peerOfferedWs : cfg.windowScaling,
                rcvWscale);
        if (optionWriter != null) {
            TcpOptions.runHook(optionWriter, flags, 0, 0, null, TcpOptions.MAX - TcpOptions.padded(o, 0), o);
        }
        return o;
    }

    /**
     * Options of a non-SYN segment: timestamps, then the hook, then SACK blocks with what is left.
     * Options and payload together stay within the MSS (RFC 6691).
     */
    private List<TcpOption> dataOptions(int flags, long seq, int payload, Object tag) {
        List<TcpOption> o = new ArrayList<>(6);
        int budget = Math.min(TcpOptions.MAX, Math.max(0, sndMss - payload));
        int used = 0;
        if (tsOk) {
            o.add(new TcpOption.Nop());
            o.add(new TcpOption.Nop());
            o.add(new TcpOption.Timestamps(tsClock(), tsRecent));
            used = 12;
        }
        int hookAt = o.size();
        if (optionWriter != null) {
            int avail = Math.max(0, Math.max(budget, Math.min(TcpOptions.MAX, used + reservedOptionBytes)) - used);
            used += TcpOptions.runHook(optionWriter, flags, seq, payload, tag, avail, o);
        }
        if (sackOk && (rcv.hasOutOfOrder() || rcv.hasDsack())) {
            TcpOptions.addSack(o, hookAt, budget - used, rcv, irs, sackScratch);
        }
        return o;
    }

    private int tsClock() {
        return (int) (now / 1000) + tsOffset; // 1 ms timestamp clock (RFC 7323 5.4)
    }

    private Segment makeAck() {
        if (state == TcpState.SYN_RECEIVED) {
            // In SYN-RECEIVED our acknowledging segment is the SYN,ACK itself.
            RtxQueue.Entry e = rtxq.first();
            if (e != null && e.syn) {
                return buildSegment(TcpHeader.SYN | TcpHeader.ACK, 0, synOptions(TcpHeader.SYN | TcpHeader.ACK), EMPTY, 0, 0);
            }
        }
        return makeSegment(TcpHeader.ACK, sndNxt, null);
    }

    private Segment makeSegment(int flags, long seq, List<TcpOption> opts) {
        List<TcpOption> o = opts != null ? opts
                : (flags & TcpHeader.RST) != 0 ? List.of() : dataOptions(flags, seq, 0, null);
        return buildSegment(flags, seq, o, EMPTY, 0, 0);
    }

    private Segment buildSegment(int flags, long seq, List<TcpOption> opts, byte[] data, int off, int len) {
        int ackField = 0;
        int window;
        if ((flags & TcpHeader.ACK) != 0) {
            long nxt = rcvNxt();
            ackField = irs + (int) nxt;
            window = advertiseWindow((flags & TcpHeader.SYN) != 0);
            lastAckSent = nxt;
            ackNow = false;
            segsUnacked = 0;
            delackDeadline = NEVER;
        } else {
            window = (flags & TcpHeader.SYN) != 0 ? advertiseWindow(true) : 0;
        }
        TcpHeader h = new TcpHeader(tuple.localPort(), tuple.remotePort(), iss + (int) seq, ackField, flags,
                window, 0, 0, opts);
        return new Segment(h, data, off, len);
    }

    private long freeSpace() {
        long free = Math.max(0, cfg.receiveBuffer - rcv.readyBytes());
        if (windowProvider != null) {
            free = Math.max(0, windowProvider.receiveWindow(free));
        }
        return free;
    }

    /** The window field (RFC 9293 3.8.6.2.2 receiver SWS avoidance; RFC 7323 2.3 scaling). */
    private int advertiseWindow(boolean syn) {
        long nxt = rcvNxt();
        long free = freeSpace();
        if (syn) {
            int w = (int) Math.min(65535, free);
            if (irsValid) { // a SYN without ACK announces a window relative to nothing yet
                rcvAdvEdge = Math.max(rcvAdvEdge, nxt + w);
            }
            return w;
        }
        if (windowProvider != null) {
            // The connection level owns the window (RFC 8684 section 3.3.4): it is relative to the
            // DATA_ACK sent in this same segment and never shrinks at that level. Keeping this
            // subflow's own edge instead would let DATA_ACK + window run past the connection's edge.
            long field = Math.min(65535, free >> rcvWscale);
            rcvAdvEdge = Math.max(rcvAdvEdge, nxt + (field << rcvWscale)); // still accepted up to here
            return (int) field;
        }
        long edge = nxt + free;
        long curWnd = rcvAdvEdge - nxt;
        if (edge > rcvAdvEdge && edge - rcvAdvEdge < Math.min(cfg.receiveBuffer / 2, sndMss) && curWnd >= 0) {
            edge = rcvAdvEdge; // too small an increase: keep the old edge
        }
        edge = Math.max(edge, rcvAdvEdge); // never shrink (RFC 9293 3.8.6.2.2)
        long field = Math.min(65535, (edge - nxt) >> rcvWscale);
        long advEdge = nxt + (field << rcvWscale);
        rcvAdvEdge = Math.max(rcvAdvEdge, advEdge);
        return (int) field;
    }

    private void emit(Segment s, Consumer<Segment> out) {
        mib.inc(TcpMib.OUT_SEGS);
        out.accept(s);
    }

    /** The RST answering a segment that belongs to no connection (RFC 9293 3.10.7.1). */
    public static Segment resetFor(Segment seg) {
        TcpHeader h = seg.header();
        TcpHeader r;
        if (h.has(TcpHeader.ACK)) {
            r = new TcpHeader(h.dstPort(), h.srcPort(), h.ack(), 0, TcpHeader.RST, 0, 0, 0, List.of());
        } else {
            r = new TcpHeader(h.dstPort(), h.srcPort(), 0, h.seq() + seg.seqLength(),
                    TcpHeader.RST | TcpHeader.ACK, 0, 0, 0, List.of());
        }
        return Segment.of(r);
    }

    @Override
    public String toString() {
        return "TcpConnection[" + state + " una=" + sndUna + " nxt=" + sndNxt + " wnd=" + sndWnd + " cwnd=" + cwnd()
                + " ssthresh=" + cc.ssthresh() + " pipe=" + pipe() + " sacked=" + rtxq.sackedOut + " lost="
                + rtxq.lostOut + " retrans=" + rtxq.retransOut + (inRecovery ? " RECOVERY" : "")
                + (inLoss ? " LOSS" : "") + " rcvNxt=" + rcvNxt() + " rto=" + rtt.rto() + "]";
    }
}
