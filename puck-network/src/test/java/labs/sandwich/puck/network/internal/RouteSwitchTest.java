package labs.sandwich.puck.network.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import labs.sandwich.puck.api.ExposureMode;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.spi.Endpoint;
import labs.sandwich.puck.spi.Route;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two route switches against the real kernel and file system: what a route dials stays the
 * same while where it leads changes, a switch to the activator cuts Caddy's connections still
 * open to the sprite (and only Caddy's), and the kernel switch's table and address go with its
 * last route. Local listeners stand for sprites and the activator; a socket bound to the switch
 * address stands for Caddy.
 */
class RouteSwitchTest {
    private static final String ADDRESS = "198.19.0.1";

    @TempDir
    Path tmp;

    @AfterEach
    void forget() {
        KernelSwitch.forget(tmp.resolve("a"));
        KernelSwitch.forget(tmp.resolve("b"));
    }

    @Test
    void anAwakeRouteDialsItsSpriteAndOnlyCaddysConnectionsAreSentToTheActivatorWhileItSleeps() throws Exception {
        assumeTrue(KernelSwitch.usable(), "needs root: nftables, ip and ss -K");
        try (ServerSocket sprite = listener(); ServerSocket activator = listener()) {
            KernelSwitch routes = new KernelSwitch(tmp.resolve("a"), ADDRESS);
            assertThat(routes.source()).contains(ADDRESS);
            String dial = routes.point("web-8080", route("web", sprite, false));
            assertThat(dial).as("awake when published: the route dials the sprite itself").isEqualTo("127.0.0.1:" + sprite.getLocalPort());
            assertThat(routes.target("web-8080")).contains(dial);

            try (Socket pooled = fromCaddy(dial); Socket atSprite = sprite.accept(); Socket other = new Socket("127.0.0.1", sprite.getLocalPort());
                    Socket otherAtSprite = sprite.accept()) {
                assertThat(routes.point("web-8080", route("web", activator, true))).as("the route dials the same whatever its target").isEqualTo(dial);
                assertThat(routes.target("web-8080")).contains("127.0.0.1:" + activator.getLocalPort());
                pooled.setSoTimeout(5000);
                assertThatThrownBy(() -> pooled.getInputStream().read()).as("Caddy's connection still open to the sleeping sprite is cut")
                        .isInstanceOf(IOException.class).hasMessageContaining("abort");
                other.getOutputStream().write('o');
                assertThat(otherAtSprite.getInputStream().read()).as("another program's connection to the sprite is left alone").isEqualTo('o');
                try (Socket another = new Socket("127.0.0.1", sprite.getLocalPort()); Socket at = sprite.accept()) {
                    assertThat(at.getLocalPort()).as("and only Caddy's new connections are steered").isEqualTo(sprite.getLocalPort());
                }
            }
            try (Socket toActivator = fromCaddy(dial); Socket atActivator = activator.accept()) {
                assertThat(atActivator.getLocalPort()).as("Caddy's new connection reaches the activator").isEqualTo(activator.getLocalPort());
                assertThat(routes.point("web-8080", route("web", sprite, false))).isEqualTo(dial);
                toActivator.getOutputStream().write('x');
                assertThat(atActivator.getInputStream().read()).as("the switch back to the sprite leaves the activator's connection alone").isEqualTo('x');
                assertLeadsTo(dial, sprite, "awake again: Caddy's new connection reaches the sprite");
            }
            assertThat(routes.point("web-8080", route("web", activator, true))).isEqualTo(dial);
            assertThat(new KernelSwitch(tmp.resolve("a"), ADDRESS).point("web-8080", route("web", activator, true)))
                    .as("published again while it sleeps (Caddy restarted): still the sprite's address").isEqualTo(dial);
        }
    }

    @Test
    void aRouteFirstPublishedWhileItsSpriteSleepsDialsTheSwitchAddressFromThenOn() throws Exception {
        assumeTrue(KernelSwitch.usable(), "needs root: nftables, ip and ss -K");
        try (ServerSocket sprite = listener(); ServerSocket activator = listener()) {
            KernelSwitch routes = new KernelSwitch(tmp.resolve("a"), ADDRESS);
            String dial = routes.point("web-8080", route("web", activator, true));
            assertThat(dial).as("its address unknown: a port of the switch address").startsWith(ADDRESS + ":");
            assertLeadsTo(dial, activator, "asleep: Caddy's connection reaches the activator");
            assertThat(routes.point("web-8080", route("web", sprite, false))).as("awake, it keeps what it dials: no config change").isEqualTo(dial);
            try (Socket pooled = fromCaddy(dial); Socket at = sprite.accept()) {
                assertThat(at.getLocalPort()).isEqualTo(sprite.getLocalPort());
                routes.point("web-8080", route("web", activator, true));
                pooled.setSoTimeout(5000);
                assertThatThrownBy(() -> pooled.getInputStream().read()).isInstanceOf(IOException.class).hasMessageContaining("abort");
            }
        }
    }

    @Test
    void aSpriteAtTheAddressWhereAnotherSleepsNeverGetsTheSleepersRequests() throws Exception {
        assumeTrue(KernelSwitch.usable(), "needs root: nftables, ip and ss -K");
        try (ServerSocket address = listener(); ServerSocket activator = listener()) {
            KernelSwitch routes = new KernelSwitch(tmp.resolve("a"), ADDRESS);
            String sleepers = routes.point("old-8080", route("old", address, false));
            routes.point("old-8080", route("old", activator, true));
            String newcomers = routes.point("new-8080", route("new", address, false));
            assertThat(newcomers).as("the newcomer's route goes through the switch address").startsWith(ADDRESS + ":");
            assertLeadsTo(sleepers, activator, "the sleeper's route still leads to the activator");
            assertLeadsTo(newcomers, address, "the newcomer's leads to the newcomer");
        }
    }

    @Test
    void processesSharingACaddyShareItsRoutesAndTheLastRouteTakesTheTableAndAddressWithIt() throws Exception {
        assumeTrue(KernelSwitch.usable(), "needs root: nftables, ip and ss -K");
        assumeTrue(!tableExists(), "another Puck on this machine has routes in the kernel switch; the table would not go");
        try (ServerSocket sprite = listener(); ServerSocket activator = listener()) {
            KernelSwitch one = new KernelSwitch(tmp.resolve("a"), ADDRESS);
            KernelSwitch sameCaddy = new KernelSwitch(tmp.resolve("a"), ADDRESS);
            KernelSwitch otherCaddy = new KernelSwitch(tmp.resolve("b"), ADDRESS);
            String dial = one.point("web-8080", route("web", activator, true));
            assertThat(sameCaddy.target("web-8080")).as("another process sharing the Caddy finds the route").contains("127.0.0.1:" + activator.getLocalPort());
            assertThat(sameCaddy.point("web-8080", route("web", sprite, false))).as("and the same port for it").isEqualTo(dial);
            String others = otherCaddy.point("web-8080", route("web", activator, true));
            assertThat(others).as("another Caddy's route of the same name gets a port of its own").isNotEqualTo(dial);
            one.point("web-80", route("web", sprite, false));
            one.point("web-80", route("web", activator, true));
            assertThat(loopback()).contains(ADDRESS);

            one.remove("web-8080");
            one.remove("web-80");
            assertThat(one.target("web-8080")).isEmpty();
            assertThat(output(List.of("nft", "list", "table", "ip", KernelSwitch.TABLE))).as("the sleeping sprite's element went with its route")
                    .doesNotContain("@web:");
            assertThat(otherCaddy.target("web-8080")).as("the other Caddy's route stays").isPresent();
            assertThat(tableExists()).isTrue();
            otherCaddy.remove("web-8080");
            otherCaddy.remove("web-8080"); // an absent route is fine
            assertThat(tableExists()).as("the last route took the table").isFalse();
            assertThat(loopback()).as("and the address").doesNotContain(ADDRESS);
        }
    }

    @Test
    void anEmptyTableLeftByHandGetsItsRuleOnceNotTwice() throws Exception {
        assumeTrue(KernelSwitch.usable(), "needs root: nftables, ip and ss -K");
        assumeTrue(!tableExists(), "another Puck on this machine has routes in the kernel switch");
        try (ServerSocket sprite = listener()) {
            KernelSwitch routes = new KernelSwitch(tmp.resolve("a"), ADDRESS);
            String dial = routes.point("web-8080", route("web", sprite, false));
            run(List.of("nft", "delete", "element", "ip", KernelSwitch.TABLE, "direct", "{ " + dial.replace(":", " . ") + " . 1 }"));
            routes.point("web-8080", route("web", sprite, false));
            assertThat(output(List.of("nft", "list", "chain", "ip", KernelSwitch.TABLE, "output")).split("dnat", -1)).as("one dnat rule").hasSize(2);
            assertLeadsTo(dial, sprite, "the one rule still steers");
            routes.remove("web-8080");
            assertThat(tableExists()).isFalse();
        }
    }

    @Test
    void badSettingsAndTargetsAreRefusedWithTheFix() {
        assertThatThrownBy(() -> RouteSwitch.of("dns", tmp, ADDRESS)).isInstanceOf(InvalidSpecException.class).hasMessageContaining("auto (the default), kernel or file");
        assertThatThrownBy(() -> new KernelSwitch(tmp, "127.0.0.2")).isInstanceOf(InvalidSpecException.class).hasMessageContaining("loopback");
        assertThatThrownBy(() -> new KernelSwitch(tmp, "not-an-address.invalid")).isInstanceOf(InvalidSpecException.class).hasMessageContaining("IPv4");
        assertThatThrownBy(() -> new KernelSwitch(tmp, "198.19.0.300")).isInstanceOf(InvalidSpecException.class).hasMessageContaining("IPv4");
        assertThatThrownBy(() -> new KernelSwitch(tmp, ADDRESS).point("web-8080", route("web", new Endpoint("localhost", 8080), false)))
                .as("a name is never looked up").isInstanceOf(InvalidSpecException.class).hasMessageContaining("written out");
        assertThatThrownBy(() -> new KernelSwitch(tmp, ADDRESS).point("web-8080", route("web", new Endpoint("::1", 8080), false)))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("caddy.switch=file");
        assertThatThrownBy(() -> new KernelSwitch(tmp, ADDRESS).point("web 8080\"", route("web", new Endpoint("127.0.0.1", 8080), false)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFileSwitchNamesAFileCaddyReadsAndReplacesItWhole() throws Exception {
        FileSwitch routes = new FileSwitch(tmp);
        String dial = routes.point("web-8080", route("web", new Endpoint("10.89.0.5", 8080), false));
        Path file = tmp.resolve("upstreams/web-8080");
        assertThat(dial).isEqualTo("{file." + file + "}");
        assertThat(Files.readString(file)).isEqualTo("10.89.0.5:8080");
        assertThat(routes.point("web-8080", route("web", new Endpoint("127.0.0.1", 41000), true))).isEqualTo(dial);
        assertThat(routes.source()).as("Caddy dials from wherever it likes").isEmpty();
        assertThat(routes.target("web-8080")).contains("127.0.0.1:41000");
        try (var files = Files.list(tmp.resolve("upstreams"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).as("no temporary file left").containsExactly("web-8080");
        }
        routes.remove("web-8080");
        assertThat(routes.target("web-8080")).isEmpty();
        assertThat(RouteSwitch.of("file", tmp, ADDRESS)).isInstanceOf(FileSwitch.class);
    }

    private static ServerSocket listener() throws IOException {
        return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    private static Route route(String sprite, ServerSocket to, boolean activator) {
        return route(sprite, new Endpoint("127.0.0.1", to.getLocalPort()), activator);
    }

    private static Route route(String sprite, Endpoint to, boolean activator) {
        return new Route(sprite, 8080, to, ExposureMode.LOCAL, true, activator);
    }

    /** Asserts that a connection Caddy makes to {@code dial} reaches {@code to}. */
    private static void assertLeadsTo(String dial, ServerSocket to, String why) throws IOException {
        try (Socket c = fromCaddy(dial); Socket at = to.accept()) {
            assertThat(at.getLocalPort()).as(why).isEqualTo(to.getLocalPort());
        }
    }

    /** Connects as Caddy does: from the switch address. */
    private static Socket fromCaddy(String dial) throws IOException {
        int colon = dial.lastIndexOf(':');
        Socket s = new Socket();
        s.bind(new InetSocketAddress(ADDRESS, 0));
        s.connect(new InetSocketAddress(dial.substring(0, colon), Integer.parseInt(dial.substring(colon + 1))), 5000);
        return s;
    }

    private static boolean tableExists() throws Exception {
        return run(List.of("nft", "list", "table", "ip", KernelSwitch.TABLE)) == 0;
    }

    private static String loopback() throws Exception {
        return output(List.of("ip", "-4", "-o", "addr", "show", "dev", "lo"));
    }

    private static String output(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        return out;
    }

    private static int run(List<String> argv) throws Exception {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }
}
