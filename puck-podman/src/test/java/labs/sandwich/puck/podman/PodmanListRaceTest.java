package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.spi.SpriteRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Listing while other sprites come and go (JUnit's parallel tests, two processes on one
 * store): a container removed between Podman's list and its inspect is simply not listed.
 * Podman answers that inspect with a 500 ("no such container"), not a 404, when the removal
 * lands between its name lookup and its database read; a CI run failed on it.
 */
class PodmanListRaceTest {
    static SpriteRuntime runtime;

    @BeforeAll
    static void open() {
        runtime = PodmanTests.runtime();
    }

    @AfterAll
    static void close() {
        runtime.close();
    }

    @Test
    void aSpriteDeletedDuringAListIsLeftOutNotAnError() throws Exception {
        String prefix = "race-" + Long.toHexString(System.nanoTime());
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger lists = new AtomicInteger();
        List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
            List<Future<?>> listers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                listers.add(pool.submit(() -> {
                    while (!done.get()) {
                        try {
                            runtime.list();
                            lists.incrementAndGet();
                        } catch (RuntimeException e) {
                            errors.add(e);
                        }
                    }
                }));
            }
            try {
                for (int i = 0; i < 12; i++) {
                    String name = prefix + "-" + i;
                    runtime.create(SpriteSpec.named(name));
                    runtime.delete(name, DeletePolicy.PURGE);
                }
            } finally {
                done.set(true);
                for (Future<?> f : listers) {
                    f.get();
                }
            }
        }
        assertThat(errors).as("lists that failed while sprites were deleted").isEmpty();
        assertThat(lists.get()).isGreaterThan(10);
        assertThat(runtime.list()).noneMatch(i -> i.name().startsWith(prefix));
    }
}
