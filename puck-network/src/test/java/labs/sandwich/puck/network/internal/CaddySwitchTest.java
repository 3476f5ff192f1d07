package labs.sandwich.puck.network.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.network.CaddyIngressProvider;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.Route;
import labs.sandwich.puck.testkit.InMemoryRuntimeContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A real Caddy's route following each route switch: requests reach whichever of two local
 * servers (standing for a sprite and the activator) the route is pointed at, and Caddy's config
 * stays byte for byte the same through the switches, so no listener is replaced.
 */
class CaddySwitchTest {
    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        CaddyProcesses.forget(tmp.resolve("caddy"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"kernel", "file"})
    void aRouteFollowsItsSwitchAndCaddysConfigStaysTheSame(String mode) throws Exception {
        assumeTrue(mode.equals("file") || KernelSwitch.usable(), "the kernel switch needs root");
        ServerSocket sprite = server("sprite");
        ServerSocket activator = server("activator");
        try {
            int http = freePort();
            Path dir = tmp.resolve("caddy");
            var context = new InMemoryRuntimeContext(Clock.systemUTC(), tmp, Map.of("caddy.dir", dir.toString(), "caddy.switch", mode,
                    "caddy.http-port", Integer.toString(http), "caddy.https-port", Integer.toString(freePort())));
            CaddyIngress ingress = (CaddyIngress) new CaddyIngressProvider().create(context);
            assertThat(ingress.routeSwitch()).startsWith(mode);

            ingress.publish(route(sprite, false));
            String config = config(dir);
            for (int i = 0; i < 2; i++) {
                assertThat(get(http, "web.localhost")).as("awake: the sprite answers, and gets no wake header").isEqualTo("sprite -");
                ingress.publish(route(activator, true));
                assertThat(get(http, "web.localhost")).as("asleep: the activator answers; the Host names the sprite, and a client's wake header is removed")
                        .isEqualTo("activator -");
                ingress.publish(route(sprite, false));
            }
            assertThat(get(http, "web.localhost")).isEqualTo("sprite -");
            assertThat(config(dir)).as("switching changed no config").isEqualTo(config);

            ingress.withdraw("web", 8080);
            assertThat(get(http, "web.localhost")).as("withdrawn: Caddy's 404").startsWith("No sprite is exposed at web.localhost");
            assertThat(ingress.upstream("web", 8080)).isEmpty();
        } finally {
            sprite.close();
            activator.close();
        }
    }

    private static Route route(ServerSocket to, boolean activator) {
        return new Route("web", 8080, new Endpoint("127.0.0.1", to.getLocalPort()), ExposureMode.LOCAL, true, activator);
    }

    /** A server that answers each request with its name and the wake header it got ("-" for none), then closes the connection. */
    private static ServerSocket server(String name) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try (Socket c = server.accept()) {
                    var in = new java.io.BufferedReader(new java.io.InputStreamReader(c.getInputStream(), StandardCharsets.ISO_8859_1));
                    String wake = null;
                    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                        if (line.regionMatches(true, 0, Route.WAKE_HEADER + ":", 0, Route.WAKE_HEADER.length() + 1)) {
                            wake = line.substring(Route.WAKE_HEADER.length() + 1).strip();
                        }
                    }
                    byte[] body = (name + " " + (wake == null ? "-" : wake)).getBytes(StandardCharsets.UTF_8);
                    c.getOutputStream().write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    c.getOutputStream().write(body);
                } catch (IOException e) {
                    // closed at the end of the test, or a client that went away
                }
            }
        });
        return server;
    }

    /** One GET with its own connection, the given Host and a forged wake header; Caddy's answer's body. */
    private static String get(int port, String host) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.getOutputStream().write(("GET / HTTP/1.1\r\nHost: " + host + "\r\n" + Route.WAKE_HEADER + ": other:1\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return answer.substring(answer.indexOf("\r\n\r\n") + 4);
        }
    }

    private static String config(Path dir) throws IOException {
        return new CaddyAdmin(dir.resolve("admin.sock")).call("GET", "/config/", null).body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
