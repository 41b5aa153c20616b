package io.jmptcp.cli.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jmptcp.cli.stack.ConnectionFactories;
import io.jmptcp.cli.stack.StackOptions;
import io.jmptcp.cli.stack.StackRuntime;
import io.jmptcp.core.conn.ConnectionFactory;
import io.jmptcp.core.conn.Failure;
import io.jmptcp.core.runtime.AsyncConnection;
import io.jmptcp.core.runtime.Stack;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The connection setup rate through the socket API (issue 12; {@code scripts/bench.sh rate}): new
 * connections, {@code --inflight} at a time, each one connect, a {@code --request}-byte request,
 * the server's answer read to its end of stream (the server closes first, so no TIME_WAIT is left
 * on this side to run out of ports), then close. Everything runs in the readiness callbacks on the
 * stack's loop thread (the non-blocking API, as the daemon uses it); a completed connection starts
 * the next one at once. It prints one JSON line: the rate over the window from the
 * {@code --warmup}-th to the ({@code --warmup} + {@code --conns})-th completion, failures by kind.
 *
 * <p>A benchmark driver, not part of the command-line contract (DESIGN.md section 4), so it is not
 * a {@code jmptcp} subcommand: {@code java -cp jmptcp.jar io.jmptcp.cli.bench.RateBench [STACK]
 * HOST PORT}. It takes the STACK options of {@code jmptcp nc} (the same mixin).
 */
@Command(name = "RateBench", mixinStandardHelpOptions = true,
        description = "connections per second through the jmptcp API: connect, request, read to EOF, close")
public final class RateBench implements Callable<Integer> {
    @Mixin
    StackOptions stackOptions;

    @Option(names = "--conns", defaultValue = "10000", description = "connections in the measured window")
    int conns;

    @Option(names = "--warmup", defaultValue = "3000", description = "completed connections before the window")
    int warmup;

    @Option(names = "--inflight", defaultValue = "64", description = "connections open at a time")
    int inflight;

    @Option(names = "--request", defaultValue = "64", description = "request bytes (the server answers and closes)")
    int requestBytes;

    @Option(names = "--timeout", defaultValue = "120", description = "give up after S seconds")
    int timeoutSeconds;

    @Parameters(index = "0", paramLabel = "HOST")
    String host;

    @Parameters(index = "1", paramLabel = "PORT")
    int port;

    public static void main(String[] args) {
        System.exit(new CommandLine(new RateBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        ConnectionFactory factory = ConnectionFactories.forOptions(stackOptions);
        InetSocketAddress remote = new InetSocketAddress(InetAddress.getByName(host), port);
        try (StackRuntime rt = StackRuntime.open(stackOptions, factory)) {
            // inflight more than counted: the window ends before the last connections drain
            Run run = new Run(rt.stack(), remote, warmup + conns + inflight, inflight, requestBytes);
            run.start();
            boolean finished = run.done.await(timeoutSeconds, TimeUnit.SECONDS);
            Map<String, Object> out = run.report(warmup, conns);
            out.put("finished", finished);
            System.out.println(new ObjectMapper().writeValueAsString(out));
            return finished ? 0 : 1;
        }
    }

    /** The workload; its state is touched only on the loop thread (or under the stack's lock). */
    static final class Run {
        private final Stack stack;
        private final InetSocketAddress remote;
        private final int total;
        private final int inflight;
        private final byte[] request;
        /** Completion times (System.nanoTime), in order. */
        final long[] completedAt;
        int completed;
        int started;
        int open;
        final Map<String, Integer> failures = new TreeMap<>();
        final CountDownLatch done = new CountDownLatch(1);

        Run(Stack stack, InetSocketAddress remote, int total, int inflight, int requestBytes) {
            this.stack = stack;
            this.remote = remote;
            this.total = total;
            this.inflight = inflight;
            this.request = new byte[requestBytes];
            Arrays.fill(request, (byte) 'q');
            this.completedAt = new long[total];
        }

        /**
         * Opens the first {@code inflight} connections from the calling thread. Lock order: the
         * stack's lock, then this object's monitor (the callbacks run with the stack's lock held),
         * so this thread never holds the monitor while opening.
         */
        void start() {
            for (int i = 0; i < inflight; i++) {
                synchronized (this) {
                    if (started >= total) {
                        return;
                    }
                    started++;
                    open++;
                }
                One c = new One();
                try {
                    c.conn = AsyncConnection.connect(stack, remote, c);
                } catch (IOException e) {
                    synchronized (this) {
                        open--;
                        fail("connect: " + e.getMessage());
                    }
                }
            }
        }

        /** Loop thread, monitor held: opens the next connection, or ends the run once all are done. */
        private void next() {
            while (started - failuresTotal() < total && failuresTotal() < total) {
                started++;
                open++;
                One c = new One();
                try {
                    c.conn = AsyncConnection.connect(stack, remote, c);
                    return;
                } catch (IOException e) {
                    open--;
                    fail("connect: " + e.getMessage());
                }
            }
            if (open == 0) {
                done.countDown();
            }
        }

        private int failuresTotal() {
            int n = 0;
            for (int v : failures.values()) {
                n += v;
            }
            return n;
        }

        private void fail(String kind) {
            failures.merge(kind, 1, Integer::sum);
        }

        /** One connection's steps, run by its readiness callback. */
        private final class One implements Runnable {
            /** Set by the opening thread; the callback may run before that and then waits for the next one. */
            volatile AsyncConnection conn;
            int sent;
            int received;
            boolean finished;
            private final byte[] buf = new byte[2048];

            @Override
            public void run() {
                synchronized (Run.this) {
                    if (finished || conn == null) {
                        return;
                    }
                    try {
                        step();
                    } catch (IOException e) {
                        Failure f = conn.failure();
                        end(f != null ? f.kind().toString() : e.getClass().getSimpleName());
                    }
                }
            }

            private void step() throws IOException {
                Failure f = conn.failure();
                if (f != null) {
                    end(f.kind().toString());
                    return;
                }
                if (conn.state() == io.jmptcp.core.conn.Connection.State.CONNECTING) {
                    return;
                }
                while (sent < request.length) {
                    int n = conn.write(request, sent, request.length - sent);
                    if (n == 0) {
                        return;
                    }
                    sent += n;
                }
                int n;
                while ((n = conn.read(buf, 0, buf.length)) > 0) {
                    received += n;
                }
                if (n < 0) { // the server answered and closed
                    if (received == 0) {
                        end("no answer");
                    } else {
                        end(null);
                    }
                }
            }

            private void end(String failure) {
                finished = true;
                open--;
                conn.setReadiness(null);
                if (failure == null) {
                    conn.close();
                    if (completed < completedAt.length) {
                        completedAt[completed] = System.nanoTime();
                    }
                    completed++;
                } else {
                    conn.abort();
                    fail(failure);
                }
                next();
            }
        }

        synchronized Map<String, Object> report(int warmup, int conns) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("completed", completed);
            out.put("failed", failuresTotal());
            out.put("failures", failures);
            out.put("inflight", inflight);
            int last = warmup + conns - 1;
            if (completed > last && conns > 0) {
                double seconds = (completedAt[last] - completedAt[warmup]) / 1e9;
                out.put("window_conns", conns - 1);
                out.put("window_seconds", seconds);
                out.put("rate", seconds > 0 ? (conns - 1) / seconds : 0);
            } else {
                out.put("rate", 0);
            }
            return out;
        }
    }
}
