package io.jmptcp.core.testutil;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The first test of the suite (its own surefire execution, before the rest): every program in
 * {@code scripts/packages.txt} is on the PATH, or the suite stops here with one line that names the
 * missing packages, instead of a netns test failing later with "ping: not found".
 */
class ExternalProgramsTest {

    @Test
    void everyProgramTheTestsCallIsInstalled() {
        Map<String, String> programs = ExternalPrograms.all();
        assertTrue(programs.containsKey("ping") && programs.containsKey("tshark"), "the list names the test tools");
        List<String> missing = new ArrayList<>();
        for (String prog : programs.keySet()) {
            if (!Host.has(prog)) {
                missing.add(ExternalPrograms.describe(prog));
            }
        }
        if (!missing.isEmpty() && "1".equals(System.getenv("JMPTCP_SKIP_NETNS"))) {
            System.err.println("\n!!!!!!!!!! MISSING " + String.join(", ", missing)
                    + ": the netns tests that call them are SKIPPED (JMPTCP_SKIP_NETNS=1) !!!!!!!!!!\n");
            org.junit.jupiter.api.Assumptions.abort("missing " + missing);
        }
        assertTrue(missing.isEmpty(), () -> "MISSING " + String.join(", ", missing)
                + ": run scripts/install-deps.sh as root (or scripts/test.sh, which calls it)");
    }

    @Test
    void aProgramThatIsNotThereIsReportedWithItsPackage() {
        assertFalse(Host.has("jmptcp-no-such-program"), "the PATH check can say no");
        assertTrue(ExternalPrograms.describe("ping").contains("iputils-ping"));
    }
}
