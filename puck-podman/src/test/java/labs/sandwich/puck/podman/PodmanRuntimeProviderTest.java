package labs.sandwich.puck.podman;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import labs.sandwich.puck.spi.Probe;
import labs.sandwich.puck.testkit.InMemoryRuntimeContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the probe says when Podman is missing, dead or not Podman at all; and that it finds the real one. */
class PodmanRuntimeProviderTest {
    @TempDir
    Path tmp;

    private Probe probe(Map<String, String> config) {
        return new PodmanRuntimeProvider().probe(new InMemoryRuntimeContext(Clock.systemUTC(), tmp, config));
    }

    @Test
    void noSocketSaysWhereItLookedAndHowToFixIt() {
        Probe p = probe(Map.of("podman.socket", tmp.resolve("absent.sock").toString()));
        assertThat(p).isInstanceOfSatisfying(Probe.Unavailable.class, u -> {
            assertThat(u.reason()).contains("no Podman socket", "absent.sock");
            assertThat(u.remedy()).contains("sudo scripts/host-setup.sh", "PUCK_PODMAN_SOCKET");
        });
    }

    @Test
    void aSocketThatIsNotPodmanIsReported() throws Exception {
        Path sock = tmp.resolve("liar.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread liar = Thread.ofVirtual().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    try (SocketChannel c = server.accept()) {
                        c.read(ByteBuffer.allocate(4096));
                        c.write(ByteBuffer.wrap("HTTP/1.1 500 Nope\r\nContent-Length: 5\r\nConnection: close\r\n\r\nnope\n".getBytes(StandardCharsets.US_ASCII)));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            Probe p = probe(Map.of("podman.socket", sock.toString()));
            liar.interrupt();
            assertThat(p).isInstanceOfSatisfying(Probe.Unavailable.class, u -> {
                assertThat(u.reason()).contains(sock.toString(), "does not answer");
                assertThat(u.remedy()).contains("host-setup.sh");
            });
        }
    }

    @Test
    void theRealServiceIsFoundWithItsVersionAndCheckpointAbility() {
        Probe p = probe(Map.of());
        assertThat(p).isInstanceOfSatisfying(Probe.Available.class, a -> {
            assertThat(a.detail()).startsWith("podman 5.").contains("/run/podman/podman.sock", "CRIU checkpoints");
            // These VMs lack CAP_SYS_RESOURCE (HOST.md); the probe must say what that costs.
            boolean lacking = (Long.parseUnsignedLong(capBnd(), 16) & (1L << 24)) == 0;
            assertThat(a.detail().contains("CAP_SYS_RESOURCE")).isEqualTo(lacking);
        });
    }

    private static String capBnd() {
        try {
            return java.nio.file.Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("CapBnd:")).findFirst().orElseThrow().substring(7).strip();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
