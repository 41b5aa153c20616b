package io.jmptcp.core.tcp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine is sans-I/O: no class of mptcp-core may read a clock or start a thread. Scans the
 * constant pools of the compiled classes for references to clocks and threads.
 */
class NoClockTest {
    /** Method references that read the time. */
    static final List<String> FORBIDDEN_METHODS = List.of(
            "java/lang/System.currentTimeMillis", "java/lang/System.nanoTime",
            "java/time/Instant.now", "java/time/LocalDateTime.now", "java/time/LocalDate.now",
            "java/time/LocalTime.now", "java/time/ZonedDateTime.now", "java/time/OffsetDateTime.now");
    /** Classes whose mere use means a clock, a timer or a thread. */
    static final List<String> FORBIDDEN_CLASSES = List.of(
            "java/time/Clock", "java/lang/Thread", "java/util/Timer", "java/util/concurrent/Executors",
            "java/util/concurrent/ScheduledExecutorService", "java/util/concurrent/ThreadPoolExecutor");
    /**
     * io/jmptcp/core/runtime/ will hold the event loop, which legitimately owns the clock and the
     * thread that drives the engine; it is the only exclusion.
     */
    static final String EXCLUDED = "io/jmptcp/core/runtime/";

    @Test
    void coreCodeReadsNoClockAndStartsNoThread() throws IOException {
        Path root = Path.of("target/classes");
        assertTrue(Files.isDirectory(root.resolve("io/jmptcp/core/tcp")), "compiled core classes not found at " + root.toAbsolutePath());
        List<String> offenders = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (rel.startsWith(EXCLUDED)) {
                    continue;
                }
                scanned++;
                for (String ref : forbiddenReferences(p)) {
                    offenders.add(rel + " -> " + ref);
                }
            }
        }
        assertTrue(scanned > 20, "scanned only " + scanned + " classes");
        assertTrue(offenders.isEmpty(), "core classes read a clock or use threads:\n" + String.join("\n", offenders));
    }

    @Test
    void scannerFindsAnOffender() throws IOException {
        Path p = Path.of("target/test-classes/io/jmptcp/core/tcp/NoClockTest$Offender.class");
        List<String> refs = forbiddenReferences(p);
        assertTrue(refs.contains("java/lang/System.nanoTime"), refs.toString());
        assertTrue(refs.contains("java/lang/Thread"), refs.toString());
        assertFalse(forbiddenReferences(Path.of("target/classes/io/jmptcp/core/tcp/RttEstimator.class")).contains("x"));
    }

    /** A class that does what the engine must not (only the scanner reads it). */
    static final class Offender {
        long time() {
            return System.nanoTime();
        }

        void spawn() {
            new Thread(() -> { }).start();
        }
    }

    /** Parses a class file's constant pool (JVMS 4.4) and lists forbidden classes and methods. */
    static List<String> forbiddenReferences(Path classFile) throws IOException {
        try (InputStream in = Files.newInputStream(classFile); DataInputStream d = new DataInputStream(in)) {
            if (d.readInt() != 0xCAFEBABE) {
                throw new IOException("not a class file: " + classFile);
            }
            d.readUnsignedShort();
            d.readUnsignedShort();
            int n = d.readUnsignedShort();
            String[] utf = new String[n];
            int[] tag = new int[n];
            int[] a = new int[n];
            int[] b = new int[n];
            for (int i = 1; i < n; i++) {
                int t = d.readUnsignedByte();
                tag[i] = t;
                switch (t) {
                    case 1 -> utf[i] = d.readUTF();
                    case 3, 4 -> d.readInt();
                    case 5, 6 -> {
                        d.readLong();
                        i++;
                    }
                    case 7, 8, 16, 19, 20 -> a[i] = d.readUnsignedShort();
                    case 9, 10, 11, 12, 17, 18 -> {
                        a[i] = d.readUnsignedShort();
                        b[i] = d.readUnsignedShort();
                    }
                    case 15 -> {
                        d.readUnsignedByte();
                        a[i] = d.readUnsignedShort();
                    }
                    default -> throw new IOException("bad constant pool tag " + t + " in " + classFile);
                }
            }
            List<String> found = new ArrayList<>();
            for (int i = 1; i < n; i++) {
                if (tag[i] == 7) {
                    String cls = utf[a[i]];
                    if (FORBIDDEN_CLASSES.contains(cls) && !found.contains(cls)) {
                        found.add(cls);
                    }
                } else if (tag[i] == 10 || tag[i] == 11) {
                    String cls = utf[a[a[i]]];
                    String name = utf[a[b[i]]];
                    String ref = cls + "." + name;
                    if (FORBIDDEN_METHODS.contains(ref) && !found.contains(ref)) {
                        found.add(ref);
                    }
                }
            }
            return found;
        }
    }
}
