package io.jmptcp.core.tcp;

/**
 * RACK loss detection (RFC 8985 section 6): a segment is lost when a segment sent sufficiently
 * later has been delivered. "Sufficiently" is the reordering window, which starts at a quarter of
 * the minimum RTT and widens with D-SACKs, so multipath-style reordering is tolerated.
 */
final class Rack {
    private long xmitTime = -1;
    private long endSeq;
    private long rtt;
    private long fack;
    private boolean reorderingSeen;
    private int reoWndMult = 1;
    private int reoWndPersist;
    private long dsackRoundEnd;

    /** Section 6.2 steps 2 and 3 for one newly delivered (ACKed or SACKed) entry. */
    void onDelivered(RtxQueue.Entry e, long now, long minRtt) {
        long sample = now - e.xmitTime;
        if (e.xmits > 1 && sample < minRtt) {
            return; // delivered before the retransmission could have been: ambiguous, skip
        }
        if (e.xmits == 1 && e.end() < fack) {
            reorderingSeen = true;
        }
        fack = Math.max(fack, e.end());
        if (xmitTime < 0 || e.xmitTime > xmitTime || e.xmitTime == xmitTime && e.end() > endSeq) {
            xmitTime = e.xmitTime;
            endSeq = e.end();
            rtt = sample;
        }
    }

    /**
     * A D-SACK arrived (section 6.2 step 4): widen the window once per round trip, and keep it for
     * 16 recoveries. As Linux, a D-SACK also counts as evidence of reordering.
     */
    void onDsack(long sndUna, long sndNxt) {
        reorderingSeen = true;
        if (sndUna >= dsackRoundEnd) {
            reoWndMult = Math.min(reoWndMult + 1, 64);
            dsackRoundEnd = sndNxt;
        }
        reoWndPersist = 16;
    }

    /** A recovery episode ended: after 16 without D-SACK the window returns to its base. */
    void onRecoveryExit() {
        if (reoWndPersist > 0 && --reoWndPersist == 0) {
            reoWndMult = 1;
        }
    }

    /** Section 6.2 step 4: the reordering window. */
    long reoWnd(boolean recovering, int dupAcks, long minRtt, long srtt) {
        if (!reorderingSeen && (recovering || dupAcks >= 3)) {
            return 0;
        }
        long base = minRtt == Long.MAX_VALUE ? 0 : minRtt;
        long w = reoWndMult * base / 4;
        return srtt > 0 ? Math.min(w, srtt) : w;
    }

    /**
     * Section 6.2 step 5: marks lost every entry sent a reordering window before the most recently
     * sent delivered one. Returns the time the earliest undecided entry expires, or
     * {@link TcpConnection#NEVER}.
     */
    long detectLoss(RtxQueue q, long now, long reoWnd) {
        if (xmitTime < 0) {
            return TcpConnection.NEVER;
        }
        long timeout = 0;
        for (int i = 0; i < q.size(); i++) {
            RtxQueue.Entry e = q.get(i);
            if (e.sacked || e.lost && !e.retrans) {
                continue;
            }
            boolean before = e.xmitTime < xmitTime || e.xmitTime == xmitTime && e.end() < endSeq;
            if (!before) {
                if (e.xmits == 1) {
                    break; // later originals were all sent after this one
                }
                continue;
            }
            long remaining = e.xmitTime + rtt + reoWnd - now;
            if (remaining <= 0) {
                q.markLost(i, e);
            } else {
                timeout = Math.max(timeout, remaining);
            }
        }
        return timeout > 0 ? now + timeout : TcpConnection.NEVER;
    }
}
