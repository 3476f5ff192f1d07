package labs.sandwich.puck.network.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.IngressUnavailableException;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.network.TailscaleIngressProvider;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.Route;
import labs.sandwich.puck.testkit.InMemoryRuntimeContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Tailscale ingress against a stand-in tailscaled on a real unix socket (the LocalAPI's
 * contract: Host check, ETags, 412, tailscaled's error bodies) and a real Caddy that Puck starts;
 * a small HTTP server plays the sprite. Requests go the way tailscaled forwards them: to the
 * stand-in's tailnet port with the tailnet name as Host, then to Caddy, then to the sprite.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TailscaleIngressTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    static Path tmp;
    Path caddyDir;
    ServerSocket sprite;
    TailscaledStandIn tailscaled;
    InMemoryRuntimeContext context;
    TailscaleIngress ingress;

    @BeforeAll
    void startSpriteAndCaddy() throws Exception {
        sprite = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().start(() -> {
            while (!sprite.isClosed()) {
                try (Socket c = sprite.accept()) {
                    String head = readHead(c.getInputStream());
                    byte[] b = ("sprite saw Host=" + header(head, "Host") + " X-Forwarded-Host=" + header(head, "X-Forwarded-Host")
                            + " path=" + head.split(" ")[1]).getBytes(StandardCharsets.UTF_8);
                    c.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    c.getOutputStream().write(b);
                } catch (IOException e) {
                    // next
                }
            }
        });
        caddyDir = tmp.resolve("caddy");
    }

    @BeforeEach
    void startTailscaled() throws Exception {
        tailscaled = new TailscaledStandIn(tmp.resolve("tailscaled.sock")).start();
        context = new InMemoryRuntimeContext(Clock.systemUTC(), tmp, Map.of("caddy.dir", caddyDir.toString(),
                "caddy.http-port", Integer.toString(freePort()), "caddy.https-port", Integer.toString(freePort()),
                "tailscale.socket", tailscaled.socket().toString()));
        ingress = (TailscaleIngress) new TailscaleIngressProvider().create(context);
    }

    @AfterEach
    void stopTailscaled() throws Exception {
        for (String key : ingress.published().keySet()) {
            String[] k = key.split(":");
            ingress.withdraw(k[0], Integer.parseInt(k[1]));
        }
        tailscaled.close();
    }

    @AfterAll
    void stopAll() throws Exception {
        sprite.close();
        CaddyProcesses.forget(caddyDir);
    }

    Route route(String name, int port, ExposureMode mode, boolean primary) {
        return new Route(name, port, new Endpoint("127.0.0.1", sprite.getLocalPort()), mode, primary, false);
    }

    @Test
    void theStandInKeepsTheLocalApiContract() throws Exception {
        UnixHttp wrongHost = new UnixHttp(tailscaled.socket(), "localhost");
        UnixHttp.Response r = wrongHost.call("GET", "/localapi/v0/status", Map.of(), null);
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.body()).isEqualTo("invalid localapi request\n");
        UnixHttp right = new UnixHttp(tailscaled.socket(), LocalApi.HOST);
        assertThat(right.call("GET", "/localapi/v0/status", Map.of("Origin", "http://evil.example"), null).status()).isEqualTo(403);
        assertThat(right.call("GET", "/localapi/v0/nope", Map.of(), null).body()).isEqualTo("404 page not found\n");
        assertThat(right.call("PUT", "/localapi/v0/serve-config", Map.of(), "{}").status()).isEqualTo(405);

        LocalApi api = new LocalApi(tailscaled.socket());
        LocalApi.ServeConfig empty = api.serveConfig();
        assertThat(empty.config().isEmpty()).isTrue();
        assertThat(empty.etag()).hasSize(64);
        ObjectNode mine = (ObjectNode) JSON.readTree("{\"TCP\":{\"443\":{\"HTTPS\":true}}}");
        api.setServeConfig(mine, empty.etag());
        assertThatThrownBy(() -> api.setServeConfig(mine, empty.etag())).isInstanceOf(LocalApi.StaleETagException.class).hasMessage("etag mismatch");
        String etag = api.serveConfig().etag();
        assertThat(etag).isNotEqualTo(empty.etag());

        UnixHttp.Response bad = right.call("POST", "/localapi/v0/serve-config", Map.of("If-Match", etag), "{\"TCP\":{\"70000\":{}}}");
        assertThat(bad.status()).isEqualTo(500);
        assertThat(JSON.readTree(bad.body()).path("error").asText()).isEqualTo("decoding config: json: cannot unmarshal number 70000 into Go value of type uint16");
        ObjectNode changesType = (ObjectNode) JSON.readTree("{\"TCP\":{\"443\":{\"TCPForward\":\"127.0.0.1:22\"}}}");
        assertThatThrownBy(() -> api.setServeConfig(changesType, etag)).isInstanceOf(IngressUnavailableException.class)
                .hasMessageContaining("updating config: want to serve \"tcp\", but port 443 is already serving \"https\"");
        tailscaled.reset();
    }

    @Test
    void anUntaggedNodeServesTheTailnetOnItsOwnNameAndAPortAndWithdrawLeavesNothing() throws Exception {
        URI url = ingress.publish(route("web", 8080, ExposureMode.TAILNET, true));
        assertThat(url).hasToString("https://" + tailscaled.nodeName() + ":9443/");
        JsonNode sc = tailscaled.serveConfig();
        assertThat(sc.path("TCP").path("9443").path("HTTPS").asBoolean()).isTrue();
        String proxy = sc.path("Web").path(tailscaled.nodeName() + ":9443").path("Handlers").path("/").path("Proxy").asText();
        assertThat(proxy).startsWith("http://127.0.0.1:");
        assertThat(sc.has("AllowFunnel")).as("tailnet only: no Funnel").isFalse();

        String answer = viaTailnet(9443, tailscaled.nodeName() + ":9443", "/hello");
        assertThat(answer).contains("200 OK").contains("sprite saw Host=" + tailscaled.nodeName() + ":9443")
                .contains("X-Forwarded-Host=" + tailscaled.nodeName() + ":9443").contains("path=/hello");

        ingress.withdraw("web", 8080);
        assertThat(tailscaled.serveConfig().isEmpty() || tailscaled.serveConfig().isNull()).as("nothing left: " + tailscaled.serveConfig()).isTrue();
        int caddyPort = URI.create(proxy).getPort();
        assertThatThrownBy(() -> new Socket("127.0.0.1", caddyPort).close()).as("Caddy's server for it is gone").isInstanceOf(IOException.class);
    }

    @Test
    void aTaggedNodeGivesEachSpriteItsOwnServiceName() throws Exception {
        tailscaled.tags("tag:puck");
        URI url = ingress.publish(route("web", 8080, ExposureMode.TAILNET, true));
        URI second = ingress.publish(route("web", 9090, ExposureMode.TAILNET, false));
        assertThat(url).hasToString("https://web." + tailscaled.suffix() + "/");
        assertThat(second).hasToString("https://web." + tailscaled.suffix() + ":9090/");
        JsonNode svc = tailscaled.serveConfig().path("Services").path("svc:web");
        assertThat(svc.path("TCP").path("443").path("HTTPS").asBoolean()).isTrue();
        assertThat(svc.path("Web").has("web." + tailscaled.suffix() + ":443")).isTrue();
        assertThat(tailscaled.advertisedServices()).containsExactly("svc:web");
        assertThat(viaTailnet(443, "web." + tailscaled.suffix(), "/")).contains("sprite saw Host=web." + tailscaled.suffix());

        ingress.withdraw("web", 8080);
        assertThat(tailscaled.advertisedServices()).as("still serves 9090").containsExactly("svc:web");
        ingress.withdraw("web", 9090);
        assertThat(tailscaled.serveConfig().path("Services").has("svc:web")).isFalse();
        assertThat(tailscaled.advertisedServices()).isEmpty();
    }

    @Test
    void publicNeedsFunnelAndGetsTheNodesFunnelPortsOnly() throws Exception {
        assertThatThrownBy(() -> ingress.publish(route("pub", 8080, ExposureMode.PUBLIC, true)))
                .isInstanceOf(IngressUnavailableException.class)
                .hasMessageContaining("Funnel not available; \"funnel\" node attribute not set. See https://tailscale.com/s/no-funnel")
                .hasMessageContaining("nodeAttrs");
        assertThat(tailscaled.serveConfig().isNull()).as("nothing was written").isTrue();
        tailscaled.funnel();
        List<URI> urls = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            urls.add(ingress.publish(route(name, 8080, ExposureMode.PUBLIC, true)));
        }
        String node = tailscaled.nodeName();
        assertThat(urls).extracting(URI::toString).containsExactly("https://" + node + "/", "https://" + node + ":8443/", "https://" + node + ":10000/");
        assertThat(tailscaled.serveConfig().path("AllowFunnel").path(node + ":8443").asBoolean()).isTrue();
        assertThatThrownBy(() -> ingress.publish(route("d", 8080, ExposureMode.PUBLIC, true)))
                .isInstanceOf(IngressUnavailableException.class)
                .hasMessageContaining("Funnel serves only this node's own name, on ports [443, 8443, 10000]")
                .hasMessageContaining("--tailnet");
        assertThat(viaTailnet(8443, node + ":8443", "/x")).contains("sprite saw Host=" + node + ":8443");
    }

    @Test
    void entriesPuckDidNotMakeSurvivePublishAndWithdraw() throws Exception {
        tailscaled.funnel();
        LocalApi api = new LocalApi(tailscaled.socket());
        String node = tailscaled.nodeName();
        ObjectNode theirs = (ObjectNode) JSON.readTree("{\"TCP\":{\"443\":{\"HTTPS\":true},\"22\":{\"TCPForward\":\"127.0.0.1:22\"}},"
                + "\"Web\":{\"" + node + ":443\":{\"Handlers\":{\"/\":{\"Proxy\":\"http://127.0.0.1:3000\"}}}},"
                + "\"AllowFunnel\":{\"" + node + ":443\":true},\"SomethingNewer\":{\"kept\":1}}");
        api.setServeConfig(theirs.deepCopy(), api.serveConfig().etag());

        URI url = ingress.publish(route("web", 8080, ExposureMode.PUBLIC, true));
        assertThat(url).as("443 is theirs").hasToString("https://" + node + ":8443/");
        JsonNode both = tailscaled.serveConfig();
        assertThat(both.path("Web").path(node + ":443")).isEqualTo(theirs.path("Web").path(node + ":443"));
        assertThat(both.path("SomethingNewer")).as("a field Puck does not know is sent back").isEqualTo(theirs.path("SomethingNewer"));

        URI moved = ingress.publish(route("web", 8080, ExposureMode.TAILNET, true));
        assertThat(moved).hasToString("https://" + node + ":9443/");
        assertThat(tailscaled.serveConfig().path("AllowFunnel").has(node + ":8443")).as("no longer public").isFalse();

        ingress.withdraw("web", 8080);
        assertThat(tailscaled.serveConfig()).isEqualTo(theirs);
    }

    @Test
    void concurrentWritersRetryOn412AndNeitherLosesEntries() throws Exception {
        LocalApi other = new LocalApi(tailscaled.socket());
        AtomicBoolean done = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> theirs = pool.submit(() -> {
                int n = 0;
                while (!done.get() || n < 20) {
                    LocalApi.ServeConfig sc = other.serveConfig();
                    Thread.sleep(2); // a slow writer, between its read and its write
                    int port = 20000 + n;
                    ObjectNode tcp = sc.config().get("TCP") instanceof ObjectNode o ? o : sc.config().putObject("TCP");
                    tcp.putObject(Integer.toString(port)).put("TCPForward", "127.0.0.1:" + port);
                    try {
                        other.setServeConfig(sc.config(), sc.etag());
                        n++;
                    } catch (LocalApi.StaleETagException e) {
                        // read again
                    }
                }
                return n;
            });
            List<String> names = List.of("s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8");
            for (String name : names) {
                ingress.publish(route(name, 8080, ExposureMode.TAILNET, true));
            }
            done.set(true);
            int written = theirs.get();
            JsonNode sc = tailscaled.serveConfig();
            for (int i = 0; i < written; i++) {
                assertThat(sc.path("TCP").has(Integer.toString(20000 + i))).as("the other writer's entry %d", i).isTrue();
            }
            for (int i = 0; i < names.size(); i++) {
                assertThat(sc.path("TCP").path(Integer.toString(9443 + i)).path("HTTPS").asBoolean()).as("Puck's entry %d", i).isTrue();
            }
            assertThat(tailscaled.preconditionFailures()).as("the writers did collide").isPositive();
        } finally {
            done.set(true);
            pool.shutdownNow();
        }
    }

    @Test
    void tailscaledGoneSaysWhatToDoAndItsReturnIsHealed() throws Exception {
        URI url = ingress.publish(route("keep", 8080, ExposureMode.TAILNET, true));
        ingress.publish(route("drop", 8080, ExposureMode.TAILNET, true));
        tailscaled.stop();
        assertThatThrownBy(() -> ingress.publish(route("new", 8080, ExposureMode.TAILNET, true)))
                .isInstanceOf(IngressUnavailableException.class)
                .hasMessageContaining("tailscaled is not running here: its socket " + tailscaled.socket() + " does not exist")
                .hasMessageContaining("sudo tailscale up").hasMessageContaining("[PUCK-INGRESS-001]");
        assertThat(new TailscaleIngressProvider().probe(context).toString()).contains("not running");
        ingress.withdraw("drop", 8080); // the URL stops leading anywhere at once; tailscaled is told when it is back
        assertThat(ingress.published()).containsOnlyKeys("keep:8080");
        assertThat(ingress.revive()).as("nothing can be done while it is away").isFalse();

        tailscaled.start();
        assertThat(ingress.revive()).as("its entries are still there").isFalse();
        assertThat(tailscaled.serveConfig().path("TCP").size()).as("the withdrawal was finished").isEqualTo(1);
        tailscaled.reset(); // tailscaled came back without its serve config
        assertThat(ingress.revive()).as("an entry is gone: publish again").isTrue();
        assertThat(ingress.publish(route("keep", 8080, ExposureMode.TAILNET, true))).isEqualTo(url);
        assertThat(viaTailnet(9443, tailscaled.nodeName() + ":9443", "/")).contains("200 OK");
    }

    @Test
    void badInputAndAnUnreadyTailnetGetClearAnswers() throws Exception {
        assertThatThrownBy(() -> ingress.publish(route("Bad_Name", 8080, ExposureMode.TAILNET, true))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("'Bad_Name' cannot be a tailnet name");
        assertThatThrownBy(() -> ingress.publish(route("web", 70000, ExposureMode.TAILNET, true))).isInstanceOf(InvalidSpecException.class)
                .hasMessageContaining("Port 70000 is not a TCP port");
        assertThatThrownBy(() -> new TailscaleIngressProvider().create(new InMemoryRuntimeContext(Clock.systemUTC(), tmp,
                Map.of("tailscale.node-ports", "9443-80")))).isInstanceOf(InvalidSpecException.class).hasMessageContaining("FROM-TO");
        tailscaled.backendState("NeedsLogin");
        assertThatThrownBy(() -> ingress.publish(route("web", 8080, ExposureMode.TAILNET, true))).isInstanceOf(IngressUnavailableException.class)
                .hasMessageContaining("tailscaled is NeedsLogin (not logged in to a tailnet)").hasMessageContaining("sudo tailscale up");
        tailscaled.backendState("Running").https(false);
        assertThatThrownBy(() -> ingress.publish(route("web", 8080, ExposureMode.TAILNET, true))).isInstanceOf(IngressUnavailableException.class)
                .hasMessageContaining("HTTPS certificates are not enabled");
        tailscaled.https(true).funnel().shieldsUp(true);
        assertThatThrownBy(() -> ingress.publish(route("web", 8080, ExposureMode.PUBLIC, true))).isInstanceOf(IngressUnavailableException.class)
                .hasMessageContaining("Unable to turn on Funnel while shields-up is enabled");
        assertThat(ingress.published()).isEmpty();
        assertThat(tailscaled.serveConfig().isNull()).isTrue();
    }

    /** A request as tailscaled forwards it after TLS: to the stand-in's tailnet port, with the tailnet Host. */
    private String viaTailnet(int tailnetPort, String host, String path) throws IOException {
        int port = tailscaled.listen(tailnetPort);
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** @return the request's head, up to the blank line */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            b.append((char) c);
            if (b.length() >= 4 && b.substring(b.length() - 4).equals("\r\n\r\n")) {
                break;
            }
        }
        return b.toString();
    }

    private static String header(String head, String name) {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(java.util.Locale.ROOT).startsWith(name.toLowerCase(java.util.Locale.ROOT) + ":")) {
                return line.substring(name.length() + 1).strip();
            }
        }
        return null;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
