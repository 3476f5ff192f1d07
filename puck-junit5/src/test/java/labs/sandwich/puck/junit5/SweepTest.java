package labs.sandwich.puck.junit5;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import labs.sandwich.puck.api.Sprite;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * A test JVM killed with SIGKILL leaves its sprite (container, volumes) and its session
 * directory; the next session's start removes them, and leaves a sprite of a live session alone.
 */
class SweepTest {
    @Test
    void theNextSessionRemovesWhatAKilledJvmLeft() throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "--enable-native-access=ALL-UNNAMED",
                "-Dpuck.junit5.dir=" + Session.root(), "-cp", System.getProperty("java.class.path"), Child.class.getName()));
        Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
        String line;
        try {
            line = awaitLine(child, "SPRITE ", Duration.ofMinutes(2));
        } finally {
            child.destroyForcibly(); // SIGKILL: no JUnit clean-up, no shutdown hook
        }
        child.waitFor(30, TimeUnit.SECONDS);
        String[] parts = line.split(" ");
        String sprite = parts[1];
        Path sessionDir = Path.of(parts[2]);
        assertThat(podman("container", "exists", "puck-" + sprite)).as("the killed JVM left its sprite").isZero();
        assertThat(podman("volume", "exists", "puck-" + sprite + "-home")).isZero();
        assertThat(sessionDir).exists();

        // A new session (its own launcher run) starts: its sweep finds the dead session by its free lock.
        EngineTestKit.engine("junit-jupiter").selectors(selectClass(Trivial.class)).execute().testEvents().assertStatistics(s -> s.succeeded(1));

        assertThat(podman("container", "exists", "puck-" + sprite)).as("swept").isEqualTo(1);
        assertThat(podman("volume", "exists", "puck-" + sprite + "-home")).isEqualTo(1);
        assertThat(sessionDir).doesNotExist();
    }

    /** The child JVM: a JUnit run whose test prints its sprite and hangs until killed. */
    public static final class Child {
        public static void main(String[] args) {
            LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(Hangs.class)).build());
        }
    }

    @PuckTest
    static class Hangs {
        @SpriteInstance(name = "doomed")
        static Sprite doomed;

        @Test
        void hang() throws InterruptedException {
            System.out.println("SPRITE " + doomed.name() + " " + sessionDirOf(doomed));
            System.out.flush();
            Thread.sleep(Duration.ofMinutes(5));
        }
    }

    @PuckTest
    static class Trivial {
        @Test
        void runs(labs.sandwich.puck.Puck puck) {
            assertThat(puck.runtimeName()).isEqualTo("podman");
        }
    }

    static String sessionDirOf(Sprite s) {
        return Session.root().resolve(s.inspect().spec().labels().get(PuckExtension.SESSION_LABEL)).toString();
    }

    static int podman(String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("podman"));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().put("PODMAN_IGNORE_CGROUPSV1_WARNING", "1");
        Process p = pb.start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    static String awaitLine(Process p, String prefix, Duration patience) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        CompletableFuture<String> found = CompletableFuture.supplyAsync(() -> {
            try {
                for (String l; (l = out.readLine()) != null; ) {
                    seen.append(l).append('\n');
                    if (l.startsWith(prefix)) {
                        return l;
                    }
                }
            } catch (java.io.IOException e) {
                // the child ended
            }
            return null;
        });
        String line = null;
        try {
            line = found.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // reported below
        }
        if (line == null) {
            throw new AssertionError("the child never printed '" + prefix + "':\n" + seen);
        }
        return line;
    }
}
