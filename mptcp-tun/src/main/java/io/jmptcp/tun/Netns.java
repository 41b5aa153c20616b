package io.jmptcp.tun;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs code inside a named network namespace (one made by {@code ip netns add NAME}, bound at
 * {@code /run/netns/NAME}). setns(2) with CLONE_NEWNET changes the namespace of the calling
 * thread only, so the code runs on a fresh thread that ends afterwards; sockets and TUN devices
 * it opens stay in that namespace for their whole life (the kernel records the namespace when
 * the file is opened), and may be used from any thread afterwards.
 */
public final class Netns {
    private Netns() {
    }

    public static <T> T call(String netns, Callable<T> body) throws IOException {
        FutureTask<T> task = new FutureTask<>(() -> {
            LibC libc = LibC.libc();
            String path = "/run/netns/" + netns;
            int fd = libc.open(path, LibC.O_CLOEXEC);
            if (fd < 0) {
                int errno = LibC.errno();
                throw new IOException("no network namespace '" + netns + "' (" + path + ") ["
                        + LibC.describe(errno) + "]");
            }
            try {
                if (libc.setns(fd, LibC.CLONE_NEWNET) < 0) {
                    int errno = LibC.errno();
                    throw new IOException("cannot enter network namespace '" + netns
                            + "': need root or CAP_SYS_ADMIN [" + LibC.describe(errno) + "]");
                }
            } finally {
                libc.close(fd);
            }
            return body.call();
        });
        Thread t = new Thread(task, "netns-" + netns);
        t.start();
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while working in namespace " + netns, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(c);
        }
    }
}
