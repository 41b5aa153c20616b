package io.jmptcp.tun;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The error messages for the failures that cannot be provoked as root in a test. */
class TunExceptionTest {
    @Test
    void permissionAndMissingDeviceSayWhatToDo() {
        assertTrue(TunException.forOpen(LibC.EACCES).getMessage().contains("need root or CAP_NET_ADMIN"));
        assertTrue(TunException.forOpen(LibC.EPERM).getMessage().contains("need root or CAP_NET_ADMIN"));
        assertTrue(TunException.forOpen(LibC.ENOENT).getMessage().contains("no /dev/net/tun"));
        assertTrue(TunException.forSetIff("x0", LibC.EPERM).getMessage().contains("need root or CAP_NET_ADMIN"));
        String busy = TunException.forSetIff("x0", LibC.EBUSY).getMessage();
        assertTrue(busy.contains("'x0' is busy") && busy.contains("errno 16"), busy);
    }

    @Test
    void invalidNamesAreRefusedBeforeAnySystemCall() {
        for (String bad : new String[] {"", "sixteen-chars-xx", "a/b", "a b"}) {
            TunException e = org.junit.jupiter.api.Assertions.assertThrows(TunException.class,
                    () -> TunDevice.open(bad));
            assertTrue(e.getMessage().contains("invalid device name"), e.getMessage());
        }
    }
}
