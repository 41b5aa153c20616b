package io.jmptcp.core.testutil;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The external programs the tests call and their Debian packages, read from
 * {@code scripts/packages.txt}: the same list that {@code scripts/install-deps.sh} installs from,
 * so the check and the install cannot drift apart.
 */
public final class ExternalPrograms {
    private ExternalPrograms() {
    }

    /** The list file, found from the working directory (a module directory or the repository root). */
    public static Path listFile() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("scripts/packages.txt");
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException("scripts/packages.txt not found above " + Path.of("").toAbsolutePath());
    }

    /** Program name to Debian package, in the file's order. */
    public static Map<String, String> all() {
        Map<String, String> m = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(listFile())) {
                String t = line.strip();
                if (t.isEmpty() || t.startsWith("#")) {
                    continue;
                }
                String[] f = t.split("\\s+");
                if (f.length < 2) {
                    throw new IllegalStateException("scripts/packages.txt: bad line: " + line);
                }
                m.put(f[0], f[1]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return m;
    }

    /** "program 'ping' (Debian package iputils-ping)", or without the package if the list lacks it. */
    public static String describe(String program) {
        String pkg = all().get(program);
        return "program '" + program + "'" + (pkg == null ? " (not in scripts/packages.txt)" : " (Debian package " + pkg + ")");
    }
}
