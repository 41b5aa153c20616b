package io.jmptcp.cli.control;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jmptcp.cli.daemon.TwoStacks;
import io.jmptcp.cli.socks.SocksHandler;
import io.jmptcp.cli.status.StatusCommand;
import io.jmptcp.core.testutil.Host;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The control socket is root's alone: a client run as {@code nobody} (uid and gid 65534, no
 * supplementary groups, via {@code setpriv}) can neither read the status nor add an address, both
 * when the socket sits in the directory the daemon creates (0700) and when it sits in a directory
 * anyone may traverse (0755), where only the socket's own mode (0600) stands in the way. The same
 * client run as root gets its answers, so the test sees the difference and not a broken client.
 * Needs root (to switch user): tagged netns, and it fails without root unless JMPTCP_SKIP_NETNS=1.
 */
@Tag("netns")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ControlSocketPermissionNetnsTest {
    /** Connects to argv[1], sends argv[2] as a line, prints the answer; exit 13 on EACCES. */
    static final String CLIENT = String.join("\n",
            "import os, socket, stat, sys",
            "try:",
            "    print('mode', oct(stat.S_IMODE(os.stat(sys.argv[1]).st_mode)))",
            "except PermissionError as e:",
            "    print('no stat', e)",
            "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)",
            "try:",
            "    s.connect(sys.argv[1])",
            "except PermissionError as e:",
            "    print('EACCES', e)",
            "    sys.exit(13)",
            "s.sendall((sys.argv[2] + '\\n').encode())",
            "print(s.makefile().read())");

    Path base;
    TwoStacks t;
    ControlServer second;
    EventLoopGroup group;

    @AfterEach
    void stop() throws Exception {
        if (second != null) {
            second.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (t != null) {
            t.close();
        }
        if (base != null) {
            Host.run("rm", "-rf", base.toString());
        }
    }

    static Host.Result asUser(boolean nobody, Path socket, String request) {
        List<String> cmd = new ArrayList<>();
        if (nobody) {
            cmd.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        // the system python: root's PATH may lead to one under /root that nobody cannot run
        cmd.addAll(List.of("env", "PATH=/usr/bin:/bin", "python3", "-c", CLIENT, socket.toString(), request));
        return Host.run(30, cmd);
    }

    @Test
    void aUserOtherThanRootCanNeitherReadTheStatusNorChangeAddresses() throws Exception {
        Host.requireNetns("setpriv", "python3");
        base = Files.createTempDirectory("jmptcp-ctlperm");
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path open = Files.createDirectory(base.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path inOpenDir = open.resolve("control.sock");
        t = new TwoStacks(new SocksHandler.Settings(null, null, 10_000), inOpenDir, null);
        Path inOwnDir = base.resolve("run/control.sock"); // the daemon creates run/ itself, as /run/jmptcp
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        second = ControlServer.bind(group, inOwnDir, t.da::report, StackAddresses.of(t.a));

        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(inOpenDir)));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(inOwnDir.getParent())));
        try (var left = Files.list(open)) {
            assertEquals(List.of(inOpenDir), left.toList(), "nothing but the socket is left where it was bound");
        }

        for (Path socket : List.of(inOpenDir, inOwnDir)) {
            Host.Result root = asUser(false, socket, "status");
            assertEquals(0, root.exitCode(), root.output());
            assertTrue(root.output().contains("\"connections\""), root.output());

            Host.Result status = asUser(true, socket, "status");
            assertEquals(13, status.exitCode(), socket + ": nobody must get EACCES: " + status.output());
            assertFalse(status.output().contains("\"connections\""), status.output());
            Host.Result add = asUser(true, socket, "addr add 10.9.0.77");
            assertEquals(13, add.exitCode(), socket + ": nobody must get EACCES: " + add.output());
        }
        // in the open directory nobody could stat the socket: only its mode kept them out
        assertTrue(asUser(true, inOpenDir, "status").output().contains("mode 0o600"));
        String list = StatusCommand.ask(inOpenDir, "addr list");
        assertFalse(list.contains("10.9.0.77"), "nobody's addr add must not have happened: " + list);
        assertTrue(list.contains(TwoStacks.A.getHostAddress()), list);
    }
}
