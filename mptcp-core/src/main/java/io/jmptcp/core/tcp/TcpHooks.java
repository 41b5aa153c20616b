package io.jmptcp.core.tcp;

import io.jmptcp.core.wire.TcpOption;
import java.util.List;

/** The small interfaces through which the MPTCP layer rides on a TCP subflow. */
public final class TcpHooks {
    private TcpHooks() {
    }

    /**
     * Adds options to a segment the engine is about to emit. {@code budget} is what is left of the
     * 40-byte option area (RFC 9293 3.1) after the engine's own options, already 4-aligned; the hook
     * must keep the padded length of what it adds within it. SACK blocks get what the hook leaves.
     */
    @FunctionalInterface
    public interface OptionWriter {
        /**
         * @param flags         TCP flags of the segment
         * @param relativeSeq   sequence number relative to the ISN (the SYN is 0, first data byte 1)
         * @param payloadLength payload bytes
         * @param tag           the tag of the chunk the payload comes from ({@code null} if none)
         * @param budget        option bytes available
         * @param out           list to append to
         */
        void addOptions(int flags, long relativeSeq, int payloadLength, Object tag, int budget,
                        List<TcpOption> out);
    }

    /** Sees every inbound segment together with what TCP made of it. */
    @FunctionalInterface
    public interface InboundObserver {
        void onSegment(Segment segment, InboundResult result);
    }

    /**
     * Overrides the receive window the subflow advertises (MPTCP advertises one window for the
     * whole connection, RFC 8684 section 3.3.5). Returns the window in bytes from RCV.NXT.
     */
    @FunctionalInterface
    public interface ReceiveWindowProvider {
        long receiveWindow(long ownFreeSpace);
    }
}
