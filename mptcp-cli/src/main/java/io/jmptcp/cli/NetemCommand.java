package io.jmptcp.cli;

import io.jmptcp.tun.TunConfig;
import io.jmptcp.tun.TunException;
import io.jmptcp.tun.TunPacketIo;
import io.jmptcp.tun.netem.LinkEmulator;
import io.jmptcp.tun.netem.NetemRelay;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code jmptcp netem}: a TUN relay that stands in for sch_netem (absent from these kernels).
 * It opens (or creates) the TUN device, brings it up, and writes every packet it reads back into
 * the same device after the emulated delay. Runs until SIGTERM or SIGINT, then closes the device
 * (a device it created disappears, with its routes).
 */
@Command(name = "netem", mixinStandardHelpOptions = true,
        description = {"Link emulator: a TUN relay that delays, drops, duplicates, reorders and rate-limits "
                + "the packets the kernel routes into --dev, and writes them back into it.",
                "Route a path's traffic into the device with a policy rule (see docs/testbed.md)."})
public final class NetemCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--dev", required = true, paramLabel = "NAME", description = "TUN device, created if absent")
    String dev;

    @Option(names = "--delay", paramLabel = "MS", defaultValue = "0", description = "one-way delay in ms (default 0)")
    double delayMs;

    @Option(names = "--jitter", paramLabel = "MS", defaultValue = "0",
            description = "uniform jitter +-MS around the delay; may reorder packets, as netem does (default 0)")
    double jitterMs;

    @Option(names = "--loss", paramLabel = "PCT", defaultValue = "0", description = "random loss in percent")
    double lossPct;

    @Option(names = "--reorder", paramLabel = "PCT", defaultValue = "0",
            description = "percent of packets sent at once, skipping the delay (as netem's reorder)")
    double reorderPct;

    @Option(names = "--duplicate", paramLabel = "PCT", defaultValue = "0", description = "percent of packets sent twice")
    double duplicatePct;

    @Option(names = "--rate", paramLabel = "MBIT", defaultValue = "0", description = "rate limit in Mbit/s (0 = none)")
    double rateMbit;

    @Option(names = "--limit", paramLabel = "PACKETS", defaultValue = "1000",
            description = "most packets held; more are tail-dropped (default 1000, as netem)")
    int limit;

    @Option(names = "--seed", paramLabel = "N", description = "seed of the random draws (default: from the clock, printed)")
    Long seed;

    @Option(names = "--mtu", paramLabel = "BYTES", defaultValue = "1500", description = "device MTU (default 1500)")
    int mtu;

    @Override
    public Integer call() throws Exception {
        long s = seed != null ? seed : System.nanoTime();
        LinkEmulator.Config config;
        TunConfig tunConfig;
        try {
            config = new LinkEmulator.Config(Math.round(delayMs * 1e6), Math.round(jitterMs * 1e6),
                    lossPct, reorderPct, duplicatePct, rateMbit, limit, s);
            tunConfig = TunConfig.of(dev, mtu, List.of());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        LinkEmulator emulator = new LinkEmulator(config, mtu);
        TunPacketIo io;
        try {
            io = TunPacketIo.open(tunConfig);
        } catch (TunException e) {
            System.err.println("jmptcp netem: " + e.getMessage());
            return 1;
        }
        NetemRelay relay = new NetemRelay(io, emulator);
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            relay.stop();
            try {
                done.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            io.close();
        }, "netem-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        System.err.printf("netem: relaying on %s (%s): delay %s ms, jitter %s ms, loss %s%%, reorder %s%%, "
                + "duplicate %s%%, rate %s, limit %d, seed %d%n", io.device().name(),
                io.device().created() ? "created" : "existing", delayMs, jitterMs, lossPct, reorderPct,
                duplicatePct, rateMbit > 0 ? rateMbit + " Mbit/s" : "unlimited", limit, s);
        try {
            relay.run();
        } finally {
            // Before counting down: once the latch opens, the shutdown hook closes the device
            // and the JVM may halt.
            System.err.println("netem: stopped, relayed " + relay.relayed() + ", " + emulator.stats());
            done.countDown();
        }
        return 0;
    }
}
