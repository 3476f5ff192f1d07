package labs.sandwich.puck.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.KeepAlive;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.api.Why;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real sprite left alone pauses, then hibernates, by itself; a keep-alive holds it; any call wakes it with its memory. */
class IdleOnPodmanTest {
    @TempDir
    Path tmp;

    @Test
    void anIdleSpriteSleepsTierByTierAndWakesOnUse() throws Exception {
        String name = "idle-" + Long.toHexString(System.nanoTime());
        try (Puck puck = Puck.builder().store(tmp.resolve("puck.db")).monitorIdle(true).monitorInterval(Duration.ofMillis(100)).build()) {
            Sprite s = puck.create(SpriteSpec.named(name).withSleep(new SleepPolicy(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ZERO)));
            try {
                long before = Memory.start(s);
                try (KeepAlive busy = s.keepAlive("test holds it", Duration.ofMinutes(5))) {
                    Thread.sleep(3000);
                    assertThat(s.state()).as("held by a keep-alive").isEqualTo(SpriteState.RUNNING);
                    assertThat(s.why().awakeBecause()).extracting(Why.Activity::kind).containsExactly(Why.Kind.KEEP_ALIVE);
                }
                awaitState(s, SpriteState.PAUSED, Duration.ofSeconds(10));
                assertThat(s.why().cause()).contains("idle monitor", "sleep.pauseAfter");
                awaitState(s, SpriteState.HIBERNATED, Duration.ofSeconds(15));
                assertThat(s.why().cause()).contains("idle monitor", "sleep.hibernateAfter");
                assertThat(s.inspect().attributes()).containsEntry("podman.status", "exited");
                assertThat(Memory.next(s)).as("an exec woke it, memory intact").isEqualTo(before + 1);
                assertThat(s.state()).isEqualTo(SpriteState.RUNNING);
            } finally {
                s.delete(DeletePolicy.PURGE);
            }
        }
    }

    @Test
    void networkTrafficKeepsASpriteAwakeAndTrafficToAPausedOneWakesIt() throws Exception {
        String name = "traffic-" + Long.toHexString(System.nanoTime());
        try (Puck puck = Puck.builder().store(tmp.resolve("traffic.db")).monitorIdle(true).monitorInterval(Duration.ofMillis(200)).build()) {
            Sprite s = puck.create(SpriteSpec.named(name).withSleep(new SleepPolicy(Duration.ofSeconds(2), Duration.ZERO, Duration.ZERO)));
            try {
                Memory.start(s);
                String ip = s.inspect().attributes().get("ip");
                long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                while (System.nanoTime() < end) { // requests from this machine, not exec: only the counters see them
                    try (java.net.Socket s2 = new java.net.Socket(ip, 8080)) {
                        s2.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                        s2.getInputStream().readAllBytes();
                    }
                    Thread.sleep(300);
                    assertThat(s.state()).as("traffic every 300 ms keeps it awake").isEqualTo(SpriteState.RUNNING);
                }
                assertThat(s.why().lastActivity()).get().extracting(Why.Activity::kind).isEqualTo(Why.Kind.TRAFFIC);
                awaitState(s, SpriteState.PAUSED, Duration.ofSeconds(10));
                try (java.net.Socket knock = new java.net.Socket()) {
                    knock.connect(new java.net.InetSocketAddress(ip, 8080), 2000); // a paused sprite's kernel still answers the handshake
                    knock.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nUser-Agent: a request, not the network's chatter\r\n\r\n"
                            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    Thread.sleep(1000);
                }
                awaitState(s, SpriteState.RUNNING, Duration.ofSeconds(10));
                assertThat(s.why().cause()).as("woken by the monitor").startsWith("unpause (idle monitor: traffic reached it)");
            } finally {
                s.delete(DeletePolicy.PURGE);
            }
        }
    }

    private static void awaitState(Sprite s, SpriteState wanted, Duration patience) throws InterruptedException {
        long end = System.nanoTime() + patience.toNanos();
        while (s.state() != wanted && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(s.state()).as("%s after %s; why: %s", s.name(), patience, s.why()).isEqualTo(wanted);
    }
}
