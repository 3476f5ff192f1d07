package labs.sandwich.puck.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 64 virtual threads of this JVM and a second JVM sharing the store wake one hibernated sprite
 * at the same instant: Podman sees exactly one restore (counted from its own event log), and
 * every caller returns with the sprite running and its memory back.
 */
class SingleFlightWakeTest {
    private static final int THREADS = 64;

    @TempDir
    Path tmp;

    /** The second JVM: opens Puck on the store, waits for the agreed instant, wakes. Args: store, sprite, instant. */
    public static void main(String[] args) throws Exception {
        try (Puck puck = Puck.builder().store(Path.of(args[0])).build()) {
            Sprite s = puck.get(args[1]);
            System.out.println("READY");
            sleepUntil(Instant.parse(args[2]));
            s.wake();
            System.out.println("WOKE " + s.state());
        }
    }

    @Test
    void manyWakersInTwoProcessesCauseOneRestore() throws Exception {
        String name = "flight-" + Long.toHexString(System.nanoTime());
        Path store = tmp.resolve("puck.db");
        try (Puck puck = Puck.builder().store(store).build()) {
            Sprite s = puck.create(SpriteSpec.named(name).withSleep(SleepPolicy.NEVER));
            try {
                long before = Memory.start(s);
                s.hibernate();
                Instant checkpointed = Instant.now();
                Instant go = Instant.now().plusSeconds(4);
                try (ChildJvm child = ChildJvm.start(SingleFlightWakeTest.class, store.toString(), name, go.toString())) {
                    child.awaitLine("READY", Duration.ofSeconds(60));
                    List<Future<SpriteState>> wakers = new ArrayList<>();
                    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                        for (int i = 0; i < THREADS; i++) {
                            wakers.add(pool.submit(() -> {
                                sleepUntil(go);
                                s.wake();
                                return s.state();
                            }));
                        }
                        for (Future<SpriteState> w : wakers) {
                            assertThat(w.get()).isEqualTo(SpriteState.RUNNING);
                        }
                    }
                    assertThat(child.awaitLine("WOKE", Duration.ofSeconds(60))).isEqualTo("WOKE RUNNING");
                    assertThat(child.waitFor(Duration.ofSeconds(30))).isZero();
                }
                assertThat(restores("puck-" + name, checkpointed)).as("restores Podman performed").isEqualTo(1);
                assertThat(Memory.next(s)).as("memory came back").isEqualTo(before + 1);
            } finally {
                s.delete(DeletePolicy.PURGE);
            }
        }
    }

    private static void sleepUntil(Instant t) throws InterruptedException {
        Duration d = Duration.between(Instant.now(), t);
        if (d.isPositive()) {
            Thread.sleep(d);
        }
    }

    /** Podman's own record of restores, from its event log. */
    static long restores(String container, Instant since) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("podman", "events", "--stream=false", "--since", since.toString(), "--until", Instant.now().plusSeconds(1).toString(),
                "--filter", "event=restore", "--filter", "container=" + container, "--format", "{{.Status}} {{.Name}}")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("podman events: %s", out).isZero();
        return out.lines().filter(l -> l.startsWith("restore ")).count();
    }
}
