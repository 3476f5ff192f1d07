package labs.sandwich.puck.podman.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import labs.sandwich.puck.podman.internal.libpod.model.ComponentVersion;
import labs.sandwich.puck.podman.internal.libpod.model.ExecCreateConfig;
import labs.sandwich.puck.podman.internal.libpod.model.InspectContainer;
import labs.sandwich.puck.podman.internal.libpod.model.ListContainer;
import labs.sandwich.puck.podman.internal.libpod.model.Network;
import labs.sandwich.puck.podman.internal.libpod.model.NetworkInspectReport;
import labs.sandwich.puck.podman.internal.libpod.model.SpecGenerator;
import labs.sandwich.puck.podman.internal.libpod.model.SystemComponentVersion;
import labs.sandwich.puck.podman.internal.libpod.model.VolumeConfigResponse;
import labs.sandwich.puck.podman.internal.libpod.model.VolumeCreateOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The generated client against the real Podman service on its unix socket
 * ({@code PUCK_PODMAN_SOCKET}, else {@code /run/podman/podman.sock}). Skipped, with the reason,
 * where there is none. Everything it creates has a name of its own and is removed.
 */
class PodmanClientTest {
    private static final String IMAGE = "localhost/puck/base:bookworm";
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);

    private static Path socket;
    private static PodmanClient client;

    @BeforeAll
    static void open() {
        String env = System.getenv("PUCK_PODMAN_SOCKET");
        socket = Path.of(env != null && !env.isBlank() ? env : "/run/podman/podman.sock");
        if (Files.exists(socket)) {
            client = new PodmanClient(socket);
        }
    }

    @BeforeEach
    void needsPodman() {
        // Per test, so each one is reported as skipped with this reason.
        assumeTrue(client != null, "no Podman socket at " + socket
                + ": run `sudo scripts/host-setup.sh` (it starts `podman system service`) or set PUCK_PODMAN_SOCKET");
    }

    @AfterAll
    static void close() {
        if (client != null) {
            client.close();
        }
    }

    @Test
    @DisplayName("ping answers OK")
    void ping() {
        assertThat(client.ping()).isEqualTo("OK");
    }

    @Test
    @DisplayName("version: Podman 5, whose libpod API answers on the v5.0.0 paths")
    void version() {
        SystemComponentVersion v = client.version();
        assertThat(Integer.parseInt(v.getVersion().split("\\.")[0])).as("Podman's major version (%s)", v.getVersion()).isEqualTo(5);
        ComponentVersion engine = v.getComponents().stream().filter(c -> "Podman Engine".equals(c.getName())).findFirst().orElseThrow();
        assertThat(engine.getDetails().get("APIVersion")).startsWith("5.");
    }

    @Test
    @DisplayName("info: the host's runtime and security settings")
    void info() {
        var info = client.info();
        assertThat(info.getHost().getOciRuntime().getName()).isNotBlank();
        assertThat(info.getHost().getSecurity().getRootless()).isNotNull();
        assertThat(info.getHost().getMemTotal()).isPositive();
        assertThat(info.getVersion().getVersion()).startsWith("5.");
    }

    @Test
    @DisplayName("a volume labelled managed-by=puck: create, exists, inspect, list by label, remove")
    void volume() {
        String name = "puck-client-test-" + RUN;
        try {
            VolumeConfigResponse created = client.call("create volume", () -> client.volumes().volumeCreate(
                    new VolumeCreateOptions().name(name).labels(Map.of("managed-by", "puck", "puck.test", RUN))));
            assertThat(created.getName()).isEqualTo(name);
            client.run("volume exists", () -> client.volumes().volumeExists(name));
            VolumeConfigResponse inspected = client.call("inspect volume", () -> client.volumes().volumeInspect(name));
            assertThat(inspected.getLabels()).containsEntry("managed-by", "puck").containsEntry("puck.test", RUN);
            assertThat(inspected.getDriver()).isEqualTo("local");
            assertThat(inspected.getCreatedAt()).isNotNull();
            String filters = client.filters(Map.of("label", List.of("puck.test=" + RUN)));
            assertThat(client.call("list volumes", () -> client.volumes().volumeList(filters)))
                    .extracting(VolumeConfigResponse::getName).containsExactly(name);
        } finally {
            removeVolume(name);
        }
        assertThatThrownBy(() -> client.run("volume exists", () -> client.volumes().volumeExists(name)))
                .isInstanceOfSatisfying(LibpodException.class, e -> assertThat(e.notFound()).isTrue());
    }

    @Test
    @DisplayName("container list with a label filter finds only what carries the label")
    void listByLabel() {
        String filters = client.filters(Map.of("label", List.of("managed-by=puck")));
        List<ListContainer> puck = client.call("list", () -> client.containers().containerList(true, filters));
        assertThat(puck).allSatisfy(c -> assertThat(c.getLabels()).containsEntry("managed-by", "puck"));
        String none = client.filters(Map.of("label", List.of("puck.test=" + RUN + "-nothing")));
        assertThat(client.call("list", () -> client.containers().containerList(true, none))).isEmpty();
    }

    @Test
    @DisplayName("a missing container is a 404 with Podman's message")
    void notFound() {
        assertThatThrownBy(() -> client.call("inspect", () -> client.containers().containerInspect("puck-client-test-missing-" + RUN)))
                .isInstanceOfSatisfying(LibpodException.class, e -> {
                    assertThat(e.status()).isEqualTo(404);
                    assertThat(e.podmanCause()).contains("no such container");
                    assertThat(e.podmanMessage()).contains("puck-client-test-missing-" + RUN);
                });
    }

    @Test
    @DisplayName("a container: create, start, start again (304, no body), exec, list by label, stop, delete")
    void container() {
        assumeTrue(imageExists(), "no image " + IMAGE + ": run `sudo scripts/base-image.sh`");
        String name = "puck-client-test-" + RUN;
        try {
            client.call("create", () -> client.containers().containerCreate(new SpecGenerator().name(name).image(IMAGE)
                    .labels(Map.of("puck.test", RUN)).command(List.of("sleep", "infinity")).stopTimeout(1L)));
            client.run("start", () -> client.containers().containerStart(name));
            client.run("start again", () -> client.containers().containerStart(name));
            InspectContainer c = client.call("inspect", () -> client.containers().containerInspect(name));
            assertThat(c.getState().getStatus()).isEqualTo("running");
            assertThat(c.getConfig().getLabels()).containsEntry("puck.test", RUN);

            String exec = client.call("exec", () -> client.exec().containerExec(name, new ExecCreateConfig().cmd(List.of("true")))).getId();
            assertThat(client.call("exec inspect", () -> client.exec().execInspect(exec)).getContainerID()).isEqualTo(c.getId());

            String filters = client.filters(Map.of("label", List.of("puck.test=" + RUN)));
            assertThat(client.call("list", () -> client.containers().containerList(true, filters)))
                    .singleElement().satisfies(l -> assertThat(l.getNames()).containsExactly(name));

            client.run("stop", () -> client.containers().containerStop(name, 1, false));
            client.run("stop again", () -> client.containers().containerStop(name, 1, false));
            assertThat(client.call("inspect", () -> client.containers().containerInspect(name)).getState().getRunning()).isFalse();
        } finally {
            client.call("delete", () -> client.containers().containerDelete(name, true, true, 0, false));
        }
        assertThatThrownBy(() -> client.run("exists", () -> client.containers().containerExists(name)))
                .isInstanceOfSatisfying(LibpodException.class, e -> assertThat(e.notFound()).isTrue());
    }

    @Test
    @DisplayName("a network labelled managed-by=puck: create, exists, inspect, remove")
    void network() {
        String name = "puck-client-test-" + RUN;
        try {
            Network created = client.call("create network", () -> client.networks().networkCreate(
                    new Network().name(name).driver("bridge").labels(Map.of("managed-by", "puck", "puck.test", RUN))));
            assertThat(created.getName()).isEqualTo(name);
            assertThat(created.getSubnets()).isNotEmpty();
            client.run("network exists", () -> client.networks().networkExists(name));
            NetworkInspectReport inspected = client.call("inspect network", () -> client.networks().networkInspect(name));
            assertThat(inspected.getLabels()).containsEntry("puck.test", RUN);
            assertThat(inspected.getContainers()).isEmpty();
        } finally {
            client.call("delete network", () -> client.networks().networkDelete(name, true));
        }
        assertThatThrownBy(() -> client.run("network exists", () -> client.networks().networkExists(name)))
                .isInstanceOfSatisfying(LibpodException.class, e -> assertThat(e.notFound()).isTrue());
    }

    @Test
    @DisplayName("latency through the generated client on one pooled connection (printed, not asserted)")
    void latency() {
        for (int i = 0; i < 20; i++) {
            client.ping();
        }
        long[] ping = new long[100];
        for (int i = 0; i < ping.length; i++) {
            long t = System.nanoTime();
            client.ping();
            ping[i] = System.nanoTime() - t;
        }
        long[] inspect = new long[0];
        if (imageExists()) {
            String name = "puck-client-latency-" + RUN;
            try {
                client.call("create", () -> client.containers().containerCreate(new SpecGenerator().name(name).image(IMAGE)
                        .labels(Map.of("puck.test", RUN)).command(List.of("sleep", "infinity")).stopTimeout(1L)));
                client.run("start", () -> client.containers().containerStart(name));
                for (int i = 0; i < 20; i++) {
                    client.call("inspect", () -> client.containers().containerInspect(name));
                }
                inspect = new long[100];
                for (int i = 0; i < inspect.length; i++) {
                    long t = System.nanoTime();
                    client.call("inspect", () -> client.containers().containerInspect(name));
                    inspect[i] = System.nanoTime() - t;
                }
            } finally {
                client.call("delete", () -> client.containers().containerDelete(name, true, true, 0, false));
            }
        }
        System.out.println("libpod latency over " + client.socket() + ": ping " + stats(ping)
                + (inspect.length == 0 ? "; container inspect: skipped, no image " + IMAGE : "; container inspect " + stats(inspect)));
    }

    private static String stats(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        double mean = Arrays.stream(s).average().orElse(0) / 1e6;
        return String.format("n=%d p50 %.2f ms, p90 %.2f ms, max %.2f ms, mean %.2f ms", s.length, s[s.length / 2] / 1e6,
                s[(int) (s.length * 0.9)] / 1e6, s[s.length - 1] / 1e6, mean);
    }

    private static boolean imageExists() {
        try {
            client.run("image exists", () -> client.images().imageExists(IMAGE));
            return true;
        } catch (LibpodException e) {
            if (e.notFound()) {
                return false;
            }
            throw e;
        }
    }

    private static void removeVolume(String name) {
        try {
            client.run("remove volume", () -> client.volumes().volumeDelete(name, true));
        } catch (LibpodException e) {
            if (!e.notFound()) {
                throw e;
            }
        }
    }
}
