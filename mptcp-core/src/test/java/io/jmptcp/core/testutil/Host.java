package io.jmptcp.core.testutil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Running host commands from tests, and the gate for tests that need root and network namespaces.
 *
 * <p>Tests tagged {@code netns} call {@link #requireNetns()} first. On a machine that cannot run
 * them (not root, no {@code ip}, no {@code /dev/net/tun}) they FAIL, because a green suite that
 * skipped the interop tests would be a lie. Setting {@code JMPTCP_SKIP_NETNS=1} turns that into an
 * abort (JUnit "skipped") with a loud banner on stderr, for developers without root.
 */
public final class Host {
    private Host() {
    }

    /** The outcome of a command: exit code and the combined stdout and stderr. */
    public record Result(int exitCode, String output) {
        public Result check() {
            if (exitCode != 0) {
                throw new IllegalStateException("command failed (exit " + exitCode + "): " + output);
            }
            return this;
        }
    }

    /** Runs a command and waits for it (at most {@code timeoutSeconds}). */
    public static Result run(int timeoutSeconds, List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out after " + timeoutSeconds + "s: " + command);
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + command, e);
        }
    }

    public static Result run(String... command) {
        return run(120, List.of(command));
    }

    /** Runs {@code sh -c script} and fails the test if it exits non-zero. */
    public static String sh(String script) {
        return run(300, List.of("sh", "-c", script)).check().output();
    }

    /** Whether a program is on the PATH. */
    public static boolean has(String program) {
        return run(10, List.of("sh", "-c", "command -v " + program)).exitCode() == 0;
    }

    /**
     * Fails (or, with JMPTCP_SKIP_NETNS=1, aborts loudly) unless this process can create network
     * namespaces and TUN devices and has the named programs.
     */
    public static void requireNetns(String... programs) {
        List<String> missing = new ArrayList<>();
        if (!isRoot()) {
            missing.add("root (uid 0)");
        }
        if (!Files.exists(Path.of("/dev/net/tun"))) {
            missing.add("/dev/net/tun");
        }
        for (String prog : concat("ip", programs)) {
            if (!has(prog)) {
                missing.add(ExternalPrograms.describe(prog));
            }
        }
        if (missing.isEmpty()) {
            return;
        }
        String msg = "NETNS TEST CANNOT RUN: missing " + String.join(", ", missing)
                + ". Run the suite as root via scripts/test.sh (it installs the packages of scripts/packages.txt).";
        if ("1".equals(System.getenv("JMPTCP_SKIP_NETNS"))) {
            System.err.println("\n!!!!!!!!!! " + msg + " SKIPPED because JMPTCP_SKIP_NETNS=1 !!!!!!!!!!\n");
            Assumptions.abort(msg);
        }
        throw new AssertionError(msg);
    }

    private static List<String> concat(String first, String[] rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(List.of(rest));
        return all;
    }

    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
