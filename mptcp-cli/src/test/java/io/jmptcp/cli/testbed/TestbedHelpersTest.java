package io.jmptcp.cli.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fixture's helpers that need no namespace: they must be able to fail. */
class TestbedHelpersTest {
    @TempDir
    Path tmp;

    @Test
    void awaitFailsWhenTheConditionNeverHolds() {
        AssertionError e = assertThrows(AssertionError.class, () -> Testbed.await("never", 1, () -> false));
        assertTrue(e.getMessage().contains("never"), e.getMessage());
    }

    @Test
    void withinReturnsOnceTheConditionHolds() throws Exception {
        AtomicInteger looks = new AtomicInteger();
        assertTrue(Testbed.within(5, () -> looks.incrementAndGet() >= 3));
        assertEquals(3, looks.get());
        assertFalse(Testbed.within(0, () -> false));
    }

    @Test
    void aConditionThatThrowsFailsTheWait() {
        assertThrows(AssertionError.class, () -> Testbed.await("a missing file", 5,
                () -> Files.size(tmp.resolve("missing")) > 0));
    }

    @Test
    void sha256OfAKnownInput() throws Exception {
        Path f = Files.writeString(tmp.resolve("abc"), "abc", StandardCharsets.US_ASCII);
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Testbed.sha256(f));
    }

    @Test
    void deltaCountsAnAbsentCounterAsZero() {
        assertEquals(3, Testbed.delta(Map.of(), Map.of("MPJoinSynRx", 3L), "MPJoinSynRx"));
        assertEquals(0, Testbed.delta(Map.of("X", 1L), Map.of("X", 1L), "X"));
    }

    @Test
    void scriptsAreFoundFromTheModuleDirectory() {
        assertTrue(Files.isRegularFile(Testbed.script("testbed.sh")));
        assertThrows(AssertionError.class, () -> Testbed.script("no-such-script.sh"));
    }
}
