package io.jmptcp.cli.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Fails a test when Netty's leak detector (paranoid in this module's tests) reports a buffer that
 * was never released: the report is a log event of {@link ResourceLeakDetector}'s logger.
 */
public final class LeakCheck implements BeforeEachCallback, AfterEachCallback {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    @Override
    public void beforeEach(ExtensionContext context) {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        Logger l = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
        appender.list.clear();
        appender.start();
        l.addAppender(appender);
    }

    @Override
    public void afterEach(ExtensionContext context) throws InterruptedException {
        for (int i = 0; i < 3; i++) { // collect leaked buffers; the next tracked allocation reports them
            System.gc();
            Thread.sleep(50);
            ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer(1);
            b.release();
        }
        Logger l = (Logger) LoggerFactory.getLogger(ResourceLeakDetector.class);
        l.detachAppender(appender);
        List<String> leaks = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("LEAK")).toList();
        assertEquals(List.of(), leaks, "Netty buffers leaked");
    }
}
