package labs.sandwich.puck.network.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.network.CaddyIngressProvider;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.Route;
import labs.sandwich.puck.testkit.InMemoryRuntimeContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caddy replaces its admin listener on every config change, so for a moment nobody answers on
 * the admin socket. revive() must not take that for a dead Caddy: starting a second one deleted
 * the live one's socket and fought it for the ports (seen in full CI runs). A real Caddy.
 */
class CaddyReviveTest {
    @TempDir
    Path tmp;

    @AfterEach
    void stop() {
        CaddyProcesses.forget(tmp.resolve("caddy"));
    }

    @Test
    void anUnansweredAdminCallIsNotADeadCaddyButAKilledCaddyIsStartedAgain() throws Exception {
        Path dir = tmp.resolve("caddy");
        var context = new InMemoryRuntimeContext(Clock.systemUTC(), tmp, Map.of("caddy.dir", dir.toString(),
                "caddy.http-port", Integer.toString(freePort()), "caddy.https-port", Integer.toString(freePort())));
        CaddyIngress ingress = (CaddyIngress) new CaddyIngressProvider().create(context);
        long pid = CaddyProcesses.pid(dir);

        Path socket = ingress.adminSocket();
        Path aside = socket.resolveSibling("admin.sock.aside");
        Files.move(socket, aside); // the admin endpoint, as between two listeners: nobody answers at that path
        try {
            assertThat(ingress.revive()).as("Caddy still runs: nothing to start").isFalse();
            assertThat(CaddyIngress.processes(dir).map(ProcessHandle::pid).toList()).containsExactly(pid);
        } finally {
            Files.move(aside, socket);
        }

        CaddyProcesses.stop(dir);
        assertThat(ingress.revive()).as("a killed Caddy is started again").isTrue();
        assertThat(CaddyIngress.processes(dir).map(ProcessHandle::pid).toList()).singleElement().isNotEqualTo(pid);
        assertThat(ingress.revive()).as("and then answers").isFalse();
    }

    /** A state change can publish before the daemon's tick: that publish starts the dead Caddy, and the tick must still publish the rest. */
    @Test
    void aCaddyThatAPublishStartedAgainIsReportedByTheNextRevive() throws Exception {
        Path dir = tmp.resolve("caddy");
        var context = new InMemoryRuntimeContext(Clock.systemUTC(), tmp, Map.of("caddy.dir", dir.toString(),
                "caddy.http-port", Integer.toString(freePort()), "caddy.https-port", Integer.toString(freePort())));
        CaddyIngress ingress = (CaddyIngress) new CaddyIngressProvider().create(context);
        ingress.publish(new Route("web", 8080, new Endpoint("127.0.0.1", freePort()), ExposureMode.LOCAL, true, false));
        assertThat(ingress.revive()).isFalse();

        CaddyProcesses.stop(dir);
        ingress.publish(new Route("api", 8080, new Endpoint("127.0.0.1", freePort()), ExposureMode.LOCAL, true, false));
        assertThat(ingress.routeIds()).as("the new Caddy has the one route published since").noneMatch(id -> id.contains("-web-"));
        assertThat(ingress.revive()).as("so the routes published before are gone").isTrue();
        assertThat(ingress.revive()).as("said once").isFalse();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
