package io.jmptcp.core.tcp;

import io.jmptcp.core.runtime.Stack;

/**
 * Does everything the architecture forbids of a class in {@code tcp}: it uses the runtime (a layer
 * above, and a cycle), reads the clock and starts a thread. Only ArchitectureTest imports it, to
 * show that its rules fail on such a class; the main build never sees it.
 */
final class ArchOffender {
    private ArchOffender() {
    }

    static long time() {
        return System.nanoTime();
    }

    static void spawn() {
        new Thread(() -> { }).start();
    }

    static Class<?> upward() {
        return Stack.class;
    }
}
