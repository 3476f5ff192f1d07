package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two real JVMs share one store file and see each other's writes, both ways. */
class StateStoreTwoJvmTest {
    @TempDir
    Path tmp;

    /** The second JVM: sees the parent's sprite, writes its own and a journal entry, then waits for the parent's answer. */
    public static void main(String[] args) throws Exception {
        try (StateStore store = StateStore.open(Path.of(args[0]), Clock.systemUTC())) {
            await(() -> store.sprite("from-parent").isPresent(), "the parent's sprite");
            store.insertSprite(record("from-child"));
            long j = store.begin("from-child", "hibernate", SpriteState.RUNNING, SpriteState.HIBERNATING, "child");
            store.end(j, SpriteState.HIBERNATED, "ok");
            await(() -> store.sprite("from-child").map(r -> r.state() == SpriteState.RUNNING).orElse(false), "the parent's wake of my sprite");
            System.out.println("child saw everything");
        }
    }

    @Test
    void twoProcessesSeeEachOthersWrites() throws Exception {
        Path file = tmp.resolve("shared.db");
        try (StateStore store = StateStore.open(file, Clock.systemUTC())) {
            store.insertSprite(record("from-parent"));
            Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), "-cp", System.getProperty("java.class.path"),
                    StateStoreTwoJvmTest.class.getName(), file.toString()).redirectErrorStream(true).start();
            try {
                await(() -> store.sprite("from-child").map(r -> r.state() == SpriteState.HIBERNATED).orElse(false), "the child's sprite");
                assertThat(store.history("from-child", 5)).singleElement().satisfies(e -> {
                    assertThat(e.pid()).isEqualTo(child.pid());
                    assertThat(e.detail()).isEqualTo("child");
                });
                long j = store.begin("from-child", "wake", SpriteState.HIBERNATED, SpriteState.WAKING, "parent");
                store.end(j, SpriteState.RUNNING, "ok");
                assertThat(child.waitFor(60, TimeUnit.SECONDS)).as("the child finished").isTrue();
                String out = new String(child.getInputStream().readAllBytes());
                assertThat(child.exitValue()).as(out).isZero();
                assertThat(out).contains("child saw everything");
            } finally {
                child.destroyForcibly();
            }
            assertThat(store.sprites()).extracting(SpriteRecord::name).containsExactly("from-child", "from-parent");
        }
    }

    private static SpriteRecord record(String name) {
        return new SpriteRecord(name, "test", SpriteState.RUNNING, SpriteSpec.named(name), Instant.now(), Instant.now());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException, IOException {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new IOException("gave up waiting for " + what);
            }
            Thread.sleep(20);
        }
    }
}
