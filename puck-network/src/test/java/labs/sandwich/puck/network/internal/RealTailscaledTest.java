package labs.sandwich.puck.network.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.network.TailscaleIngressProvider;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.Probe;
import labs.sandwich.puck.spi.Route;
import labs.sandwich.puck.testkit.InMemoryRuntimeContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same client against a real tailscaled, where one runs: its socket at
 * {@code /var/run/tailscale/tailscaled.sock} or named by {@code PUCK_TAILSCALE_SOCKET}. Reading is
 * harmless; the write checked is one tailscaled refuses (a stale ETag). Publishing a real URL and
 * withdrawing it runs only with {@code PUCK_TAILSCALE_WRITE=1} (it changes the node's serve
 * configuration for a moment, leaving other entries as they were). Skipped elsewhere.
 */
class RealTailscaledTest {
    @TempDir
    Path tmp;
    Path socket;

    @BeforeEach
    void needsTailscaled() {
        socket = Path.of(System.getenv().getOrDefault("PUCK_TAILSCALE_SOCKET", TailscaleIngressProvider.DEFAULT_SOCKET.toString()));
        assumeTrue(Files.exists(socket), "no tailscaled here (" + socket + ")");
    }

    @Test
    void readsStatusAndServeConfigAndGets412ForAStaleETag() throws Exception {
        LocalApi api = new LocalApi(socket);
        TailscaleIngress.Node node = TailscaleIngress.Node.of(api.status());
        assertThat(node.dnsName()).endsWith("." + node.suffix());
        LocalApi.ServeConfig sc = api.serveConfig();
        assertThat(sc.etag()).matches("[0-9a-f]{64}");
        String stale = "0".repeat(64);
        assertThatThrownBy(() -> api.setServeConfig(sc.config(), stale)).isInstanceOf(LocalApi.StaleETagException.class).hasMessage("etag mismatch");
        assertThat(api.serveConfig().config()).as("unchanged").isEqualTo(sc.config());
        UnixHttp.Response wrongHost = new UnixHttp(socket, "example.com").call("GET", "/localapi/v0/status", Map.of(), null);
        assertThat(wrongHost.status()).isEqualTo(403);
        assertThat(wrongHost.body()).isEqualTo("invalid localapi request\n");
    }

    @Test
    void publishesAndWithdrawsATailnetUrlWhenAllowedTo() throws Exception {
        assumeTrue("1".equals(System.getenv("PUCK_TAILSCALE_WRITE")), "set PUCK_TAILSCALE_WRITE=1 to let this test change the node's serve configuration");
        InMemoryRuntimeContext context = new InMemoryRuntimeContext(Clock.systemUTC(), tmp, Map.of("tailscale.socket", socket.toString(),
                "caddy.dir", tmp.resolve("caddy").toString(), "caddy.http-port", "0", "caddy.https-port", "0", "tailscale.services", "off"));
        assumeTrue(new TailscaleIngressProvider().probe(context) instanceof Probe.Available, "tailscaled is not running and logged in");
        TailscaleIngress ingress = (TailscaleIngress) new TailscaleIngressProvider().create(context);
        var before = new LocalApi(socket).serveConfig().config();
        URI url = ingress.publish(new Route("puck-test", 8080, new Endpoint("127.0.0.1", 9), ExposureMode.TAILNET, true, false));
        assertThat(url.getHost()).endsWith(".ts.net");
        ingress.withdraw("puck-test", 8080);
        assertThat(new LocalApi(socket).serveConfig().config()).isEqualTo(before);
    }
}
