package io.jmptcp.core.tcp;

/**
 * What the engine did with one inbound segment (for {@link TcpHooks.InboundObserver}).
 *
 * @param verdict        accepted, or why not
 * @param relativeSeq    the segment's sequence number relative to the peer's ISN (SYN is 0)
 * @param payloadLength  payload bytes in the segment
 * @param deliveredBytes bytes that became readable in order because of this segment
 * @param ackedBytes     bytes of our data newly acknowledged by it
 * @param state          connection state after processing
 */
public record InboundResult(Verdict verdict, long relativeSeq, int payloadLength, long deliveredBytes,
                            long ackedBytes, TcpState state) {
    public enum Verdict {
        /** Passed the acceptability tests and was processed. */
        ACCEPTED,
        /** Dropped, see the MIB counter that was incremented. */
        DROPPED,
        /** A RST that closed the connection. */
        RESET
    }
}
