package io.jmptcp.cli.status;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jmptcp.cli.control.ControlServer;
import io.jmptcp.cli.control.StackAddresses;
import io.jmptcp.core.pm.Endpoint;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code jmptcp addr add IP [--backup] [--flags F] | del IP | list [--json]}, each with
 * {@code [--control PATH]}: changes a running daemon's addresses over its control socket, like
 * {@code ip mptcp endpoint add|delete|show}. Exit 0 when done, 1 when the daemon refuses (the
 * reason on stderr) or cannot be reached, 2 for a usage error (a bad address or flag is one).
 */
@Command(name = "addr", mixinStandardHelpOptions = true,
        description = "Add, remove or list a running daemon's stack addresses (MPTCP endpoints).",
        subcommands = {AddrCommand.Add.class, AddrCommand.Del.class, AddrCommand.ListAddresses.class})
public final class AddrCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: add, del or list");
    }

    /** {@code --control PATH}, as for {@code jmptcp status}. */
    static final class Control {
        @Option(names = "--control", paramLabel = "PATH", defaultValue = ControlServer.DEFAULT_PATH,
                description = "the daemon's control socket (default ${DEFAULT-VALUE})")
        Path path;

        @Option(names = "--json", description = "print the daemon's JSON answer")
        boolean json;

        /**
         * Sends {@code request}; prints the answer with {@code human} (or as it came with
         * {@code --json}) and returns 0, or prints the daemon's error and returns 1.
         */
        int run(CommandSpec spec, String request, java.util.function.Function<JsonNode, String> human) {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String answer;
            try {
                answer = StatusCommand.request(path, request).trim();
            } catch (IOException e) {
                err.println("jmptcp addr: cannot reach the daemon at " + path + ": " + e.getMessage());
                err.flush();
                return 1;
            }
            if (answer.startsWith("error:")) {
                err.println("jmptcp addr: " + answer.substring("error:".length()).trim());
                err.flush();
                return 1;
            }
            if (json) {
                out.println(answer);
            } else {
                try {
                    out.print(human.apply(JSON.readTree(answer)));
                } catch (IOException | RuntimeException e) {
                    err.println("jmptcp addr: unexpected answer from the daemon: " + answer);
                    err.flush();
                    return 1;
                }
            }
            out.flush();
            return 0;
        }
    }

    static InetAddress address(CommandSpec spec, String text) {
        try {
            return StackAddresses.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code id N IP flags}, as in the status table ({@link io.jmptcp.cli.control.StatusReport#endpointLine}). */
    static String line(JsonNode e) {
        StringBuilder flags = new StringBuilder();
        for (JsonNode f : e.get("flags")) {
            flags.append(flags.length() == 0 ? "" : ",").append(f.asText());
        }
        return "id " + e.get("id").asInt() + " " + e.get("address").asText()
                + (flags.length() == 0 ? "" : " " + flags) + "\n";
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = {"Add an address to the stack (routed to its TUN device), or change the flags of one it has.",
                "The peers' connections get new subflows from a subflow address, ADD_ADDR for a signal one,",
                "MP_PRIO when backup changes."})
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Control control;

        @Parameters(index = "0", paramLabel = "IP", description = "the address (IPv4 or IPv6 literal)")
        String ip;

        @Option(names = "--flags", paramLabel = "F", defaultValue = "subflow",
                description = "comma list of signal, subflow, backup, fullmesh (default ${DEFAULT-VALUE})")
        String flags;

        @Option(names = "--backup", description = "add the backup flag (its subflows are used only when no other path works)")
        boolean backup;

        @Override
        public Integer call() {
            InetAddress a = address(spec, ip);
            int f;
            try {
                f = Endpoint.parseFlags(flags) | (backup ? Endpoint.BACKUP : 0);
                new Endpoint(a, 1, f); // flags that exclude each other
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--flags: " + e.getMessage());
            }
            if (f == 0) {
                throw new ParameterException(spec.commandLine(), "--flags needs at least one of signal, subflow, backup, fullmesh");
            }
            return control.run(spec, "addr add " + a.getHostAddress() + " " + Endpoint.flagNames(f),
                    r -> r.get("result").asText() + " " + line(r.get("endpoint")));
        }
    }

    @Command(name = "del", mixinStandardHelpOptions = true,
            description = "Remove an address from the stack: its subflows close, peers get REMOVE_ADDR, its route goes.")
    static final class Del implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Control control;

        @Parameters(index = "0", paramLabel = "IP", description = "the address")
        String ip;

        @Override
        public Integer call() {
            InetAddress a = address(spec, ip);
            return control.run(spec, "addr del " + a.getHostAddress(),
                    r -> r.get("result").asText() + " " + line(r.get("endpoint")));
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "List the stack's addresses: one line per endpoint, id N IP flags.")
    static final class ListAddresses implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        Control control;

        @Override
        public Integer call() {
            return control.run(spec, "addr list", r -> {
                StringBuilder b = new StringBuilder();
                for (JsonNode e : r) {
                    b.append(line(e));
                }
                return b.toString();
            });
        }
    }
}
