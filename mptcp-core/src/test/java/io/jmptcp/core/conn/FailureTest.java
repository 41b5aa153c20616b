package io.jmptcp.core.conn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.jmptcp.core.tcp.TcpError;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What each TCP engine error amounts to (the tcp script tests produce every one of them). */
class FailureTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            CONNECTION_REFUSED     | REFUSED | connection refused
            CONNECTION_RESET       | RESET   | connection reset by peer
            SYN_RETRIES_EXCEEDED   | TIMEOUT | connection timed out (no answer to the SYN)
            RETRANSMISSION_TIMEOUT | TIMEOUT | connection timed out (data unacknowledged)
            KEEPALIVE_TIMEOUT      | TIMEOUT | connection timed out (keepalive)
            ABORTED                | ABORTED | connection aborted
            """)
    void tcpErrorsMapToKindsWithTheUsualMessages(TcpError e, Failure.Kind kind, String detail) {
        Failure f = Failure.of(e);
        assertEquals(kind, f.kind());
        assertEquals(detail, f.detail());
        assertEquals(detail, f.toString());
    }

    @Test
    void bothPartsAreRequired() {
        assertThrows(NullPointerException.class, () -> new Failure(null, "x"));
        assertThrows(NullPointerException.class, () -> new Failure(Failure.Kind.RESET, null));
    }
}
