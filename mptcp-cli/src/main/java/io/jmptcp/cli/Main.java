package io.jmptcp.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code jmptcp} command: one runnable jar with a subcommand per tool. */
@Command(name = "jmptcp", mixinStandardHelpOptions = true, version = "jmptcp 0.1.0",
        description = "A userspace Multipath TCP (RFC 8684) stack over Linux TUN devices.",
        subcommands = {CommandLine.HelpCommand.class, io.jmptcp.cli.decode.DecodeCommand.class,
            NetemCommand.class, io.jmptcp.cli.nc.NcCommand.class, io.jmptcp.cli.daemon.DaemonCommand.class,
            io.jmptcp.cli.status.StatusCommand.class,
            io.jmptcp.cli.status.AddrCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
