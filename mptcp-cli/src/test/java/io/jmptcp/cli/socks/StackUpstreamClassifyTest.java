package io.jmptcp.cli.socks;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jmptcp.core.conn.Failure;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The SOCKS5 reply (RFC 1928 section 6) for every kind of stack failure. */
class StackUpstreamClassifyTest {
    /** The table; a Kind missing here fails its test case. */
    private static final Map<Failure.Kind, Integer> REPLY = new EnumMap<>(Map.of(
            Failure.Kind.REFUSED, 0x05,        // connection refused
            Failure.Kind.TIMEOUT, 0x06,        // TTL expired, the customary code for a timeout
            Failure.Kind.RESET, 0x01,          // general failure from here on
            Failure.Kind.FASTCLOSE, 0x01,
            Failure.Kind.ABORTED, 0x01,
            Failure.Kind.PROTOCOL_ERROR, 0x01,
            Failure.Kind.STACK_STOPPED, 0x01));

    @ParameterizedTest
    @EnumSource(Failure.Kind.class)
    void everyKindMapsToItsReply(Failure.Kind kind) {
        UpstreamException e = StackUpstream.classify(new Failure(kind, "detail of " + kind));
        assertEquals(REPLY.get(kind), e.reason().status().byteValue() & 0xff, kind.toString());
        assertEquals("detail of " + kind, e.getMessage(), "the detail is the reply's log text");
    }
}
