package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The log lines the issue asks for: open and close with a summary at info, subflow events at debug. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoggingTest {
    @Test
    void relayOpenAndCloseAtInfoSubflowEventsAtDebug() throws Exception {
        Logger bridge = (Logger) LoggerFactory.getLogger(Bridge.class);
        Logger endpoint = (Logger) LoggerFactory.getLogger(StackEndpoint.class);
        ListAppender<ILoggingEvent> events = new ListAppender<>();
        events.start();
        bridge.addAppender(events);
        endpoint.addAppender(events);
        Level before = endpoint.getLevel();
        endpoint.setLevel(Level.DEBUG);
        try (TwoStacks t = new TwoStacks(); Socket s = new Socket("127.0.0.1", t.da.socksAddress().getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(new byte[] {5, 1, 0, 5, 1, 0, 1, 10, 9, 0, 2, 0, 7, 'h', 'i'});
            s.getInputStream().readNBytes(12);
            s.shutdownOutput();
            s.getInputStream().readAllBytes();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (t.da.activeRelays() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } finally {
            bridge.detachAppender(events);
            endpoint.detachAppender(events);
            endpoint.setLevel(before);
        }
        List<String> info = events.list.stream().filter(e -> e.getLevel() == Level.INFO)
                .map(ILoggingEvent::getFormattedMessage).toList();
        List<String> debug = events.list.stream().filter(e -> e.getLevel() == Level.DEBUG)
                .map(ILoggingEvent::getFormattedMessage).toList();
        assertTrue(info.stream().anyMatch(m -> m.contains("relaying to jmptcp#")), info.toString());
        assertTrue(info.stream().anyMatch(m -> m.contains(": closed after") && m.contains("2 bytes up, 2 bytes down")),
                info.toString());
        assertTrue(debug.stream().anyMatch(m -> m.matches("jmptcp#\\d+ subflow 10\\.9\\.0\\.1:\\d+ -> 10\\.9\\.0\\.2:7 .*")),
                debug.toString());
    }
}
