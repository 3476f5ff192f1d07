package labs.sandwich.puck.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import labs.sandwich.puck.Puck;
import labs.sandwich.puck.api.DeletePolicy;
import labs.sandwich.puck.api.Exposure;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.SleepPolicy;
import labs.sandwich.puck.api.Sprite;
import labs.sandwich.puck.api.SpriteSpec;
import labs.sandwich.puck.api.SpriteState;
import labs.sandwich.puck.network.internal.TailscaledStandIn;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sprite on the tailnet, end to end: the stand-in tailscaled (no tailnet exists here), Puck's
 * real Caddy, a real Podman sprite. A request sent the way tailscaled forwards one (to the port it
 * was told, with the tailnet name as Host) reaches the sprite, and wakes it from hibernation;
 * nothing Puck started listens beyond loopback; a tailscaled that comes back empty is given its
 * entries again from the store.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TailnetOnPodmanTest {
    @TempDir
    static Path tmp;
    TailscaledStandIn tailscaled;
    Puck puck;
    Path caddyDir;
    int http;
    int https;
    final String web = "tn-" + Long.toHexString(System.nanoTime() & 0xffffff);

    Puck open() {
        return Puck.builder().store(tmp.resolve("puck.db")).ingress("caddy").monitorIdle(true).monitorInterval(Duration.ofMillis(200))
                .config("caddy.dir", caddyDir.toString()).config("caddy.http-port", Integer.toString(http))
                .config("caddy.https-port", Integer.toString(https)).config("tailscale.socket", tailscaled.socket().toString()).build();
    }

    @BeforeAll
    void openPuckWithASprite() throws Exception {
        tailscaled = new TailscaledStandIn(tmp.resolve("tailscaled.sock")).start();
        caddyDir = tmp.resolve("caddy");
        http = freePort();
        https = freePort();
        puck = open();
        Sprite s = puck.create(SpriteSpec.named(web).withPorts(8080).withSleep(SleepPolicy.NEVER));
        s.writeFile("/root/web.py", Files.readAllBytes(Path.of(getClass().getResource("/web.py").toURI())));
        s.exec("sh", "-c", "nohup python3 /root/web.py 8080 >/dev/null 2>&1 &").orThrow();
        s.exec("sh", "-c", "for i in $(seq 100); do curl -sf localhost:8080/ >/dev/null && exit 0; sleep 0.05; done; exit 1").orThrow();
    }

    @AfterAll
    void cleanUp() throws Exception {
        try {
            puck.find(web).ifPresent(s -> s.delete(DeletePolicy.PURGE));
            assertThat(tailscaled.serveConfig().path("Web").isEmpty()).as("deleting the sprite withdrew its tailnet URL").isTrue();
        } finally {
            puck.close();
            tailscaled.close();
            labs.sandwich.puck.network.internal.CaddyProcesses.forget(caddyDir);
        }
    }

    @Test
    void aRequestFromTheTailnetReachesTheSpriteAndWakesItFromHibernation() throws Exception {
        assertThat(puck.get(web).expose(8080).url()).hasToString("http://" + web + ".localhost:" + http + "/");
        assertThat(Http.get(http, web + ".localhost", "/").status()).isEqualTo(200);
        Exposure e = puck.get(web).expose(8080, ExposureMode.TAILNET);
        String host = tailscaled.nodeName() + ":9443";
        assertThat(e.url()).hasToString("https://" + host + "/");
        assertThat(e.mode().audience()).isEqualTo("devices on your tailnet");
        int tailnetPort = tailscaled.listen(9443);
        long before = Long.parseLong(Http.get(tailnetPort, host, "/").body());
        assertThat(Http.get(http, web + ".localhost", "/").status()).as("one URL per port: the local one went").isEqualTo(404);

        puck.get(web).hibernate();
        assertThat(puck.get(web).state()).isEqualTo(SpriteState.HIBERNATED);
        Http.Response first = Http.get(tailnetPort, host, "/");
        assertThat(first.status()).isEqualTo(200);
        assertThat(Long.parseLong(first.body())).as("the counter went on: the sprite woke with its memory").isEqualTo(before + 1);
        assertThat(puck.get(web).state()).isEqualTo(SpriteState.RUNNING);
    }

    @Test
    void nothingPuckStartedListensBeyondLoopback() throws Exception {
        puck.get(web).expose(8080, ExposureMode.TAILNET);
        Set<Integer> ports = new HashSet<>(List.of(http, https, activatorPort()));
        ports.add(URI.create(proxy()).getPort()); // the Caddy server tailscaled is pointed at
        Set<Long> caddySockets = socketInodes(caddyPid());
        List<String[]> listening = listening();
        List<String> ours = new ArrayList<>();
        for (String[] l : listening) {
            int port = Integer.parseInt(l[1], 16);
            if (ports.contains(port) || caddySockets.contains(Long.parseLong(l[2]))) {
                ours.add(l[0] + ":" + port);
                assertThat(loopback(l[0])).as("listening on %s (port %d)", l[0], port).isTrue();
            }
        }
        assertThat(ours.size()).as("found Puck's listeners: %s", ours).isGreaterThanOrEqualTo(ports.size());
    }

    @Test
    void aTailscaledThatComesBackEmptyGetsItsEntriesFromTheStore() throws Exception {
        puck.get(web).expose(8080, ExposureMode.TAILNET);
        puck.close();
        tailscaled.stop();
        tailscaled.reset();
        tailscaled.start();
        puck = open(); // its idle monitor syncs the routes: the ingress says an entry is gone, and every one is published again
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!tailscaled.serveConfig().path("TCP").has("9443") && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(tailscaled.serveConfig().path("TCP").has("9443")).as("re-published: " + tailscaled.serveConfig()).isTrue();
        assertThat(Http.get(tailscaled.listen(9443), tailscaled.nodeName() + ":9443", "/").status()).isEqualTo(200);
    }

    private String proxy() {
        JsonNode web = tailscaled.serveConfig().path("Web");
        return web.elements().next().path("Handlers").path("/").path("Proxy").asText();
    }

    private int activatorPort() throws Exception {
        try (var store = labs.sandwich.puck.core.internal.StateStore.open(tmp.resolve("puck.db"), java.time.Clock.systemUTC())) {
            return Integer.parseInt(store.backendState().get("puck", "activator-port").orElseThrow());
        }
    }

    private long caddyPid() {
        return labs.sandwich.puck.network.internal.CaddyProcesses.pid(caddyDir);
    }

    /** The inodes of a process's sockets, from its /proc/PID/fd links ({@code socket:[inode]}). */
    private static Set<Long> socketInodes(long pid) throws IOException {
        Set<Long> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    if (link.startsWith("socket:[")) {
                        inodes.add(Long.parseLong(link.substring(8, link.length() - 1)));
                    }
                } catch (IOException gone) {
                    // closed meanwhile
                }
            }
        }
        return inodes;
    }

    /** Listening TCP sockets from /proc/net/tcp and tcp6: address (hex, as the kernel writes it), port (hex), inode. */
    private static List<String[]> listening() throws IOException {
        List<String[]> out = new ArrayList<>();
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            List<String> lines = Files.readAllLines(Path.of(file));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.strip().split("\\s+");
                if (f[3].equals("0A")) { // TCP_LISTEN
                    String[] local = f[1].split(":");
                    out.add(new String[] {local[0], local[1], f[9]});
                }
            }
        }
        return out;
    }

    /** 127.0.0.0/8 (little-endian hex in /proc/net/tcp), ::1, or ::ffff:127.x.y.z. */
    private static boolean loopback(String hex) {
        if (hex.length() == 8) {
            return hex.endsWith("7F");
        }
        return hex.equals("00000000000000000000000001000000") || (hex.startsWith("0000000000000000FFFF0000") && hex.endsWith("7F"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
