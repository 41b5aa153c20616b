package io.jmptcp.cli.testbed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.jmptcp.core.testutil.Host;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The network namespaces of one netns test, and everything the test runs in them.
 *
 * <p>Either the topology of {@code scripts/testbed.sh} ({@link #options(String)}, then
 * {@link Options#up()}: namespaces {@code P-cli}, {@code P-rtr}, {@code P-srv}, see
 * docs/testbed.md), or bare namespaces a test wires up itself ({@link #namespaces}). A namespace is
 * named by its side ({@code "cli"}, {@code "srv"}, ...). The fixture owns a scratch directory
 * ({@link #dir()}) with a jmptcp launcher that runs this module's classes, as the jar would, and
 * the output files of every process it starts. {@link #close()} stops those processes (SIGTERM,
 * SIGKILL after {@value #GRACE_SECONDS} s), removes the namespaces and the directory; it does all
 * of that even when a step fails, and then reports the first failure.
 */
public final class Testbed implements AutoCloseable {
    /** How long a process may take to exit after SIGTERM before it gets SIGKILL. */
    public static final int GRACE_SECONDS = 10;
    /** The interval between two looks at a condition that has a deadline. */
    private static final long POLL_MILLIS = 20;

    private final String prefix;
    private final boolean script;
    private final List<String> namespaces;
    private final Path dir;
    private final String jmptcp;
    private final List<Proc> started = new CopyOnWriteArrayList<>();
    private final AtomicInteger seq = new AtomicInteger();
    private String upOutput = "";

    private Testbed(String prefix, boolean script, List<String> sides) throws IOException {
        this.prefix = prefix;
        this.script = script;
        this.namespaces = sides.stream().map(s -> prefix + "-" + s).toList();
        this.dir = Files.createTempDirectory(prefix + "-");
        this.jmptcp = writeLauncher(dir).toString();
    }

    // ---- building ---------------------------------------------------------------------------------

    /** {@code stem} and three random hex digits: a prefix no other run is using. */
    public static String randomPrefix(String stem) {
        return stem + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x100, 0xfff));
    }

    /** The options of a {@code scripts/testbed.sh up} with this prefix (see {@link #randomPrefix}). */
    public static Options options(String prefix) {
        return new Options(prefix);
    }

    /**
     * Bare namespaces {@code prefix-side} for each side, with only {@code lo} up (any left over by
     * an earlier run are removed first). The test adds links and addresses.
     */
    public static Testbed namespaces(String prefix, String... sides) throws IOException {
        Testbed t = new Testbed(prefix, false, List.of(sides));
        try {
            for (String ns : t.namespaces) {
                Host.run(30, List.of("ip", "netns", "del", ns));
                Host.run(30, List.of("ip", "netns", "add", ns)).check();
                Host.run(30, List.of("ip", "-n", ns, "link", "set", "lo", "up")).check();
            }
        } catch (RuntimeException | Error e) {
            t.closeAfter(e);
        }
        return t;
    }

    /** What {@code scripts/testbed.sh up} is given; {@link #up()} builds it. */
    public static final class Options {
        private final String prefix;
        private final List<String> args = new ArrayList<>();
        private final List<String> programs = new ArrayList<>(List.of("bash"));

        private Options(String prefix) {
            this.prefix = prefix;
        }

        public Options paths(int n) {
            return arg("--paths", Integer.toString(n));
        }

        /** tbf rate limit of path {@code k} (both directions). */
        public Options rate(int k, Number mbit) {
            return rate(Integer.toString(k), mbit);
        }

        /** tbf rate limit of every path. */
        public Options rateAll(Number mbit) {
            return rate("all", mbit);
        }

        private Options rate(String k, Number mbit) {
            programs.add("tc");
            return arg("--rate", k + "=" + mbit);
        }

        /** One-way delay on path {@code k}, each direction (the link emulator). */
        public Options delay(int k, Number ms) {
            return emulated("--delay", k, ms);
        }

        /** Random loss on path {@code k}, each direction (the link emulator). */
        public Options loss(int k, Number pct) {
            return emulated("--loss", k, pct);
        }

        private Options emulated(String option, int k, Number value) {
            programs.addAll(List.of("setsid", "nft"));
            return arg(option, k + "=" + value);
        }

        /** Random loss on path {@code k} by nftables in the router, each direction. */
        public Options nftLoss(int k, Number pct) {
            programs.add("nft");
            return arg("--nftloss", k + "=" + pct);
        }

        /** Masquerade path {@code k}'s client addresses behind the router. */
        public Options nat(int k) {
            programs.add("nft");
            return arg("--nat", Integer.toString(k));
        }

        /** Remove MPTCP options on path {@code k}: mode syn, synack, handshake or all. */
        public Options strip(int k, String mode) {
            programs.add("nft");
            return arg("--strip", k + "=" + mode);
        }

        /** The server does not announce its extra addresses. */
        public Options noSignal() {
            return arg("--no-signal");
        }

        /** Route 10.4.k.1 to the server namespace too, for a jmptcp stack there. */
        public Options serverStack() {
            return arg("--server-stack");
        }

        public Options seed(int seed) {
            return arg("--seed", Integer.toString(seed));
        }

        private Options arg(String... more) {
            args.addAll(List.of(more));
            return this;
        }

        /** Runs {@code scripts/testbed.sh up}; fails the test (leaving nothing behind) if it fails. */
        public Testbed up() throws IOException {
            Host.requireNetns(programs.stream().distinct().toArray(String[]::new));
            Testbed t = new Testbed(prefix, true, List.of("cli", "rtr", "srv"));
            try {
                List<String> up = new ArrayList<>(List.of("up", "--prefix", prefix));
                up.addAll(args);
                Host.Result r = t.testbedSh(up);
                assertEquals(0, r.exitCode(), r.output());
                t.upOutput = r.output();
            } catch (RuntimeException | Error e) {
                t.closeAfter(e);
            }
            return t;
        }
    }

    // ---- what the test sees -----------------------------------------------------------------------

    public String prefix() {
        return prefix;
    }

    /** The name of the namespace of {@code side} ("cli", "rtr", "srv", or a side of {@link #namespaces}). */
    public String ns(String side) {
        String ns = prefix + "-" + side;
        if (!namespaces.contains(ns)) {
            throw new IllegalArgumentException("no namespace for side '" + side + "' in " + namespaces);
        }
        return ns;
    }

    /** The scratch directory: process output, inputs, anything the test writes; removed on close. */
    public Path dir() {
        return dir;
    }

    /** A command that runs jmptcp (this module's classes). */
    public String jmptcp() {
        return jmptcp;
    }

    /** What {@code testbed.sh up} printed (its summary). */
    public String upOutput() {
        return upOutput;
    }

    // ---- the repository ---------------------------------------------------------------------------

    /** The repository root, found from the working directory (Maven runs tests in the module directory). */
    public static Path repo() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/testbed.sh"))) {
                return p;
            }
        }
        throw new AssertionError("scripts/testbed.sh not found above " + Path.of("").toAbsolutePath());
    }

    /** {@code scripts/NAME} in the repository. */
    public static Path script(String name) {
        Path s = repo().resolve("scripts").resolve(name);
        if (!Files.isRegularFile(s)) {
            throw new AssertionError(s + " not found");
        }
        return s;
    }

    /**
     * A launcher script in {@code dir} that runs io.jmptcp.cli.Main from the test class path, as the
     * jar would (surefire.test.class.path holds the real one; java.class.path may be a manifest-only
     * jar). testbed.sh gets it as JMPTCP_CMD for the link emulator.
     */
    private static Path writeLauncher(Path dir) throws IOException {
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path launcher = dir.resolve("jmptcp");
        Files.writeString(launcher, "#!/bin/sh\nexec '" + java + "' -cp '" + cp + "' io.jmptcp.cli.Main \"$@\"\n");
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        return launcher;
    }

    private Host.Result testbedSh(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("env", "JMPTCP_CMD=" + jmptcp, script("testbed.sh").toString()));
        cmd.addAll(args);
        return Host.run(300, cmd);
    }

    // ---- paths at run time ------------------------------------------------------------------------

    /** What {@code scripts/testbed.sh path K MODE} does to path K (docs/testbed.md). */
    public enum PathMode { up, blackhole, reset }

    /** Sets path {@code k} to {@code mode} in the router ({@code testbed.sh path}); fails the test if that fails. */
    public Host.Result path(int k, PathMode mode) {
        if (!script) {
            throw new IllegalStateException("bare namespaces: no testbed.sh");
        }
        Host.Result r = Host.run(60, List.of("env", "JMPTCP_CMD=" + jmptcp, script("testbed.sh").toString(),
                "path", "--prefix", prefix, Integer.toString(k), mode.name()));
        assertEquals(0, r.exitCode(), "testbed.sh path " + k + " " + mode + ": " + r.output());
        return r;
    }

    /** The sum of the "counter packets N" of every rule in nftables table {@code table} ("inet name") of {@code side}. */
    public long nftPackets(String side, String table) {
        List<String> cmd = new ArrayList<>(List.of("nft", "list", "table"));
        cmd.addAll(List.of(table.split(" ")));
        String rules = exec(30, side, cmd).check().output();
        Matcher m = Pattern.compile("counter packets (\\d+)").matcher(rules);
        long n = 0;
        while (m.find()) {
            n += Long.parseLong(m.group(1));
        }
        return n;
    }

    // ---- commands and processes -------------------------------------------------------------------

    /** Runs a command in the namespace of {@code side} and waits for it (at most 300 s). */
    public Host.Result exec(String side, String... command) {
        return exec(300, side, List.of(command));
    }

    public Host.Result exec(int timeoutSeconds, String side, List<String> command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(side)));
        cmd.addAll(command);
        return Host.run(timeoutSeconds, cmd);
    }

    /** Runs {@code bash -c script} in the namespace of {@code side} (at most 300 s). */
    public Host.Result sh(String side, String script) {
        return exec(side, "bash", "-c", script);
    }

    /** A process to start in the namespace of {@code side}. */
    public Launch launch(String side, String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns(side)));
        cmd.addAll(List.of(command));
        return new Launch(cmd);
    }

    /** {@code jmptcp ARGS} to start in the namespace of {@code side}. */
    public Launch jmptcp(String side, String... args) {
        List<String> cmd = new ArrayList<>(List.of(jmptcp));
        cmd.addAll(List.of(args));
        return launch(side, cmd.toArray(String[]::new));
    }

    /**
     * How a process is started: stdin from /dev/null unless {@link #stdin}; stdout to a file in
     * {@link #dir()} unless {@link #stdout}; stderr into the same file unless {@link #stderr}.
     */
    public final class Launch {
        private final List<String> command;
        private Path stdin;
        private Path stdout;
        private Path stderr;

        private Launch(List<String> command) {
            this.command = command;
        }

        public Launch stdin(Path in) {
            stdin = in;
            return this;
        }

        public Launch stdout(Path out) {
            stdout = out;
            return this;
        }

        public Launch stderr(Path err) {
            stderr = err;
            return this;
        }

        public Proc start() throws IOException {
            String name = Path.of(command.get(4)).getFileName() + "-" + seq.incrementAndGet();
            Path out = stdout != null ? stdout : dir.resolve(name + ".out");
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile())
                    .redirectInput(stdin != null ? stdin.toFile() : new File("/dev/null"));
            if (stderr != null) {
                pb.redirectError(stderr.toFile());
            } else {
                pb.redirectErrorStream(true);
            }
            Proc p = new Proc(String.join(" ", command.subList(4, command.size())), pb.start(), out,
                    stderr != null ? stderr : out);
            started.add(p);
            return p;
        }
    }

    /** A process the fixture started: its output files, and waiting for it. */
    public static final class Proc {
        private final String what;
        private final Process process;
        private final Path out;
        private final Path err;

        private Proc(String what, Process process, Path out, Path err) {
            this.what = what;
            this.process = process;
            this.out = out;
            this.err = err;
        }

        public Process process() {
            return process;
        }

        public long pid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        public Path outFile() {
            return out;
        }

        /** What it wrote to stdout so far (and stderr, unless that went to its own file). */
        public String out() {
            return read(out);
        }

        /** What it wrote to stderr so far (the same as {@link #out()} when they share the file). */
        public String err() {
            return read(err);
        }

        /** SIGTERM (ip netns exec and the jmptcp launcher exec their command, so it reaches it). */
        public void terminate() {
            process.destroy();
        }

        /** Its exit code; fails the test if it does not exit within {@code seconds} (and kills it). */
        public int exitCode(int seconds) throws InterruptedException {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                stop();
                throw new AssertionError(what + " did not finish within " + seconds + " s:\n" + err());
            }
            return process.exitValue();
        }

        /** Waits until {@code c} holds; fails if the process exits first or {@code seconds} pass. */
        public void await(String condition, int seconds, Condition c) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!holds(c)) {
                if (!process.isAlive() && !holds(c)) {
                    throw new AssertionError(what + " exited (" + process.exitValue() + ") before " + condition
                            + ":\n" + err());
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out after " + seconds + " s waiting for " + condition
                            + " (" + what + "):\n" + err());
                }
                Thread.sleep(POLL_MILLIS);
            }
        }

        /** Waits until its stderr contains {@code text} (see {@link #await}). */
        public void awaitErr(String text, int seconds) throws InterruptedException {
            await("\"" + text + "\" in its output", seconds, () -> err().contains(text));
        }

        /** SIGTERM, and SIGKILL (with its descendants) if it has not exited after {@value #GRACE_SECONDS} s. */
        public void stop() throws InterruptedException {
            if (!process.isAlive()) {
                return;
            }
            List<ProcessHandle> children = process.descendants().toList();
            process.destroy();
            if (!process.waitFor(GRACE_SECONDS, TimeUnit.SECONDS)) {
                System.err.println("testbed: " + what + " did not exit within " + GRACE_SECONDS
                        + " s of SIGTERM: SIGKILL");
                process.destroyForcibly();
                process.waitFor(GRACE_SECONDS, TimeUnit.SECONDS);
            }
            children.forEach(ProcessHandle::destroyForcibly);
        }
    }

    /** A condition to wait for; reading files may throw. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    // ---- waiting ----------------------------------------------------------------------------------

    /** Whether {@code c} holds within {@code seconds} (looking every 20 ms). */
    public static boolean within(int seconds, Condition c) throws InterruptedException {
        return within(seconds, Duration.ofMillis(POLL_MILLIS), c);
    }

    /**
     * Whether {@code c} holds within {@code seconds}, looking every {@code poll}; a zero poll spins,
     * for a test that must act at a point of a fast transfer (a 20 ms look misses 500 KB at 200 Mbit/s).
     */
    public static boolean within(int seconds, Duration poll, Condition c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!holds(c)) {
            if (System.nanoTime() > deadline) {
                return holds(c);
            }
            if (poll.isZero()) {
                Thread.onSpinWait();
            } else {
                Thread.sleep(poll.toMillis());
            }
        }
        return true;
    }

    /** Waits until {@code c} holds; fails the test after {@code seconds}. */
    public static void await(String what, int seconds, Condition c) throws InterruptedException {
        if (!within(seconds, c)) {
            throw new AssertionError("timed out after " + seconds + " s waiting for " + what);
        }
    }

    private static boolean holds(Condition c) {
        try {
            return c.holds();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Exception e) {
            throw new AssertionError("checking a condition failed: " + e, e);
        }
    }

    // ---- kernel counters and files ----------------------------------------------------------------

    /** Every counter {@code nstat -az} shows in the namespace of {@code side}, by its full name (absolute values). */
    public Map<String, Long> counters(String side) {
        Map<String, Long> m = new LinkedHashMap<>();
        String out = exec(30, side, List.of("nstat", "-az")).check().output();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 2 && f[1].matches("\\d+")) {
                m.put(f[0], Long.parseLong(f[1]));
            }
        }
        return m;
    }

    /** The kernel's MPTcpExt counters in the namespace of {@code side}, without the "MPTcpExt" prefix. */
    public Map<String, Long> mptcpCounters(String side) {
        Map<String, Long> m = new LinkedHashMap<>();
        counters(side).forEach((name, value) -> {
            if (name.startsWith("MPTcpExt")) {
                m.put(name.substring("MPTcpExt".length()), value);
            }
        });
        return m;
    }

    /** How much counter {@code name} grew from {@code before} to {@code after} (absent counts as 0). */
    public static long delta(Map<String, Long> before, Map<String, Long> after, String name) {
        return after.getOrDefault(name, 0L) - before.getOrDefault(name, 0L);
    }

    /** The SHA-256 of a file, in hex. */
    public static String sha256(Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A file's text, or what went wrong reading it (for failure messages). */
    public static String read(Path f) {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }

    // ---- tearing down -----------------------------------------------------------------------------

    /** {@code scripts/testbed.sh down} (idempotent; {@link #close()} runs it as well). */
    public Host.Result down() {
        if (!script) {
            throw new IllegalStateException("bare namespaces: no testbed.sh");
        }
        return testbedSh(List.of("down", "--prefix", prefix));
    }

    /** Stops the processes, removes the namespaces and the directory; fails if removing failed. */
    @Override
    public void close() {
        List<Throwable> failures = new ArrayList<>();
        for (Proc p : started) {
            try {
                p.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.add(e);
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        try {
            if (script) {
                Host.Result r = down();
                if (r.exitCode() != 0) {
                    failures.add(new AssertionError("testbed.sh down --prefix " + prefix + ": " + r.output()));
                }
            } else {
                for (String ns : namespaces) {
                    Host.Result r = Host.run(30, List.of("ip", "netns", "del", ns));
                    if (r.exitCode() != 0 && !r.output().contains("No such file")) {
                        failures.add(new AssertionError("ip netns del " + ns + ": " + r.output()));
                    }
                }
            }
        } catch (RuntimeException e) {
            failures.add(e);
        }
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
        } catch (IOException e) {
            failures.add(new UncheckedIOException(e));
        }
        if (!failures.isEmpty()) {
            AssertionError e = new AssertionError("tearing down " + prefix + " failed", failures.get(0));
            failures.subList(1, failures.size()).forEach(e::addSuppressed);
            throw e;
        }
    }

    /** Tears down after a failed start and rethrows the failure (with any teardown failure attached). */
    private void closeAfter(Throwable failure) {
        try {
            close();
        } catch (Throwable t) {
            failure.addSuppressed(t);
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        throw (Error) failure;
    }
}
