package io.jmptcp.tun;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class NetnsTest {
    @Test
    void aMissingNamespaceIsNamed() {
        IOException e = assertThrows(IOException.class, () -> Netns.call("jtun-no-such-namespace", () -> 1));
        assertTrue(e.getMessage().contains("no network namespace 'jtun-no-such-namespace'"), e.getMessage());
    }
}
