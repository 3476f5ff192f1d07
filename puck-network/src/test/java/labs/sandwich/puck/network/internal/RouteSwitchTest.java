package labs.sandwich.puck.network.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import labs.sandwich.puck.api.InvalidSpecException;
import labs.sandwich.puck.spi.Endpoint;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two route switches against the real kernel and file system: what a route dials stays the
 * same while where it leads changes, a switch to the activator cuts connections still open to
 * the sprite, and the kernel switch's table and address go with its last route. Two local
 * listeners stand for a sprite and the activator.
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
    void theKernelSwitchLeadsNewConnectionsToTheTargetAndCutsTheSpritesOnesOnTheWayToTheActivator() throws Exception {
        assumeTrue(KernelSwitch.usable(), "needs root: nftables, ip and ss -K");
        try (ServerSocket sprite = listener(); ServerSocket activator = listener()) {
            KernelSwitch routes = new KernelSwitch(tmp.resolve("a"), ADDRESS);
            String dial = routes.point("web-8080", endpoint(sprite), false);
            assertThat(dial).startsWith(ADDRESS + ":");
            assertThat(routes.target("web-8080")).contains("127.0.0.1:" + sprite.getLocalPort());

            try (Socket pooled = connect(dial); Socket atSprite = sprite.accept()) {
                assertThat(atSprite.getLocalPort()).as("the route's address leads to the sprite").isEqualTo(sprite.getLocalPort());
                assertThat(routes.point("web-8080", endpoint(activator), true)).as("the route dials the same whatever its target").isEqualTo(dial);
                pooled.setSoTimeout(5000);
                assertThatThrownBy(() -> pooled.getInputStream().read()).as("a connection still open to the sleeping sprite is cut")
                        .isInstanceOf(IOException.class).hasMessageContaining("abort");
            }
            try (Socket toActivator = connect(dial); Socket atActivator = activator.accept()) {
                assertThat(atActivator.getLocalPort()).as("a new connection reaches the activator").isEqualTo(activator.getLocalPort());
                assertThat(routes.point("web-8080", endpoint(sprite), false)).isEqualTo(dial);
                toActivator.getOutputStream().write('x');
                assertThat(atActivator.getInputStream().read()).as("the switch back to the sprite leaves the activator's connection alone").isEqualTo('x');
                try (Socket again = connect(dial); Socket atSprite = sprite.accept()) {
                    assertThat(atSprite.getLocalPort()).isEqualTo(sprite.getLocalPort());
                }
            }
        }
    }

    @Test
    void processesSharingACaddyShareItsRoutesAndTheLastRouteTakesTheTableAndAddressWithIt() throws Exception {
        assumeTrue(KernelSwitch.usable(), "needs root: nftables, ip and ss -K");
        assumeTrue(!tableExists(), "another Puck on this machine has routes in the kernel switch; the table would not go");
        try (ServerSocket sprite = listener()) {
            KernelSwitch one = new KernelSwitch(tmp.resolve("a"), ADDRESS);
            KernelSwitch sameCaddy = new KernelSwitch(tmp.resolve("a"), ADDRESS);
            KernelSwitch otherCaddy = new KernelSwitch(tmp.resolve("b"), ADDRESS);
            String dial = one.point("web-8080", endpoint(sprite), false);
            assertThat(sameCaddy.target("web-8080")).as("another process sharing the Caddy finds the route").contains("127.0.0.1:" + sprite.getLocalPort());
            assertThat(sameCaddy.point("web-8080", endpoint(sprite), false)).as("and the same port for it").isEqualTo(dial);
            String others = otherCaddy.point("web-8080", endpoint(sprite), false);
            assertThat(others).as("another Caddy's route of the same name gets a port of its own").isNotEqualTo(dial);
            assertThat(loopback()).contains(ADDRESS);

            one.remove("web-8080");
            assertThat(one.target("web-8080")).isEmpty();
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
            String dial = routes.point("web-8080", endpoint(sprite), false);
            run(List.of("nft", "delete", "element", "ip", KernelSwitch.TABLE, "routes", "{ " + dial.replace(":", " . ") + " }"));
            routes.point("web-8080", endpoint(sprite), false);
            assertThat(output(List.of("nft", "list", "chain", "ip", KernelSwitch.TABLE, "output")).split("dnat", -1)).as("one dnat rule").hasSize(2);
            try (Socket c = connect(routes.point("web-8080", endpoint(sprite), false)); Socket atSprite = sprite.accept()) {
                assertThat(atSprite.getLocalPort()).isEqualTo(sprite.getLocalPort());
            }
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
        assertThatThrownBy(() -> new KernelSwitch(tmp, ADDRESS).point("web-8080", new Endpoint("localhost", 8080), false))
                .as("a name is never looked up").isInstanceOf(InvalidSpecException.class).hasMessageContaining("written out");
        assertThatThrownBy(() -> new KernelSwitch(tmp, ADDRESS).point("web-8080", new Endpoint("::1", 8080), false))
                .isInstanceOf(InvalidSpecException.class).hasMessageContaining("caddy.switch=file");
        assertThatThrownBy(() -> new KernelSwitch(tmp, ADDRESS).point("web 8080\"", new Endpoint("127.0.0.1", 8080), false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFileSwitchNamesAFileCaddyReadsAndReplacesItWhole() throws Exception {
        FileSwitch routes = new FileSwitch(tmp);
        String dial = routes.point("web-8080", new Endpoint("10.89.0.5", 8080), false);
        Path file = tmp.resolve("upstreams/web-8080");
        assertThat(dial).isEqualTo("{file." + file + "}");
        assertThat(Files.readString(file)).isEqualTo("10.89.0.5:8080");
        assertThat(routes.point("web-8080", new Endpoint("127.0.0.1", 41000), true)).isEqualTo(dial);
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

    private static Endpoint endpoint(ServerSocket s) {
        return new Endpoint("127.0.0.1", s.getLocalPort());
    }

    private static Socket connect(String dial) throws IOException {
        int colon = dial.lastIndexOf(':');
        return new Socket(dial.substring(0, colon), Integer.parseInt(dial.substring(colon + 1)));
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
