package io.jmptcp.cli.daemon;

import ch.qos.logback.classic.Level;
import io.jmptcp.cli.control.ControlServer;
import io.jmptcp.cli.forward.ForwardSpec;
import io.jmptcp.cli.socks.SocksHandler;
import io.jmptcp.cli.stack.ConnectionFactories;
import io.jmptcp.cli.stack.StackOptions;
import io.jmptcp.cli.stack.StackRuntime;
import io.jmptcp.core.conn.ConnectionFactory;
import java.io.IOException;
import java.io.Reader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.PropertiesDefaultProvider;
import picocli.CommandLine.Spec;

/**
 * {@code jmptcp daemon [STACK] [--socks HOST:PORT] [--socks-auth USER:PASS] [--forward PORT=HOST:PORT]...
 * [--control PATH] [--metrics HOST:PORT] [--config FILE]}: the long-running stack with its SOCKS5
 * front end and forwarders. SIGTERM (or SIGINT) drains: stop accepting, DATA_FIN on every relay,
 * exit when drained or after {@code --drain-timeout}; the TUN device and routes are removed.
 * A second signal during the drain aborts what is left.
 */
@Command(name = "daemon", mixinStandardHelpOptions = true, defaultValueProvider = DaemonCommand.ConfigFile.class,
        description = {"Run the stack with a SOCKS5 front end and/or forwarders until SIGTERM.",
            "Options may also come from --config FILE (a Java properties file: key=value, option names "
                    + "without dashes; the command line wins; forward= may list several, comma-separated; "
                    + "address= takes one; an unknown key is an error)."})
public final class DaemonCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(DaemonCommand.class);

    @Spec
    CommandSpec spec;

    @Mixin
    StackOptions stackOptions;

    @Option(names = "--socks", paramLabel = "HOST:PORT|off",
            description = "SOCKS5 listener (default 127.0.0.1:1080 without --forward, off with it)")
    String socks;

    @Option(names = "--socks-auth", paramLabel = "USER:PASS", description = "require RFC 1929 username/password")
    String socksAuth;

    @Option(names = "--forward", paramLabel = "PORT=HOST:PORT", split = ",",
            description = "accept on the stack at PORT and relay to HOST:PORT over kernel TCP (repeatable)")
    List<String> forward = new ArrayList<>();

    @Option(names = "--control", paramLabel = "PATH|off", defaultValue = ControlServer.DEFAULT_PATH,
            description = "control socket for `jmptcp status` (default ${DEFAULT-VALUE})")
    String control;

    @Option(names = "--metrics", paramLabel = "HOST:PORT", description = "Prometheus metrics over HTTP at /metrics")
    String metrics;

    @Option(names = "--config", paramLabel = "FILE", description = "read options from FILE (key=value)")
    Path config;

    @Option(names = "--handshake-timeout", paramLabel = "MS", defaultValue = "10000",
            description = "close SOCKS clients that have not sent a complete request by then (default ${DEFAULT-VALUE})")
    long handshakeTimeout;

    @Option(names = "--connect-timeout", paramLabel = "MS", defaultValue = "20000",
            description = "give up a CONNECT after this long, reply TTL expired (default ${DEFAULT-VALUE})")
    long connectTimeout;

    @Option(names = "--drain-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "on SIGTERM, wait this long for relays to finish (default ${DEFAULT-VALUE})")
    long drainTimeout;

    @Option(names = "--max-clients", paramLabel = "N", defaultValue = "10000",
            description = "most SOCKS clients at a time; more are closed and counted (default ${DEFAULT-VALUE})")
    int maxClients;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "2", description = "Netty event loop threads (default ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--log-level", paramLabel = "LEVEL",
            description = "error|warn|info|debug|trace (default info; or JMPTCP_LOG, or -Dlogback.configurationFile)")
    String logLevel;

    /**
     * {@code --config FILE}: picocli's {@link PropertiesDefaultProvider} on the file that the command
     * line names. Picocli asks a command's default value provider for every option left off the
     * command line after it has parsed the line, so {@code --config} already has its value then,
     * and whatever the command line gives wins over the file. A missing or unreadable file and an
     * unknown key are usage errors that name the file.
     */
    public static final class ConfigFile implements IDefaultValueProvider {
        private Path loaded;
        private PropertiesDefaultProvider defaults;

        @Override
        public String defaultValue(ArgSpec arg) throws Exception {
            CommandSpec command = arg.command();
            OptionSpec option = command.findOption("--config");
            Path file = option == null ? null : option.getValue();
            if (file == null) {
                return null;
            }
            if (!file.equals(loaded)) {
                defaults = new PropertiesDefaultProvider(read(command, file));
                loaded = file;
            }
            return defaults.defaultValue(arg);
        }

        private static Properties read(CommandSpec command, Path file) {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new ParameterException(command.commandLine(), "--config " + file + " is not a readable file");
            }
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new ParameterException(command.commandLine(), "--config " + file + ": cannot read it: " + e.getMessage());
            }
            Set<String> keys = new TreeSet<>();
            for (OptionSpec o : command.options()) {
                if (!o.usageHelp() && !o.versionHelp() && !o.longestName().equals("--config")) {
                    keys.add(o.longestName().replaceFirst("^-+", ""));
                }
            }
            for (String k : p.stringPropertyNames()) {
                if (!keys.contains(k)) {
                    throw new ParameterException(command.commandLine(), "--config " + file + ": unknown key '" + k
                            + "' (the keys are the daemon's option names without dashes: " + String.join(", ", keys) + ")");
                }
            }
            return p;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (logLevel != null) {
            Level l = Level.toLevel(logLevel, null);
            if (l == null) {
                throw new ParameterException(spec.commandLine(), "--log-level: unknown level '" + logLevel + "'");
            }
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(l);
        }
        Daemon.Config cfg;
        ConnectionFactory factory;
        try {
            cfg = config();
            factory = ConnectionFactories.forOptions(stackOptions);
            StackRuntime.addresses(stackOptions.addresses);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        CountDownLatch stop = new CountDownLatch(1);
        AtomicInteger signals = new AtomicInteger();
        Relays[] live = new Relays[1];
        Runnable onSignal = () -> {
            if (signals.incrementAndGet() > 1) {
                LOG.warn("second signal: aborting the drain");
                Relays r = live[0];
                if (r != null) {
                    r.abortAll();
                }
            }
            stop.countDown();
        };
        // The signals are taken here rather than in a shutdown hook: the JVM runs its hooks
        // concurrently, and StackRuntime's hook would close the stack under the drain. Once the
        // drain is over, the normal exit runs the hooks (device and routes removed).
        for (String name : new String[] {"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(name), s -> onSignal.run());
        }
        try (StackRuntime rt = StackRuntime.open(stackOptions, factory)) {
            Daemon d = Daemon.start(rt.stack(), rt.addresses(), cfg, null);
            live[0] = d.relaysForSignals();
            LOG.info("daemon running on {} ({}); SIGTERM drains", stackOptions.addresses, stackOptions.mptcp == StackOptions.Mode.on ? "MPTCP" : "plain TCP");
            stop.await();
            LOG.info("signal received: stopping");
            d.drain(drainTimeout * 1000);
            d.close();
        }
        LOG.info("stopped; device {} and its routes removed", stackOptions.tun);
        return 0;
    }

    Daemon.Config config() {
        InetSocketAddress socksAddr = null;
        String s = socks != null ? socks : (forward.isEmpty() ? "127.0.0.1:1080" : "off");
        if (!s.equals("off")) {
            socksAddr = hostPort("--socks", s);
        }
        String user = null;
        String pass = null;
        if (socksAuth != null) {
            int c = socksAuth.indexOf(':');
            if (c < 1 || c > 255 || socksAuth.length() - c - 1 > 255 || c == socksAuth.length() - 1) {
                throw new IllegalArgumentException("--socks-auth needs USER:PASS (each 1..255 bytes)");
            }
            user = socksAuth.substring(0, c);
            pass = socksAuth.substring(c + 1);
        }
        List<ForwardSpec> fw = new ArrayList<>();
        for (String f : forward) {
            fw.add(ForwardSpec.parse(f));
        }
        if (socksAddr == null && fw.isEmpty()) {
            throw new IllegalArgumentException("nothing to do: --socks off and no --forward");
        }
        if (handshakeTimeout < 1 || connectTimeout < 1 || drainTimeout < 0 || threads < 1 || threads > 64 || maxClients < 1) {
            throw new IllegalArgumentException("timeouts and --max-clients must be positive, --threads 1..64");
        }
        Path ctl = control.equals("off") ? null : Path.of(control);
        InetSocketAddress m = metrics == null ? null : hostPort("--metrics", metrics);
        return new Daemon.Config(socksAddr, new SocksHandler.Settings(user, pass, handshakeTimeout, maxClients), fw, ctl, m,
                connectTimeout, threads);
    }

    /** HOST:PORT or [V6]:PORT, literal addresses or names resolved once now. */
    static InetSocketAddress hostPort(String option, String s) {
        int c = s.lastIndexOf(':');
        if (c < 1 || c == s.length() - 1) {
            throw new IllegalArgumentException(option + " needs HOST:PORT, got '" + s + "'");
        }
        String host = s.substring(0, c);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(c + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": bad port in '" + s + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(option + ": bad port in '" + s + "'");
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), port);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + ": cannot resolve '" + host + "'");
        }
    }
}
