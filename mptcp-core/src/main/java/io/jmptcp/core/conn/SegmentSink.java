package io.jmptcp.core.conn;

import io.jmptcp.core.tcp.FourTuple;
import io.jmptcp.core.tcp.Segment;

/** Where connections put the segments they send; the runtime encodes them and writes the packets. */
@FunctionalInterface
public interface SegmentSink {
    void emit(FourTuple tuple, Segment segment);
}
