package labs.sandwich.puck.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.core.internal.Activator.Target;
import org.junit.jupiter.api.Test;

/** How the activator tells which sprite and port a request is for, from what the ingress's route leaves in it. */
class ActivatorTest {
    private static final Map<String, List<StateStore.Exposed>> EXPOSED = Map.of(
            "web", List.of(exposed("web", 8080, ExposureMode.LOCAL, true), exposed("web", 8081, ExposureMode.LOCAL, false),
                    exposed("web", 9000, ExposureMode.TAILNET, false)),
            "api", List.of(exposed("api", 3000, ExposureMode.TAILNET, true)));

    @Test
    void theHostOfACaddyRouteNamesTheSpriteAndPort() {
        assertThat(fromHost("web.localhost")).as("the bare name: the primary port").contains(new Target("web", 8080));
        assertThat(fromHost("web.localhost:18080")).as("with Caddy's port").contains(new Target("web", 8080));
        assertThat(fromHost("8081-web.localhost")).contains(new Target("web", 8081));
        assertThat(fromHost("8080-web.localhost")).contains(new Target("web", 8080));
    }

    @Test
    void aHostNoLocalRouteHasNamesNothing() {
        assertThat(fromHost("9999-web.localhost")).as("a port it does not expose").isEmpty();
        assertThat(fromHost("9000-web.localhost")).as("a port exposed on the tailnet only: no .localhost route leads there").isEmpty();
        assertThat(fromHost("api.localhost")).as("a primary port exposed on the tailnet only").isEmpty();
        assertThat(fromHost("nosuch.localhost")).isEmpty();
        assertThat(fromHost("web.example.com")).isEmpty();
        assertThat(fromHost("localhost")).isEmpty();
        assertThat(fromHost(".localhost")).isEmpty();
        assertThat(fromHost("a.web.localhost")).as("not a sprite name").isEmpty();
        assertThat(fromHost("web.localhost.evil")).isEmpty();
    }

    @Test
    void theWakeHeaderIsReadOnlyWhenWellFormed() {
        assertThat(Activator.wakeHeader("GET / HTTP/1.1\r\nHost: x\r\nx-puck-wake: web:8080\r\n\r\n")).contains(new Target("web", 8080));
        assertThat(Activator.wakeHeader("GET / HTTP/1.1\r\nX-Puck-Wake: web\r\n\r\n")).isEmpty();
        assertThat(Activator.wakeHeader("GET / HTTP/1.1\r\nX-Puck-Wake: Web_1:80\r\n\r\n")).isEmpty();
        assertThat(Activator.wakeHeader("GET / HTTP/1.1\r\nX-Puck-Wake: web:70000\r\n\r\n")).isEmpty();
        assertThat(Activator.wakeHeader("GET / HTTP/1.1\r\nHost: web.localhost\r\n\r\n")).isEmpty();
    }

    @Test
    void theSpriteGetsTheRequestWithoutPuckHeaderAndClosingAfterIt() {
        String forwarded = Activator.forwarded("GET / HTTP/1.1\r\nHost: web.localhost\r\nX-Puck-Wake: web:8080\r\nConnection: keep-alive\r\n\r\n");
        assertThat(forwarded).isEqualTo("GET / HTTP/1.1\r\nHost: web.localhost\r\nConnection: close\r\n\r\n");
        String upgrade = "GET /ws HTTP/1.1\r\nHost: web.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
        assertThat(Activator.forwarded(upgrade)).as("a websocket keeps its upgrade").isEqualTo(upgrade);
    }

    private static java.util.Optional<Target> fromHost(String host) {
        return Activator.fromHost(host, sprite -> EXPOSED.getOrDefault(sprite, List.of()));
    }

    private static StateStore.Exposed exposed(String sprite, int port, ExposureMode mode, boolean primary) {
        return new StateStore.Exposed(sprite, port, mode, primary, "http://" + sprite + ".localhost/");
    }
}
